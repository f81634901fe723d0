package irrtest

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/peerctl/peerctl/bgp"
)

// DB is the data a Server answers from: as-set objects and route/route6
// objects, each in one IRR source. Build it with AddSet and AddRoute or
// ParseRPSL before starting a server; it must not change afterwards.
type DB struct {
	sources []string                       // in order of first appearance
	sets    map[string]map[string][]string // NAME → SOURCE → members as written
	// routes holds, per source and origin, the prefixes as written (so a
	// test can serve odd data), in insertion order, without duplicates.
	routes map[string]map[bgp.ASN]*originRoutes
}

type originRoutes struct {
	v4, v6 []string
	seen   map[string]bool
}

// NewDB returns an empty database.
func NewDB() *DB {
	return &DB{
		sets:   map[string]map[string][]string{},
		routes: map[string]map[bgp.ASN]*originRoutes{},
	}
}

func (db *DB) addSource(src string) string {
	src = strings.ToUpper(src)
	if !slices.Contains(db.sources, src) {
		db.sources = append(db.sources, src)
	}
	return src
}

// Sources lists the sources in the order they were first used; a new
// connection starts with all of them selected in this order.
func (db *DB) Sources() []string { return slices.Clone(db.sources) }

// AddSet adds (or replaces) the as-set name in source. Members are ASNs
// ("AS13335") or set names, case-insensitive, written as in RPSL.
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

// AddRoute adds a route (IPv4) or route6 object. The prefix is kept as
// written, so tests can serve malformed data; its family is decided by the
// presence of ':'.
func (db *DB) AddRoute(source, prefix string, origin bgp.ASN) {
	source = db.addSource(source)
	if db.routes[source] == nil {
		db.routes[source] = map[bgp.ASN]*originRoutes{}
	}
	or := db.routes[source][origin]
	if or == nil {
		or = &originRoutes{seen: map[string]bool{}}
		db.routes[source][origin] = or
	}
	if or.seen[prefix] {
		return
	}
	or.seen[prefix] = true
	if strings.Contains(prefix, ":") {
		or.v6 = append(or.v6, prefix)
	} else {
		or.v4 = append(or.v4, prefix)
	}
}

// AddPrefix is AddRoute for a typed prefix.
func (db *DB) AddPrefix(source string, p netip.Prefix, origin bgp.ASN) {
	db.AddRoute(source, p.String(), origin)
}

// LoadRPSL reads a file of RPSL objects (see ParseRPSL).
func LoadRPSL(path string) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	db, err := ParseRPSL(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return db, nil
}

// ParseRPSL reads RPSL objects separated by blank lines. It understands
// the attributes the server needs: as-set, members, route, route6, origin
// and source (default "TEST"); others are ignored. Lines starting with '#'
// or '%' are comments; continuation lines start with a space, a tab or '+'.
func ParseRPSL(r io.Reader) (*DB, error) {
	db := NewDB()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var obj [][2]string // attribute, value
	lineNo, start := 0, 0
	flush := func() error {
		if len(obj) == 0 {
			return nil
		}
		defer func() { obj = obj[:0] }()
		return db.addObject(obj, start)
	}
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") || strings.HasPrefix(line, "%"):
			continue
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return nil, err
			}
		case line[0] == ' ' || line[0] == '\t' || line[0] == '+':
			if len(obj) == 0 {
				return nil, fmt.Errorf("line %d: continuation line outside an object", lineNo)
			}
			obj[len(obj)-1][1] += " " + strings.TrimSpace(strings.TrimPrefix(line, "+"))
		default:
			attr, val, ok := strings.Cut(line, ":")
			if !ok {
				return nil, fmt.Errorf("line %d: expected \"attribute: value\"", lineNo)
			}
			if len(obj) == 0 {
				start = lineNo
			}
			obj = append(obj, [2]string{strings.ToLower(strings.TrimSpace(attr)), strings.TrimSpace(val)})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return db, nil
}

func (db *DB) addObject(obj [][2]string, line int) error {
	source := "TEST"
	var members []string
	var origin string
	for _, av := range obj {
		switch av[0] {
		case "source":
			source = av[1]
		case "members":
			members = append(members, strings.FieldsFunc(av[1], func(r rune) bool {
				return r == ',' || r == ' ' || r == '\t'
			})...)
		case "origin":
			origin = av[1]
		}
	}
	class, key := obj[0][0], obj[0][1]
	switch class {
	case "as-set":
		db.AddSet(source, key, members...)
	case "route", "route6":
		asn, err := bgp.ParseASN(origin)
		if err != nil {
			return fmt.Errorf("object at line %d (%s %s): origin: %w", line, class, key, err)
		}
		db.AddRoute(source, key, asn)
	}
	return nil
}
