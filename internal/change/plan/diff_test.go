package plan

import (
	"math/rand/v2"
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
		if d := unified("a", "b", a, b); (d == "") != (a == b) {
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
	d := unified("a", "b", a.String(), b.String())
	for _, l := range strings.Split(d, "\n") {
		if strings.HasPrefix(l, "-") && !strings.HasPrefix(l, "---") {
			t.Fatalf("insertions show a removal: %q", l)
		}
	}
	if n := strings.Count(d, "\n+new line"); n != 30 {
		t.Errorf("%d added lines shown, want 30", n)
	}
}
