package rpki

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
)

// syntheticVRPs builds n VRPs shaped like a global RPKI set: three quarters
// IPv4, allocations of /12-/22 (/29-/40 in IPv6) with more-specific /24s
// (/48s) under some, maxLength mostly equal to the length.
func syntheticVRPs(rng *rand.Rand, n int) []VRP {
	out := make([]VRP, 0, n)
	asn := func() bgp.ASN { return bgp.ASN(1 + rng.IntN(400000)) }
	for len(out) < n {
		origin := asn()
		if rng.IntN(4) != 0 {
			bits := 12 + rng.IntN(11)
			a := (1 + rng.Uint32N(222)) << 24
			a |= rng.Uint32() & 0x00ffffff
			block := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), bits).Masked()
			maxLen := bits
			if rng.IntN(3) == 0 {
				maxLen = 24
			}
			out = append(out, VRP{Prefix: block, MaxLen: uint8(maxLen), ASN: origin})
			for range rng.IntN(4) {
				sub := uint32(rng.IntN(1 << (24 - bits)))
				b := block.Addr().As4()
				base := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | sub<<8
				p := netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(base >> 24), byte(base >> 16), byte(base >> 8), 0}), 24)
				o := origin
				if rng.IntN(3) == 0 {
					o = asn()
				}
				out = append(out, VRP{Prefix: p, MaxLen: 24, ASN: o})
			}
			continue
		}
		heads := []uint16{0x2001, 0x2400, 0x2401, 0x2403, 0x2600, 0x2602, 0x2604, 0x2607, 0x2800, 0x2803, 0x2a00, 0x2a01, 0x2a02, 0x2a03, 0x2a05, 0x2a06, 0x2a0e, 0x2c0f}
		bits := 29 + rng.IntN(12)
		var b [16]byte
		h := heads[rng.IntN(len(heads))]
		b[0], b[1] = byte(h>>8), byte(h)
		for i := 2; i < 6; i++ {
			b[i] = byte(rng.IntN(256))
		}
		block := netip.PrefixFrom(netip.AddrFrom16(b), bits).Masked()
		maxLen := bits
		if rng.IntN(2) == 0 {
			maxLen = 48
		}
		out = append(out, VRP{Prefix: block, MaxLen: uint8(maxLen), ASN: origin})
		for range rng.IntN(3) {
			s := block.Addr().As16()
			s[4], s[5] = byte(rng.IntN(256)), byte(rng.IntN(256))
			p := netip.PrefixFrom(netip.AddrFrom16(s), 48).Masked()
			if !block.Contains(p.Addr()) {
				continue
			}
			out = append(out, VRP{Prefix: p, MaxLen: 48, ASN: origin})
		}
	}
	return out[:n]
}

// syntheticRoutes draws n routes: 40% derived from a VRP with its origin
// (mostly Valid), 20% derived from a VRP but too long or from another AS
// (Invalid), 40% random /24s and /48s (mostly NotFound).
func syntheticRoutes(rng *rand.Rand, vrps []VRP, n int) []Route {
	out := make([]Route, n)
	for i := range out {
		v := vrps[rng.IntN(len(vrps))]
		switch r := rng.IntN(10); {
		case r < 4:
			bits := int(v.Prefix.Bits()) + rng.IntN(int(v.MaxLen)-v.Prefix.Bits()+1)
			out[i] = Route{netip.PrefixFrom(v.Prefix.Addr(), bits), v.ASN}
		case r < 6:
			bits := min(int(v.MaxLen)+1, v.Prefix.Addr().BitLen())
			out[i] = Route{netip.PrefixFrom(v.Prefix.Addr(), bits), v.ASN + 1}
		case r < 9:
			a := rng.Uint32()
			out[i] = Route{netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), 0}), 24), bgp.ASN(rng.IntN(400000))}
		default:
			var b [16]byte
			b[0] = 0x20 | byte(rng.IntN(16))
			for j := 1; j < 6; j++ {
				b[j] = byte(rng.IntN(256))
			}
			out[i] = Route{netip.PrefixFrom(netip.AddrFrom16(b), 48), bgp.ASN(rng.IntN(400000))}
		}
	}
	return out
}

// BenchmarkValidate1M validates 1,000,000 routes against 500,000 VRPs per
// iteration: the size of a full table against the global RPKI set. One
// iteration is one full-table pass; ns/route is the cost per route.
func BenchmarkValidate1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(6811, 8210))
	vrps := syntheticVRPs(rng, 500_000)
	routes := syntheticRoutes(rng, vrps, 1_000_000)
	tab := NewTable(vrps)
	var counts [3]int
	for _, s := range tab.ValidateAll(routes) {
		counts[s]++
	}
	b.Logf("%d VRPs (%d v4, %d v6); routes: %d valid, %d invalid, %d notfound",
		tab.Len(), tab.Count(bgp.IPv4), tab.Count(bgp.IPv6), counts[Valid], counts[Invalid], counts[NotFound])
	b.ResetTimer()
	for b.Loop() {
		for _, r := range routes {
			tab.Validate(r.Prefix, r.Origin)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(routes)), "ns/route")
}

// BenchmarkNewTable500k measures indexing 500,000 VRPs, which the RTR
// client does after every update.
func BenchmarkNewTable500k(b *testing.B) {
	vrps := syntheticVRPs(rand.New(rand.NewPCG(6811, 8210)), 500_000)
	b.ReportAllocs()
	for b.Loop() {
		NewTable(vrps)
	}
}

// BenchmarkLoadJSON500k measures reading a 500,000-entry rpki-client file
// (about 35 MB) from memory.
func BenchmarkLoadJSON500k(b *testing.B) {
	vrps := syntheticVRPs(rand.New(rand.NewPCG(6811, 8210)), 500_000)
	var buf bytes.Buffer
	buf.WriteString(`{"metadata":{"buildtime":"2026-01-15T10:00:00Z"},"roas":[`)
	for i, v := range vrps {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, `{"asn":%d,"prefix":"%s","maxLength":%d,"ta":"ripe","expires":4102444800}`, v.ASN, v.Prefix, v.MaxLen)
	}
	buf.WriteString("]}")
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, _, err := LoadJSON(bytes.NewReader(buf.Bytes()), LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
