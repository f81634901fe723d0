package asrel

import (
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

	mu    sync.Mutex
	cones map[int32]int
}

// Graph builds the graph of the set's links (siblings count as
// neighbours only).
func (s *Set) Graph() *Graph {
	g := &Graph{index: make(map[bgp.ASN]int32), cones: map[int32]int{}}
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
	for _, n := range g.neighbours {
		slices.Sort(n)
	}
	return g
}

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
	g.mu.Lock()
	defer g.mu.Unlock()
	if c, ok := g.cones[i]; ok {
		return c
	}
	seen := map[int32]bool{i: true}
	stack := []int32{i}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range g.customers[x] {
			if !seen[c] {
				seen[c] = true
				stack = append(stack, c)
			}
		}
	}
	g.cones[i] = len(seen)
	return len(seen)
}

// CommonNeighbours counts the networks linked to both a and b.
func (g *Graph) CommonNeighbours(a, b bgp.ASN) int {
	i, ok1 := g.index[a]
	j, ok2 := g.index[b]
	if !ok1 || !ok2 {
		return 0
	}
	x, y := g.neighbours[i], g.neighbours[j]
	n := 0
	for p, q := 0, 0; p < len(x) && q < len(y); {
		switch {
		case x[p] < y[q]:
			p++
		case x[p] > y[q]:
			q++
		default:
			n++
			p++
			q++
		}
	}
	return n
}
