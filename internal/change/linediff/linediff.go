// Package linediff compares two texts line by line: the one diff
// algorithm peerform uses, for the unified diffs of plans and reviews and
// the changed-line lists of deploy reports and driver errors.
//
// Configs change in many places at once (a new peer adds neighbor lines,
// prefix lists and policies far apart), which is more than a bounded-effort
// LCS handles gracefully. So lines are matched the patience way first:
// lines that occur exactly once on both sides anchor the diff (neighbor
// addresses, policy names and sequence numbers make most config lines
// unique), and only the stretches between anchors go through the LCS.
package linediff

import (
	"sort"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/aymanbagabas/go-udiff/lcs"
)

// Unified returns the unified diff that turns a into b, with the labels
// of the two sides; "" when they are equal.
func Unified(oldLabel, newLabel, a, b string) string {
	if a == b {
		return ""
	}
	out, err := udiff.ToUnified(oldLabel, newLabel, a, lineEdits(a, b), udiff.DefaultContextLines)
	if err != nil {
		// The edits come from matches in increasing order and cannot
		// overlap; should that ever fail, a coarser diff is still right.
		out, _ = udiff.ToUnified(oldLabel, newLabel, a, udiff.Strings(a, b), udiff.DefaultContextLines)
	}
	return out
}

// Changes lists the lines of a that b drops ("- line") and the lines b
// adds ("+ line"), in the order the diff meets them, leaving out blank
// lines; an empty, non-nil list when nothing changed.
// A missing final newline is no change.
func Changes(a, b string) []string {
	al, bl := strings.Split(strings.TrimSuffix(a, "\n"), "\n"), strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	out := []string{}
	add := func(sign string, lines []string) {
		for _, l := range lines {
			if strings.TrimSpace(l) != "" {
				out = append(out, sign+l)
			}
		}
	}
	pi, pj := 0, 0
	for _, m := range append(match(al, bl), [2]int{len(al), len(bl)}) {
		add("- ", al[pi:m[0]])
		add("+ ", bl[pj:m[1]])
		pi, pj = m[0]+1, m[1]+1
	}
	return out
}

// lineEdits returns the edits that turn a into b, whole lines at a time.
func lineEdits(a, b string) []udiff.Edit {
	al, bl := splitLines(a), splitLines(b)
	matches := match(al, bl)
	offsets := make([]int, len(al)+1)
	for i, l := range al {
		offsets[i+1] = offsets[i] + len(l)
	}
	var edits []udiff.Edit
	pi, pj := 0, 0 // next unmatched line in a and b
	for _, m := range append(matches, [2]int{len(al), len(bl)}) {
		if m[0] > pi || m[1] > pj {
			edits = append(edits, udiff.Edit{Start: offsets[pi], End: offsets[m[0]], New: strings.Join(bl[pj:m[1]], "")})
		}
		pi, pj = m[0]+1, m[1]+1
	}
	return edits
}

// match returns the pairs of equal lines the diff keeps, in increasing
// order on both sides.
func match(al, bl []string) [][2]int {
	ids := map[string]rune{}
	encode := func(lines []string) []rune {
		out := make([]rune, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = rune(len(ids))
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	ar, br := encode(al), encode(bl)
	var matches [][2]int
	matchRange(ar, br, 0, len(ar), 0, len(br), &matches)
	return matches
}

func splitLines(s string) []string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// matchRange appends the matching line pairs of a[a0:a1] and b[b0:b1],
// in increasing order.
func matchRange(a, b []rune, a0, a1, b0, b1 int, out *[][2]int) {
	// Common head and tail first.
	for a0 < a1 && b0 < b1 && a[a0] == b[b0] {
		*out = append(*out, [2]int{a0, b0})
		a0, b0 = a0+1, b0+1
	}
	var tail [][2]int
	for a0 < a1 && b0 < b1 && a[a1-1] == b[b1-1] {
		a1, b1 = a1-1, b1-1
		tail = append(tail, [2]int{a1, b1})
	}
	defer func() {
		for i := len(tail) - 1; i >= 0; i-- {
			*out = append(*out, tail[i])
		}
	}()
	if a0 == a1 || b0 == b1 {
		return
	}
	anchors := uniqueAnchors(a, b, a0, a1, b0, b1)
	if len(anchors) == 0 {
		for _, d := range lcsMatches(a[a0:a1], b[b0:b1]) {
			*out = append(*out, [2]int{a0 + d[0], b0 + d[1]})
		}
		return
	}
	pa, pb := a0, b0
	for _, an := range anchors {
		matchRange(a, b, pa, an[0], pb, an[1], out)
		*out = append(*out, an)
		pa, pb = an[0]+1, an[1]+1
	}
	matchRange(a, b, pa, a1, pb, b1, out)
}

// uniqueAnchors finds the lines occurring exactly once in each range and
// returns the longest chain of them that is in order on both sides.
func uniqueAnchors(a, b []rune, a0, a1, b0, b1 int) [][2]int {
	type seen struct{ na, nb, ia, ib int }
	count := map[rune]*seen{}
	for i := a0; i < a1; i++ {
		s := count[a[i]]
		if s == nil {
			s = &seen{}
			count[a[i]] = s
		}
		s.na++
		s.ia = i
	}
	for j := b0; j < b1; j++ {
		if s := count[b[j]]; s != nil {
			s.nb++
			s.ib = j
		}
	}
	var pairs [][2]int
	for _, s := range count {
		if s.na == 1 && s.nb == 1 {
			pairs = append(pairs, [2]int{s.ia, s.ib})
		}
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i][0] < pairs[j][0] })
	return longestIncreasing(pairs)
}

// longestIncreasing returns the longest subsequence of pairs (sorted by
// their first element) whose second elements increase: patience sorting.
func longestIncreasing(pairs [][2]int) [][2]int {
	var tops []int // index into pairs of the top card of each pile
	prev := make([]int, len(pairs))
	for i, p := range pairs {
		k := sort.Search(len(tops), func(k int) bool { return pairs[tops[k]][1] >= p[1] })
		if k > 0 {
			prev[i] = tops[k-1]
		} else {
			prev[i] = -1
		}
		if k == len(tops) {
			tops = append(tops, i)
		} else {
			tops[k] = i
		}
	}
	if len(tops) == 0 {
		return nil
	}
	out := make([][2]int, len(tops))
	for i, k := len(tops)-1, tops[len(tops)-1]; i >= 0; i, k = i-1, prev[k] {
		out[i] = pairs[k]
	}
	return out
}

// lcsMatches matches the lines of two short stretches without unique
// lines through udiff's LCS (bounded effort; exact for small changes).
func lcsMatches(a, b []rune) [][2]int {
	var out [][2]int
	pa, pb := 0, 0
	for _, d := range lcs.DiffRunes(a, b) {
		for pa < d.Start {
			out = append(out, [2]int{pa, pb})
			pa, pb = pa+1, pb+1
		}
		pa, pb = d.End, d.ReplEnd
	}
	for pa < len(a) && pb < len(b) {
		out = append(out, [2]int{pa, pb})
		pa, pb = pa+1, pb+1
	}
	return out
}
