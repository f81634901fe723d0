package intent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/testutil"
)

// FuzzLoad feeds arbitrary peer and policy files through the loader. It
// must never panic, every diagnostic must point into a file that exists,
// and whatever loads without errors must hold only strings that pass the
// config allow-list — the property that keeps a pull request from
// injecting router configuration.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(basePeer), []byte(basePolicy), false)
	f.Add([]byte(`{"peer": {"AS13335": {"name": "CF", "import": "AS-CF", "export": "AS-EXAMPLE"}}}`), []byte(basePolicy), true)
	for _, broken := range []string{
		"peer \"AS13335\" {\n  name = \"x\\n}\"\n}",
		"peer \"AS13335\" { name = ",
		"peer \"AS13335\" {\n  md5 = secret(\"${x}\")\n}",
		"peer \"AS13335\" {\n  session \"IX-A\" { ipv4 = \"::ffff:192.0.2.1\" }\n}",
		"peer \"AS13335\" {\n  ixps = [[[[[]]]]]\n}",
		"peer \"AS13335\" {\n  name = <<EOT\nx\nEOT\n}",
		"peer \"AS13335\" {\n  name = \"${[[[[[[[[0]]]]]]]][0]}\"\n}",
		"peer \"AS13335\" {\n  name = <<-EOT\n  %{ for a in [1] }${\"${a}\"}%{ endfor }\n  EOT\n}",
		"peer \"AS13335\" {\n  local_pref = 1e400\n}",
		"\xff\xfe",
	} {
		f.Add([]byte(broken), []byte(basePolicy), false)
	}
	// The example repository, when this test runs inside it.
	if peers, err := filepath.Glob(testutil.Path(f, "peers/*.hcl")); err == nil {
		for _, p := range peers {
			if src, err := os.ReadFile(p); err == nil {
				f.Add(src, []byte(basePolicy), false)
			}
		}
	}
	f.Fuzz(func(t *testing.T, peer, policy []byte, json bool) {
		peerName := "peers/AS13335.hcl"
		if json {
			peerName += ".json"
		}
		fsys := fstest.MapFS{
			"policies/base.hcl": {Data: policy},
			peerName:            {Data: peer},
		}
		repo, diags := Load(fsys)
		if repo == nil {
			t.Fatal("Load returned a nil repository")
		}
		for _, d := range diags {
			if d.Subject != nil && d.Subject.Filename != "" {
				if _, ok := fsys[d.Subject.Filename]; !ok {
					t.Fatalf("diagnostic points at unknown file %q: %s", d.Subject.Filename, d.Summary)
				}
			}
		}
		if diags.HasErrors() {
			return
		}
		for _, p := range repo.Peers {
			for _, s := range []string{p.Name, p.Description} {
				if s != "" && CheckText(s, MaxDescLen) != "" {
					t.Fatalf("unsafe text passed validation: %q", s)
				}
			}
			for _, s := range []string{p.Import.String(), p.Export.String()} {
				if strings.ContainsAny(s, "\n\r\"'{};# ") {
					t.Fatalf("unsafe object name passed validation: %q", s)
				}
			}
		}
		for _, r := range repo.Routers {
			if CheckIdentifier(r.Name) != "" || checkHost(r.Host) != "" {
				t.Fatalf("unsafe router passed validation: %+v", r)
			}
		}
	})
}
