package likelihood

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/peerform/peerform/internal/sources/asrel"
)

// Side is what the model knows about one network of a pair.
type Side struct {
	// InfoType, Policy, Ratio and Scope are PeeringDB's info_type,
	// policy_general, info_ratio and info_scope, as written there.
	InfoType, Policy, Ratio, Scope string
	// TrafficMbps is the declared traffic level (info_traffic); 0 when not
	// declared.
	TrafficMbps          float64
	Prefixes4, Prefixes6 int
	IXPs, Facilities     int
	// PortMbps is the sum of the network's IX port speeds.
	PortMbps float64
	// RouteServerShare is the share of its IX ports that peer with the
	// route server; NeverViaRouteServers is its PeeringDB flag.
	RouteServerShare     float64
	NeverViaRouteServers bool
	// Colocated counts the networks that share a PoP with it (its degree
	// in the PeeringDB co-location graph).
	Colocated int
	// The policy's details as written in PeeringDB (policy_locations,
	// policy_contracts) and whether it requires a ratio.
	PolicyLocations, PolicyContracts string
	PolicyRatio                      bool
	// Its PeeringDB record: what it publishes (IPv6 and multicast
	// support, a looking glass, a route server, an IRR as-set, a policy
	// URL) and the record's age in years. A maintained, long-standing
	// record is what networks that peer widely, and visibly, keep.
	IPv6, Multicast, LookingGlass, RouteServer, IRRASSet, PolicyURL bool
	AgeYears                                                        float64
	// How it keeps the record: the years since the record and since its
	// PoP lists (IX ports, facilities) last changed, counted back from the
	// snapshot's newest change (negative: unknown); whether it publishes
	// contacts and lets its exchanges update its ports. A peering team
	// that tends its record is one that answers requests.
	UpdatedYears, PoPsUpdatedYears float64
	Contacts, ExchangesUpdate      bool
	// Topology is its place in an AS-relationships file; nil without one.
	Topology *Topology
}

// Topology is one network in an (older) AS-relationships file.
type Topology struct {
	// Known says the network appears in the file at all.
	Known                     bool
	Cone                      int // customer cone size, itself included
	Peers, Providers, Customs int
	// ColocatedPeers counts the networks it shares a PoP with (see
	// Side.Colocated) that are its peers in the file: how open and how
	// visible its peering is where it could peer.
	ColocatedPeers int
}

// Pair is one ordered pair: R asks C.
type Pair struct {
	R, C Side
	// Shared PoPs by kind, and shared metros (distinct cities of the
	// shared PoPs).
	SharedIXPs, SharedFacilities, SharedMetros int
	// SharedIXMembers sums, over the shared IXPs, the networks present
	// there; LargestSharedIX is the largest of them (big exchanges mean
	// route servers and many visible sessions).
	SharedIXMembers, LargestSharedIX int
	// The Meta-Peering results: W both ways, A, α_R, α_C, and the number
	// of contracts each side accepts out of Possible (2^|K| − 1).
	W, WReverse, A, AlphaR, AlphaC float64
	AcceptR, AcceptC, Possible     float64
	// Graph is how close the two are in the relationships file
	// (meaningful only with Topology on both sides). The pair's own link
	// there is deliberately not an input: "they peered before" predicts
	// persistence, not willingness; a transit link between them shows as
	// InCone.
	Graph asrel.Similarity
}

// feature is one input of the model: its value for a pair, the factor it
// belongs to (features of one factor are explained together) and, for
// topology features, the need of a relationships file.
type feature struct {
	name     string
	factor   string
	topology bool
	value    func(p *Pair) float64
}

func l1p(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return math.Log1p(x)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func norm(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

var (
	infoTypes = []string{"transit", "access", "content", "enterprise"} // others: "other"
	policies  = []string{"open", "selective", "restrictive", "no"}     // others: undisclosed
	ratios    = []string{"heavy inbound", "mostly inbound", "balanced", "mostly outbound", "heavy outbound"}
	scopes    = []string{"global", "regional", "north america"}
)

// measure is one size of a network on a log scale, with the sizes at
// which its slope may change.
type measure struct {
	name  string
	v     func(s *Side) float64
	knots []float64
}

// sizeMeasures bend at their knots per side and are multiplied across
// the pair.
var sizeMeasures = []measure{
	{"ixps", func(s *Side) float64 { return l1p(float64(s.IXPs)) }, []float64{3, 10, 30}},
	{"facilities", func(s *Side) float64 { return l1p(float64(s.Facilities)) }, []float64{3, 10, 30}},
	{"port_mbps", func(s *Side) float64 { return l1p(s.PortMbps) }, []float64{1e4, 1e5, 1e6}},
	{"prefixes4", func(s *Side) float64 { return l1p(float64(s.Prefixes4)) }, []float64{10, 100, 1000}},
	{"traffic", func(s *Side) float64 { return l1p(s.TrafficMbps) }, []float64{1e3, 1e4, 1e5, 1e6}},
}

var colocatedMeasure = measure{"colocated", func(s *Side) float64 { return l1p(float64(s.Colocated)) }, []float64{30, 100, 300}}

// hinge is max(0, v − ln(1+k)) for v on the ln(1+x) scale.
func hinge(v, k float64) float64 { return math.Max(0, v-math.Log1p(k)) }

// Factors are named for people: "their policy", "shared IXPs".
const (
	fTheirPolicy  = "their peering policy"
	fOurPolicy    = "our peering policy"
	fTheirRecord  = "their PeeringDB record"
	fOurRecord    = "our PeeringDB record"
	fTheirType    = "their network type"
	fOurType      = "our network type"
	fTheirRatio   = "their traffic ratio"
	fOurRatio     = "our traffic ratio"
	fTheirScope   = "their scope"
	fOurScope     = "our scope"
	fTheirSize    = "their size"
	fOurSize      = "our size"
	fTheirReach   = "their presence"
	fOurReach     = "our presence"
	fShared       = "shared PoPs"
	fMeta         = "willingness and affinity"
	fContracts    = "acceptable contracts"
	fTheirTopo    = "their place in the topology"
	fOurTopo      = "our place in the topology"
	fNeighbours   = "common neighbours"
	fPolicyPair   = "both peering policies"
	fRouteServers = "route servers"
	fTypePair     = "the kinds of network"
	fSizes        = "both sizes together"
	fCone         = "transit between them"
)

// sideFeatures are the features of one side; which picks it from a pair.
func sideFeatures(prefix string, which func(*Pair) *Side, policy, record, typ, ratio, scope, size, reach, topo string) []feature {
	var fs []feature
	add := func(name, factor string, topology bool, f func(s *Side) float64) {
		fs = append(fs, feature{name: prefix + name, factor: factor, topology: topology, value: func(p *Pair) float64 { return f(which(p)) }})
	}
	for _, v := range policies {
		add("policy_"+v, policy, false, func(s *Side) float64 { return b2f(norm(s.Policy) == v) })
	}
	add("locations_required", policy, false, func(s *Side) float64 { return b2f(strings.HasPrefix(norm(s.PolicyLocations), "required")) })
	add("locations_preferred", policy, false, func(s *Side) float64 { return b2f(norm(s.PolicyLocations) == "preferred") })
	add("contracts_required", policy, false, func(s *Side) float64 { return b2f(norm(s.PolicyContracts) == "required") })
	add("contracts_private_only", policy, false, func(s *Side) float64 { return b2f(norm(s.PolicyContracts) == "private only") })
	add("ratio_required", policy, false, func(s *Side) float64 { return b2f(s.PolicyRatio) })
	add("ipv6", record, false, func(s *Side) float64 { return b2f(s.IPv6) })
	add("multicast", record, false, func(s *Side) float64 { return b2f(s.Multicast) })
	add("looking_glass", record, false, func(s *Side) float64 { return b2f(s.LookingGlass) })
	add("route_server_url", record, false, func(s *Side) float64 { return b2f(s.RouteServer) })
	add("irr_as_set", record, false, func(s *Side) float64 { return b2f(s.IRRASSet) })
	add("policy_url", record, false, func(s *Side) float64 { return b2f(s.PolicyURL) })
	add("log_age_years", record, false, func(s *Side) float64 { return l1p(s.AgeYears) })
	add("log_years_since_update", record, false, func(s *Side) float64 { return l1p(s.UpdatedYears) })
	add("log_years_since_pops_update", record, false, func(s *Side) float64 { return l1p(s.PoPsUpdatedYears) })
	add("pops_update_unknown", record, false, func(s *Side) float64 { return b2f(s.PoPsUpdatedYears < 0) })
	add("contacts_published", record, false, func(s *Side) float64 { return b2f(s.Contacts) })
	add("exchanges_update_ports", record, false, func(s *Side) float64 { return b2f(s.ExchangesUpdate) })
	for _, v := range infoTypes {
		add("type_"+v, typ, false, func(s *Side) float64 { return b2f(typeOf(s) == v) })
	}
	for _, v := range ratios {
		add("ratio_"+strings.ReplaceAll(v, " ", "_"), ratio, false, func(s *Side) float64 { return b2f(norm(s.Ratio) == v) })
	}
	for _, v := range scopes {
		add("scope_"+strings.ReplaceAll(v, " ", "_"), scope, false, func(s *Side) float64 { return b2f(norm(s.Scope) == v) })
	}
	add("log_traffic", size, false, func(s *Side) float64 { return l1p(s.TrafficMbps) })
	add("traffic_declared", size, false, func(s *Side) float64 { return b2f(s.TrafficMbps > 0) })
	add("log_prefixes4", size, false, func(s *Side) float64 { return l1p(float64(s.Prefixes4)) })
	add("log_prefixes6", size, false, func(s *Side) float64 { return l1p(float64(s.Prefixes6)) })
	add("log_ixps", reach, false, func(s *Side) float64 { return l1p(float64(s.IXPs)) })
	add("log_facilities", reach, false, func(s *Side) float64 { return l1p(float64(s.Facilities)) })
	add("log_port_mbps", reach, false, func(s *Side) float64 { return l1p(s.PortMbps) })
	add("log_colocated", reach, false, func(s *Side) float64 { return l1p(float64(s.Colocated)) })
	// Hinges let the model bend: the peering rate does not grow with the
	// log of size at one slope. A hinge at k adds max(0, ln(1+x) − ln(1+k)),
	// so the slope changes at k and the fit stays linear past the data
	// (a square would run off for networks larger than any it saw).
	for _, x := range slices.Insert(slices.Clone(sizeMeasures), 3, colocatedMeasure) {
		for _, k := range x.knots {
			add(fmt.Sprintf("log_%s_past_%g", x.name, k), reach, false, func(s *Side) float64 { return hinge(x.v(s), k) })
		}
	}
	add("route_server_share", fRouteServers, false, func(s *Side) float64 { return s.RouteServerShare })
	add("never_via_route_servers", fRouteServers, false, func(s *Side) float64 { return b2f(s.NeverViaRouteServers) })
	topoOf := func(s *Side) Topology {
		if s.Topology == nil {
			return Topology{}
		}
		return *s.Topology
	}
	add("topo_known", topo, true, func(s *Side) float64 { return b2f(topoOf(s).Known) })
	add("log_cone", topo, true, func(s *Side) float64 { return l1p(float64(topoOf(s).Cone)) })
	add("log_peer_degree", topo, true, func(s *Side) float64 { return l1p(float64(topoOf(s).Peers)) })
	add("log_providers", topo, true, func(s *Side) float64 { return l1p(float64(topoOf(s).Providers)) })
	add("log_customers", topo, true, func(s *Side) float64 { return l1p(float64(topoOf(s).Customs)) })
	for _, k := range []float64{3, 10, 30, 100, 300} {
		add(fmt.Sprintf("log_peer_degree_past_%g", k), topo, true, func(s *Side) float64 { return hinge(l1p(float64(topoOf(s).Peers)), k) })
	}
	for _, k := range []float64{3, 10, 100, 1000} {
		add(fmt.Sprintf("log_cone_past_%g", k), topo, true, func(s *Side) float64 { return hinge(l1p(float64(topoOf(s).Cone)), k) })
	}
	add("colocated_peer_share", topo, true, func(s *Side) float64 {
		return float64(topoOf(s).ColocatedPeers) / math.Max(1, float64(s.Colocated))
	})
	add("log_colocated_peers", topo, true, func(s *Side) float64 { return l1p(float64(topoOf(s).ColocatedPeers)) })
	return fs
}

func pairFeatures() []feature {
	shared := func(p *Pair) float64 { return float64(p.SharedIXPs + p.SharedFacilities) }
	minPoPs := func(p *Pair) float64 {
		return math.Max(1, math.Min(float64(p.R.IXPs+p.R.Facilities), float64(p.C.IXPs+p.C.Facilities)))
	}
	open := func(s *Side) bool { return norm(s.Policy) == "open" }
	closed := func(s *Side) bool { return norm(s.Policy) == "restrictive" || norm(s.Policy) == "no" }
	fs := []feature{
		{name: "log_shared_ixps", factor: fShared, value: func(p *Pair) float64 { return l1p(float64(p.SharedIXPs)) }},
		{name: "log_shared_facilities", factor: fShared, value: func(p *Pair) float64 { return l1p(float64(p.SharedFacilities)) }},
		{name: "log_shared_metros", factor: fShared, value: func(p *Pair) float64 { return l1p(float64(p.SharedMetros)) }},
		{name: "shared_share_of_smaller", factor: fShared, value: func(p *Pair) float64 { return shared(p) / minPoPs(p) }},
		{name: "log_shared_ix_members", factor: fShared, value: func(p *Pair) float64 { return l1p(float64(p.SharedIXMembers)) }},
		{name: "log_largest_shared_ix", factor: fShared, value: func(p *Pair) float64 { return l1p(float64(p.LargestSharedIX)) }},
		{name: "jaccard_pops", factor: fShared, value: func(p *Pair) float64 {
			union := float64(p.R.IXPs+p.R.Facilities+p.C.IXPs+p.C.Facilities) - shared(p)
			return shared(p) / math.Max(1, union)
		}},
		{name: "log_colocated_product", factor: fShared, value: func(p *Pair) float64 {
			return l1p(float64(p.R.Colocated)) * l1p(float64(p.C.Colocated))
		}},
		{name: "log_ports_min", factor: fShared, value: func(p *Pair) float64 { return math.Min(l1p(p.R.PortMbps), l1p(p.C.PortMbps)) }},
		{name: "both_open", factor: fPolicyPair, value: func(p *Pair) float64 { return b2f(open(&p.R) && open(&p.C)) }},
		{name: "either_closed", factor: fPolicyPair, value: func(p *Pair) float64 { return b2f(closed(&p.R) || closed(&p.C)) }},
		{name: "open_x_shared_ixps", factor: fPolicyPair, value: func(p *Pair) float64 {
			return b2f(open(&p.C)) * l1p(float64(p.SharedIXPs))
		}},
		{name: "log_colocated_min", factor: fShared, value: func(p *Pair) float64 {
			return math.Min(l1p(float64(p.R.Colocated)), l1p(float64(p.C.Colocated)))
		}},
		{name: "log_colocated_max", factor: fShared, value: func(p *Pair) float64 {
			return math.Max(l1p(float64(p.R.Colocated)), l1p(float64(p.C.Colocated)))
		}},
		{name: "willingness", factor: fMeta, value: func(p *Pair) float64 { return math.Max(p.W, 0) }},
		{name: "willingness_reverse", factor: fMeta, value: func(p *Pair) float64 { return math.Max(p.WReverse, 0) }},
		{name: "affinity", factor: fMeta, value: func(p *Pair) float64 { return math.Max(p.A, 0) }},
		{name: "alpha_requester", factor: fMeta, value: func(p *Pair) float64 { return math.Max(p.AlphaR, 0) }},
		{name: "alpha_candidate", factor: fMeta, value: func(p *Pair) float64 { return math.Max(p.AlphaC, 0) }},
		{name: "accepted_share_requester", factor: fContracts, value: func(p *Pair) float64 { return share(p.AcceptR, p.Possible) }},
		{name: "accepted_share_candidate", factor: fContracts, value: func(p *Pair) float64 { return share(p.AcceptC, p.Possible) }},
		{name: "no_contract", factor: fContracts, value: func(p *Pair) float64 { return b2f(p.AcceptR == 0 || p.AcceptC == 0) }},
		{name: "log_common_neighbours", factor: fNeighbours, topology: true, value: func(p *Pair) float64 { return l1p(float64(p.Graph.Common)) }},
		{name: "common_neighbours_share", factor: fNeighbours, topology: true, value: func(p *Pair) float64 {
			return float64(p.Graph.Common) / math.Max(1, math.Min(degree(p.R.Topology), degree(p.C.Topology)))
		}},
		{name: "log_common_peers", factor: fNeighbours, topology: true, value: func(p *Pair) float64 { return l1p(float64(p.Graph.CommonPeers)) }},
		{name: "log_common_providers", factor: fNeighbours, topology: true, value: func(p *Pair) float64 { return l1p(float64(p.Graph.CommonProviders)) }},
		{name: "log_common_customers", factor: fNeighbours, topology: true, value: func(p *Pair) float64 { return l1p(float64(p.Graph.CommonCustomers)) }},
		{name: "neighbours_jaccard", factor: fNeighbours, topology: true, value: func(p *Pair) float64 { return p.Graph.Jaccard }},
		{name: "neighbours_adamic_adar", factor: fNeighbours, topology: true, value: func(p *Pair) float64 { return p.Graph.AdamicAdar }},
		{name: "in_customer_cone", factor: fCone, topology: true, value: func(p *Pair) float64 { return b2f(p.Graph.InCone) }},
		{name: "colocated_peer_share_product", factor: fNeighbours, topology: true, value: func(p *Pair) float64 {
			return float64(colocatedPeers(p.R.Topology)*colocatedPeers(p.C.Topology)) / math.Max(1, float64(p.R.Colocated*p.C.Colocated))
		}},
		{name: "log_peer_degree_product", factor: fNeighbours, topology: true, value: func(p *Pair) float64 {
			return l1p(float64(peers(p.R.Topology))) * l1p(float64(peers(p.C.Topology)))
		}},
		{name: "log_cone_product", factor: fNeighbours, topology: true, value: func(p *Pair) float64 {
			return l1p(float64(cone(p.R.Topology))) * l1p(float64(cone(p.C.Topology)))
		}},
	}
	// Sizes interact: two large networks peer (visibly) far more often
	// than the sum of their sizes says.
	for _, x := range sizeMeasures {
		fs = append(fs, feature{name: "log_" + x.name + "_product", factor: fSizes, value: func(p *Pair) float64 { return x.v(&p.R) * x.v(&p.C) }})
	}
	// Which kinds of network meet: one indicator per pair of types, in
	// either order (transit–content is content–transit).
	kinds := append(slices.Clone(infoTypes), "other")
	kindOf := func(s *Side) string {
		t := typeOf(s)
		if !slices.Contains(infoTypes, t) {
			return "other"
		}
		return t
	}
	for i, x := range kinds {
		for _, y := range kinds[i:] {
			fs = append(fs, feature{name: "types_" + x + "_" + y, factor: fTypePair, value: func(p *Pair) float64 {
				a, b := kindOf(&p.R), kindOf(&p.C)
				return b2f((a == x && b == y) || (a == y && b == x))
			}})
		}
	}
	return fs
}

// typeOf is a side's info_type, with PeeringDB's older spellings mapped.
func typeOf(s *Side) string {
	t := norm(s.InfoType)
	switch t {
	case "cable/dsl/isp":
		return "access"
	case "nsp":
		return "transit"
	}
	return t
}

func degree(t *Topology) float64 {
	if t == nil {
		return 0
	}
	return float64(t.Peers + t.Providers + t.Customs)
}

func peers(t *Topology) int {
	if t == nil {
		return 0
	}
	return t.Peers
}

func colocatedPeers(t *Topology) int {
	if t == nil {
		return 0
	}
	return t.ColocatedPeers
}

func cone(t *Topology) int {
	if t == nil {
		return 0
	}
	return t.Cone
}

func share(a, b float64) float64 {
	if !(b > 0) {
		return 0
	}
	return a / b
}

// featureSet returns the model's inputs, with or without topology.
func featureSet(topology bool) []feature {
	if topology {
		return withTopology()
	}
	return withoutTopology()
}

// The feature lists are built once: Vector runs for every pair.
var (
	withTopology    = sync.OnceValue(func() []feature { return buildFeatureSet(true) })
	withoutTopology = sync.OnceValue(func() []feature { return buildFeatureSet(false) })
)

func buildFeatureSet(topology bool) []feature {
	r := func(p *Pair) *Side { return &p.R }
	c := func(p *Pair) *Side { return &p.C }
	all := sideFeatures("r_", r, fOurPolicy, fOurRecord, fOurType, fOurRatio, fOurScope, fOurSize, fOurReach, fOurTopo)
	all = append(all, sideFeatures("c_", c, fTheirPolicy, fTheirRecord, fTheirType, fTheirRatio, fTheirScope, fTheirSize, fTheirReach, fTheirTopo)...)
	all = append(all, pairFeatures()...)
	out := all[:0:0]
	for _, f := range all {
		if topology || !f.topology {
			out = append(out, f)
		}
	}
	return out
}

// FeatureNames lists the model's inputs in order.
func FeatureNames(topology bool) []string {
	fs := featureSet(topology)
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.name
	}
	return out
}

// Vector computes the model's inputs for a pair into dst (allocated when
// nil or short). Every value is finite.
func Vector(p *Pair, topology bool, dst []float64) []float64 {
	fs := featureSet(topology)
	if cap(dst) < len(fs) {
		dst = make([]float64, len(fs))
	}
	dst = dst[:len(fs)]
	for i, f := range fs {
		v := f.value(p)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0
		}
		dst[i] = v
	}
	return dst
}

// Swap returns the pair seen from the other side (C asks R).
func (p Pair) Swap() Pair {
	q := p
	q.R, q.C = p.C, p.R
	q.W, q.WReverse = p.WReverse, p.W
	q.AlphaR, q.AlphaC = p.AlphaC, p.AlphaR
	q.AcceptR, q.AcceptC = p.AcceptC, p.AcceptR
	return q
}

// describe says in words what a factor is for this pair, e.g.
// "their peering policy is Restrictive", "4 shared IXPs".
func describe(factor string, p *Pair) string {
	if rest, ok := strings.CutPrefix(factor, "our "); ok {
		return describeSide("our", rest, &p.R)
	}
	if rest, ok := strings.CutPrefix(factor, "their "); ok {
		return describeSide("their", rest, &p.C)
	}
	switch factor {
	case fShared:
		return fmt.Sprintf("shares %s and %s in %s", count(p.SharedIXPs, "IXP"), count(p.SharedFacilities, "facility"), count(p.SharedMetros, "metro"))
	case fPolicyPair:
		return fmt.Sprintf("policies %s / %s", or(p.R.Policy, "not disclosed"), or(p.C.Policy, "not disclosed"))
	case fMeta:
		return fmt.Sprintf("willingness %.2f (reverse %.2f), affinity %.2f", math.Max(p.W, 0), math.Max(p.WReverse, 0), math.Max(p.A, 0))
	case fContracts:
		if p.AcceptR == 0 || p.AcceptC == 0 {
			return "no contract both sides' ratio filters accept"
		}
		return fmt.Sprintf("we accept %.0f and they accept %.0f of %.0f contracts", p.AcceptR, p.AcceptC, p.Possible)
	case fNeighbours:
		return fmt.Sprintf("%d common neighbours (%d common peers)", p.Graph.Common, p.Graph.CommonPeers)
	case fCone:
		if p.Graph.InCone {
			return "one is in the other's customer cone"
		}
		return "neither is in the other's customer cone"
	case fSizes:
		return fmt.Sprintf("sizes together: %d and %d IXPs, %s and %s of IX ports", p.R.IXPs, p.C.IXPs, formatMbps(p.R.PortMbps), formatMbps(p.C.PortMbps))
	case fTypePair:
		return fmt.Sprintf("a %s network meets a %s network", or(p.R.InfoType, "undisclosed"), or(p.C.InfoType, "undisclosed"))
	case fRouteServers:
		return fmt.Sprintf("route-server use %.0f%% / %.0f%% of ports", 100*p.R.RouteServerShare, 100*p.C.RouteServerShare)
	}
	return factor
}

// describeSide says what one side's factor is ("peering policy", "size",
// …) for that side; whose is "our" or "their".
func describeSide(whose, what string, s *Side) string {
	switch what {
	case "peering policy":
		text := fmt.Sprintf("%s peering policy is %s", whose, or(s.Policy, "not disclosed"))
		// The details in the words of the features, not PeeringDB's
		// (free text from outside stays out of the explanation).
		var terms []string
		switch {
		case strings.HasPrefix(norm(s.PolicyLocations), "required"):
			terms = append(terms, "locations required")
		case norm(s.PolicyLocations) == "preferred":
			terms = append(terms, "locations preferred")
		}
		switch norm(s.PolicyContracts) {
		case "required":
			terms = append(terms, "a contract required")
		case "private only":
			terms = append(terms, "private contracts only")
		}
		if s.PolicyRatio {
			terms = append(terms, "a traffic ratio required")
		}
		if len(terms) > 0 {
			text += " (" + strings.Join(terms, ", ") + ")"
		}
		return text
	case "PeeringDB record":
		var has []string
		for _, x := range []struct {
			ok   bool
			what string
		}{{s.LookingGlass, "a looking glass"}, {s.RouteServer, "a route server"}, {s.IRRASSet, "an IRR as-set"},
			{s.PolicyURL, "a policy URL"}, {s.IPv6, "IPv6"}, {s.Multicast, "multicast"}, {s.Contacts, "contacts"},
			{s.ExchangesUpdate, "exchanges may update its ports"}} {
			if x.ok {
				has = append(has, x.what)
			}
		}
		list := "nothing more"
		if len(has) > 0 {
			list = strings.Join(has, ", ")
		}
		changed, pops := "at an unknown time", "unknown"
		if s.UpdatedYears >= 0 {
			changed = yearsAgo(s.UpdatedYears) + " before the snapshot"
		}
		if s.PoPsUpdatedYears >= 0 {
			pops = yearsAgo(s.PoPsUpdatedYears) + " before"
		}
		return fmt.Sprintf("%s PeeringDB record: %s old, last changed %s (PoPs %s), lists %s", whose, yearsAgo(s.AgeYears), changed, pops, list)
	case "network type":
		return fmt.Sprintf("%s network type is %s", whose, or(s.InfoType, "not disclosed"))
	case "traffic ratio":
		return fmt.Sprintf("%s traffic ratio is %s", whose, or(s.Ratio, "not disclosed"))
	case "scope":
		return fmt.Sprintf("%s scope is %s", whose, or(s.Scope, "not disclosed"))
	case "size":
		traffic := "undeclared traffic"
		if s.TrafficMbps > 0 {
			traffic = formatMbps(s.TrafficMbps) + " declared"
		}
		return fmt.Sprintf("%s size: %s, %d IPv4 / %d IPv6 prefixes", whose, traffic, s.Prefixes4, s.Prefixes6)
	case "presence":
		return fmt.Sprintf("%s presence: %d IXPs, %d facilities, %d networks co-located", whose, s.IXPs, s.Facilities, s.Colocated)
	case "place in the topology":
		if s.Topology == nil || !s.Topology.Known {
			return whose + " network is absent from the relationships file"
		}
		t := s.Topology
		return fmt.Sprintf("%s topology: %d peers (%d of them co-located), %d providers, customer cone %d", whose, t.Peers, t.ColocatedPeers, t.Providers, t.Cone)
	}
	return whose + " " + what
}

// or is s, or def when s is blank.
func or(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

func formatMbps(m float64) string {
	switch {
	case m >= 1e6:
		return fmt.Sprintf("%.3g Tbps", m/1e6)
	case m >= 1e3:
		return fmt.Sprintf("%.3g Gbps", m/1e3)
	}
	return fmt.Sprintf("%.3g Mbps", m)
}

// count is n and the noun, in the plural unless n is 1.
func count(n int, noun string) string {
	switch {
	case n == 1:
		return "1 " + noun
	case strings.HasSuffix(noun, "y"):
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// yearsAgo says a span of years in words: "2 months", "1.5 years".
func yearsAgo(y float64) string {
	if months := int(math.Round(y * 12)); months < 12 {
		if months == 0 {
			return "under a month"
		}
		return count(months, "month")
	}
	return fmt.Sprintf("%.1f years", y)
}
