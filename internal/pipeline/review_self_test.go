package pipeline

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/repo/gitfs"
	"github.com/peerform/peerform/internal/testutil"
	"github.com/peerform/peerform/render"
)

func TestSelfChanges(t *testing.T) {
	tree := fstest.MapFS{
		"templates/templates.go":   {Data: []byte("package templates\n\n//go:embed bird2 frr\nvar FS embed.FS\n")},
		"population/codec.go":      {Data: []byte("package population\n\n//go:embed \"cities.bin\"\nvar raw []byte\n")},
		"population/codec_test.go": {Data: []byte("//go:embed README.md\n")},
		"device/frr.go":            {Data: []byte("//go:embed all:platforms/*.yaml\n")},
	}
	var changes []gitfs.Change
	for _, p := range []string{
		"peers/AS1.hcl", "templates/frr/router.tmpl", "templates/README.md", "population/cities.bin", "population/README.md",
		"device/platforms/frr.yaml", "device/platforms/notes.txt", "go.sum", "cmd/peerform/x.go", ".github/workflows/pr.yml", "docs/intents.md",
	} {
		changes = append(changes, gitfs.Change{Path: p})
	}
	code, workflows := selfChanges(changes, tree)
	want := []string{"templates/frr/router.tmpl", "population/cities.bin", "device/platforms/frr.yaml", "go.sum", "cmd/peerform/x.go"}
	if !slices.Equal(code, want) || !slices.Equal(workflows, []string{".github/workflows/pr.yml"}) {
		t.Errorf("code %q, workflows %q; want %q", code, workflows, want)
	}
}

// TestReadHeadBuild: what the head's build wrote is untrusted: only
// regular files of bounded size named after the planned routers are read.
func TestReadHeadBuild(t *testing.T) {
	head, diags := intent.Load(fstest.MapFS{"policies/p.hcl": {Data: []byte(`network {
  asn = 64500
  name = "Example"
  prefixes = ["198.51.100.0/24"]
}
router "r1" {
  platform = "frr"
  host = "r1"
}
router "r2" {
  platform = "bird2"
  host = "r2"
}
router "r3" {
  platform = "bird2"
  host = "r3"
}
`)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	base := []render.Output{{Router: "r1", Platform: "frr", Config: []byte("a\n")}, {Router: "r2", Platform: "bird2", Config: []byte("b\n")},
		{Router: "r3", Platform: "bird2", Config: []byte("c\n")}}
	dir := t.TempDir()
	testutil.WriteFile(t, dir, "r1.conf", []byte("a\nshutdown\n"))
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "r2.conf")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "r3.conf"), 0o644); err != nil {
		t.Fatal(err)
	}
	hb, diags := readHeadBuild(dir, head, nil, base)
	if len(hb.Routers) != 1 || hb.Routers[0].Router != "r1" || !strings.Contains(hb.Routers[0].Diff, "+shutdown") {
		t.Errorf("routers %+v", hb.Routers)
	}
	if !slices.Equal(hb.Missing, []string{"r2", "r3"}) || len(diags) != 2 || !diags.HasErrors() {
		t.Errorf("missing %v, diags %v", hb.Missing, diags)
	}
	if _, diags := readHeadBuild(filepath.Join(dir, "nothing"), head, nil, base); !diags.HasErrors() {
		t.Error("no output at all is not an error")
	}
}
