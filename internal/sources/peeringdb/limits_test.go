package peeringdb

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// maxDepth is the obvious byte-by-byte reference for depthReader.
func maxDepth(s string) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func TestDepthReader(t *testing.T) {
	inputs := []string{
		`{"data": [{"a": [1, {"b": []}]}]}`,
		`{"s": "[[[[[[{{{{{"}`,
		`{"s": "\"[[[[[[", "t": [[[[1]]]]}`,
		`{"s": "\\", "t": [[[[[1]]]]]}`,
		`{"s": "\\\"[[[[[[\\", "t": [1]}`,
		`["\u005b[[[", [[[[[[]]]]]]]`,
		strings.Repeat("[", 7) + strings.Repeat("]", 7),
		strings.Repeat(`"\\"`, 50) + `[[[[[[`,
	}
	const limit = 5
	for _, in := range inputs {
		want := maxDepth(in) > limit
		for name, r := range map[string]io.Reader{"whole": strings.NewReader(in), "byte by byte": iotest.OneByteReader(strings.NewReader(in))} {
			_, err := io.ReadAll(&depthReader{r: r, max: limit})
			if got := err != nil; got != want {
				t.Errorf("%s %q: too deep = %v (%v), reference says %v (depth %d)", name, in, got, err, want, maxDepth(in))
			}
		}
	}
}

func FuzzDepthReader(f *testing.F) {
	f.Add(`{"a": "\\\"[", "b": [[[[]]]]}`, uint8(3))
	f.Fuzz(func(t *testing.T, in string, split uint8) {
		const limit = 4
		want := maxDepth(in) > limit
		r := io.MultiReader(strings.NewReader(in[:min(int(split), len(in))]), strings.NewReader(in[min(int(split), len(in)):]))
		_, err := io.ReadAll(&depthReader{r: iotest.HalfReader(r), max: limit})
		if (err != nil) != want {
			t.Fatalf("%q: too deep = %v, reference says %v", in, err != nil, want)
		}
	})
}
