package intent

import (
	"strings"
	"testing"
)

func TestScanSource(t *testing.T) {
	deep := func(open, close string, n int) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	for _, tc := range []struct {
		name string
		src  string
		ok   bool
		line int // of the refusal
	}{
		{"brackets", "x = " + deep("[", "]", MaxNesting), true, 0},
		{"too many brackets", "x = " + deep("[", "]", MaxNesting+1), false, 1},
		{"brackets in a string are text", `x = "` + deep("[", "]", 100) + `"`, true, 0},
		{"brackets in a comment are text", "# " + deep("{", "}", 100) + "\nx = 1", true, 0},
		{"brackets in a block comment are text", "/* " + deep("(", ")", 100) + " */ x = 1", true, 0},
		{"an interpolation counts", "\nx = \"${" + deep("[", "]", MaxNesting) + "}\"", false, 2},
		{"an escaped interpolation is text", `x = "$${` + deep("[", "]", 100) + `}"`, true, 0},
		{"a directive counts", `x = "%{` + deep("(", ")", MaxNesting) + `}"`, false, 1},
		{"strings in interpolations in strings", `x = "` + strings.Repeat(`${"`, 20) + strings.Repeat(`"}`, 20) + `"`, true, 0},
		{"deep strings in interpolations", `x = "` + strings.Repeat(`${"`, MaxNesting+1) + strings.Repeat(`"}`, MaxNesting+1) + `"`, false, 1},
		{"a heredoc's interpolation counts", "x = <<EOT\n\n${" + deep("(", ")", MaxNesting) + "}\nEOT\n", false, 3},
		{"a heredoc ends at its marker", "x = <<-EOT\n  ((((\n  EOT\ny = " + deep("[", "]", 10), true, 0},
		{"json", `{"a": ` + deep("[", "]", MaxNesting+1) + `}`, false, 1},
		{"items", "x = [" + strings.Repeat("1,", MaxItems-1) + "1]", true, 0},
		{"too many items", "x = [\n" + strings.Repeat("1,", MaxItems+1) + "1]", false, 2},
		{"commas in strings are text", `x = "` + strings.Repeat(",", 2*MaxItems) + `"`, true, 0},
	} {
		pos, problem := scanSource([]byte(tc.src))
		ok := problem == sourceOK
		if ok != tc.ok || !ok && pos.Line != tc.line {
			t.Errorf("%s: ok=%v at line %d, want ok=%v (line %d)", tc.name, ok, pos.Line, tc.ok, tc.line)
		}
	}
}
