package irr

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/peerform/peerform/internal/core/bgp"
)

// DB is IRR data held in memory: as-set objects and the origins of
// route and route6 objects, each in one IRR source. It is filled from
// RPSL files (ParseRPSL, LoadSnapshots) or with AddSet and AddPrefix, and
// then answers the queries an expansion asks, in process, the way an
// IRRd server answers them: a Client with Options.DB expands from it, and
// irrtest serves it over the whois protocol.
//
// A DB must not change once it is in use; reading it from several
// goroutines is then safe.
type DB struct {
	files   []string                       // what it was loaded from, for Name
	sources []string                       // in order of first appearance
	sets    map[string]map[string][]string // NAME → SOURCE → members as written, upper case
	routes  map[string]map[bgp.ASN]*originRoutes

	mu    sync.Mutex // guards the sorting of routes on first use
	dirty bool       // some originRoutes are not sorted yet
}

// originRoutes are the prefixes registered for one origin in one source,
// as registered (host bits are kept, as IRRd returns them). IPv4 prefixes
// are stored as address<<8 | length, a quarter of a netip.Prefix.
type originRoutes struct {
	v4     []uint64
	v6     []netip.Prefix
	sorted bool // sorted and without duplicates
}

// NewDB returns an empty database.
func NewDB() *DB {
	return &DB{
		sets:   map[string]map[string][]string{},
		routes: map[string]map[bgp.ASN]*originRoutes{},
	}
}

// Name says where the data came from: the files it was loaded from, or
// "in-memory IRR data".
func (db *DB) Name() string {
	if len(db.files) == 0 {
		return "in-memory IRR data"
	}
	return strings.Join(db.files, ", ")
}

// Sources lists the IRR sources in the order they were first seen. An
// expansion without explicit sources uses all of them in this order.
func (db *DB) Sources() []string { return slices.Clone(db.sources) }

// HasSource reports whether any object has the source (upper case).
func (db *DB) HasSource(source string) bool { return slices.Contains(db.sources, source) }

func (db *DB) addSource(src string) string {
	src = strings.ToUpper(src)
	if !slices.Contains(db.sources, src) {
		db.sources = append(db.sources, src)
	}
	return src
}

// AddSet adds (or replaces) the as-set name in source. Members are AS
// numbers or set names as written in RPSL, case-insensitive; they are
// kept as written (in upper case), and the expansion decides what it can
// use, as it does with a server's answer.
func (db *DB) AddSet(source, name string, members ...string) {
	source = db.addSource(source)
	name = strings.ToUpper(name)
	if db.sets[name] == nil {
		db.sets[name] = map[string][]string{}
	}
	up := make([]string, 0, len(members))
	for _, m := range members {
		up = append(up, strings.ToUpper(m))
	}
	db.sets[name][source] = up
}

// AddPrefix adds a route (IPv4) or route6 object: p registered for
// origin in source. A prefix registered twice is kept once.
func (db *DB) AddPrefix(source string, p netip.Prefix, origin bgp.ASN) {
	source = db.addSource(source)
	bySource := db.routes[source]
	if bySource == nil {
		bySource = map[bgp.ASN]*originRoutes{}
		db.routes[source] = bySource
	}
	or := bySource[origin]
	if or == nil {
		or = &originRoutes{sorted: true}
		bySource[origin] = or
	}
	// A prefix registered again right after itself (the same object in
	// two files, a dump repeating one object) is not stored twice.
	if p.Addr().Is4() {
		k := key4(p)
		if n := len(or.v4); n > 0 && or.v4[n-1] == k {
			return
		} else if n > 0 && or.v4[n-1] > k {
			or.sorted = false
		}
		or.v4 = append(or.v4, k)
	} else {
		if n := len(or.v6); n > 0 && or.v6[n-1] == p {
			return
		} else if n > 0 && comparePrefix(or.v6[n-1], p) > 0 {
			or.sorted = false
		}
		or.v6 = append(or.v6, p)
	}
	if !or.sorted {
		db.dirty = true
	}
}

// AddRoute is AddPrefix for a prefix in text.
func (db *DB) AddRoute(source, prefix string, origin bgp.ASN) error {
	p, err := netip.ParsePrefix(prefix)
	if err != nil {
		return err
	}
	db.AddPrefix(source, p, origin)
	return nil
}

func key4(p netip.Prefix) uint64 {
	a := p.Addr().As4()
	return uint64(binary.BigEndian.Uint32(a[:]))<<8 | uint64(p.Bits())
}

func prefix4(k uint64) netip.Prefix {
	var a [4]byte
	binary.BigEndian.PutUint32(a[:], uint32(k>>8))
	return netip.PrefixFrom(netip.AddrFrom4(a), int(k&0xff))
}

// prepare sorts the route lists that were filled out of order and drops
// their duplicates, once, before the first query.
func (db *DB) prepare() {
	db.mu.Lock()
	defer db.mu.Unlock()
	if !db.dirty {
		return
	}
	for _, bySource := range db.routes {
		for _, or := range bySource {
			if or.sorted {
				continue
			}
			slices.Sort(or.v4)
			or.v4 = slices.Clip(slices.Compact(or.v4))
			slices.SortFunc(or.v6, comparePrefix)
			or.v6 = slices.Clip(slices.Compact(or.v6))
			or.sorted = true
		}
	}
	db.dirty = false
}

// Stats counts what a DB holds.
type Stats struct {
	Sources         []string
	Sets            int // as-set objects (one per name and source)
	Origins         int // distinct origin ASNs with routes, over all sources
	Routes, Routes6 int // distinct route and route6 objects
}

// Stats counts the objects in the DB.
func (db *DB) Stats() Stats {
	db.prepare()
	st := Stats{Sources: db.Sources()}
	origins := map[bgp.ASN]bool{}
	for _, bySource := range db.routes {
		for a, or := range bySource {
			origins[a] = true
			st.Routes += len(or.v4)
			st.Routes6 += len(or.v6)
		}
	}
	st.Origins = len(origins)
	for _, bySource := range db.sets {
		st.Sets += len(bySource)
	}
	return st
}

// String summarises the counts in one line.
func (st Stats) String() string {
	return fmt.Sprintf("%d as-sets, %d route and %d route6 objects of %d origins (sources %s)",
		st.Sets, st.Routes, st.Routes6, st.Origins, strings.Join(st.Sources, ","))
}

// WhoisAnswer is the reply an IRRd server sends to one query ("!iAS-FOO,1",
// "!gAS64500", "!a4AS-FOO", …) with sources selected, in its framing
// ("A<n>", data, "C"; "D"; "F message"). Session commands ("!!", "!n",
// "!s", "!q") are the server's to handle. irrtest serves a DB with it.
func (db *DB) WhoisAnswer(sources []string, query string) []byte {
	db.prepare()
	return appendReply(nil, db.answer(sources, query, nil))
}

// answer answers one query the way IRRd 4 does, which is what bgpq4 and
// the expansion expect (docs/irr.md). memo, if not nil, keeps recursive
// set resolutions between queries with the same sources.
func (db *DB) answer(sel []string, q string, memo map[string][]bgp.ASN) reply {
	switch {
	case q == "!a":
		// IRRd's answer to a bare "!a", which clients use as a probe.
		return reply{Kind: KindError, Msg: "Missing required set name for A query"}
	case strings.HasPrefix(q, "!a"):
		arg := q[2:]
		v4, v6 := true, true
		switch {
		case strings.HasPrefix(arg, "4"):
			v6, arg = false, arg[1:]
		case strings.HasPrefix(arg, "6"):
			v4, arg = false, arg[1:]
		}
		asns, found := db.resolve(sel, strings.ToUpper(arg), memo)
		if !found {
			return reply{Kind: KindNotFound}
		}
		return db.prefixReply(sel, asns, v4, v6)
	case strings.HasPrefix(q, "!i"):
		arg, recursive := strings.CutSuffix(strings.ToUpper(q[2:]), ",1")
		if recursive {
			asns, found := db.resolve(sel, arg, memo)
			if !found || len(asns) == 0 {
				return reply{Kind: KindNotFound}
			}
			var b []byte
			for i, a := range asns {
				if i > 0 {
					b = append(b, ' ')
				}
				b = strconv.AppendUint(append(b, "AS"...), uint64(a), 10)
			}
			return reply{Kind: KindData, Data: b}
		}
		members, found := db.lookupSet(sel, arg)
		if !found || len(members) == 0 {
			return reply{Kind: KindNotFound}
		}
		return reply{Kind: KindData, Data: []byte(strings.Join(members, " "))}
	case strings.HasPrefix(q, "!m"):
		// "!m<class>,<key>": the object itself; as-set is the only
		// class kept.
		class, key, _ := strings.Cut(q[2:], ",")
		if !strings.EqualFold(class, "as-set") {
			return reply{Kind: KindNotFound}
		}
		key = strings.ToUpper(key)
		for _, src := range sel {
			if members, ok := db.sets[key][src]; ok {
				obj := "as-set: " + key + "\n"
				if len(members) > 0 {
					obj += "members: " + strings.Join(members, ", ") + "\n"
				}
				return reply{Kind: KindData, Data: []byte(obj + "source: " + src)}
			}
		}
		return reply{Kind: KindNotFound}
	case strings.HasPrefix(q, "!g"), strings.HasPrefix(q, "!6"):
		asn, err := bgp.ParseASN(q[2:])
		if err != nil {
			return reply{Kind: KindError, Msg: "Invalid AS number"}
		}
		v4 := q[1] == 'g'
		return db.prefixReply(sel, []bgp.ASN{asn}, v4, !v4)
	}
	return reply{Kind: KindError, Msg: "Unrecognized command"}
}

// lookupSet finds name in the first selected source that has it.
func (db *DB) lookupSet(sel []string, name string) ([]string, bool) {
	bySource := db.sets[name]
	for _, src := range sel {
		if m, ok := bySource[src]; ok {
			return m, true
		}
	}
	return nil, false
}

// memberASN reports whether a member as written is an AS number rather
// than a set name: IRRd's "!i<set>,1" counts "AS64500" and "64500".
func memberASN(m string) (bgp.ASN, bool) {
	if strings.ContainsAny(m, "-:") {
		return 0, false
	}
	a, err := bgp.ParseASN(m)
	return a, err == nil
}

// resolve expands a set recursively into sorted, distinct ASNs, visiting
// each set once (so loops end), as IRRd answers "!i<set>,1". A name that
// is an AS number resolves to itself.
func (db *DB) resolve(sel []string, name string, memo map[string][]bgp.ASN) ([]bgp.ASN, bool) {
	if a, ok := memberASN(name); ok {
		return []bgp.ASN{a}, true
	}
	if _, ok := db.lookupSet(sel, name); !ok {
		return nil, false
	}
	key := strings.Join(sel, ",") + " " + name
	if asns, ok := memo[key]; ok {
		return asns, true
	}
	seen := map[string]bool{name: true}
	asns := map[bgp.ASN]bool{}
	queue := []string{name}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		members, _ := db.lookupSet(sel, cur)
		for _, m := range members {
			if a, ok := memberASN(m); ok {
				asns[a] = true
				continue
			}
			if !seen[m] {
				seen[m] = true
				queue = append(queue, m)
			}
		}
	}
	out := make([]bgp.ASN, 0, len(asns))
	for a := range asns {
		out = append(out, a)
	}
	slices.Sort(out)
	if memo != nil {
		memo[key] = out
	}
	return out, true
}

// prefixReply lists the distinct prefixes registered for asns in the
// selected sources, sorted, space-separated; none is "D", as IRRd answers.
func (db *DB) prefixReply(sel []string, asns []bgp.ASN, v4, v6 bool) reply {
	var l4 [][]uint64
	var l6 [][]netip.Prefix
	n4, n6 := 0, 0
	for _, src := range sel {
		bySource := db.routes[src]
		if bySource == nil {
			continue
		}
		for _, a := range asns {
			or := bySource[a]
			if or == nil {
				continue
			}
			if v4 && len(or.v4) > 0 {
				l4 = append(l4, or.v4)
				n4 += len(or.v4)
			}
			if v6 && len(or.v6) > 0 {
				l6 = append(l6, or.v6)
				n6 += len(or.v6)
			}
		}
	}
	if n4+n6 == 0 {
		return reply{Kind: KindNotFound}
	}
	// Each list is sorted and distinct: one is used as it is, several
	// are joined and sorted again.
	var ps4 []uint64
	switch len(l4) {
	case 0:
	case 1:
		ps4 = l4[0]
	default:
		ps4 = make([]uint64, 0, n4)
		for _, l := range l4 {
			ps4 = append(ps4, l...)
		}
		slices.Sort(ps4)
		ps4 = slices.Compact(ps4)
	}
	var ps6 []netip.Prefix
	switch len(l6) {
	case 0:
	case 1:
		ps6 = l6[0]
	default:
		ps6 = make([]netip.Prefix, 0, n6)
		for _, l := range l6 {
			ps6 = append(ps6, l...)
		}
		slices.SortFunc(ps6, comparePrefix)
		ps6 = slices.Compact(ps6)
	}
	b := make([]byte, 0, 19*len(ps4)+28*len(ps6))
	for _, k := range ps4 {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = prefix4(k).AppendTo(b)
	}
	for _, p := range ps6 {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = p.AppendTo(b)
	}
	return reply{Kind: KindData, Data: b}
}

// selectSources parses a "!s" argument against the DB's sources.
func (db *DB) selectSources(list string) ([]string, error) {
	var sel []string
	for _, src := range strings.Split(list, ",") {
		src = strings.ToUpper(strings.TrimSpace(src))
		if !db.HasSource(src) {
			return nil, fmt.Errorf("no object in %s has the IRR source %q", db.Name(), src)
		}
		sel = append(sel, src)
	}
	return sel, nil
}
