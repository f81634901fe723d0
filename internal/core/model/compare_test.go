package model

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/rpki"
	"github.com/peerform/peerform/internal/testutil"
)

// snapshotWith loads the demo PeeringDB snapshot with one string of
// netixlan.json replaced.
func snapshotWith(t *testing.T, old, new string) *peeringdb.Store {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(testutil.Path(t, "data/peeringdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(testutil.Path(t, "data/peeringdb"), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "netixlan.json" {
			if !strings.Contains(string(b), old) {
				t.Fatalf("netixlan.json has no %q", old)
			}
			b = []byte(strings.Replace(string(b), old, new, 1))
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := peeringdb.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestChangedPeers(t *testing.T) {
	repo := exampleRepo(t)
	alpha, beta := bgp.ObjectRef{Name: "AS-ALPHA"}, bgp.ObjectRef{Name: "AS64502"}
	pfx := netip.MustParsePrefix
	irrWith := func(extra ...netip.Prefix) map[bgp.ObjectRef]irr.Result {
		return map[bgp.ObjectRef]irr.Result{
			alpha: {ASNs: []bgp.ASN{64501}, V4: append([]netip.Prefix{pfx("11.64.0.0/22")}, extra...)},
			beta:  {ASNs: []bgp.ASN{64502}, V4: []netip.Prefix{pfx("11.65.0.0/20")}},
		}
	}
	snap := demoSnapshot(t)
	base, _ := Build(repo, Inputs{PeeringDB: snap, IRR: irrWith()})
	if got := ChangedPeers(base, base); len(got) != 0 {
		t.Errorf("a model differs from itself: %v", got)
	}
	more, _ := Build(repo, Inputs{PeeringDB: snap, IRR: irrWith(pfx("8.0.0.0/8"))})
	if got := ChangedPeers(base, more); !slices.Equal(got, []bgp.ASN{64501}) {
		t.Errorf("a route more in AS-ALPHA changes %v, want [AS64501]", got)
	}

	// VRPs: a prefix going from not-found to valid changes no config; one
	// becoming invalid does (it leaves the prefix list).
	valid := rpki.NewTable([]rpki.VRP{{Prefix: pfx("11.64.0.0/16"), MaxLen: 24, ASN: 64501}})
	invalid := rpki.NewTable([]rpki.VRP{{Prefix: pfx("11.65.0.0/16"), MaxLen: 24, ASN: 64999}})
	withValid, _ := Build(repo, Inputs{PeeringDB: snap, IRR: irrWith(), RPKI: valid})
	withInvalid, _ := Build(repo, Inputs{PeeringDB: snap, IRR: irrWith(), RPKI: invalid})
	if got := ChangedPeers(base, withValid); len(got) != 0 {
		t.Errorf("valid VRPs change %v", got)
	}
	if got := ChangedPeers(base, withInvalid); !slices.Equal(got, []bgp.ASN{64502}) {
		t.Errorf("a VRP making AS64502's prefix invalid changes %v, want [AS64502]", got)
	}

	// A PeeringDB address moves: the peer's sessions change.
	moved, _ := Build(repo, Inputs{PeeringDB: snapshotWith(t, `"192.0.2.13"`, `"192.0.2.23"`), IRR: irrWith()})
	if got := ChangedPeers(base, moved); !slices.Equal(got, []bgp.ASN{64503}) {
		t.Errorf("AS64503's new address changes %v, want [AS64503]", got)
	}
	// A peer only one model has is changed.
	fewer := *repo
	fewer.Peers = repo.Peers[1:]
	gone, _ := Build(&fewer, Inputs{PeeringDB: snap, IRR: irrWith()})
	if got := ChangedPeers(base, gone); !slices.Equal(got, []bgp.ASN{repo.Peers[0].ASN}) {
		t.Errorf("removing %s changes %v", repo.Peers[0].ASN, got)
	}
}

// TestDerivedNeighborClaimedTwice: a PeeringDB row that gives AS64503
// Cloudflare's explicit address is an error at AS64503's file, since the
// router would keep one of the two sessions.
func TestDerivedNeighborClaimedTwice(t *testing.T) {
	repo := exampleRepo(t)
	_, diags := Build(repo, Inputs{PeeringDB: snapshotWith(t, `"203.0.113.13"`, `"192.0.2.40"`)})
	var found []*hcl.Diagnostic
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			found = append(found, d)
		}
	}
	if len(found) != 1 || found[0].Summary != "Neighbor address used twice" || found[0].Subject.Filename != "peers/AS64503.hcl" ||
		!strings.Contains(found[0].Detail, "claimed by AS13335") {
		t.Errorf("errors = %v", found)
	}
}

// TestAddressesThatAreNoNeighbor: with the LANs known from PeeringDB only,
// a PeeringDB address on the LAN's network address is skipped with a
// warning, and a written one is an error at the session.
func TestAddressesThatAreNoNeighbor(t *testing.T) {
	fsys := fstest.MapFS{
		"policies/p.hcl": {Data: []byte(`network {
  asn = 64500
  name = "Example"
  prefixes = ["198.51.100.0/24"]
  allow_peer_asn = ["documentation"]
}
ixp "AMS" {
  peeringdb_ix = 90001
}
router "r1" {
  platform = "frr"
  host = "r1"
  ixp "AMS" {
    ipv4 = "192.0.2.1"
  }
}
`)},
		"peers/AS64503.hcl": {Data: []byte("peer \"AS64503\" {\n  name = \"Gamma\"\n  import = \"AS-GAMMA\"\n  export = \"AS64500\"\n}\n")},
		"peers/AS64502.hcl": {Data: []byte("peer \"AS64502\" {\n  name = \"Beta\"\n  import = \"AS64502\"\n  export = \"AS64500\"\n  session \"AMS\" {\n    ipv4 = \"192.0.2.0\"\n  }\n}\n")},
	}
	repo, diags := intent.Load(fsys)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	m, diags := Build(repo, Inputs{PeeringDB: snapshotWith(t, `"192.0.2.13"`, `"192.0.2.0"`)})
	var skipped, refused bool
	for _, d := range diags {
		switch {
		case d.Severity == hcl.DiagWarning && d.Subject.Filename == "peers/AS64503.hcl" && strings.Contains(d.Detail, "skipped 192.0.2.0") && strings.Contains(d.Detail, "network address"):
			skipped = true
		case d.Severity == hcl.DiagError && d.Summary == "Not a neighbor address" && d.Subject.Filename == "peers/AS64502.hcl" && d.Subject.Start.Line == 5:
			refused = true
		}
	}
	if !skipped || !refused {
		t.Errorf("skipped %v, refused %v:\n%v", skipped, refused, diags)
	}
	for _, s := range m.Router("r1").Sessions {
		if s.Neighbor == netip.MustParseAddr("192.0.2.0") {
			t.Errorf("a session to the LAN's network address: %+v", s)
		}
	}
}
