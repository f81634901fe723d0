package candidates

import (
	"math"
	"strings"
	"sync"
	"time"

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
	// newest is the latest creation time of a network in the store and
	// changed the latest change of one (its record, ports, facilities or
	// contacts): a record's age and staleness count back from them, so a
	// snapshot ages with its own data, not with the clock.
	newest, changed time.Time
	// members maps each PoP key to the networks present there.
	members map[string][]bgp.ASN

	mu    sync.Mutex
	sides map[bgp.ASN]*likelihood.Side
}

// NewFeatures indexes the store's PoPs. graph may be nil.
func NewFeatures(s Store, graph *asrel.Graph) *Features {
	f := &Features{store: s, graph: graph, members: map[string][]bgp.ASN{}, sides: map[bgp.ASN]*likelihood.Side{}}
	// No record was created or changed in the future: one row claiming so
	// (a broken or hostile snapshot) must not set the reference that
	// makes every other network look stale. It counts as just changed.
	horizon := time.Now().Add(24 * time.Hour)
	for _, n := range s.Nets() {
		if n.Created.After(f.newest) && !n.Created.After(horizon) {
			f.newest = n.Created
		}
		for _, t := range []time.Time{n.Updated, n.NetIXLANUpdated, n.NetFacUpdated, n.POCUpdated} {
			if t.After(f.changed) && !t.After(horizon) {
				f.changed = t
			}
		}
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
		PolicyLocations:      n.PolicyLocations, PolicyContracts: n.PolicyContracts, PolicyRatio: n.PolicyRatio,
		IPv6: n.InfoIPv6, Multicast: n.InfoMulticast, LookingGlass: given(n.LookingGlass),
		RouteServer: given(n.RouteServer), IRRASSet: given(n.IRRASSet), PolicyURL: given(n.PolicyURL),
	}
	s.AgeYears = max(yearsBefore(f.newest, n.Created), 0)
	s.UpdatedYears = yearsBefore(f.changed, n.Updated)
	s.PoPsUpdatedYears = yearsBefore(f.changed, latest(n.NetIXLANUpdated, n.NetFacUpdated))
	s.Contacts = !n.POCUpdated.IsZero()
	s.ExchangesUpdate = n.AllowIXPUpdate
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
	if f.graph != nil {
		p.Graph = f.graph.Similarity(res.Requester.ASN, res.Candidate.ASN)
	}
	return p
}

// given says a PeeringDB text field is filled in.
func given(s string) bool { return strings.TrimSpace(s) != "" }

// yearsBefore is how many years t lies before ref; −1 when t is unknown
// (zero).
func yearsBefore(ref, t time.Time) float64 {
	if t.IsZero() {
		return -1
	}
	return max(ref.Sub(t).Hours()/(24*365.25), 0)
}

// latest is the later of two times (zero when both are).
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
