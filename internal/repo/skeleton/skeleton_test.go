package skeleton

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/testutil"
)

// hostileSnapshot is the example's PeeringDB snapshot with edit applied to
// the rows of each object type.
func hostileSnapshot(t *testing.T, edit map[string]func(row map[string]any)) *peeringdb.Store {
	t.Helper()
	src := testutil.Path(t, "data/peeringdb")
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		typ := strings.TrimSuffix(e.Name(), ".json")
		if f := edit[typ]; f != nil {
			var doc struct {
				Data []map[string]any `json:"data"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			for _, row := range doc.Data {
				f(row)
			}
			if data, err = json.Marshal(doc); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store, err := peeringdb.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// load parses the skeleton's files as peerform does, with the routers'
// hosts set.
func load(t *testing.T, res *Result) (*intent.Repo, hcl.Diagnostics) {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, f := range res.Files {
		data := f.Data
		if f.Path == "policies/routers.hcl" {
			// Set the hosts; leave out the addresses PeeringDB did not give.
			var lines []string
			for _, l := range strings.Split(string(data), "\n") {
				if !strings.Contains(l, `= "" # set: not in PeeringDB`) {
					lines = append(lines, l)
				}
			}
			data = []byte(strings.ReplaceAll(strings.Join(lines, "\n"), `host     = ""`, `host     = "192.0.2.250"`))
		}
		fsys[f.Path] = &fstest.MapFile{Data: data}
	}
	return intent.Load(fsys)
}

func noErrors(t *testing.T, diags hcl.Diagnostics) {
	t.Helper()
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			t.Errorf("%s", d)
		}
	}
}

const testActionRef = "peerform/peerform@v1.0.0"

func options(platforms ...string) Options {
	return Options{ASN: 64500, Platforms: platforms, ActionRef: testActionRef,
		Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}}
}

// TestBuildExample: the example network's skeleton validates as written
// (once the host is set), with its exchanges, LANs and addresses.
func TestBuildExample(t *testing.T) {
	store, err := peeringdb.LoadDir(testutil.Path(t, "data/peeringdb"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Build(store, options("frr", "bird2"))
	if err != nil {
		t.Fatal(err)
	}
	repo, diags := load(t, res)
	noErrors(t, diags)
	if len(repo.IXPs) != 2 || repo.IXPs[0].IPv4LAN != netip.MustParsePrefix("192.0.2.0/25") {
		t.Errorf("IXPs %+v", repo.IXPs)
	}
	if len(repo.Routers) != 2 || repo.Routers[0].Platform != "frr" || repo.Routers[1].Platform != "bird2" {
		t.Fatalf("routers %+v", repo.Routers)
	}
	if p, ok := repo.Routers[0].PortAt(repo.IXPs[0].Name); !ok || p.IPv4 != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("edge1's port at %s: %+v", repo.IXPs[0].Name, p)
	}
	if repo.Network.Name != "Example Networks" || repo.Network.ASSet.Name != "AS-EXAMPLE" {
		t.Errorf("network %+v", repo.Network)
	}
}

// TestBuildHostilePeeringDB: names, AS-SETs and addresses from PeeringDB
// are untrusted. Nothing in them changes the shape of the files written:
// every name that reaches HCL passes validation's allow-lists, template
// sequences stay text, and an address outside the exchange's LANs is left
// out with a note.
func TestBuildHostilePeeringDB(t *testing.T) {
	evil := "Evil\" }\nrouter \"x\" {\n  host = \"${file(\"/etc/passwd\")}\" %{ for a in [1] }"
	store := hostileSnapshot(t, map[string]func(map[string]any){
		"net": func(r map[string]any) {
			if r["asn"] == float64(64500) {
				r["name"] = evil
				r["irr_as_set"] = "AS-OK\"\n}\nrouter {"
			}
		},
		"ix": func(r map[string]any) {
			r["name"] = "\"; } ${evil} ΑΜS-ΙΧ" // Greek look-alikes
		},
		"netixlan": func(r map[string]any) {
			if r["asn"] == float64(64500) && r["ix_id"] == float64(90002) {
				r["ipaddr4"] = "10.0.0.1"
			}
		},
	})
	res, err := Build(store, options())
	if err != nil {
		t.Fatal(err)
	}
	repo, diags := load(t, res)
	noErrors(t, diags)
	for _, f := range res.Files {
		if strings.HasSuffix(f.Path, ".hcl") && (strings.Contains(string(f.Data), "${") || strings.Contains(string(f.Data), "%{") || strings.Contains(string(f.Data), `router "x"`)) {
			t.Errorf("%s carries the hostile structure:\n%s", f.Path, f.Data)
		}
	}
	if msg := intent.CheckText(repo.Network.Name, intent.MaxNameLen); msg != "" || strings.ContainsAny(repo.Network.Name, "\"{}$%\n") {
		t.Errorf("network name %q: %s", repo.Network.Name, msg)
	}
	if len(repo.Routers) != 1 || len(repo.IXPs) != 2 {
		t.Fatalf("%d routers, %d IXPs: the hostile names changed the files' shape", len(repo.Routers), len(repo.IXPs))
	}
	if repo.IXPs[0].Name == repo.IXPs[1].Name {
		t.Errorf("two exchanges named %q", repo.IXPs[0].Name)
	}
	for _, x := range repo.IXPs {
		if msg := intent.CheckIdentifier(x.Name); msg != "" {
			t.Errorf("IXP name %q: %s", x.Name, msg)
		}
	}
	if p, ok := repo.Routers[0].PortAt(repo.IXPs[1].Name); ok && p.IPv4 == netip.MustParseAddr("10.0.0.1") {
		t.Error("our address outside the LAN was written")
	}
	notes := strings.Join(res.Notes, "\n")
	if !strings.Contains(notes, "10.0.0.1") || !strings.Contains(notes, "cannot be used in router configs") {
		t.Errorf("notes do not say what was changed:\n%s", notes)
	}
	if repo.Network.ASSet.Name != "" && repo.Network.ASSet.Name != "AS-OK" {
		t.Errorf("as_set %v", repo.Network.ASSet)
	}
}

// TestWriteRefusesToOverwrite: when any file exists nothing is written,
// and a symbolic link cannot lead a file out of the directory.
func TestWriteRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	files := []File{{"policies/a.hcl", []byte("a")}, {"peers/README.md", []byte("b")}}
	if err := os.MkdirAll(filepath.Join(dir, "peers"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "peers/README.md"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, files); err == nil || !strings.Contains(err.Error(), "peers/README.md") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "policies/a.hcl")); err == nil {
		t.Error("a file was written although another exists")
	}
	outside := t.TempDir()
	dir2 := t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir2, "policies")); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir2, files[:1]); err == nil {
		t.Error("wrote through a symbolic link out of the directory")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("%d files written outside", len(entries))
	}
}

// TestBuildRefuses: an unknown network, no prefixes, an unknown platform
// and an action reference that is not owner/repo@ref are refused.
func TestBuildRefuses(t *testing.T) {
	store, err := peeringdb.LoadDir(testutil.Path(t, "data/peeringdb"))
	if err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]Options{
		"unknown network": {ASN: bgp.ASN(1), ActionRef: testActionRef, Prefixes: options().Prefixes},
		"no prefixes":     {ASN: 64500, ActionRef: testActionRef},
		"platform":        {ASN: 64500, ActionRef: testActionRef, Prefixes: options().Prefixes, Platforms: []string{"ios\n"}},
		"action":          {ASN: 64500, ActionRef: "x@y\n  run: evil", Prefixes: options().Prefixes},
	} {
		if _, err := Build(store, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
