package candidates

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/sources/asrel"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/testutil"
)

// TestTopologyFeatures: over the demo snapshot, a relationships file in
// which AS64500 peers with one co-located network and sells transit to
// another gives it one co-located peer, and puts only the customer in its
// cone.
func TestTopologyFeatures(t *testing.T) {
	store, err := peeringdb.LoadDir(testutil.Path(t, "data/peeringdb"))
	if err != nil {
		t.Fatal(err)
	}
	nb := NewFeatures(store, nil).Neighbours(64500)
	if len(nb) < 2 {
		t.Fatalf("AS64500 shares a PoP with %d networks; the test needs two", len(nb))
	}
	peer, customer := nb[0], nb[1]
	// A peer elsewhere (not co-located) must not count as co-located.
	rels := fmt.Sprintf("64500|%d|0\n64500|%d|-1\n64500|4200000000|0\n", peer, customer)
	set, err := asrel.Read(strings.NewReader(rels))
	if err != nil {
		t.Fatal(err)
	}
	f := NewFeatures(store, set.Graph())
	s := f.Side(64500)
	if s.Topology == nil || s.Topology.Peers != 2 || s.Topology.Customs != 1 || s.Topology.ColocatedPeers != 1 || s.Colocated != len(nb) {
		t.Fatalf("AS64500's side: %+v, topology %+v", s, s.Topology)
	}
	if c := f.Side(customer); c.Topology.Providers != 1 || c.Topology.ColocatedPeers != 0 {
		t.Errorf("the customer's topology: %+v", c.Topology)
	}
	simPeer, simCustomer := f.graph.Similarity(64500, peer), f.graph.Similarity(64500, customer)
	if simPeer.InCone || !simCustomer.InCone {
		t.Errorf("cone membership: peer %v, customer %v", simPeer.InCone, simCustomer.InCone)
	}
}

// TestRecordFeatures: a side carries what the network's PeeringDB record
// lists, and the record's age counts back from the newest record of the
// snapshot (so a snapshot's ages do not grow with the clock).
func TestRecordFeatures(t *testing.T) {
	store, err := peeringdb.LoadDir(testutil.Path(t, "data/peeringdb"))
	if err != nil {
		t.Fatal(err)
	}
	var newest time.Time
	for _, n := range store.Nets() {
		if n.Created.After(newest) {
			newest = n.Created
		}
	}
	f := NewFeatures(store, nil)
	for _, n := range store.Nets() {
		s := f.Side(n.ASN)
		wantAge := 0.0
		if !n.Created.IsZero() {
			wantAge = newest.Sub(n.Created).Hours() / (24 * 365.25)
		}
		if s.IRRASSet != (n.IRRASSet != "") || s.IPv6 != n.InfoIPv6 || s.PolicyLocations != n.PolicyLocations ||
			s.PolicyContracts != n.PolicyContracts || s.AgeYears != wantAge || s.AgeYears < 0 {
			t.Errorf("AS%d: side %+v from record %+v", n.ASN, s, n)
		}
	}
	if s := f.Side(64500); !s.IRRASSet || !s.IPv6 || !(s.AgeYears > 0) {
		t.Errorf("AS64500 lists an as-set and IPv6 and is not the newest record: %+v", s)
	}
}

// TestUpkeepFeatures: how a network keeps its record counts back from the
// snapshot's latest change of any network's record, ports, facilities or
// contacts; null times are unknown.
func TestUpkeepFeatures(t *testing.T) {
	dir := t.TempDir()
	nets := `{"data": [
		{"id": 1, "asn": 64501, "name": "a", "updated": "2020-03-01T00:00:00Z",
		 "netixlan_updated": "2019-03-01T00:00:00Z", "netfac_updated": "2020-03-01T00:00:00Z",
		 "poc_updated": "2018-01-01T00:00:00Z", "allow_ixp_update": true},
		{"id": 2, "asn": 64502, "name": "b", "updated": "2021-03-01T00:00:00Z",
		 "netixlan_updated": null, "netfac_updated": null, "poc_updated": null},
		{"id": 3, "asn": 64503, "name": "c", "updated": "2016-03-01T00:00:00Z",
		 "netixlan_updated": "2022-03-01T00:00:00Z"},
		{"id": 4, "asn": 64504, "name": "from the future", "updated": "9999-01-01T00:00:00Z",
		 "created": "9998-01-01T00:00:00Z", "poc_updated": "9999-01-01T00:00:00Z"}
	]}`
	if err := os.WriteFile(filepath.Join(dir, "net.json"), []byte(nets), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := peeringdb.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFeatures(store, nil)
	near := func(got, want float64) bool { return math.Abs(got-want) < 0.01 }
	// The latest change is c's ports, 2022-03-01 (d's dates are in the
	// future, so they are not).
	a, b, c := f.Side(64501), f.Side(64502), f.Side(64503)
	if !near(a.UpdatedYears, 2) || !near(a.PoPsUpdatedYears, 2) || !a.Contacts || !a.ExchangesUpdate {
		t.Errorf("a: %+v", a)
	}
	if !near(b.UpdatedYears, 1) || b.PoPsUpdatedYears != -1 || b.Contacts || b.ExchangesUpdate {
		t.Errorf("b: %+v", b)
	}
	if !near(c.UpdatedYears, 6) || c.PoPsUpdatedYears != 0 || c.Contacts {
		t.Errorf("c: %+v", c)
	}
	// A row dated in the future moves no reference: it counts as new.
	if d := f.Side(64504); d.UpdatedYears != 0 || d.AgeYears != 0 {
		t.Errorf("a record from the future: %+v", d)
	}
	if u := f.Side(64599); u.UpdatedYears != -1 || u.PoPsUpdatedYears != -1 || u.Contacts {
		t.Errorf("a network missing from the snapshot: %+v", u)
	}
}
