package render

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/irr"
)

// TestDigitPatterns: the patterns match exactly the numbers of the range,
// checked around both ends and at random points, for the bogon ranges and
// random ones.
func TestDigitPatterns(t *testing.T) {
	ranges := [][2]uint64{{0, 0}, {0, 9}, {5, 123}, {99, 100}, {4294967295, 4294967295}}
	for _, r := range bgp.BogonASNRanges {
		ranges = append(ranges, [2]uint64{uint64(r.First), uint64(r.Last)})
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200; i++ {
		lo := rng.Uint64N(1 << uint(rng.IntN(33)))
		ranges = append(ranges, [2]uint64{lo, lo + rng.Uint64N(1<<uint(rng.IntN(33)))})
	}
	for _, r := range ranges {
		re := regexp.MustCompile("^(" + strings.Join(digitPatterns(r[0], r[1]), "|") + ")$")
		check := func(n uint64) {
			if got, want := re.MatchString(strconv.FormatUint(n, 10)), n >= r[0] && n <= r[1]; got != want {
				t.Fatalf("%d-%d: %d matches %v (%s)", r[0], r[1], n, got, re)
			}
		}
		for d := uint64(0); d < 300; d++ {
			check(r[0] + d)
			check(r[1] + d)
			if r[0] >= d {
				check(r[0] - d)
			}
			if r[1] >= d {
				check(r[1] - d)
			}
		}
		for i := 0; i < 300; i++ {
			check(rng.Uint64N(r[1] + r[1]/2 + 10))
		}
		if re.MatchString("0" + strconv.FormatUint(r[0], 10)) {
			t.Errorf("%d-%d: a leading zero matches", r[0], r[1])
		}
	}
}

func TestRangeSyntax(t *testing.T) {
	p := netip.MustParsePrefix("192.0.2.0/23")
	for _, c := range []struct {
		r                  irr.Range
		bird, cisco, junos string
	}{
		{irr.Range{Prefix: p, Min: 23, Max: 23}, "192.0.2.0/23", "192.0.2.0/23", "192.0.2.0/23 exact"},
		{irr.Range{Prefix: p, Min: 23, Max: 24}, "192.0.2.0/23{23,24}", "192.0.2.0/23 le 24", "192.0.2.0/23 upto /24"},
		{irr.Range{Prefix: p, Min: 24, Max: 24}, "192.0.2.0/23{24,24}", "192.0.2.0/23 ge 24 le 24", "192.0.2.0/23 prefix-length-range /24-/24"},
	} {
		if got := birdRange(c.r); got != c.bird {
			t.Errorf("bird %q, want %q", got, c.bird)
		}
		if got := ciscoRange(c.r); got != c.cisco {
			t.Errorf("cisco %q, want %q", got, c.cisco)
		}
		if got := junosRange(c.r); got != c.junos {
			t.Errorf("junos %q, want %q", got, c.junos)
		}
	}
	if got := asnRegex(ASNRange{First: 64496, Last: 64511}); got != "_(6449[6-9]|6450[0-9]|6451[0-1])_" {
		t.Errorf("asnRegex %q", got)
	}
}
