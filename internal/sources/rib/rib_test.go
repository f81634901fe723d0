package rib

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

var (
	at     = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	us     = netip.MustParseAddr("192.0.2.129")
	routes = []Route{
		{Prefix: netip.MustParsePrefix("203.0.113.0/24"), Path: []bgp.ASN{64496, 64501}, NextHop: netip.MustParseAddr("192.0.2.139")},
		{Prefix: netip.MustParsePrefix("203.0.113.128/25"), Path: []bgp.ASN{64502}, NextHop: netip.MustParseAddr("192.0.2.140")},
		{Prefix: netip.MustParsePrefix("198.51.100.0/24")}, // ours
		{Prefix: netip.MustParsePrefix("2001:db8:12::/48"), Path: []bgp.ASN{6939, 64502}, NextHop: netip.MustParseAddr("2001:db8:ffff:2::41")},
	}
)

func dump(t testing.TB, rs []Route) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, at, us, 64500, rs); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadLongestMatch(t *testing.T) {
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(dump(t, routes))
	z.Close()
	for name, in := range map[string][]byte{"plain": dump(t, routes), "gzip": gz.Bytes()} {
		t.Run(name, func(t *testing.T) {
			tab, rep, err := Load(bytes.NewReader(in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Routes != 4 || rep.Records != 5 || rep.Skipped != 0 || tab.Len() != 4 {
				t.Fatalf("report %+v", rep)
			}
			for _, c := range []struct {
				addr             string
				prefix           string
				neighbor, origin bgp.ASN
				nextHop          string
			}{
				{"203.0.113.9", "203.0.113.0/24", 64496, 64501, "192.0.2.139"},
				{"203.0.113.200", "203.0.113.128/25", 64502, 64502, "192.0.2.140"},
				{"198.51.100.7", "198.51.100.0/24", 0, 0, "invalid IP"},
				{"2001:db8:12:5::1", "2001:db8:12::/48", 6939, 64502, "2001:db8:ffff:2::41"},
				{"::ffff:203.0.113.9", "203.0.113.0/24", 64496, 64501, "192.0.2.139"},
			} {
				r, ok := tab.Lookup(netip.MustParseAddr(c.addr))
				if !ok || r.Prefix.String() != c.prefix || r.Neighbor() != c.neighbor || r.Origin() != c.origin || r.NextHop.String() != c.nextHop {
					t.Errorf("%s: %+v %v", c.addr, r, ok)
				}
			}
			if _, ok := tab.Lookup(netip.MustParseAddr("192.0.2.1")); ok {
				t.Error("an address without a route matched")
			}
		})
	}
}

func TestLoadBounds(t *testing.T) {
	if _, _, err := Load(bytes.NewReader(dump(t, routes)), Options{MaxRoutes: 2}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxRoutes: %v", err)
	}
	long := Route{Prefix: netip.MustParsePrefix("203.0.113.0/24")}
	for i := range 1000 {
		long.Path = append(long.Path, bgp.ASN(64496+i%10))
	}
	tab, _, err := Load(bytes.NewReader(dump(t, []Route{long})), Options{})
	if err != nil || len(tab.Routes()[0].Path) != 256 {
		t.Errorf("a 1000-AS path: %v", err)
	}
	huge := slices.Clone(dump(t, routes)[:12])
	huge[8], huge[9] = 0xff, 0xff // a 4 GiB record
	if _, _, err := Load(bytes.NewReader(huge), Options{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("record length: %v", err)
	}
	if _, _, err := Load(bytes.NewReader(dump(t, routes)[:40]), Options{}); err == nil {
		t.Error("a truncated dump loaded")
	}
}

func TestPeerSelection(t *testing.T) {
	// A collector's view of one prefix from two peers: entry 0 from
	// 192.0.2.139 (via AS64496), entry 1 from 192.0.2.140.
	a := dump(t, []Route{routes[0]})
	tab, _, err := Load(bytes.NewReader(a), Options{Peer: netip.MustParseAddr("192.0.2.1")})
	if err != nil || tab.Len() != 0 {
		t.Errorf("a peer absent from the dump gave routes: %v %d", err, tab.Len())
	}
	tab, _, err = Load(bytes.NewReader(a), Options{Peer: us})
	if err != nil || tab.Len() != 1 {
		t.Errorf("the dump's own peer gave no route: %v", err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(dump(f, routes))
	f.Add(dump(f, routes[:1]))
	f.Fuzz(func(t *testing.T, in []byte) {
		tab, rep, err := Load(bytes.NewReader(in), Options{MaxRoutes: 1000, MaxRecord: 1 << 16})
		if err != nil {
			return
		}
		if tab.Len() != rep.Routes || tab.Len() > 1000 {
			t.Fatalf("report %+v, %d routes", rep, tab.Len())
		}
		for _, r := range tab.Routes() {
			if !r.Prefix.IsValid() || len(r.Path) > 256 {
				t.Fatalf("route %+v", r)
			}
			if got, ok := tab.Lookup(r.Prefix.Addr()); !ok || got.Prefix.Bits() < r.Prefix.Bits() {
				t.Fatalf("lookup of %v gave %+v", r.Prefix, got)
			}
		}
	})
}

// BenchmarkLookup is one longest-prefix match in a table of 1M prefixes.
func BenchmarkLookup(b *testing.B) {
	var tab Table
	for i := range 1 << 20 {
		p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(1 + i>>16), byte(i >> 8), byte(i), 0}), 24)
		tab.lpm.Insert(p, int32(len(tab.routes)))
		tab.routes = append(tab.routes, Route{Prefix: p, Path: []bgp.ASN{64496}})
	}
	addrs := make([]netip.Addr, 4096)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{byte(1 + i%16), byte(i * 7), byte(i * 13), 9})
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		tab.Lookup(addrs[i%len(addrs)])
	}
}

// BIRD 2.0 writes NEXT_HOP and LOCAL_PREF without attribute flags; GoBGP
// refuses such records unless the flags are repaired.
func TestBIRDAttributeFlags(t *testing.T) {
	b := dump(t, routes[:1])
	// The NEXT_HOP attribute: flags 0x40, type 3, length 4.
	i := bytes.Index(b, []byte{0x40, 3, 4, 192, 0, 2, 139})
	if i < 0 {
		t.Fatal("no NEXT_HOP in the dump")
	}
	b[i] = 0
	tab, rep, err := Load(bytes.NewReader(b), Options{})
	if err != nil || rep.Skipped != 0 || tab.Len() != 1 || tab.Routes()[0].NextHop != netip.MustParseAddr("192.0.2.139") {
		t.Fatalf("%v %+v", err, rep)
	}
}

// BIRD's periodic dumps append to one file: a later dump of a table
// replaces the earlier one, and tables (views) add up.
func TestAppendedDumps(t *testing.T) {
	older := dump(t, routes[:2])
	newer := dump(t, routes[1:2]) // 203.0.113.0/24 withdrawn since
	tab, _, err := Load(bytes.NewReader(append(slices.Clone(older), newer...)), Options{})
	if err != nil || tab.Len() != 1 || tab.Routes()[0].Prefix != routes[1].Prefix {
		t.Fatalf("%v: %+v", err, tab.Routes())
	}
	var v6 bytes.Buffer
	pit := mrtView(t, "master6", routes[3:])
	v6.Write(pit)
	tab, _, err = Load(bytes.NewReader(append(slices.Clone(newer), v6.Bytes()...)), Options{})
	if err != nil || tab.Len() != 2 {
		t.Fatalf("two views: %v %d routes", err, tab.Len())
	}
}

// mrtView is a dump whose peer index table names a view.
func mrtView(t *testing.T, view string, rs []Route) []byte {
	b := dump(t, rs)
	// The view name length sits after the collector BGP ID (4 bytes)
	// of the first record's body; rebuild that record with the name.
	n := binary.BigEndian.Uint32(b[8:12])
	body := b[12 : 12+n]
	nb := append(slices.Clone(body[:4]), byte(len(view)>>8), byte(len(view)))
	nb = append(nb, view...)
	nb = append(nb, body[6:]...)
	hdr := slices.Clone(b[:12])
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(nb)))
	return append(append(hdr, nb...), b[12+n:]...)
}
