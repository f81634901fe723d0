package score

import "math"

// Population is what scoring asks of a population data set. The real one
// is package population (through a small adapter); tests use synthetic ones.
type Population interface {
	// Near returns the population within radiusKm (great-circle) of a point.
	Near(lat, lon, radiusKm float64) float64
	// Cover returns the coverage area of a set of sites: their convex hull
	// united with a radiusKm disc around each (docs/scoring.md, paper
	// profile step 8).
	Cover(sites []LatLon, radiusKm float64) Area
}

// Area is a coverage area that knows its population.
type Area interface {
	// Population is the population inside the area.
	Population() float64
	// Overlap is the population inside both this area and other. other
	// comes from the same Population.
	Overlap(other Area) float64
}

// LatLon is a point in degrees.
type LatLon struct{ Lat, Lon float64 }

// Profile is a network prepared for scoring: what depends on the network
// alone (its effective ratio type, gravity traffic estimate and coverage) is
// computed once and reused for every pair it is part of.
type Profile struct {
	Network Network
	// Ratio is the type used for filtering; RatioAssumed says it came from
	// Params.AssumeRatio rather than from the network.
	Ratio        Ratio
	RatioAssumed bool
	// Gravity is T from the gravity model, in model units (docs/scoring.md,
	// paper profile step 3).
	Gravity float64
	// Located counts the PoPs with coordinates (the gravity model and the
	// coverage use only those).
	Located int
	// Coverage is the hull ∪ discs area, nil when no PoP has coordinates.
	Coverage Area
	// CoveragePopulation is Coverage's population (0 without coverage).
	CoveragePopulation float64
	// Volume is the network's total traffic in Mbps for the exchange
	// model, and VolumeSource where it came from: "measured" (policy),
	// "peeringdb" (info_traffic) or "ports" (port capacity × utilisation).
	Volume       float64
	VolumeSource string
	// near is the population within the radius of each located PoP, by
	// PoP key: the geography that splits exchange traffic across PoPs.
	near map[string]float64
}

// Prepare computes a network's profile. pop must not be nil.
func Prepare(n Network, pop Population, p Params) *Profile {
	pr := &Profile{Network: n, Ratio: n.Ratio}
	if r, ok := p.AssumeRatio[n.ASN]; ok {
		pr.Ratio, pr.RatioAssumed = r, true
	}
	var sites []LatLon
	var ps []float64
	pr.near = make(map[string]float64, len(n.PoPs))
	for _, q := range n.PoPs {
		if q.HasLocation && validLatLon(q.Lat, q.Lon) {
			sites = append(sites, LatLon{q.Lat, q.Lon})
			near := pop.Near(q.Lat, q.Lon, p.RadiusKm)
			ps = append(ps, near)
			pr.near[q.Key] = near
		}
	}
	pr.Located = len(sites)
	pr.Gravity = gravity(sites, ps, p.RadiusKm)
	pr.Volume, pr.VolumeSource = volume(n, p)
	if len(sites) > 0 {
		pr.Coverage = pop.Cover(sites, p.RadiusKm)
		pr.CoveragePopulation = pr.Coverage.Population()
	}
	return pr
}

// volume is a network's total traffic in Mbps for the exchange model and
// where it came from: measured (policy), declared in PeeringDB, or its
// port capacity × utilisation.
func volume(n Network, p Params) (float64, string) {
	switch {
	case n.TrafficMbps > 0:
		return n.TrafficMbps, "measured"
	case n.DeclaredTrafficMbps > 0:
		return n.DeclaredTrafficMbps, "peeringdb"
	}
	var ports float64
	for _, q := range n.PoPs {
		ports += capacity(q, p)
	}
	return ports * p.PortUtilisation, "ports"
}

// InboundMbps is what a network receives under the exchange model: its
// volume times its inbound share (from its ratio type, or p.AssumeRatio).
// Summed over the networks of a PeeringDB snapshot it is Params.InboundMbps.
func InboundMbps(n Network, p Params) float64 {
	r := n.Ratio
	if a, ok := p.AssumeRatio[n.ASN]; ok {
		r = a
	}
	v, _ := volume(n, p)
	return v * (1 - outShare(r))
}

// gravity is T = Σ_{i≠j} P_i·P_j / max(d_ij, r)², ps[i] the population
// within r of site i. Sites at one place still count as a pair at distance
// r: an IXP and the facility it lives in are two PoPs.
func gravity(sites []LatLon, ps []float64, r float64) float64 {
	if len(sites) < 2 {
		return 0
	}
	vs := make([][3]float64, len(sites))
	for i, s := range sites {
		vs[i] = unitVector(s.Lat, s.Lon)
	}
	var t float64
	for i := range sites {
		if ps[i] == 0 {
			continue
		}
		for j := i + 1; j < len(sites); j++ {
			d := math.Max(chordToKm(vs[i], vs[j]), r)
			t += 2 * ps[i] * ps[j] / (d * d)
		}
	}
	return t
}

// EarthRadiusKm is the mean Earth radius used for every distance.
const EarthRadiusKm = 6371.0088

func validLatLon(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

func unitVector(lat, lon float64) [3]float64 {
	φ, λ := lat*math.Pi/180, lon*math.Pi/180
	return [3]float64{math.Cos(φ) * math.Cos(λ), math.Cos(φ) * math.Sin(λ), math.Sin(φ)}
}

// chordToKm is the great-circle distance between two unit vectors, via the
// chord length (accurate at every distance, unlike acos of the dot product
// at small ones).
func chordToKm(a, b [3]float64) float64 {
	dx, dy, dz := a[0]-b[0], a[1]-b[1], a[2]-b[2]
	c := math.Sqrt(dx*dx+dy*dy+dz*dz) / 2
	return 2 * math.Asin(math.Min(1, c)) * EarthRadiusKm
}

// DistanceKm is the great-circle distance between two points in degrees.
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	return chordToKm(unitVector(lat1, lon1), unitVector(lat2, lon2))
}

// outShare is the share of a network's traffic that it sends, by declared
// ratio type: the middle of each type's band (Heavy 1:9 to 1:3 → 0.85,
// Mostly 1:3 to 1:1.5 → 0.7). Not Disclosed counts as Balanced.
func outShare(r Ratio) float64 {
	switch r {
	case HeavyOutbound:
		return 0.85
	case MostlyOutbound:
		return 0.7
	case MostlyInbound:
		return 0.3
	case HeavyInbound:
		return 0.15
	}
	return 0.5
}
