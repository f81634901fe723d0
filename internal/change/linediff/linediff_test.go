package linediff

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
)

// TestLineEditsApply: applying the edits to the old text gives the new
// one, for texts with repeated and unique lines, with or without a final
// newline.
func TestLineEditsApply(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"!", "exit", " neighbor 192.0.2.1 remote-as 1", " activate", "route-map X permit 10", "a", "b"}
	gen := func() string {
		var b strings.Builder
		for n := r.IntN(60); n > 0; n-- {
			if r.IntN(3) == 0 {
				b.WriteString(words[r.IntN(len(words))])
			} else {
				b.WriteString("line " + string(rune('a'+r.IntN(26))) + string(rune('a'+r.IntN(26))))
			}
			b.WriteByte('\n')
		}
		if r.IntN(4) == 0 {
			b.WriteString("no final newline")
		}
		return b.String()
	}
	for i := 0; i < 2000; i++ {
		a, b := gen(), gen()
		got, err := udiff.Apply(a, lineEdits(a, b))
		if err != nil || got != b {
			t.Fatalf("edits do not turn\n%q\ninto\n%q (got %q, %v)", a, b, got, err)
		}
		if d := Unified("a", "b", a, b); (d == "") != (a == b) {
			t.Fatalf("unified diff %q for %q -> %q", d, a, b)
		}
	}
}

// TestInsertionOnlyDiff: lines added in several places show as additions
// only, even when the text is far longer than the LCS's effort bound.
func TestInsertionOnlyDiff(t *testing.T) {
	var a, b strings.Builder
	for i := 0; i < 3000; i++ {
		line := "ip prefix-list L seq " + strings.Repeat("1", 1+i%7) + " permit x" + string(rune('A'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676)) + "\n"
		a.WriteString(line)
		b.WriteString(line)
		if i%100 == 0 {
			b.WriteString("new line " + string(rune('a'+i/100)) + "\n")
			b.WriteString("!\n")
		}
	}
	d := Unified("a", "b", a.String(), b.String())
	for _, l := range strings.Split(d, "\n") {
		if strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---") {
			t.Fatalf("insertions show a removal: %q", l)
		}
	}
	if n := strings.Count(d, "\n+new line"); n != 30 {
		t.Errorf("%d added lines shown, want 30", n)
	}
}

func TestChanges(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want []string
	}{
		{"a\n b\nc\n", "a\n b\nd\n\n", []string{"- c", "+ d"}},
		{"a\nb\nb\nc", "b\nc\nd", []string{"- a", "- b", "+ d"}},
		{"x\ny\n", "x\ny", []string{}},
		// Changes come in the order of the texts, each removal next to
		// what replaces it.
		{"p 1\nq\np 2\nr\n", "p 1\nQ\np 2\nR\n", []string{"- q", "+ Q", "- r", "+ R"}},
		// A moved line is a change, which a comparison of line counts
		// would miss.
		{"a\nb\nc\n", "b\nc\na\n", []string{"- a", "+ a"}},
	} {
		if got := Changes(tc.a, tc.b); !slices.Equal(got, tc.want) || got == nil {
			t.Errorf("Changes(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestChangesAccount: what Changes lists accounts for every line: the
// lines of a minus the removed plus the added are the lines of b, as
// multisets (blank lines aside).
func TestChangesAccount(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	gen := func() string {
		var b strings.Builder
		for n := r.IntN(40); n > 0; n-- {
			b.WriteString([]string{"a", "b", "c", "neighbor 1", "neighbor 2", "!", "exit"}[r.IntN(7)] + "\n")
		}
		return b.String()
	}
	count := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			if l != "" {
				m[l]++
			}
		}
		return m
	}
	for i := 0; i < 2000; i++ {
		a, b := gen(), gen()
		have := count(a)
		for _, c := range Changes(a, b) {
			if l, ok := strings.CutPrefix(c, "- "); ok {
				if have[l]--; have[l] < 0 {
					t.Fatalf("%q removes a line a does not have: %q -> %q", c, a, b)
				}
			} else {
				have[strings.TrimPrefix(c, "+ ")]++
			}
		}
		maps.DeleteFunc(have, func(_ string, n int) bool { return n == 0 })
		if want := count(b); !maps.Equal(have, want) {
			t.Fatalf("a with the changes applied has %v, b has %v (%q -> %q)", have, want, a, b)
		}
	}
}

// BenchmarkChanges: a 20,000-line config with a peer added in 40 places.
func BenchmarkChanges(b *testing.B) {
	var old, now strings.Builder
	for i := range 20000 {
		line := fmt.Sprintf("ip prefix-list L%d seq %d permit 10.%d.%d.0/24\n", i/500, i%500, i/256%256, i%256)
		old.WriteString(line)
		now.WriteString(line)
		if i%500 == 0 {
			fmt.Fprintf(&now, " neighbor 192.0.2.%d remote-as 64500\n!\n", i/500)
		}
	}
	a, c := old.String(), now.String()
	for b.Loop() {
		Changes(a, c)
	}
}
