package irr

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

func TestAggregate(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", nil, nil},
		{"single", []string{"10.0.0.0/24"}, []string{"10.0.0.0/24"}},
		{"siblings fold", []string{"10.0.0.0/24", "10.0.1.0/24"}, []string{"10.0.0.0/23 ge 24 le 24"}},
		{"parent absorbs halves", []string{"10.0.0.0/23", "10.0.0.0/24", "10.0.1.0/24"}, []string{"10.0.0.0/23 le 24"}},
		{"four quarters", []string{"10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"}, []string{"10.0.0.0/22 ge 24 le 24"}},
		{"not siblings", []string{"10.0.1.0/24", "10.0.2.0/24"}, []string{"10.0.1.0/24", "10.0.2.0/24"}},
		{"unequal lengths", []string{"10.0.0.0/24", "10.0.1.0/25"}, []string{"10.0.0.0/24", "10.0.1.0/25"}},
		{"duplicates and host bits", []string{"10.0.0.1/24", "10.0.0.0/24"}, []string{"10.0.0.0/24"}},
		{"families", []string{"2001:db8::/33", "10.0.0.0/8", "2001:db8:8000::/33"}, []string{"10.0.0.0/8", "2001:db8::/32 ge 33 le 33"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []netip.Prefix
			for _, s := range tt.in {
				in = append(in, netip.MustParsePrefix(s))
			}
			var got []string
			for _, r := range Aggregate(in) {
				got = append(got, r.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Aggregate(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// The ranges must stand for exactly the prefixes given: nothing lost,
// nothing more accepted. Checked by enumerating every prefix in a small
// address space.
func TestAggregateIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 300 {
		set := map[netip.Prefix]bool{}
		var in []netip.Prefix
		for range 1 + rng.IntN(60) {
			// Everything inside 10.0.0.0/20, lengths /20../26.
			a := netip.AddrFrom4([4]byte{10, 0, byte(rng.IntN(16)), byte(rng.IntN(256))})
			p := netip.PrefixFrom(a, 20+rng.IntN(7)).Masked()
			set[p] = true
			in = append(in, p)
		}
		rs := Aggregate(in)
		covered := map[netip.Prefix]int{}
		for _, r := range rs {
			for bits := r.Min; bits <= r.Max; bits++ {
				n := 1 << (bits - r.Prefix.Bits())
				for i := range n {
					covered[subPrefix(r.Prefix, bits, i)]++
				}
			}
		}
		for p := range set {
			if covered[p] == 0 {
				t.Fatalf("round %d: %v lost; in %v → %v", round, p, in, rs)
			}
		}
		for p, n := range covered {
			if !set[p] {
				t.Fatalf("round %d: %v accepted but not in the list; in %v → %v", round, p, in, rs)
			}
			if n > 1 {
				t.Fatalf("round %d: %v in %d ranges", round, p, n)
			}
		}
	}
}

// subPrefix is the i-th prefix of length bits inside the IPv4 prefix p.
func subPrefix(p netip.Prefix, bits, i int) netip.Prefix {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(i) << (32 - bits)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), bits)
}

func TestSortPrefixes(t *testing.T) {
	in := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/16"), netip.MustParsePrefix("9.0.0.0/8"),
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/16"),
	}
	got := sortPrefixes(in)
	want := []string{"9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}
