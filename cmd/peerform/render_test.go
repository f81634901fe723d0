package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func renderExampleRepo(t *testing.T) string {
	t.Helper()
	dir := exampleRepo(t)
	copyDir(t, filepath.Join("..", "..", "data", "peeringdb"), filepath.Join(dir, "data", "peeringdb"))
	return dir
}

func TestRenderExample(t *testing.T) {
	dir := renderExampleRepo(t)
	out := filepath.Join(t.TempDir(), "configs")
	stdout, stderr, code := runPeerform(t, "render", "-C", dir, "--offline", "--out", out, "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var doc struct {
		FormatVersion int `json:"format_version"`
		Routers       []struct {
			Router, Platform, Path string
			Sessions               int
		} `json:"routers"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	// Every router of every environment: the two production routers and
	// the lab's two.
	if len(doc.Routers) != 4 || doc.Routers[0].Router != "ams-edge1" || doc.Routers[1].Platform != "bird2" || doc.Routers[2].Router != "lab-ams-edge1" {
		t.Fatalf("routers %+v", doc.Routers)
	}
	for _, r := range doc.Routers {
		b, err := os.ReadFile(filepath.Join(out, r.Router+".conf"))
		if err != nil || r.Sessions == 0 {
			t.Fatalf("%s: %v, %d sessions", r.Router, err, r.Sessions)
		}
		if !strings.Contains(string(b), r.Router+": ") {
			t.Errorf("%s.conf does not start with its header", r.Router)
		}
	}
	// The example expands its AS-SETs from data/irr/example.rpsl, also
	// offline: real prefix lists, and deny-all with a warning for AS65537,
	// which has no IRR data.
	if fra, _ := os.ReadFile(filepath.Join(out, "fra-edge1.conf")); !strings.Contains(string(fra), "11.64.0.0/22") || !strings.Contains(string(fra), "2a10:501::/32") {
		t.Errorf("fra-edge1.conf has no prefix list from the IRR snapshot")
	}
	if !strings.Contains(stderr, "AS65537:AS-DELTA") || !strings.Contains(stderr, "deny-all") {
		t.Errorf("no deny-all warning for AS65537:\n%s", stderr)
	}
	// The same again gives the same bytes.
	first, _ := os.ReadFile(filepath.Join(out, "fra-edge1.conf"))
	stdout, _, code = runPeerform(t, "render", "-C", dir, "--offline", "--out", "-", "--router", "fra-edge1")
	if code != exitOK || stdout != string(first) {
		t.Errorf("--out - differs from the file written before (exit %d)", code)
	}
}

func TestRenderCustomTemplates(t *testing.T) {
	dir := renderExampleRepo(t)
	tmpl := t.TempDir()
	if err := os.MkdirAll(filepath.Join(tmpl, "frr"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(tmpl, "frr"), "router.tmpl", []byte(`{{define "router"}}hostname {{.Router}} with {{len .Sessions}} sessions{{"\n"}}{{end}}`))
	stdout, stderr, code := runPeerform(t, "render", "-C", dir, "--offline", "--templates", tmpl, "--out", "-", "--router", "ams-edge1")
	if code != exitOK || stdout != "hostname ams-edge1 with 11 sessions\n" {
		t.Errorf("exit %d: %q\n%s", code, stdout, stderr)
	}
	// fra-edge1 is a bird2 router; the directory has no bird2 templates.
	_, stderr, code = runPeerform(t, "render", "-C", dir, "--offline", "--templates", tmpl, "--out", t.TempDir())
	if code != exitFindings || !strings.Contains(stderr, `no templates for platform "bird2"`) {
		t.Errorf("missing platform: exit %d\n%s", code, stderr)
	}
	if _, stderr, code = runPeerform(t, "render", "-C", dir, "--templates", t.TempDir()); code != exitError {
		t.Errorf("empty template directory: exit %d\n%s", code, stderr)
	}
}

func TestRenderErrors(t *testing.T) {
	dir := renderExampleRepo(t)
	if _, stderr, code := runPeerform(t, "render", "-C", dir, "--offline", "--router", "nope"); code != exitError || !strings.Contains(stderr, "no such router") {
		t.Errorf("unknown router: exit %d\n%s", code, stderr)
	}
	writeFile(t, filepath.Join(dir, "peers"), "AS64509.hcl", []byte("peer \"AS64509\" {\n  name = \"a\\\"; evil\"\n  import = \"AS-X\"\n  export = \"AS-EXAMPLE\"\n}\n"))
	if _, stderr, code := runPeerform(t, "render", "-C", dir, "--offline", "--out", t.TempDir()); code != exitFindings || !strings.Contains(stderr, "peers/AS64509.hcl") {
		t.Errorf("invalid peer: exit %d\n%s", code, stderr)
	}
}
