package irrtest

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/irr"
)

// Generator adds synthetic, deterministic IRR data to a DB: AS-SETs over
// public-range AS numbers and route objects for them. Addresses come from
// a counter, so generated prefixes never overlap between ASNs; within one
// ASN neighbours are common, so aggregation has work to do. The numbers
// are made up: they are not real registrations.
type Generator struct {
	DB     *irr.DB
	Source string // default "TEST"
	rng    *rand.Rand
	next4  uint32 // next free IPv4 /24, as an address
	next6  uint64 // next free IPv6 /48, as the top 64 bits
	nextAS bgp.ASN
}

// NewGenerator starts generating into db with the given seed. ASNs start
// at 200000 and IPv4 space at 11.0.0.0, far from bogons.
func NewGenerator(db *irr.DB, seed uint64) *Generator {
	return &Generator{
		DB: db, Source: "TEST", rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		next4: 11 << 24, next6: 0x2a00 << 48, nextAS: 200000,
	}
}

// ASN returns a fresh AS number with v4 IPv4 and v6 IPv6 route objects.
func (g *Generator) ASN(v4, v6 int) bgp.ASN {
	a := g.nextAS
	g.nextAS++
	for i := 0; i < v4; {
		// Runs of adjacent /24s, sometimes with their covering /23 or
		// /22, sometimes a lone /22 or /20.
		switch k := g.rng.IntN(10); {
		case k < 5:
			g.route4(a, g.next4, 24)
			g.next4 += 1 << 8
			i++
		case k < 8 && v4-i >= 2:
			base := g.align4(9)
			g.route4(a, base, 24)
			g.route4(a, base+1<<8, 24)
			i += 2
			if k == 7 && i < v4 {
				g.route4(a, base, 23)
				i++
			}
		case k == 8:
			g.route4(a, g.align4(10), 22)
			i++
		default:
			g.route4(a, g.align4(12), 20)
			i++
		}
	}
	for i := 0; i < v6; i++ {
		bitsLen := 48
		if g.rng.IntN(4) == 0 {
			bitsLen = 32
			g.next6 = (g.next6 + 1<<32 - 1) &^ (1<<32 - 1)
		}
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], g.next6)
		g.DB.AddPrefix(g.Source, netip.PrefixFrom(netip.AddrFrom16(b), bitsLen), a)
		if bitsLen == 32 {
			g.next6 += 1 << 32
		} else {
			g.next6 += 1 << 16
		}
	}
	return a
}

// align4 returns the next free block of 2^bits addresses, aligned.
func (g *Generator) align4(bits uint) uint32 {
	size := uint32(1) << bits
	base := (g.next4 + size - 1) &^ (size - 1)
	g.next4 = base + size
	return base
}

func (g *Generator) route4(a bgp.ASN, addr uint32, bits int) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], addr)
	g.DB.AddPrefix(g.Source, netip.PrefixFrom(netip.AddrFrom4(b), bits), a)
}

// LargeSet is the shape of a big nested AS-SET.
type LargeSet struct {
	Name          string
	ASNs          int // member ASNs in total
	V4, V6        int // route objects in total (spread over the ASNs)
	Depth         int // levels of nesting, the root being level 1
	Fanout        int // child sets per set (default 4)
	Loop          bool
	MembersPerSet int // direct ASN members per nested set (default: even split)
}

// AddLargeSet adds a tree of sets: the root, Fanout children each, down to
// Depth levels, with the ASNs spread over all sets and, with Loop, the
// deepest sets listing the root again. It returns the member ASNs.
func (g *Generator) AddLargeSet(ls LargeSet) []bgp.ASN {
	if ls.Fanout <= 0 {
		ls.Fanout = 4
	}
	if ls.Depth <= 0 {
		ls.Depth = 1
	}
	var names [][]string // per level
	names = append(names, []string{ls.Name})
	for d := 1; d < ls.Depth; d++ {
		var lvl []string
		for i := 0; i < len(names[d-1])*ls.Fanout; i++ {
			lvl = append(lvl, fmt.Sprintf("%s-L%d-%d", ls.Name, d+1, i))
		}
		names = append(names, lvl)
	}
	var all []string
	for _, lvl := range names {
		all = append(all, lvl...)
	}
	members := make(map[string][]string, len(all))
	asns := make([]bgp.ASN, ls.ASNs)
	for i := range asns {
		v4 := ls.V4 / ls.ASNs
		if i < ls.V4%ls.ASNs {
			v4++
		}
		v6 := ls.V6 / ls.ASNs
		if i < ls.V6%ls.ASNs {
			v6++
		}
		asns[i] = g.ASN(v4, v6)
		set := all[i%len(all)]
		members[set] = append(members[set], asns[i].String())
	}
	for d, lvl := range names {
		for i, name := range lvl {
			if d+1 < len(names) {
				for k := 0; k < ls.Fanout; k++ {
					members[name] = append(members[name], names[d+1][i*ls.Fanout+k])
				}
			} else if ls.Loop && i%7 == 0 {
				members[name] = append(members[name], ls.Name)
			}
			g.DB.AddSet(g.Source, name, members[name]...)
		}
	}
	return asns
}

// AddPeerSets adds n AS-SETs named AS-PEER<i> the way a real IXP's
// peers look: most are one to a few ASNs, some are regional networks with
// tens of customers, a few are transit providers with thousands; many
// include a shared set of common customers (AS-SHARED-CUSTOMERS) and
// ASNs from a shared pool, so their expansions overlap.
func (g *Generator) AddPeerSets(n int) []string {
	pool := make([]bgp.ASN, 400)
	for i := range pool {
		pool[i] = g.ASN(1+g.rng.IntN(20), g.rng.IntN(4))
	}
	shared := make([]string, 0, 150)
	for _, a := range pool[:150] {
		shared = append(shared, a.String())
	}
	g.DB.AddSet(g.Source, "AS-SHARED-CUSTOMERS", shared...)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("AS-PEER%d", i)
		var members []string
		own, fromPool := 1+g.rng.IntN(3), 0
		switch k := g.rng.IntN(20); {
		case k < 14: // small
		case k < 19: // regional
			own, fromPool = 5+g.rng.IntN(30), 10+g.rng.IntN(40)
			members = append(members, "AS-SHARED-CUSTOMERS")
		default: // transit
			own, fromPool = 200+g.rng.IntN(300), 200
			members = append(members, "AS-SHARED-CUSTOMERS")
		}
		for range own {
			members = append(members, g.ASN(1+g.rng.IntN(8), g.rng.IntN(3)).String())
		}
		for range fromPool {
			members = append(members, pool[g.rng.IntN(len(pool))].String())
		}
		g.DB.AddSet(g.Source, names[i], members...)
	}
	return names
}
