package render

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"text/template"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/irr"
)

// funcs are the helpers templates may call. All are pure functions of
// their arguments: templates can format values but not reach outside.
func funcs() template.FuncMap {
	return template.FuncMap{
		"add":        func(a, b int) int { return a + b },
		"sub":        func(a, b int) int { return a - b },
		"sep":        sep,
		"seq5":       func(i int) int { return (i + 1) * 5 },
		"seq10":      func(i int) int { return (i + 1) * 10 },
		"mul60":      func(i int) int { return i * 60 },
		"plural":     plural,
		"prange":     prange,
		"orlonger":   orlonger,
		"birdRange":  birdRange,
		"ciscoRange": ciscoRange,
		"junosRange": junosRange,
		"asnRegex":   asnRegex,
		"asnPosix":   asnPosix,
		"symbol":     intent.ConfigSymbol,
	}
}

// sep returns s unless i is the last index of a list of n items: for
// separators between list elements.
func sep(i, n int, s string) string {
	if i < n-1 {
		return s
	}
	return ""
}

// plural prints "1 prefix" or "2 prefixes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// prange is the prefix-list range "p, lengths min to max".
func prange(p netip.Prefix, min, max int) irr.Range { return irr.Range{Prefix: p, Min: min, Max: max} }

// orlonger is the range of p and everything inside it.
func orlonger(p netip.Prefix) irr.Range {
	return irr.Range{Prefix: p, Min: p.Bits(), Max: p.Addr().BitLen()}
}

// birdRange prints a prefix-list range as BIRD prefix-set syntax, the way
// bgpq4 -b -A does: "192.0.2.0/24" or "192.0.2.0/23{24,24}".
func birdRange(r irr.Range) string {
	if r.Exact() {
		return r.Prefix.String()
	}
	return fmt.Sprintf("%s{%d,%d}", r.Prefix, r.Min, r.Max)
}

// ciscoRange prints "192.0.2.0/23 ge 24 le 24", "192.0.2.0/23 le 24" or
// "192.0.2.0/24": the syntax of FRR, IOS-XR and EOS prefix lists.
func ciscoRange(r irr.Range) string { return r.String() }

// junosRange prints a Junos route-filter match: "exact", "upto /24" or
// "prefix-length-range /24-/25", as bgpq4 -J -A does.
func junosRange(r irr.Range) string {
	switch {
	case r.Exact():
		return r.Prefix.String() + " exact"
	case r.Min == r.Prefix.Bits():
		return fmt.Sprintf("%s upto /%d", r.Prefix, r.Max)
	default:
		return fmt.Sprintf("%s prefix-length-range /%d-/%d", r.Prefix, r.Min, r.Max)
	}
}

// asnRegex is an AS-path regular expression in the Cisco dialect (FRR,
// IOS-XR), where '_' matches a boundary, that matches a path containing
// any AS of the range: "_(6449[6-9]|6450[0-9]|6451[0-1])_".
func asnRegex(r ASNRange) string {
	return "_(" + strings.Join(digitPatterns(uint64(r.First), uint64(r.Last)), "|") + ")_"
}

// asnPosix is the same in plain POSIX syntax, for platforms without '_':
// "(^| )(6449[6-9]|…)( |$)".
func asnPosix(r ASNRange) string {
	return "(^| )(" + strings.Join(digitPatterns(uint64(r.First), uint64(r.Last)), "|") + ")( |$)"
}

// digitPatterns covers the integers lo..hi with digit-class patterns that
// match exactly those numbers written in decimal without leading zeros.
func digitPatterns(lo, hi uint64) []string {
	var out []string
	for lo <= hi {
		d := len(strconv.FormatUint(lo, 10))
		end := hi
		if d < 20 {
			end = min(hi, pow10(d)-1)
		}
		out = append(out, sameLength(lo, end, d)...)
		if end == hi {
			break
		}
		lo = end + 1
	}
	return out
}

// sameLength covers lo..hi, both d digits long: each block is a fixed
// prefix, one digit class and some trailing [0-9].
func sameLength(lo, hi uint64, d int) []string {
	var out []string
	maxStep := pow10(d - 1)
	for lo <= hi {
		step := uint64(1)
		for step < maxStep && lo%(step*10) == 0 && lo+step*10-1 <= hi {
			step *= 10
		}
		n := uint64(1)
		for (lo/step)%10+n <= 9 && lo+step*(n+1)-1 <= hi {
			n++
		}
		q := lo / step
		var b strings.Builder
		if q >= 10 {
			b.WriteString(strconv.FormatUint(q/10, 10))
		}
		if first := q % 10; n == 1 {
			b.WriteString(strconv.FormatUint(first, 10))
		} else {
			fmt.Fprintf(&b, "[%d-%d]", first, first+n-1)
		}
		for s := step; s > 1; s /= 10 {
			b.WriteString("[0-9]")
		}
		out = append(out, b.String())
		next := lo + step*n
		if next <= lo { // wrapped past the largest uint64
			break
		}
		lo = next
	}
	return out
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}
