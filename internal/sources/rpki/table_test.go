package rpki

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
)

func vrp(prefix string, maxLen uint8, asn bgp.ASN) VRP {
	return VRP{Prefix: netip.MustParsePrefix(prefix), MaxLen: maxLen, ASN: asn}
}

// The cases of RFC 6811 §2 and the usual traps, on documentation space.
func TestTableValidate(t *testing.T) {
	tab := NewTable([]VRP{
		vrp("192.0.2.0/24", 24, 64500),
		vrp("198.51.100.0/22", 24, 64501),
		vrp("198.51.100.0/24", 24, 64502), // a second ROA for a more specific
		vrp("203.0.113.0/24", 24, 0),      // AS0: nobody may originate it
		vrp("2001:db8::/32", 48, 64500),
		vrp("2001:db8:100::/48", 48, 65537),
		vrp("0.0.0.0/0", 8, 64999), // covers all of IPv4, matches only /0-/8
	})
	tests := []struct {
		prefix string
		origin bgp.ASN
		want   State
	}{
		{"192.0.2.0/24", 64500, Valid},
		{"192.0.2.0/24", 64501, Invalid},      // wrong origin
		{"192.0.2.128/25", 64500, Invalid},    // longer than maxLength
		{"192.0.2.0/23", 64500, Invalid},      // less specific: covered only by 0/0
		{"198.51.100.0/24", 64501, Valid},     // via the /22 (maxLength 24)
		{"198.51.100.0/24", 64502, Valid},     // via the /24
		{"198.51.101.0/24", 64502, Invalid},   // only the /22 covers it
		{"198.51.100.0/22", 64501, Valid},     // exact
		{"203.0.113.0/24", 0, Invalid},        // AS0 route, AS0 VRP: still invalid
		{"203.0.113.0/24", 64500, Invalid},    // AS0 VRP
		{"192.0.2.0/24", 0, Invalid},          // origin NONE (AS_SET) never valid
		{"10.0.0.0/8", 64999, Valid},          // the /0 VRP
		{"10.0.0.0/9", 64999, Invalid},        // too long for the /0 VRP
		{"2001:db8:100::/48", 65537, Valid},   //
		{"2001:db8:100::/48", 64500, Valid},   // the /32 allows /48 for AS64500 too
		{"2001:db8:100::/49", 65537, Invalid}, // longer than 48
		{"2001:db8::/31", 64500, NotFound},    // nothing covers a /31
		{"2001:db9::/48", 64500, NotFound},
		{"192.0.2.7/24", 64500, Valid}, // host bits are ignored
		{"::ffff:192.0.2.0/120", 64500, NotFound},
	}
	for _, tt := range tests {
		p := netip.MustParsePrefix(tt.prefix)
		if got := tab.Validate(p, tt.origin); got != tt.want {
			t.Errorf("Validate(%s, %s) = %s, want %s", tt.prefix, tt.origin, got, tt.want)
		}
		if got := tab.Explain(p, tt.origin); got.State != tt.want {
			t.Errorf("Explain(%s, %s).State = %s, want %s", tt.prefix, tt.origin, got.State, tt.want)
		}
	}
	if got := tab.Validate(netip.Prefix{}, 64500); got != NotFound {
		t.Errorf("zero prefix: %s, want notfound", got)
	}
}

func TestTableExplain(t *testing.T) {
	tab := NewTable([]VRP{
		vrp("198.51.100.0/22", 24, 64501),
		vrp("198.51.100.0/24", 24, 64502),
		vrp("198.51.100.0/24", 25, 64502),
	})
	got := tab.Explain(netip.MustParsePrefix("198.51.100.0/25"), 64502)
	want := Result{
		Route:    Route{netip.MustParsePrefix("198.51.100.0/25"), 64502},
		State:    Valid,
		Covering: []VRP{vrp("198.51.100.0/24", 24, 64502), vrp("198.51.100.0/24", 25, 64502), vrp("198.51.100.0/22", 24, 64501)},
		Matched:  []VRP{vrp("198.51.100.0/24", 25, 64502)},
	}
	if !slices.Equal(got.Covering, want.Covering) || !slices.Equal(got.Matched, want.Matched) || got.State != want.State || got.Route != want.Route {
		t.Errorf("Explain:\n got %+v\nwant %+v", got, want)
	}
	for _, v := range got.Covering {
		t.Logf("%s: %s", v, v.Why(got.Prefix, got.Origin))
	}
	if why := got.Covering[2].Why(got.Prefix, 64502); why != "authorises AS64501, not AS64502" {
		t.Errorf("Why = %q", why)
	}
	if why := got.Covering[0].Why(got.Prefix, 64502); why != "too specific: /25 is longer than maxLength 24" {
		t.Errorf("Why = %q", why)
	}
	nf := tab.Explain(netip.MustParsePrefix("192.0.2.0/24"), 64500)
	if nf.State != NotFound || nf.Covering == nil || nf.Matched == nil || len(nf.Covering) != 0 {
		t.Errorf("NotFound explanation = %+v; want empty, non-nil lists", nf)
	}
}

func TestTableEmpty(t *testing.T) {
	p := netip.MustParsePrefix("192.0.2.0/24")
	for name, tab := range map[string]*Table{"nil": nil, "zero": {}, "no VRPs": NewTable(nil)} {
		if got := tab.Validate(p, 64500); got != NotFound {
			t.Errorf("%s table: Validate = %s", name, got)
		}
		if got := tab.Explain(p, 64500); got.State != NotFound {
			t.Errorf("%s table: Explain = %s", name, got.State)
		}
		if tab.Len() != 0 || len(tab.VRPs()) != 0 {
			t.Errorf("%s table: Len = %d", name, tab.Len())
		}
	}
}

func TestTableDropsBadAndDuplicateVRPs(t *testing.T) {
	in := []VRP{
		vrp("2001:db8::/32", 48, 64500),
		vrp("192.0.2.0/24", 24, 64500),
		vrp("192.0.2.0/24", 24, 64500),   // duplicate
		vrp("192.0.2.0/24", 23, 64500),   // maxLength shorter than the prefix
		vrp("192.0.2.0/24", 33, 64500),   // maxLength past the address
		vrp("192.0.2.1/24", 24, 64500),   // host bits
		vrp("2001:db8::/32", 129, 64500), // past 128
		{},                               // zero
	}
	tab := NewTable(in)
	want := []VRP{vrp("192.0.2.0/24", 24, 64500), vrp("2001:db8::/32", 48, 64500)}
	if got := tab.VRPs(); !slices.Equal(got, want) {
		t.Errorf("VRPs() = %v, want %v", got, want)
	}
	if tab.Count(bgp.IPv4) != 1 || tab.Count(bgp.IPv6) != 1 {
		t.Errorf("counts v4 %d v6 %d, want 1 and 1", tab.Count(bgp.IPv4), tab.Count(bgp.IPv6))
	}
}

// The index must agree with the definition (a linear scan over all VRPs)
// on dense random data: nested prefixes sharing start addresses, prefixes
// ending together, host routes and the ends of the address space.
func TestTableAgreesWithLinearScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 40 {
		var vrps []VRP
		for range 1 + rng.IntN(300) {
			vrps = append(vrps, randomVRP(rng))
		}
		tab := NewTable(vrps)
		valid := slices.DeleteFunc(slices.Clone(vrps), func(v VRP) bool { return v.Check() != nil })
		for range 2000 {
			p := randomPrefix(rng)
			origin := bgp.ASN(rng.IntN(5))
			want := linearExplain(valid, p, origin)
			got := tab.Explain(p, origin)
			if got.State != want.State || !sameSet(got.Covering, want.Covering) || !sameSet(got.Matched, want.Matched) {
				t.Fatalf("round %d, %s %s:\n got %v covering %v matched %v\nwant %v covering %v matched %v\nVRPs %v",
					round, p, origin, got.State, got.Covering, got.Matched, want.State, want.Covering, want.Matched, vrps)
			}
			if fast := tab.Validate(p, origin); fast != want.State {
				t.Fatalf("Validate(%s, %s) = %s, want %s", p, origin, fast, want.State)
			}
		}
	}
}

// ValidateAny agrees with Validate: valid for a set of origins exactly
// when valid for one of them.
func TestTableValidateAny(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		var vrps []VRP
		for range 1 + rng.IntN(200) {
			vrps = append(vrps, randomVRP(rng))
		}
		tab := NewTable(vrps)
		var prefixes []netip.Prefix
		for range 500 {
			prefixes = append(prefixes, randomPrefix(rng))
		}
		origins := []bgp.ASN{bgp.ASN(rng.IntN(5)), bgp.ASN(rng.IntN(5))} // unsorted at times, maybe AS0
		states := tab.ValidatePrefixes(prefixes, origins)
		for i, p := range prefixes {
			want := tab.Validate(p, origins[0])
			if s := tab.Validate(p, origins[1]); s == Valid {
				want = Valid
			}
			if states[i] != want || tab.ValidateAny(p, origins) != want {
				t.Fatalf("%s from %v: ValidatePrefixes %s, ValidateAny %s, want %s", p, origins, states[i], tab.ValidateAny(p, origins), want)
			}
		}
	}
	if got := NewTable([]VRP{vrp("192.0.2.0/24", 24, 64500)}).ValidateAny(netip.MustParsePrefix("192.0.2.0/24"), nil); got != Invalid {
		t.Errorf("no origins: %s, want invalid", got)
	}
}

func linearExplain(vrps []VRP, p netip.Prefix, origin bgp.ASN) Result {
	res := Result{}
	p = p.Masked()
	for _, v := range vrps {
		if v.Covers(p) {
			res.Covering = append(res.Covering, v)
			if v.Matches(p, origin) {
				res.Matched = append(res.Matched, v)
			}
		}
	}
	switch {
	case len(res.Matched) > 0:
		res.State = Valid
	case len(res.Covering) > 0:
		res.State = Invalid
	}
	return res
}

func sameSet(a, b []VRP) bool {
	a = slices.Compact(slices.SortedFunc(slices.Values(a), compareVRP))
	b = slices.Compact(slices.SortedFunc(slices.Values(b), compareVRP))
	return slices.Equal(a, b)
}

// randomPrefix draws from a few small regions so that prefixes collide,
// nest and touch, including 0.0.0.0/0, host routes and the top of the space.
func randomPrefix(rng *rand.Rand) netip.Prefix {
	if rng.IntN(2) == 0 {
		bits := rng.IntN(33)
		var a uint32
		switch rng.IntN(3) {
		case 0:
			a = 0xC0000200 | uint32(rng.IntN(256)) // 192.0.2.0/24
		case 1:
			a = 0xFFFFFF00 | uint32(rng.IntN(256)) // top of the space
		default:
			a = uint32(rng.IntN(1 << 10)) // bottom of the space
		}
		addr := netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)})
		return netip.PrefixFrom(addr, bits).Masked()
	}
	bits := rng.IntN(129)
	var b [16]byte
	switch rng.IntN(3) {
	case 0:
		b = netip.MustParseAddr("2001:db8::").As16()
		b[4], b[15] = byte(rng.IntN(4)), byte(rng.IntN(256))
	case 1:
		for i := range b {
			b[i] = 0xff
		}
		b[15], b[7] = byte(rng.IntN(256)), byte(rng.IntN(256))
	default:
		b[15], b[8] = byte(rng.IntN(256)), byte(rng.IntN(2))
	}
	return netip.PrefixFrom(netip.AddrFrom16(b), bits).Masked()
}

func randomVRP(rng *rand.Rand) VRP {
	p := randomPrefix(rng)
	bitsMax := p.Addr().BitLen()
	maxLen := p.Bits() + rng.IntN(bitsMax-p.Bits()+1)
	if rng.IntN(20) == 0 {
		maxLen = rng.IntN(bitsMax + 3) // sometimes out of range
	}
	return VRP{Prefix: p, MaxLen: uint8(maxLen), ASN: bgp.ASN(rng.IntN(5))}
}
