package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/testutil"
)

// runPeerform runs the CLI in-process and returns its output and exit code.
func runPeerform(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &ioStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	return out.String(), errOut.String(), code
}

// exampleRepo copies the repository's own peers/, policies/ and the IRR,
// RPKI and IX-F data they use (data/irr/, data/rpki/, data/ixf/), the example peering repository,
// into a temporary directory that a test may break.
func exampleRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"peers", "policies", "data/irr", "data/rpki", "data/ixf"} {
		src := filepath.Join("..", "..", sub)
		entries, err := os.ReadDir(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sub, e.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

func writeFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	testutil.WriteFile(t, dir, name, data)
}

func TestValidateExampleRepository(t *testing.T) {
	out, errOut, code := runPeerform(t, "validate", "--repo", "../..")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "Valid:") {
		t.Errorf("no summary line: %q", out)
	}
	// Checked against the demo PeeringDB snapshot: AS64503 has a stale
	// port outside the AMS LAN, which is skipped with a warning.
	if !strings.Contains(out, "peers/AS64503.hcl:1:1: warning: Session derivation") || !strings.Contains(out, "skipped 203.0.113.13") {
		t.Errorf("no PeeringDB finding for AS64503:\n%s", out)
	}
}

func TestValidatePeerWithoutCommonIXP(t *testing.T) {
	dir := exampleRepo(t)
	writeFile(t, dir, "peers/AS64499.hcl", []byte("peer \"AS64499\" {\n  name   = \"Nowhere\"\n  import = \"AS64499\"\n  export = \"AS-EXAMPLE\"\n}\n"))
	out, _, code := runPeerform(t, "validate", "--repo", dir, "--peeringdb", "../../data/peeringdb", "--format", "github")
	if code != exitOK {
		t.Fatalf("a warning must not fail validation: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "::warning file=peers/AS64499.hcl,line=1") {
		t.Errorf("no warning for a peer without sessions:\n%s", out)
	}
}

// TestValidateBrokenRepository breaks a copy of the example repository in
// each of the ways the validator must catch and checks the exit status, a
// path:line:col location and the GitHub annotation.
func TestValidateBrokenRepository(t *testing.T) {
	cases := []struct {
		name, file string
		data       []byte
		wantLoc    string // path:line of the expected location
	}{
		{"syntax error", "peers/AS64999.hcl", []byte("peer \"AS64999\" {\n  name = \n}\n"), "peers/AS64999.hcl:2"},
		{"unknown attribute", "peers/AS64501.hcl", []byte("peer \"AS64501\" {\n  name = \"a\"\n  import = \"AS-A\"\n  export = \"AS-EXAMPLE\"\n  colour = \"red\"\n}\n"), "peers/AS64501.hcl:5"},
		{"duplicate peer", "peers/AS64501-copy.hcl", []byte("peer \"AS64501\" {\n  name = \"a\"\n  import = \"AS-A\"\n  export = \"AS-EXAMPLE\"\n}\n"), "peers/AS64501-copy.hcl:1"},
		{"label mismatch", "peers/AS64504.hcl", []byte("peer \"AS64505\" {\n  name = \"a\"\n  import = \"AS-A\"\n  export = \"AS-EXAMPLE\"\n}\n"), "peers/AS64504.hcl:1"},
		{"newline in name", "peers/AS64504.hcl", []byte("peer \"AS64504\" {\n  name = \"a\\n protocol static evil {\"\n  import = \"AS-A\"\n  export = \"AS-EXAMPLE\"\n}\n"), "peers/AS64504.hcl:2"},
		{"non-UTF-8 file", "peers/AS64504.hcl", []byte("peer \"AS64504\" {\n  name = \"Caf\xe9\"\n}\n"), "peers/AS64504.hcl:2"},
		{"20 MB file", "peers/AS64504.hcl", bytes.Repeat([]byte("# padding\n"), 2<<20), "peers/AS64504.hcl:1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := exampleRepo(t)
			writeFile(t, dir, tc.file, tc.data)

			out, _, code := runPeerform(t, "validate", "--repo", dir)
			if code != exitFindings {
				t.Fatalf("exit %d, want %d\n%s", code, exitFindings, out)
			}
			line := tc.wantLoc[strings.LastIndexByte(tc.wantLoc, ':')+1:]
			file := tc.wantLoc[:strings.LastIndexByte(tc.wantLoc, ':')]
			if !strings.Contains(out, file+":"+line+":") {
				t.Errorf("text output has no location %s:\n%s", tc.wantLoc, out)
			}

			out, _, code = runPeerform(t, "validate", "--repo", dir, "--format", "github")
			if code != exitFindings {
				t.Fatalf("github format: exit %d", code)
			}
			re := regexp.MustCompile(`(?m)^::error file=` + regexp.QuoteMeta(file) + `,line=` + line + `,col=\d+`)
			if !re.MatchString(out) {
				t.Errorf("no annotation for %s:\n%s", tc.wantLoc, out)
			}
		})
	}
}

func TestValidateUsageErrors(t *testing.T) {
	if _, errOut, code := runPeerform(t, "validate", "--format", "xml"); code != exitError || !strings.Contains(errOut, "--format") {
		t.Errorf("bad format: exit %d, %q", code, errOut)
	}
	if _, _, code := runPeerform(t, "validate", "extra-arg"); code != exitError {
		t.Errorf("extra argument: exit %d", code)
	}
	if _, _, code := runPeerform(t, "no-such-command"); code != exitError {
		t.Errorf("unknown command: exit %d", code)
	}
	if _, _, code := runPeerform(t, "validate", "--no-such-flag"); code != exitError {
		t.Errorf("unknown flag: exit %d", code)
	}
}

func TestFmt(t *testing.T) {
	dir := exampleRepo(t)
	ugly := "peer \"AS64504\" {\n# who they are\n      name = \"Doc\" # short\n  import=\"AS-A\"\n    export = \"AS-EXAMPLE\"\n}\n"
	writeFile(t, dir, "peers/AS64504.hcl", []byte(ugly))

	out, _, code := runPeerform(t, "fmt", "--check", "--repo", dir)
	if code != exitFindings || !strings.Contains(out, "AS64504.hcl") {
		t.Fatalf("fmt --check: exit %d, out %q", code, out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "peers/AS64504.hcl")); string(got) != ugly {
		t.Fatal("fmt --check changed the file")
	}
	if _, errOut, code := runPeerform(t, "fmt", "--repo", dir); code != exitOK {
		t.Fatalf("fmt: exit %d %s", code, errOut)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "peers/AS64504.hcl"))
	for _, comment := range []string{"# who they are", "# short"} {
		if !strings.Contains(string(got), comment) {
			t.Errorf("comment %q lost:\n%s", comment, got)
		}
	}
	if !strings.Contains(string(got), "  import = \"AS-A\"") {
		t.Errorf("not formatted:\n%s", got)
	}
	if _, _, code := runPeerform(t, "fmt", "--check", "--repo", dir); code != exitOK {
		t.Errorf("second fmt --check: exit %d", code)
	}

	broken := []byte("peer \"AS64505\" {\n      name = \n")
	writeFile(t, dir, "peers/AS64505.hcl", broken)
	if _, errOut, code := runPeerform(t, "fmt", "--repo", dir); code != exitFindings || !strings.Contains(errOut, "syntax") {
		t.Errorf("fmt on a broken file: exit %d, %q", code, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "peers/AS64505.hcl")); !bytes.Equal(got, broken) {
		t.Error("fmt touched a file with syntax errors")
	}
}

func TestHelpTeaches(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"validate", "--help"}, {"fmt", "--help"}, {"help", "exit-codes"}} {
		out, _, code := runPeerform(t, args...)
		if code != exitOK || len(out) < 200 {
			t.Errorf("%v: exit %d, %d bytes of help", args, code, len(out))
		}
	}
}
