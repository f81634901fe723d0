package traffic

import (
	"bytes"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/flows"
	"github.com/peerform/peerform/internal/sources/flows/flowtest"
	"github.com/peerform/peerform/internal/sources/rib"
)

// benchRoutes is a table of n /24s spread over n/10 origin ASes behind
// two transits, and our 198.51.100.0/24.
func benchRoutes(b *testing.B, n int) *rib.Table {
	routes := []rib.Route{{Prefix: netip.MustParsePrefix("198.51.100.0/24")}}
	for i := range n {
		pfx := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(1 + i>>16), byte(i >> 8), byte(i), 0}), 24)
		routes = append(routes, rib.Route{Prefix: pfx, Path: []bgp.ASN{bgp.ASN(64496 + i%2), bgp.ASN(100000 + i/10)},
			NextHop: netip.AddrFrom4([4]byte{203, 0, 113, byte(1 + i%2)})})
	}
	var buf bytes.Buffer
	if err := rib.Write(&buf, day0, netip.MustParseAddr("192.0.2.1"), 64500, routes); err != nil {
		b.Fatal(err)
	}
	tab, _, err := rib.Load(&buf, rib.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return tab
}

// benchDatagrams are IPFIX datagrams of 20 flows each, half outbound and
// half inbound, to and from addresses spread over the table.
func benchDatagrams(n, prefixes int, now time.Time) [][]byte {
	e := &flowtest.Exporter{IPFIX: true, Boot: now.Add(-time.Hour), SamplingRate: 1000}
	ours := netip.MustParseAddr("198.51.100.7")
	out := [][]byte{e.Datagram(now, nil, true)}
	k := 0
	for range n {
		var fl []flowtest.Flow
		for j := range 20 {
			k = (k*7919 + 1) % prefixes
			remote := netip.AddrFrom4([4]byte{byte(1 + k>>16), byte(k >> 8), byte(k), 9})
			f := flowtest.Flow{Src: ours, Dst: remote, OutIf: 3, Bytes: 15000, Packets: 10, Start: now.Add(-time.Minute), End: now}
			if j%2 == 1 {
				f.Src, f.Dst, f.OutIf, f.InIf = remote, ours, 0, 3
			}
			fl = append(fl, f)
		}
		out = append(out, e.Datagram(now, fl, false))
	}
	return out
}

func benchIngest(b *testing.B, datagrams [][]byte, now time.Time) (*flows.Decoder, *Aggregator) {
	dec, err := flows.NewDecoder(flows.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	agg := NewAggregator(&Store{Dir: b.TempDir()}, &Attributor{Routes: benchRoutes(b, 100_000),
		Local: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
		Links: []Link{{Name: "transit", Class: Transit, Neighbor: 64496, IfIndexes: []uint32{3}}}})
	src := netip.MustParseAddrPort("192.0.2.1:50000")
	emit := func(r flows.Record) {
		if _, err := agg.Add(r); err != nil {
			b.Fatal(err)
		}
	}
	dec.Decode(datagrams[0], src, now, emit)
	return dec, agg
}

// BenchmarkIngest is the collector's work per core: decode IPFIX (goflow2),
// attribute each flow with a 100,000-prefix table, add it to its bucket.
func BenchmarkIngest(b *testing.B) {
	now := day0.Add(12 * time.Hour)
	dgs := benchDatagrams(1000, 100_000, now)
	dec, agg := benchIngest(b, dgs, now)
	src := netip.MustParseAddrPort("192.0.2.1:50000")
	emit := func(r flows.Record) { agg.Add(r) }
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		dec.Decode(dgs[1+i%(len(dgs)-1)], src, now, emit)
		i++
	}
	b.ReportMetric(float64(agg.Stats().Records)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkIngestMemory1M ingests a million flows (50 rounds of 1,000
// datagrams of 20 flows, to and from 100,000 prefixes of 10,000 ASes) and
// reports the heap in use before (the routing table, the decoder) and
// after: what grows is the open days' series, not the flows.
func BenchmarkIngestMemory1M(b *testing.B) {
	now := day0.Add(12 * time.Hour)
	dgs := benchDatagrams(1000, 100_000, now)
	src := netip.MustParseAddrPort("192.0.2.1:50000")
	heap := func() float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapInuse) / (1 << 20)
	}
	for b.Loop() {
		dec, agg := benchIngest(b, dgs, now)
		before := heap()
		emit := func(r flows.Record) { agg.Add(r) }
		for range 50 {
			for _, dg := range dgs[1:] {
				dec.Decode(dg, src, now, emit)
			}
		}
		if n := agg.Stats().Records; n != 1_000_000 {
			b.Fatalf("%d records", n)
		}
		after := heap()
		b.ReportMetric(before, "heap-before-MiB")
		b.ReportMetric(after, "heap-after-MiB")
		runtime.KeepAlive(agg)
	}
}
