package irr

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Expand expands every reference (an AS-SET, "SOURCE::AS-SET" or a single
// AS) into member ASNs and IPv4/IPv6 prefixes, and returns one Result per
// distinct reference. All references are worked on together: each round
// of queries is pipelined over parallel connections, and a query that
// several references need (a shared member AS, a shared nested set) is
// asked once. A failure affects only the references that needed the
// failed answer. Expand never returns an error of its own; look at each
// Result's Err.
func (c *Client) Expand(ctx context.Context, refs []bgp.ObjectRef) map[bgp.ObjectRef]Result {
	ctx, cancel := context.WithTimeoutCause(ctx, c.opts.TotalTimeout,
		fmt.Errorf("IRR expansion did not finish within %v", c.opts.TotalTimeout))
	defer cancel()
	s := &session{
		c:       c,
		bogons:  bgp.BogonASNRangesAllowing(c.opts.AllowASN),
		answers: map[query]answer{},
		fetched: map[query]time.Time{},
		parsed:  map[query]parsedPrefixes{},
	}
	if c.opts.DB != nil {
		s.src = newDBAnswerer(c.opts.DB, c.opts.Sources, c.opts.MaxReplyBytes)
	} else {
		s.src = &pool{
			servers: c.opts.Servers, sources: strings.Join(c.opts.Sources, ","),
			conns: c.opts.Conns, qTimeout: c.opts.QueryTimeout, maxData: c.opts.MaxReplyBytes,
		}
		s.remote = true
	}
	defer s.src.close()

	var exps []*expansion
	seen := map[bgp.ObjectRef]bool{}
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		e := &expansion{ref: ref}
		// Names reach the server in queries: only what ParseObjectRef
		// accepts (no spaces, newlines or other query syntax) goes.
		if parsed, err := bgp.ParseObjectRef(ref.String()); err != nil || parsed != ref {
			e.fail(fmt.Errorf("invalid IRR reference %q", ref.String()))
		}
		exps = append(exps, e)
	}
	for round := 0; ; round++ {
		var need []query
		inNeed := map[query]bool{}
		active, stepped := 0, false
		for _, e := range exps {
			if e.done {
				continue
			}
			if e.ready(s) {
				e.step(s)
				stepped = true
			}
			if e.done {
				continue
			}
			active++
			for _, q := range e.wants {
				if _, ok := s.answers[q]; !ok && !inNeed[q] {
					inNeed[q] = true
					need = append(need, q)
				}
			}
		}
		if active == 0 {
			break
		}
		if len(need) == 0 && !stepped {
			// Cannot happen: an expansion that is not ready has an
			// unanswered query. Stop rather than spin.
			for _, e := range exps {
				if !e.done {
					e.fail(errors.New("expansion made no progress"))
				}
			}
			break
		}
		if len(need) > 0 {
			c.log.Debug("IRR round", "round", round, "queries", len(need), "expansions", active)
			s.fetch(ctx, need)
		}
	}
	if c.opts.Cache != nil {
		if err := c.opts.Cache.Prune(); err != nil {
			c.log.Warn("IRR cache prune failed", "err", err)
		}
	}
	server := s.src.name()
	out := make(map[bgp.ObjectRef]Result, len(exps))
	for _, e := range exps {
		r := e.result(c)
		r.Source = c.describeSource(e.ref, server)
		out[e.ref] = r
	}
	return out
}

// session is the state of one Expand call.
type session struct {
	c       *Client
	bogons  []bgp.BogonASNRange // the member ASNs dropped from sets
	src     answerer
	remote  bool // src asks servers: answers get a fetch time
	answers map[query]answer
	fetched map[query]time.Time
	parsed  map[query]parsedPrefixes
}

type parsedPrefixes struct {
	ps  []netip.Prefix
	bad badTokens
}

// lookup returns a known answer, from this run or the cache.
func (s *session) lookup(q query) (answer, bool) {
	if a, ok := s.answers[q]; ok {
		return a, true
	}
	if s.c.opts.Cache == nil {
		return answer{}, false
	}
	r, at, ok := s.c.opts.Cache.get(s.cacheKey(q))
	if !ok {
		return answer{}, false
	}
	if r.Kind == kindPrefixes {
		// Prefix lists are cached parsed and sorted: decoding them is
		// many times faster than parsing the server's text again.
		p, err := decodePrefixes(r.Data, q.family())
		if err != nil {
			return answer{}, false
		}
		s.parsed[q] = p
		r = reply{Kind: KindData}
	}
	a := answer{reply: r}
	s.answers[q], s.fetched[q] = a, at
	return a, true
}

func (s *session) cacheKey(q query) string {
	return s.c.srvKey + " | " + q.Sources + " | " + q.Text
}

// fetch answers qs from the cache or the servers.
func (s *session) fetch(ctx context.Context, qs []query) {
	var miss []query
	for _, q := range qs {
		if _, ok := s.lookup(q); !ok {
			miss = append(miss, q)
		}
	}
	if len(miss) == 0 {
		return
	}
	var now time.Time
	switch {
	case s.c.opts.Cache != nil:
		now = s.c.opts.Cache.opts.Now()
	case s.remote:
		now = time.Now()
	}
	ans := s.src.answer(ctx, miss)
	for i, q := range miss {
		a := ans[i]
		s.answers[q], s.fetched[q] = a, now
		if s.c.opts.Cache == nil || a.Err != nil || (a.Kind == KindError && q != probeA) {
			continue
		}
		store := a.reply
		if fam := q.family(); fam != 0 && a.Kind == KindData {
			store = reply{Kind: kindPrefixes, Data: encodePrefixes(s.prefixes(q, fam))}
		}
		if err := s.c.opts.Cache.put(s.cacheKey(q), store, now); err != nil {
			s.c.log.Warn("IRR cache write failed", "err", err)
		}
	}
}

// prefixes parses (once per run) a "!g", "!6" or "!a" answer into
// sorted, distinct prefixes.
func (s *session) prefixes(q query, family int) parsedPrefixes {
	if p, ok := s.parsed[q]; ok {
		return p
	}
	var p parsedPrefixes
	if a := s.answers[q]; a.Kind == KindData {
		p.ps, p.bad = parsePrefixList(a.Data, family, nil)
		p.ps = sortPrefixes(p.ps)
	}
	s.parsed[q] = p
	return p
}

// probeA asks whether the server knows "!a": IRRd answers a bare "!a"
// with this error when it does.
var probeA = query{Text: "!a"}

func (s *session) supportsA() bool {
	a := s.answers[probeA]
	return a.Err == nil && a.Kind == KindError && strings.HasPrefix(a.Msg, "Missing required set name for A query")
}

// phase is where an expansion stands.
type phase int

const (
	phaseStart    phase = iota
	phaseMembers        // waiting for "!i<set>,1" (and the !a probe)
	phaseWalk           // waiting for one level of non-recursive "!i<set>"
	phaseExists         // "!i" said "D": waiting for "!mas-set,<set>"
	phasePrefixes       // waiting for "!g"/"!6" or "!a4"/"!a6"
)

// expansion is one reference's progress through the rounds.
type expansion struct {
	ref   bgp.ObjectRef
	phase phase
	wants []query
	done  bool

	asns   map[bgp.ASN]bool
	v4, v6 []netip.Prefix
	// lists4 and lists6 count the answers v4 and v6 were joined from:
	// one answer is already sorted and distinct.
	lists4, lists6 int
	warnings       []string
	err            error
	oldest         time.Time

	// dropped are the bogon ASNs left out (addASN).
	dropped map[bgp.ASN]bool

	// Walking the sets ourselves (MaxDepth or SOURCE::SET).
	depth   int
	level   []string          // sets asked in the current level
	visited map[string]string // set → the set it was first found in ("" for the root)
}

func (e *expansion) warnf(format string, args ...any) {
	e.warnings = append(e.warnings, fmt.Sprintf(format, args...))
}

func (e *expansion) fail(err error) {
	e.err = err
	e.done = true
}

// ready reports whether every wanted answer is there.
func (e *expansion) ready(s *session) bool {
	for _, q := range e.wants {
		if _, ok := s.lookup(q); !ok {
			return false
		}
	}
	return true
}

// use returns the answer to q, failing the expansion on a transport
// error or a refusal. A "D" (not found or empty) is a valid answer.
func (e *expansion) use(s *session, q query) (answer, bool) {
	a := s.answers[q]
	if t := s.fetched[q]; e.oldest.IsZero() || (!t.IsZero() && t.Before(e.oldest)) {
		e.oldest = t
	}
	switch {
	case a.Err != nil:
		e.fail(fmt.Errorf("query %s: %w", q.Text, a.Err))
		return a, false
	case a.Kind == KindError || a.Kind == KindMultiple:
		e.fail(&ServerError{Query: q.Text, Msg: a.reply.String()})
		return a, false
	}
	return a, true
}

// step consumes the answers the expansion waited for and decides what to
// ask next.
func (e *expansion) step(s *session) {
	o := &s.c.opts
	switch e.phase {
	case phaseStart:
		e.asns = map[bgp.ASN]bool{}
		switch {
		case e.ref.IsASN():
			a, _ := bgp.ParseASN(e.ref.Name)
			e.asns[a] = true
			e.wantPrefixes(s)
		case e.ref.Source != "" || o.MaxDepth > 0:
			e.visited = map[string]string{e.ref.Name: ""}
			e.level = []string{e.ref.Name}
			e.depth = 1
			e.wants = []query{{Sources: e.ref.Source, Text: "!i" + e.ref.Name}}
			e.phase = phaseWalk
		default:
			e.wants = []query{{Text: "!i" + e.ref.Name + ",1"}}
			if !o.NoA {
				e.wants = append(e.wants, probeA)
				// With the probe's answer cached, ask for the prefixes
				// in the same round.
				if _, ok := s.lookup(probeA); ok && s.supportsA() {
					e.wants = append(e.wants, e.aQueries()...)
				}
			}
			e.phase = phaseMembers
		}
	case phaseMembers:
		a, ok := e.use(s, e.wants[0])
		if !ok {
			return
		}
		if a.Kind != KindData {
			e.askExists()
			return
		}
		asns, bad := parseASNList(a.Data)
		if bad.n > 0 {
			e.warnf("members of %s: %s", e.ref.Name, bad)
		}
		if len(asns) > o.MaxMembers {
			e.fail(fmt.Errorf("%s has %d member ASNs, more than %d: %w", e.ref, len(asns), o.MaxMembers, ErrLimit))
			return
		}
		dropped := false
		for _, x := range asns {
			dropped = e.addASN(s, x, e.ref.Name) || dropped
		}
		// "!a" answers with the prefixes of every member: with a member
		// dropped, the prefixes are asked per member instead.
		if !o.NoA && s.supportsA() && !dropped {
			e.wants = e.aQueries()
			e.phase = phasePrefixes
			if e.ready(s) {
				e.step(s)
			}
			return
		}
		e.wantPrefixes(s)
	case phaseWalk:
		e.walkLevel(s)
	case phaseExists:
		a, ok := e.use(s, e.wants[0])
		if !ok {
			return
		}
		if a.Kind != KindData {
			e.fail(fmt.Errorf("AS-SET %s: %w", e.ref, ErrNotFound))
			return
		}
		// IRRd answers "D" for an empty set too: it exists, with
		// nothing in it, and denies everything without failing.
		e.warnf("AS-SET %s exists but has no members", e.ref)
		e.asns = map[bgp.ASN]bool{}
		e.wantPrefixes(s)
	case phasePrefixes:
		for _, q := range e.wants {
			if _, ok := e.use(s, q); !ok {
				return
			}
		}
		for _, q := range e.wants {
			fam := q.family()
			p := s.prefixes(q, fam)
			if p.bad.n > 0 {
				e.warnf("%s: %s", q.Text, p.bad)
			}
			if len(p.ps) == 0 {
				continue
			}
			// A single answer is used as it is (clipped, so that
			// appending to it copies); more are joined and sorted later.
			if fam == 4 {
				e.v4 = join(e.v4, p.ps, e.lists4)
				e.lists4++
			} else {
				e.v6 = join(e.v6, p.ps, e.lists6)
				e.lists6++
			}
		}
		e.wants = nil
		e.done = true
	}
}

// join adds the n+1-th list b to a. The first list is used as it is
// (clipped, so nobody appends into it); the second starts a slice of our
// own, to which the rest are appended.
func join(a, b []netip.Prefix, n int) []netip.Prefix {
	switch n {
	case 0:
		return slices.Clip(b)
	case 1:
		return append(append(make([]netip.Prefix, 0, 2*(len(a)+len(b))), a...), b...)
	default:
		return append(a, b...)
	}
}

// askExists asks whether the root set exists, after "!i" answered "D",
// which means "not found" and "empty" alike.
func (e *expansion) askExists() {
	e.wants = []query{{Sources: e.ref.Source, Text: "!mas-set," + e.ref.Name}}
	e.phase = phaseExists
}

// addASN adds a member AS found in set, unless it is a bogon ASN the
// network does not allow, which is dropped with a warning; it reports the
// drop.
func (e *expansion) addASN(s *session, a bgp.ASN, set string) bool {
	if why, bogon := a.Bogon(s.bogons); bogon {
		if !e.dropped[a] {
			if e.dropped == nil {
				e.dropped = map[bgp.ASN]bool{}
			}
			e.dropped[a] = true
			e.warnf("%s in %s is a bogon ASN (%s): dropped, with its prefixes", a, set, why)
		}
		return true
	}
	e.asns[a] = true
	return false
}

func (e *expansion) aQueries() []query {
	return []query{{Text: "!a4" + e.ref.Name}, {Text: "!a6" + e.ref.Name}}
}

// wantPrefixes asks for the routes of every member AS, in ASN order, as
// bgpq4 does.
func (e *expansion) wantPrefixes(s *session) {
	asns := make([]bgp.ASN, 0, len(e.asns))
	for a := range e.asns {
		asns = append(asns, a)
	}
	slices.Sort(asns)
	// A single AS pinned to a source ("RIPE::AS64500") is asked there;
	// the members of a set, like bgpq4 does, in the default sources.
	src := ""
	if e.ref.IsASN() {
		src = e.ref.Source
	}
	e.wants = make([]query, 0, 2*len(asns))
	for _, a := range asns {
		e.wants = append(e.wants, query{Sources: src, Text: "!g" + a.String()}, query{Sources: src, Text: "!6" + a.String()})
	}
	e.phase = phasePrefixes
	if len(e.wants) == 0 {
		e.done = true
	}
}

// walkLevel processes one level of a breadth-first walk through nested
// sets, as bgpq4 does for "-L" and "SOURCE::SET": each set is asked once
// (which also ends loops), up to MaxDepth levels.
func (e *expansion) walkLevel(s *session) {
	o := &s.c.opts
	var next []string
	for i, name := range e.level {
		a, ok := e.use(s, e.wants[i])
		if !ok {
			return
		}
		if a.Kind != KindData {
			if i == 0 && e.depth == 1 {
				e.askExists()
				return
			}
			e.warnf("%s (a member of %s) was not found or is empty; it adds nothing", name, e.visited[name])
			continue
		}
		ms, bad := parseMembers(a.Data)
		if bad.n > 0 {
			e.warnf("members of %s: %s", name, bad)
		}
		for _, m := range ms {
			if m.Set == "" {
				e.addASN(s, m.ASN, name)
				continue
			}
			if _, seen := e.visited[m.Set]; seen {
				if e.isAncestor(m.Set, name) {
					e.warnf("loop: %s contains %s, which contains it again; followed once", name, m.Set)
				}
				continue
			}
			e.visited[m.Set] = name
			if o.MaxDepth > 0 && e.depth >= o.MaxDepth {
				e.warnf("%s (a member of %s) is deeper than the depth limit %d; not expanded", m.Set, name, o.MaxDepth)
				continue
			}
			next = append(next, m.Set)
		}
		if len(e.asns)+len(e.visited) > o.MaxMembers {
			e.fail(fmt.Errorf("%s reaches more than %d ASNs and sets: %w", e.ref, o.MaxMembers, ErrLimit))
			return
		}
	}
	if len(next) == 0 {
		e.wantPrefixes(s)
		return
	}
	e.depth++
	e.level = next
	e.wants = make([]query, len(next))
	for i, name := range next {
		e.wants[i] = query{Text: "!i" + name}
	}
}

// isAncestor reports whether set is on the path from the root to from.
func (e *expansion) isAncestor(set, from string) bool {
	for cur, hops := from, 0; hops <= len(e.visited); hops++ {
		if cur == set {
			return true
		}
		parent, ok := e.visited[cur]
		if !ok || parent == "" {
			return false
		}
		cur = parent
	}
	return false
}

// result builds the final, sorted Result. Anything short of a complete
// expansion leaves the prefix lists empty: deny all, never accept all.
func (e *expansion) result(c *Client) Result {
	r := Result{Warnings: e.warnings, Fetched: e.oldest}
	if e.err == nil && !e.done {
		e.err = errors.New("expansion did not complete")
	}
	if e.err == nil {
		r.V4, r.V6 = e.v4, e.v6
		if e.lists4 > 1 {
			r.V4 = sortPrefixes(r.V4)
		}
		if e.lists6 > 1 {
			r.V6 = sortPrefixes(r.V6)
		}
		if n := max(len(r.V4), len(r.V6)); n > c.opts.MaxPrefixes {
			e.err = fmt.Errorf("%s has %d prefixes of one family, more than %d: %w", e.ref, n, c.opts.MaxPrefixes, ErrLimit)
		}
	}
	if e.err != nil {
		r.V4, r.V6, r.Err = nil, nil, e.err
		r.Warnings = append(r.Warnings, fmt.Sprintf("expansion failed, filters deny everything: %v", e.err))
		return r
	}
	r.ASNs = make([]bgp.ASN, 0, len(e.asns))
	for a := range e.asns {
		r.ASNs = append(r.ASNs, a)
	}
	slices.Sort(r.ASNs)
	if len(r.V4) == 0 {
		r.Warnings = append(r.Warnings, "no IPv4 prefixes registered; the IPv4 filter denies everything")
	}
	if len(r.V6) == 0 {
		r.Warnings = append(r.Warnings, "no IPv6 prefixes registered; the IPv6 filter denies everything")
	}
	return r
}

func (c *Client) describeSource(ref bgp.ObjectRef, server string) string {
	switch {
	case ref.Source != "":
		return fmt.Sprintf("%s (source %s)", server, ref.Source)
	case len(c.opts.Sources) > 0:
		return fmt.Sprintf("%s (sources %s)", server, strings.Join(c.opts.Sources, ","))
	default:
		return server
	}
}
