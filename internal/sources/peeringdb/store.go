package peeringdb

import (
	"cmp"
	"log/slog"
	"maps"
	"math"
	"net/netip"
	"slices"
	"sort"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Store is an indexed PeeringDB snapshot. It is read-only after loading and
// safe for concurrent readers; every method returns copies the caller may
// change.
type Store struct {
	meta       Meta
	orgs       map[int]Org
	nets       []Net // sorted by ASN
	netByASN   map[bgp.ASN]int
	facs       map[int]Fac
	ixs        map[int]IX
	ixPrefixes map[int][]netip.Prefix  // by IX id, sorted
	facsOfNet  map[bgp.ASN][]netfacRef // sorted by fac id, one per fac
	portsOfNet map[bgp.ASN][]NetIXLAN  // sorted by (IX id, id)
	contacts   map[bgp.ASN][]Contact   // sorted by role, then id
}

// netfacRef is a network's presence at a facility, with the facility's name
// as the netfac row repeats it (used when the snapshot lacks the fac row).
type netfacRef struct {
	FacID               int
	Name, City, Country string
}

func (b *builder) build(log *slog.Logger) *Store {
	s := &Store{
		meta:       b.meta,
		orgs:       b.orgs,
		facs:       b.facs,
		ixs:        b.ixs,
		netByASN:   make(map[bgp.ASN]int, len(b.nets)),
		ixPrefixes: map[int][]netip.Prefix{},
		facsOfNet:  map[bgp.ASN][]netfacRef{},
		portsOfNet: map[bgp.ASN][]NetIXLAN{},
		contacts:   map[bgp.ASN][]Contact{},
	}

	slices.SortFunc(b.nets, func(x, y Net) int { return cmp.Or(cmp.Compare(x.ASN, y.ASN), cmp.Compare(x.ID, y.ID)) })
	netASN := make(map[int]bgp.ASN, len(b.nets))
	for _, n := range b.nets {
		if _, dup := s.netByASN[n.ASN]; dup {
			b.skipf("net %d: skipped, %s is already net %d", n.ID, n.ASN, s.nets[s.netByASN[n.ASN]].ID)
			s.meta.Counts["net"]--
			continue
		}
		s.netByASN[n.ASN] = len(s.nets)
		s.nets = append(s.nets, n)
		netASN[n.ID] = n.ASN
	}

	b.indexIXFacilities(s)
	b.indexContacts(s, netASN)

	for _, lp := range b.ixpfx {
		ixID, ok := b.ixlanIX[lp.ixlanID]
		if !ok {
			continue // its ixlan is not in the snapshot: no IX to attach it to
		}
		s.ixPrefixes[ixID] = append(s.ixPrefixes[ixID], lp.prefix)
	}
	for id, ps := range s.ixPrefixes {
		slices.SortFunc(ps, comparePrefix)
		s.ixPrefixes[id] = slices.Compact(ps)
	}

	for _, r := range b.netfac {
		asn, ok := netASN[r.NetID]
		if !ok {
			if asn, ok = validASN(r.LocalASN); !ok {
				continue
			}
		}
		s.facsOfNet[asn] = append(s.facsOfNet[asn], netfacRef{FacID: r.FacID, Name: r.Name, City: r.City, Country: r.Country})
	}
	for asn, refs := range s.facsOfNet {
		slices.SortStableFunc(refs, func(x, y netfacRef) int { return cmp.Compare(x.FacID, y.FacID) })
		s.facsOfNet[asn] = slices.CompactFunc(refs, func(x, y netfacRef) bool { return x.FacID == y.FacID })
	}

	for _, p := range b.ports {
		s.portsOfNet[p.ASN] = append(s.portsOfNet[p.ASN], p)
	}
	for _, ps := range s.portsOfNet {
		slices.SortFunc(ps, func(x, y NetIXLAN) int { return cmp.Or(cmp.Compare(x.IXID, y.IXID), cmp.Compare(x.ID, y.ID)) })
	}

	s.meta.Skipped, s.meta.Warnings = b.meta.Skipped, b.meta.Warnings
	if s.meta.Skipped > 0 {
		log.Warn("skipped PeeringDB rows with impossible values", "source", s.meta.Source, "rows", s.meta.Skipped,
			"first", firstOr(s.meta.Warnings, ""))
	}
	return s
}

// indexIXFacilities gives each IX its facility list and the centroid of those
// facilities' coordinates (docs/scoring.md, paper profile step 1: an IX has no
// location of its own in PeeringDB).
func (b *builder) indexIXFacilities(s *Store) {
	facsOfIX := map[int][]int{}
	for _, r := range b.ixfac {
		facsOfIX[r.IXID] = append(facsOfIX[r.IXID], r.FacID)
	}
	for id, ix := range s.ixs {
		ids := facsOfIX[id]
		slices.Sort(ids)
		ix.FacIDs = slices.Compact(ids)
		var located []Fac
		for _, fid := range ix.FacIDs {
			if f, ok := s.facs[fid]; ok && f.HasLocation {
				located = append(located, f)
			}
		}
		ix.Lat, ix.Lon, ix.HasLocation = centroid(located)
		s.ixs[id] = ix
	}
}

// centroid is the spherical mean of the facilities' positions: the mean of
// their unit vectors, projected back to the surface. Unlike averaging
// degrees it is right across the antimeridian. One facility is returned
// exactly.
func centroid(fs []Fac) (lat, lon float64, ok bool) {
	switch len(fs) {
	case 0:
		return 0, 0, false
	case 1:
		return fs[0].Lat, fs[0].Lon, true
	}
	var x, y, z float64
	for _, f := range fs {
		φ, λ := f.Lat*math.Pi/180, f.Lon*math.Pi/180
		x += math.Cos(φ) * math.Cos(λ)
		y += math.Cos(φ) * math.Sin(λ)
		z += math.Sin(φ)
	}
	if math.Hypot(math.Hypot(x, y), z) < 1e-9 {
		return 0, 0, false // facilities on opposite sides of the earth: no meaningful centre
	}
	return math.Atan2(z, math.Hypot(x, y)) * 180 / math.Pi, math.Atan2(y, x) * 180 / math.Pi, true
}

func comparePrefix(a, b netip.Prefix) int {
	return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}

// Meta returns where the snapshot came from and what it holds.
func (s *Store) Meta() Meta {
	m := s.meta
	m.Counts = maps.Clone(s.meta.Counts)
	m.Warnings = slices.Clone(s.meta.Warnings)
	return m
}

// Net returns the network with the given AS number.
func (s *Store) Net(asn bgp.ASN) (Net, bool) {
	i, ok := s.netByASN[asn]
	if !ok {
		return Net{}, false
	}
	return s.nets[i], true
}

// Nets returns every network, sorted by AS number.
func (s *Store) Nets() []Net { return slices.Clone(s.nets) }

// Org returns an organisation.
func (s *Store) Org(id int) (Org, bool) {
	o, ok := s.orgs[id]
	return o, ok
}

// IX returns an exchange point, with its facilities and their centroid.
func (s *Store) IX(id int) (IX, bool) {
	ix, ok := s.ixs[id]
	ix.FacIDs = slices.Clone(ix.FacIDs)
	return ix, ok
}

// Fac returns a facility.
func (s *Store) Fac(id int) (Fac, bool) {
	f, ok := s.facs[id]
	return f, ok
}

// IXPrefixes returns the peering LAN prefixes of an IX (all its ixlans),
// IPv4 before IPv6, each ascending.
func (s *Store) IXPrefixes(ixID int) []netip.Prefix { return slices.Clone(s.ixPrefixes[ixID]) }

// NetIXLANs returns all ports of a network at an IX, by netixlan id.
func (s *Store) NetIXLANs(asn bgp.ASN, ixID int) []NetIXLAN {
	ports := s.portsOfNet[asn]
	lo := sort.Search(len(ports), func(i int) bool { return ports[i].IXID >= ixID })
	hi := lo
	for hi < len(ports) && ports[hi].IXID == ixID {
		hi++
	}
	return slices.Clone(ports[lo:hi])
}

// PoPs returns a network's points of presence, sorted by (Kind, ID): its
// facilities (netfac) and IXs (netixlan). An IX's SpeedMbps is the sum of
// the network's port speeds there; its coordinates are its facilities'
// centroid. A PoP the snapshot has no fac or ix row for keeps the name the
// netfac or netixlan row gives, without a location.
func (s *Store) PoPs(asn bgp.ASN) []PoP {
	refs, ports := s.facsOfNet[asn], s.portsOfNet[asn]
	out := make([]PoP, 0, len(refs)+len(ports))
	for _, r := range refs {
		p := PoP{Kind: KindFac, ID: r.FacID, Name: r.Name, City: r.City, Country: r.Country}
		if f, ok := s.facs[r.FacID]; ok {
			p.Name, p.City, p.Country = f.Name, f.City, f.Country
			p.Lat, p.Lon, p.HasLocation = f.Lat, f.Lon, f.HasLocation
		}
		out = append(out, p)
	}
	for i := 0; i < len(ports); {
		first := ports[i]
		p := PoP{Kind: KindIX, ID: first.IXID, Name: first.Name}
		if ix, ok := s.ixs[first.IXID]; ok {
			p.Name, p.City, p.Country = ix.Name, ix.City, ix.Country
			p.Lat, p.Lon, p.HasLocation = ix.Lat, ix.Lon, ix.HasLocation
		}
		for ; i < len(ports) && ports[i].IXID == first.IXID; i++ {
			p.SpeedMbps += ports[i].SpeedMbps
		}
		out = append(out, p)
	}
	return out
}

// CommonPoPs returns the PoPs where both networks are present, matched on
// (Kind, ID) and sorted that way; each side keeps its own port capacity.
func (s *Store) CommonPoPs(a, b bgp.ASN) []CommonPoP {
	pa, pb := s.PoPs(a), s.PoPs(b)
	var out []CommonPoP
	for i, j := 0, 0; i < len(pa) && j < len(pb); {
		switch c := comparePoP(pa[i], pb[j]); {
		case c < 0:
			i++
		case c > 0:
			j++
		default:
			out = append(out, CommonPoP{A: pa[i], B: pb[j]})
			i++
			j++
		}
	}
	return out
}

func comparePoP(a, b PoP) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID)) }
