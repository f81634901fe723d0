package model

import (
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/sources/ixf"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/testutil"
)

const demoExportFile = "data/ixf/doc-ix-ams.json"

func demoExport(t *testing.T, edit func(string) string) map[string]*ixf.Export {
	t.Helper()
	b, err := os.ReadFile(testutil.Path(t, demoExportFile))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if edit != nil {
		s = edit(s)
	}
	e, err := ixf.Parse([]byte(s), ixf.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*ixf.Export{demoExportFile: e}
}

// TestBuildWithIXF: the example's export moves a session only where it
// disagrees with PeeringDB, and says so at the peer file; an export that
// does not list the IXP policy names is an error at the attribute, one
// that claims another PeeringDB exchange a warning.
func TestBuildWithIXF(t *testing.T) {
	repo := exampleRepo(t)
	pdb := demoSnapshot(t)
	without, _ := Build(repo, Inputs{PeeringDB: pdb})
	with, diags := Build(repo, Inputs{PeeringDB: pdb, IXF: demoExport(t, nil)})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if changed := ChangedPeers(without, with); len(changed) != 0 {
		t.Errorf("the example's export changes %v; it agrees with PeeringDB about every peer", changed)
	}
	for _, s := range with.Router("ams-edge1").Sessions {
		if s.Provenance.Origin == peeringdb.FromPeeringDB {
			t.Errorf("%s at DOC-IX-AMS from PeeringDB only: %s", s.Neighbor, s.Provenance)
		}
	}

	// AS64501 renumbered in the export.
	moved, diags := Build(repo, Inputs{PeeringDB: pdb, IXF: demoExport(t, func(s string) string {
		return strings.Replace(s, `"2001:db8:ffff:1::11"`, `"2001:db8:ffff:1::111"`, 1)
	})})
	found := false
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning && d.Summary == "PeeringDB and IX-F export disagree" && d.Subject.Filename == "peers/AS64501.hcl" {
			found = true
		}
	}
	if !found {
		t.Errorf("no disagreement warning at peers/AS64501.hcl: %v", diags)
	}
	var neighbors []string
	for _, s := range moved.Router("ams-edge1").Sessions {
		if s.Peer.ASN == 64501 {
			neighbors = append(neighbors, s.Neighbor.String())
		}
	}
	if strings.Join(neighbors, " ") != "192.0.2.11 2001:db8:ffff:1::111" {
		t.Errorf("AS64501 at DOC-IX-AMS: %v", neighbors)
	}

	// The policy names an ixp_id the file does not have.
	bad := exampleRepo(t)
	id := int64(7)
	x := bad.IXP("DOC-IX-AMS")
	x.IXF.IXPID = &id
	x.IXF.IXPIDRange = hcl.Range{Filename: "policies/ixps.hcl", Start: hcl.Pos{Line: 13, Column: 3}}
	_, diags = Build(bad, Inputs{PeeringDB: pdb, IXF: demoExport(t, nil)})
	if !diags.HasErrors() || diags[0].Summary != "IXP not in its IX-F export" || diags[0].Subject.Start.Line != 13 {
		t.Errorf("unknown ixp_id: %v", diags)
	}

	// The file says it is another PeeringDB exchange's.
	_, diags = Build(repo, Inputs{PeeringDB: pdb, IXF: demoExport(t, func(s string) string {
		return strings.Replace(s, `"peeringdb_id": 90001`, `"peeringdb_id": 90002`, 1)
	})})
	if diags.HasErrors() || !strings.Contains(diags.Error(), "IX-F export of another exchange?") {
		t.Errorf("other exchange: %v", diags)
	}
}
