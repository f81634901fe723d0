package asrel

import (
	"math"
	"slices"
	"sync"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Graph is the AS graph of a relationship set, for topology features:
// each network's providers, customers and peers, its customer cone and
// the neighbours two networks share. Safe for concurrent use.
type Graph struct {
	index      map[bgp.ASN]int32
	providers  [][]int32
	customers  [][]int32
	peers      [][]int32
	neighbours [][]int32 // every neighbour, ascending
	set        *Set

	mu    sync.Mutex
	cones map[int32][]int32 // customer cone members, ascending
}

// Graph builds the graph of the set's links (siblings count as
// neighbours only).
func (s *Set) Graph() *Graph {
	g := &Graph{index: make(map[bgp.ASN]int32), cones: map[int32][]int32{}, set: s}
	id := func(a bgp.ASN) int32 {
		if i, ok := g.index[a]; ok {
			return i
		}
		i := int32(len(g.index))
		g.index[a] = i
		g.providers, g.customers = append(g.providers, nil), append(g.customers, nil)
		g.peers, g.neighbours = append(g.peers, nil), append(g.neighbours, nil)
		return i
	}
	for k, rel := range s.links {
		a, b := id(k[0]), id(k[1])
		switch rel {
		case ProviderToCustomer:
			g.customers[a] = append(g.customers[a], b)
			g.providers[b] = append(g.providers[b], a)
		case CustomerToProvider:
			g.customers[b] = append(g.customers[b], a)
			g.providers[a] = append(g.providers[a], b)
		case PeerToPeer:
			g.peers[a] = append(g.peers[a], b)
			g.peers[b] = append(g.peers[b], a)
		}
		g.neighbours[a] = append(g.neighbours[a], b)
		g.neighbours[b] = append(g.neighbours[b], a)
	}
	for _, list := range [][][]int32{g.neighbours, g.peers, g.providers, g.customers} {
		for _, n := range list {
			slices.Sort(n)
		}
	}
	return g
}

// Lookup is the set's Lookup: how a relates to b in the file.
func (g *Graph) Lookup(a, b bgp.ASN) (Rel, bool) { return g.set.Lookup(a, b) }

// Node is one network's place in the graph.
type Node struct {
	Known                       bool
	Providers, Customers, Peers int
}

// Node returns asn's degrees by relationship; Known is false when asn has
// no link in the set.
func (g *Graph) Node(asn bgp.ASN) Node {
	i, ok := g.index[asn]
	if !ok {
		return Node{}
	}
	return Node{Known: true, Providers: len(g.providers[i]), Customers: len(g.customers[i]), Peers: len(g.peers[i])}
}

// Cone is the size of asn's customer cone: itself and every network
// reachable by going down provider-to-customer links (0 when unknown).
func (g *Graph) Cone(asn bgp.ASN) int {
	i, ok := g.index[asn]
	if !ok {
		return 0
	}
	return len(g.cone(i))
}

// cone returns the members of i's customer cone, ascending (cached).
func (g *Graph) cone(i int32) []int32 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.cones[i]; ok {
		return c
	}
	seen := map[int32]bool{i: true}
	members := []int32{i}
	for stack := []int32{i}; len(stack) > 0; {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range g.customers[x] {
			if !seen[c] {
				seen[c] = true
				members = append(members, c)
				stack = append(stack, c)
			}
		}
	}
	slices.Sort(members)
	g.cones[i] = members
	return members
}

// Similarity is how close two networks are in the graph.
type Similarity struct {
	// Common counts the networks linked to both; CommonPeers,
	// CommonProviders and CommonCustomers those linked to both in the
	// same role.
	Common, CommonPeers, CommonProviders, CommonCustomers int
	// Jaccard is Common over the networks linked to either.
	Jaccard float64
	// AdamicAdar sums 1/ln(1+degree) over the common neighbours: a
	// neighbour shared by few networks says more than a tier-1 does.
	AdamicAdar float64
	// InCone says one is in the other's customer cone (a customer, or a
	// customer's customer: networks that buy transit from each other's
	// side seldom peer).
	InCone bool
}

// Similarity compares a and b (zero when either is not in the graph).
func (g *Graph) Similarity(a, b bgp.ASN) Similarity {
	i, ok1 := g.index[a]
	j, ok2 := g.index[b]
	if !ok1 || !ok2 {
		return Similarity{}
	}
	var s Similarity
	for _, z := range intersect(g.neighbours[i], g.neighbours[j]) {
		s.Common++
		s.AdamicAdar += 1 / math.Log1p(float64(len(g.neighbours[z])))
	}
	s.CommonPeers = len(intersect(g.peers[i], g.peers[j]))
	s.CommonProviders = len(intersect(g.providers[i], g.providers[j]))
	s.CommonCustomers = len(intersect(g.customers[i], g.customers[j]))
	if union := len(g.neighbours[i]) + len(g.neighbours[j]) - s.Common; union > 0 {
		s.Jaccard = float64(s.Common) / float64(union)
	}
	_, inI := slices.BinarySearch(g.cone(i), j)
	_, inJ := slices.BinarySearch(g.cone(j), i)
	s.InCone = inI || inJ
	return s
}

// intersect returns the members of two ascending lists found in both.
func intersect(x, y []int32) []int32 {
	var out []int32
	for p, q := 0, 0; p < len(x) && q < len(y); {
		switch {
		case x[p] < y[q]:
			p++
		case x[p] > y[q]:
			q++
		default:
			out = append(out, x[p])
			p++
			q++
		}
	}
	return out
}
