package candidates

import (
	"fmt"
	"strings"
	"testing"

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
