package traffic

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/flows"
	"github.com/peerform/peerform/internal/sources/rib"
)

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func testDay(t testing.TB) *Day {
	d := NewDay(day0.Add(13*time.Hour), 100)
	d.Add(Key{Out, Transit, 64496, 64501}, 0, 1000)
	d.Add(Key{Out, Transit, 64496, 64501}, 287, 1<<40)
	d.Add(Key{In, IXP, 64502, 64502}, 100, 5)
	d.SetPath(64501, []bgp.ASN{64496, 64501})
	return d
}

func TestDayFileRoundTrip(t *testing.T) {
	d := testDay(t)
	f, err := decode(encode(d))
	if err != nil {
		t.Fatal(err)
	}
	back, err := f.Day(100)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Date.Equal(day0) || back.Len() != 2 {
		t.Fatalf("day %v with %d series", back.Date, back.Len())
	}
	for _, k := range d.Keys() {
		if *back.Series(k) != *d.Series(k) {
			t.Errorf("%+v differs", k)
		}
	}
	if p := back.Path(64501); len(p) != 2 || p[0] != 64496 {
		t.Errorf("path %v", p)
	}
	// Every single-byte change is caught by a checksum or a bound,
	// in the index or when the series is read.
	b := encode(d)
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x40
		f, err := decode(c)
		if err == nil {
			_, err = f.Day(100) // reads every series
		}
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("a flipped byte at %d decoded: %v", i, err)
		}
	}
}

func TestKeysAreBounded(t *testing.T) {
	d := NewDay(day0, 10)
	for asn := range bgp.ASN(1000) {
		d.Add(Key{Out, Transit, 64496 + asn%3, 65000 + asn}, 0, 1)
		d.Add(Key{Out, IXP, 64600 + asn, 65000 + asn}, 0, 1)
	}
	if d.Len() > 10+2*4*2 {
		t.Fatalf("%d series", d.Len())
	}
	var total uint64
	for _, k := range d.Keys() {
		total += d.Series(k).Total()
	}
	if total != 2000 {
		t.Errorf("folding lost bytes: %d", total)
	}
}

func FuzzDecodeDayFile(f *testing.F) {
	f.Add(encode(testDay(f)))
	f.Add(encode(NewDay(day0, 1)))
	f.Fuzz(func(t *testing.T, b []byte) {
		df, err := decode(b)
		if err != nil {
			return
		}
		for i := range df.Entries {
			var s Series
			_ = df.AddTo(i, &s)
		}
		if d, err := df.Day(10); err == nil {
			if _, err := decode(encode(d)); err != nil {
				t.Fatalf("re-encoded day does not decode: %v", err)
			}
		}
	})
}

func TestStoreRotation(t *testing.T) {
	s := &Store{Dir: t.TempDir(), Retention: 3}
	for i := range 5 {
		d := NewDay(day0.AddDate(0, 0, i), 10)
		d.Add(Key{Out, Transit, 1, 2}, 0, 1)
		if err := s.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(s.Dir, "notes.txt"), nil, 0o644)
	if err := s.Rotate(day0.AddDate(0, 0, 4)); err != nil {
		t.Fatal(err)
	}
	days, _ := s.Days()
	if len(days) != 3 || !days[0].Equal(day0.AddDate(0, 0, 2)) {
		t.Errorf("kept %v", days)
	}
	s.MaxBytes = 1
	if err := s.Rotate(day0.AddDate(0, 0, 4)); err != nil {
		t.Fatal(err)
	}
	if days, _ = s.Days(); len(days) != 1 {
		t.Errorf("over MaxBytes kept %v (the newest day always stays)", days)
	}
	// A day file that is a link is refused, not followed.
	os.Remove(s.path(day0.AddDate(0, 0, 4)))
	os.Symlink("/etc/hostname", s.path(day0.AddDate(0, 0, 4)))
	if _, err := s.Read(day0.AddDate(0, 0, 4)); err == nil {
		t.Error("a symlinked day file was read")
	}
}

func TestStoreLock(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(); err == nil {
		t.Error("a second writer got the lock")
	}
	unlock()
	if u, err := s.Lock(); err != nil {
		t.Errorf("lock after unlock: %v", err)
	} else {
		u()
	}
}

var (
	transit = Link{Name: "upstream", Class: Transit, Neighbor: 64496, IfIndexes: []uint32{10}, NextHops: []netip.Addr{netip.MustParseAddr("203.0.113.1")}}
	pni     = Link{Name: "pni-beta", Class: PNI, Neighbor: 64502, Exporter: netip.MustParseAddr("192.0.2.1"), IfIndexes: []uint32{20}}
)

func testRoutes(t testing.TB) *rib.Table {
	var b bytes.Buffer
	err := rib.Write(&b, day0, netip.MustParseAddr("192.0.2.1"), 64500, []rib.Route{
		{Prefix: netip.MustParsePrefix("11.64.0.0/16"), Path: []bgp.ASN{64496, 64501}, NextHop: netip.MustParseAddr("203.0.113.1")},
		{Prefix: netip.MustParsePrefix("11.65.0.0/16"), Path: []bgp.ASN{64502}, NextHop: netip.MustParseAddr("192.0.2.140")},
		{Prefix: netip.MustParsePrefix("11.66.0.0/16"), Path: []bgp.ASN{64503, 64511}, NextHop: netip.MustParseAddr("192.0.2.13")},
		{Prefix: netip.MustParsePrefix("11.67.0.0/16"), Path: []bgp.ASN{64504}, NextHop: netip.MustParseAddr("198.18.0.1")},
		{Prefix: netip.MustParsePrefix("198.51.100.0/24")},
	})
	if err != nil {
		t.Fatal(err)
	}
	tab, _, err := rib.Load(&b, rib.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func testAttributor(t testing.TB) *Attributor {
	return &Attributor{Routes: testRoutes(t), Links: []Link{transit, pni},
		IXPLANs: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/25")}, Local: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}}
}

func TestAttribute(t *testing.T) {
	a := testAttributor(t)
	ours, r := netip.MustParseAddr("198.51.100.7"), netip.MustParseAddr("192.0.2.1")
	addr := netip.MustParseAddr
	for _, c := range []struct {
		name string
		rec  flows.Record
		want Key
		ok   bool
	}{
		{"out by interface", flows.Record{Exporter: r, OutIf: 10, Src: ours, Dst: addr("11.64.1.1")}, Key{Out, Transit, 64496, 64501}, true},
		{"in by interface", flows.Record{Exporter: r, InIf: 20, Src: addr("11.65.1.1"), Dst: ours}, Key{In, PNI, 64502, 64502}, true},
		{"another router: by the neighbor's link", flows.Record{Exporter: addr("192.0.2.2"), InIf: 20, Src: addr("11.65.1.1"), Dst: ours}, Key{In, PNI, 64502, 64502}, true},
		{"out by next hop on the IXP LAN", flows.Record{Src: ours, Dst: addr("11.66.3.3")}, Key{Out, IXP, 64503, 64511}, true},
		{"out by the route's next hop", flows.Record{Src: ours, Dst: addr("11.64.9.9")}, Key{Out, Transit, 64496, 64501}, true},
		{"the exporter's next hop wins", flows.Record{Src: ours, Dst: addr("11.64.9.9"), NextHop: addr("192.0.2.5")}, Key{Out, IXP, 64496, 64501}, true},
		{"unclassified next hop", flows.Record{Src: ours, Dst: addr("11.67.0.1")}, Key{Out, Unknown, 64504, 64504}, true},
		{"no route: the exporter's AS", flows.Record{Src: addr("100.64.0.1"), Dst: ours, SrcAS: 64999}, Key{In, Unknown, 0, 64999}, true},
		{"direction by routes alone", flows.Record{Src: addr("100.64.0.1"), Dst: addr("11.64.0.1")}, Key{Out, Transit, 64496, 64501}, true},
		{"ours to ours", flows.Record{Src: ours, Dst: addr("198.51.100.9")}, Key{}, false},
		{"unknown both ways", flows.Record{Src: addr("100.64.0.1"), Dst: addr("100.64.0.2")}, Key{}, false},
	} {
		got, ok := a.Attribute(c.rec)
		if ok != c.ok || got.Key != c.want {
			t.Errorf("%s: %+v %v, want %+v %v", c.name, got.Key, ok, c.want, c.ok)
		}
	}
}

func TestAggregatorSpreadsFlows(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	ag := NewAggregator(s, testAttributor(t))
	start := day0.Add(24*time.Hour - 7*time.Minute) // 23:53, over midnight
	rec := flows.Record{Start: start, End: start.Add(10 * time.Minute), Src: netip.MustParseAddr("198.51.100.7"),
		Dst: netip.MustParseAddr("11.64.1.1"), Bytes: 1000}
	if ok, err := ag.Add(rec); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := ag.Add(flows.Record{Src: netip.MustParseAddr("100.64.0.1"), Dst: netip.MustParseAddr("100.64.0.2")}); ok {
		t.Error("an unattributable flow was added")
	}
	if err := ag.Flush(day0.Add(48*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	k := Key{Out, Transit, 64496, 64501}
	d1, _ := s.Load(day0)
	d2, _ := s.Load(day0.AddDate(0, 0, 1))
	// 2 of 10 minutes in 23:50, 5 in 23:55, 3 in 00:00 the next day.
	if a, b, c := d1.Series(k)[286], d1.Series(k)[287], d2.Series(k)[0]; a != 200 || b != 500 || c != 300 {
		t.Errorf("spread %d %d %d", a, b, c)
	}
	if st := ag.Stats(); st.Records != 1 || st.Unattributed != 1 || st.Bytes != 1000 {
		t.Errorf("stats %+v", st)
	}
}

// monthStore writes 30 days: AS64501 behind transit AS64496 at a constant
// 80 Mbps out and 8 in, AS64502 over a PNI with a daily one-hour burst.
func monthStore(t testing.TB) *Store {
	s := &Store{Dir: t.TempDir()}
	perBucket := func(mbps float64) uint64 { return uint64(mbps * 1e6 / 8 * Bucket.Seconds()) }
	for i := range 30 {
		d := NewDay(day0.AddDate(0, 0, i), 100)
		for b := range BucketsPerDay {
			d.Add(Key{Out, Transit, 64496, 64501}, b, perBucket(80))
			d.Add(Key{In, Transit, 64496, 64501}, b, perBucket(8))
			burst := 10.0
			if b >= 120 && b < 132 { // 12 buckets of 288: 4.2 %
				burst = 1000
			}
			d.Add(Key{Out, PNI, 64502, 64502}, b, perBucket(burst))
			d.Add(Key{Out, Transit, 64496, 64511}, b, perBucket(20))
		}
		d.SetPath(64501, []bgp.ASN{64496, 64501})
		d.SetPath(64511, []bgp.ASN{64496, 64503, 64511})
		if err := s.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestTopMovedVerify(t *testing.T) {
	s := monthStore(t)
	p := Period{From: day0, To: day0.AddDate(0, 0, 30)}
	rep, err := s.Top(TopOptions{Period: p, N: 10})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Days != 30 || rep.Buckets != 8640 || len(rep.Rows) != 3 {
		t.Fatalf("report %+v", rep)
	}
	near := func(a, b float64) bool { return a > b-1e-6 && a < b+1e-6 }
	r := rep.Rows[0]
	if r.AS != 64501 || !near(r.Out.P95Mbps, 80) || !near(r.In.P95Mbps, 8) || !near(r.Out.AvgMbps, 80) || len(r.Via) != 1 || r.Via[0] != 64496 {
		t.Errorf("AS64501: %+v", r)
	}
	// The PNI burst covers 4.2 % of the buckets: the 95th percentile
	// does not see it.
	if r := rep.Rows[1]; r.AS != 64502 || !near(r.Out.P95Mbps, 10) {
		t.Errorf("AS64502: %+v", r)
	}
	tr, _ := s.Top(TopOptions{Period: p, Filter: Filter{Classes: []Class{Transit}}, ByNeighbor: true})
	if len(tr.Rows) != 1 || tr.Rows[0].AS != 64496 || !near(tr.Rows[0].Out.P95Mbps, 100) {
		t.Errorf("by neighbor: %+v", tr.Rows)
	}
	// Peering with AS64503 would move AS64511's traffic (behind it);
	// AS64501 its own.
	mv, _ := s.Moved(p, Filter{Classes: []Class{Transit}}, []bgp.ASN{64503, 64501, 64999})
	if len(mv.Rows) != 2 || mv.Rows[0].AS != 64501 || !near(mv.Rows[1].Out.P95Mbps, 20) {
		t.Errorf("moved %+v", mv.Rows)
	}
	// Moved keeps the month's samples, for billing.
	if o := mv.Rows[1].Out.Samples; len(o) != 8640 || !near(o[0], 20) || !near(o[8639], 20) {
		t.Errorf("moved samples: %d, want 8640 of 20 Mbps", len(o))
	}
	// Other neighbors carry none of it.
	if mv, _ := s.Moved(p, Filter{Classes: []Class{Transit}, Neighbors: []bgp.ASN{64497}}, []bgp.ASN{64501}); len(mv.Rows) != 0 {
		t.Errorf("moved via AS64497: %+v", mv.Rows)
	}
	// Everything on transit links to AS64496: 80 + 20 Mbps out, 8 in;
	// without AS64496, nothing (PNI traffic is not transit).
	tot, err := s.Total(p, Filter{Classes: []Class{Transit}, Neighbors: []bgp.ASN{64496}})
	if err != nil || len(tot.Rows) != 1 || !near(tot.Rows[0].Out.P95Mbps, 100) || !near(tot.Rows[0].In.P95Mbps, 8) || len(tot.Rows[0].In.Samples) != 8640 {
		t.Errorf("total %+v, %v", tot.Rows, err)
	}
	if tot, _ := s.Total(p, Filter{Classes: []Class{Transit}, ExceptNeighbors: []bgp.ASN{64496}}); len(tot.Rows) != 0 || tot.Buckets != 8640 {
		t.Errorf("total except AS64496: %+v", tot)
	}
	half := day0.AddDate(0, 0, 15).Add(-12 * time.Hour)
	v, err := s.Verify(64502, Period{day0, half}, Period{half, p.To})
	if err != nil {
		t.Fatal(err)
	}
	if v.MovedShare() != 1 || v.After.Days != 16 || v.Before.Days != 15 {
		t.Errorf("verify %+v", v)
	}
}

// BenchmarkTop30Days ranks a month of 20,000 series a day (5,000 ASes
// behind two transits, both directions) and computes the 95th
// percentiles of the top 20.
func BenchmarkTop30Days(b *testing.B) {
	s := &Store{Dir: b.TempDir()}
	for i := range 30 {
		d := NewDay(day0.AddDate(0, 0, i), 50_000)
		for as := range bgp.ASN(5000) {
			for _, k := range []Key{{Out, Transit, 64496, 100000 + as}, {In, Transit, 64496, 100000 + as},
				{Out, Transit, 64497, 100000 + as}, {In, Transit, 64497, 100000 + as}} {
				for bk := 0; bk < BucketsPerDay; bk += 1 + int(as%7) {
					d.Add(k, bk, uint64(as+1)*uint64(bk+1)*1000)
				}
			}
			d.SetPath(100000+as, []bgp.ASN{64496, 64999, 100000 + as})
		}
		if err := s.Write(d); err != nil {
			b.Fatal(err)
		}
	}
	p := Period{From: day0, To: day0.AddDate(0, 0, 30)}
	b.ResetTimer()
	for b.Loop() {
		rep, err := s.Top(TopOptions{Period: p, Filter: Filter{Classes: []Class{Transit}}, N: 20})
		if err != nil || len(rep.Rows) != 20 {
			b.Fatal(err)
		}
	}
}
