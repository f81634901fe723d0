package candidates

import (
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/sources/asrel"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// Features builds the likelihood model's inputs from a PeeringDB snapshot,
// scoring results and, optionally, an AS graph from an (older)
// relationships file. It is safe for concurrent use.
type Features struct {
	store Store
	graph *asrel.Graph // nil: no topology features
	// members maps each PoP key to the networks present there.
	members map[string][]bgp.ASN

	mu     sync.Mutex
	sides  map[bgp.ASN]*likelihood.Side
	fields map[bgp.ASN]*field
}

// field is what a network's candidates look like, for Place: the PoPs
// each shares with it, and sorted lists to rank one against the rest.
type field struct {
	shared                          map[bgp.ASN]int
	byShared, byColocated, byDegree []int
	// peers are its peers in the relationships file that share a PoP
	// with it, as a set.
	peers map[bgp.ASN]bool
}

// NewFeatures indexes the store's PoPs. graph may be nil.
func NewFeatures(s Store, graph *asrel.Graph) *Features {
	f := &Features{store: s, graph: graph, members: map[string][]bgp.ASN{},
		sides: map[bgp.ASN]*likelihood.Side{}, fields: map[bgp.ASN]*field{}}
	for _, n := range s.Nets() {
		for _, p := range s.PoPs(n.ASN) {
			f.members[p.Key()] = append(f.members[p.Key()], n.ASN)
		}
	}
	return f
}

// Neighbours returns every network that shares at least one PoP with asn,
// each once, in store order of first appearance.
func (f *Features) Neighbours(asn bgp.ASN) []bgp.ASN {
	seen := map[bgp.ASN]bool{asn: true}
	var out []bgp.ASN
	for _, p := range f.store.PoPs(asn) {
		for _, b := range f.members[p.Key()] {
			if !seen[b] {
				seen[b] = true
				out = append(out, b)
			}
		}
	}
	return out
}

// Side describes one network (cached).
func (f *Features) Side(asn bgp.ASN) likelihood.Side {
	f.mu.Lock()
	if s, ok := f.sides[asn]; ok {
		f.mu.Unlock()
		return *s
	}
	f.mu.Unlock()
	s := f.side(asn)
	f.mu.Lock()
	f.sides[asn] = &s
	f.mu.Unlock()
	return s
}

func (f *Features) side(asn bgp.ASN) likelihood.Side {
	n, _ := f.store.Net(asn)
	neighbours := f.Neighbours(asn)
	s := likelihood.Side{
		InfoType: n.InfoType, Policy: n.PolicyGeneral, Ratio: n.InfoRatio, Scope: n.InfoScope,
		TrafficMbps: DeclaredTrafficMbps(n.InfoTraffic), Prefixes4: n.InfoPrefixes4, Prefixes6: n.InfoPrefixes6,
		NeverViaRouteServers: n.NeverViaRouteServers,
		Colocated:            len(neighbours),
	}
	var ports, rs int
	for _, p := range f.store.PoPs(asn) {
		switch p.Kind {
		case peeringdb.KindIX:
			s.IXPs++
			s.PortMbps += float64(max(p.SpeedMbps, 0))
			for _, port := range f.store.NetIXLANs(asn, p.ID) {
				ports++
				if port.IsRSPeer {
					rs++
				}
			}
		case peeringdb.KindFac:
			s.Facilities++
		}
	}
	if ports > 0 {
		s.RouteServerShare = float64(rs) / float64(ports)
	}
	if f.graph != nil {
		node := f.graph.Node(asn)
		s.Topology = &likelihood.Topology{Known: node.Known, Cone: f.graph.Cone(asn),
			Peers: node.Peers, Providers: node.Providers, Customs: node.Customers}
		for _, b := range neighbours {
			if rel, ok := f.graph.Lookup(asn, b); ok && rel == asrel.PeerToPeer {
				s.Topology.ColocatedPeers++
			}
		}
	}
	return s
}

// field returns asn's field (cached).
func (f *Features) field(asn bgp.ASN) *field {
	f.mu.Lock()
	fd, ok := f.fields[asn]
	f.mu.Unlock()
	if ok {
		return fd
	}
	fd = &field{shared: map[bgp.ASN]int{}, peers: map[bgp.ASN]bool{}}
	for _, p := range f.store.PoPs(asn) {
		for _, b := range f.members[p.Key()] {
			if b != asn {
				fd.shared[b]++
			}
		}
	}
	for b, n := range fd.shared {
		s := f.Side(b)
		fd.byShared = append(fd.byShared, n)
		fd.byColocated = append(fd.byColocated, s.Colocated)
		if s.Topology != nil {
			fd.byDegree = append(fd.byDegree, s.Topology.Peers)
		}
		if f.graph != nil {
			if rel, ok := f.graph.Lookup(asn, b); ok && rel == asrel.PeerToPeer {
				fd.peers[b] = true
			}
		}
	}
	for _, list := range [][]int{fd.byShared, fd.byColocated, fd.byDegree} {
		slices.Sort(list)
	}
	f.mu.Lock()
	f.fields[asn] = fd
	f.mu.Unlock()
	return fd
}

// place is c's standing among r's candidates.
func (f *Features) place(r, c bgp.ASN) likelihood.Place {
	fr, fc := f.field(r), f.field(c)
	s := f.Side(c)
	pl := likelihood.Place{
		SharedPercentile:    percentile(fr.byShared, fr.shared[c]),
		ColocatedPercentile: percentile(fr.byColocated, s.Colocated),
	}
	if s.Topology != nil {
		pl.PeerDegreePercentile = percentile(fr.byDegree, s.Topology.Peers)
		for x := range fr.peers {
			if fc.shared[x] > 0 {
				pl.OurPeersThere++
			}
		}
		for x := range fc.peers {
			if fr.shared[x] > 0 {
				pl.TheirPeersHere++
			}
		}
	}
	return pl
}

// percentile is the share of sorted below v, plus half of those equal
// to it (0 for an empty list).
func percentile(sorted []int, v int) float64 {
	if len(sorted) == 0 {
		return 0
	}
	lo, _ := slices.BinarySearch(sorted, v)
	hi, _ := slices.BinarySearch(sorted, v+1)
	return (float64(lo) + float64(hi-lo)/2) / float64(len(sorted))
}

// Pair builds the model's view of a scored pair. The result should carry
// the reverse direction (score.Params.BothWays); without it W counts for
// both directions.
func (f *Features) Pair(res *score.Result) likelihood.Pair {
	p := likelihood.Pair{
		R: f.Side(res.Requester.ASN), C: f.Side(res.Candidate.ASN),
		W: res.Willingness, WReverse: res.Willingness, A: res.Affinity,
		AlphaR: res.AlphaRequester, AlphaC: res.AlphaCandidate,
		AcceptR: res.APCRequester, AcceptC: res.APCCandidate,
		Possible: math.Ldexp(1, len(res.CommonPoPs)) - 1,
	}
	if res.Reverse != nil {
		p.WReverse = res.Reverse.Willingness
	}
	metros := map[string]bool{}
	for _, list := range [][]score.CommonPoP{res.CommonPoPs, res.DroppedPoPs} {
		for _, q := range list {
			if strings.HasPrefix(q.Key, "ix:") {
				p.SharedIXPs++
				members := len(f.members[q.Key])
				p.SharedIXMembers += members
				p.LargestSharedIX = max(p.LargestSharedIX, members)
			} else {
				p.SharedFacilities++
			}
			if c := strings.ToLower(strings.TrimSpace(q.City)); c != "" {
				metros[c] = true
			}
		}
	}
	p.SharedMetros = len(metros)
	p.Place = f.place(res.Requester.ASN, res.Candidate.ASN)
	p.PlaceReverse = f.place(res.Candidate.ASN, res.Requester.ASN)
	if f.graph != nil {
		p.Graph = f.graph.Similarity(res.Requester.ASN, res.Candidate.ASN)
	}
	return p
}
