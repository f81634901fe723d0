package skeleton

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/testutil"
)

// TestPeerFileValidates writes peer files from hostile PeeringDB records
// into the example repository: each must load without errors, as the
// requested peer it describes.
func TestPeerFileValidates(t *testing.T) {
	base, diags := intent.LoadDir(testutil.Root(t))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, net := range []peeringdb.Net{
		{ID: 90507, ASN: 64504, Name: "Doc Hosting Epsilon", IRRASSet: "AS-EPSILON"},
		{ID: 1, ASN: 64505, Name: "Evil\" }\npeer \"AS1\" {\n${file(\"/etc/passwd\")}", IRRASSet: "RIPE::AS-EVIL AS-OTHER"},
		{ID: 2, ASN: 64506, Name: "", IRRASSet: "see our website"},
		{ID: 3, ASN: 64507, Name: strings.Repeat("x", 500), IRRASSet: "AS64507:AS-CUST"},
	} {
		f, _ := PeerFile(net, base.Network, intent.StatusRequested)
		fsys := fstest.MapFS{f.Path: {Data: f.Data}}
		entries, err := os.ReadDir(testutil.Path(t, "policies"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			data, err := os.ReadFile(testutil.Path(t, "policies/"+e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			fsys["policies/"+e.Name()] = &fstest.MapFile{Data: data}
		}
		repo, diags := intent.Load(fsys)
		if diags.HasErrors() {
			t.Fatalf("%s:\n%s\n%v", f.Path, f.Data, diags)
		}
		p := repo.Peer(net.ASN)
		if p == nil || p.Status != intent.StatusRequested || p.Export != base.Network.ASSet {
			t.Fatalf("%s loads as %+v", f.Path, p)
		}
		if formatted, _ := intent.Format(f.Data, f.Path); string(formatted) != string(f.Data) {
			t.Errorf("%s is not formatted as peerform fmt would", f.Path)
		}
	}
}

func TestPeerFileExample(t *testing.T) {
	f, notes := PeerFile(peeringdb.Net{ID: 90507, ASN: 64504, Name: "Doc Hosting Epsilon", IRRASSet: "AS-EPSILON"},
		intent.Network{ASN: 64500, ASSet: bgp.ObjectRef{Name: "AS-EXAMPLE"}}, intent.StatusRequested)
	want := `# From PeeringDB (net 90507). Sessions and max-prefix are derived from
# PeeringDB until written here.
peer "AS64504" {
  name   = "Doc Hosting Epsilon"
  import = "AS-EPSILON"
  export = "AS-EXAMPLE"
  status = "requested"
}
`
	if f.Path != "peers/AS64504.hcl" || string(f.Data) != want || len(notes) != 0 {
		t.Errorf("%s:\n%s\nnotes %q", f.Path, f.Data, notes)
	}
}
