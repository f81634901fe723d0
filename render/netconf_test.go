package render

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/change/openconfig"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/model"
)

// exampleWith is a test case made of the example case and the policy files
// of dir: the example's repository with dir/policies/*.hcl added, its IRR,
// RPKI and PeeringDB data.
func exampleWith(t *testing.T, dir string) string {
	t.Helper()
	example, err := filepath.Abs(filepath.Join("testdata", "example"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if err := os.CopyFS(filepath.Join(tmp, "repo"), os.DirFS(filepath.Join(example, "repo"))); err != nil {
		t.Fatal(err)
	}
	extra, _ := filepath.Glob(filepath.Join(dir, "policies", "*.hcl"))
	if len(extra) == 0 {
		t.Fatalf("%s/policies has no .hcl file", dir)
	}
	for _, f := range extra {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "repo", "policies", filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"irr.json", "vrps.json", "peeringdb"} {
		if err := os.Symlink(filepath.Join(example, name), filepath.Join(tmp, name)); err != nil {
			t.Fatal(err)
		}
	}
	return tmp
}

// TestGoldenNetconfRouter renders the example repository with a netconf
// router added, every router on its own platform: the netconf router
// matches its golden payload, and the other routers' configs are exactly
// the example's, so adding a netconf router changes nobody else.
func TestGoldenNetconfRouter(t *testing.T) {
	dir := filepath.Join("testdata", "netconf-router")
	m := loadCase(t, exampleWith(t, dir))
	out, err := RenderAll(m, defaultTemplates(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 {
		t.Fatalf("%d routers rendered, want 3", len(out))
	}
	for _, o := range out {
		name := o.Router + "." + string(o.Platform) + ".conf"
		if o.Platform != platform.NETCONF {
			want, err := os.ReadFile(filepath.Join("testdata", "example", "want", name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, o.Config) {
				t.Errorf("%s changed when a netconf router was added", name)
			}
			continue
		}
		compareGolden(t, filepath.Join(dir, "want", name), o.Config)
		c, found, err := openconfig.Parse(o.Config)
		if err != nil || !found {
			t.Fatalf("%s does not parse as a peerform-bgp payload: %v", name, err)
		}
		if c.LocalAS != 64500 || len(c.Neighbors) != len(o.View.Sessions) {
			t.Errorf("%s: AS%d with %d neighbors for %d sessions", name, c.LocalAS, len(c.Neighbors), len(o.View.Sessions))
		}
		for _, n := range c.Neighbors {
			if len(n.AFISAFIs) != 1 || n.AFISAFIs[0].MaxPrefixes == 0 || n.Shutdown || !strings.HasPrefix(n.PeerGroup, "PEERFORM_DOC_IX_AMS_V") {
				t.Errorf("%s: neighbor %+v", name, n)
			}
		}
	}
}

// TestNetconfPayloadEscaping: a name with XML's special characters is
// escaped and reads back as written; the MD5 placeholder stays intact
// (deploy finds it there and puts the secret in).
func TestNetconfPayloadEscaping(t *testing.T) {
	m, ok := buildModel(t, benignValues().fs())
	if !ok {
		t.Fatal("benign repository does not validate")
	}
	m.Peers[0].Name = "AS64500 (ams) & co"
	b, err := Render(withPlatform(m, platform.NETCONF), "r1", defaultTemplates(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "<description>AS64500 (ams) &amp; co</description>") {
		t.Errorf("the name is not escaped:\n%s", b)
	}
	if !strings.Contains(string(b), "<auth-password>PEERFORM-SECRET-GOOD</auth-password>") {
		t.Errorf("the MD5 placeholder did not survive:\n%s", b)
	}
	c, _, err := openconfig.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Neighbors) != 2 || c.Neighbors[0].Description != "AS64500 (ams) & co" || c.Neighbors[1].AFISAFIs[0].Family != bgp.IPv6 {
		t.Errorf("read back: %+v", c.Neighbors)
	}
}

// TestNetconfGoldensWellFormed: every netconf golden is well-formed XML
// (a comment holding "--" would not be), its notes name no free text, and
// no netconf folder can stand in for the built-in payload.
func TestNetconfGoldensWellFormed(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "want", "*.netconf.conf"))
	if len(files) < 9 {
		t.Fatalf("only %d netconf goldens", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(b))
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if c, ok := tok.(xml.Comment); ok && strings.ContainsAny(string(c), "&\"") {
				t.Errorf("%s: the comment holds text from the intents: %q", f, c)
			}
		}
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "netconf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "netconf", "router.tmpl"), []byte(`{{define "router"}}x{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTemplates(os.DirFS(dir)); err == nil || !strings.Contains(err.Error(), "built in") {
		t.Errorf("a netconf templates folder: %v", err)
	}
}

// BenchmarkRenderNetconf renders the 1,000-peer model's four routers as
// netconf payloads (1,000 neighbors each).
func BenchmarkRenderNetconf(b *testing.B) {
	repo, in := benchRepo(b, 1000)
	m, _ := model.Build(repo, in)
	m = withPlatform(m, platform.NETCONF)
	tm := defaultTemplates(b)
	b.ReportAllocs()
	b.ResetTimer()
	var size int
	for b.Loop() {
		out, err := RenderAll(m, tm)
		if err != nil {
			b.Fatal(err)
		}
		size = 0
		for _, o := range out {
			size += len(o.Config)
		}
	}
	b.ReportMetric(float64(size), "payload-bytes")
}
