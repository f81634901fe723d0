package population

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// EarthRadiusKm is the mean Earth radius used for every distance.
const EarthRadiusKm = 6371.0088

// MaxPoints bounds a data set, so a hostile or mistaken file cannot
// exhaust memory (the embedded set has about 138,000).
const MaxPoints = 20_000_000

// MaxPlacePopulation bounds a single point's population (the largest
// metropolitan areas are under 4·10^7; a grid cell cannot exceed the Earth).
const MaxPlacePopulation = 1e10

// Point is a place or grid-cell centre with its population.
type Point struct {
	Lat, Lon   float64
	Population float64
}

// Set is a population data set indexed for spherical queries. It is
// read-only after construction and safe for concurrent use.
type Set struct {
	pts []indexed
	// band[b] is the index of the first point of latitude band b (1° wide,
	// b = floor(lat+90)); band[180] is len(pts). Within a band, points are
	// sorted by longitude.
	band  [181]int
	total float64
}

type indexed struct {
	lon float64 // for the longitude search within a band
	v   vec
	pop float64
}

// NewSet indexes points. Points with invalid coordinates or a population
// outside [0, MaxPlacePopulation] are an error; zero-population points are
// dropped.
func NewSet(points []Point) (*Set, error) {
	if len(points) > MaxPoints {
		return nil, fmt.Errorf("population data has %d points; at most %d are allowed", len(points), MaxPoints)
	}
	type keyed struct {
		b   int
		pt  Point
		pos int
	}
	ks := make([]keyed, 0, len(points))
	for i, p := range points {
		if !validLatLon(p.Lat, p.Lon) {
			return nil, fmt.Errorf("point %d: invalid coordinates %g, %g", i, p.Lat, p.Lon)
		}
		if !(p.Population >= 0 && p.Population <= MaxPlacePopulation) {
			return nil, fmt.Errorf("point %d: invalid population %g", i, p.Population)
		}
		if p.Population == 0 {
			continue
		}
		ks = append(ks, keyed{b: latBand(p.Lat), pt: p, pos: i})
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		if a.b != b.b {
			return a.b - b.b
		}
		if a.pt.Lon != b.pt.Lon {
			if a.pt.Lon < b.pt.Lon {
				return -1
			}
			return 1
		}
		return a.pos - b.pos
	})
	s := &Set{pts: make([]indexed, len(ks))}
	for i, k := range ks {
		s.pts[i] = indexed{lon: k.pt.Lon, v: unit(k.pt.Lat, k.pt.Lon), pop: k.pt.Population}
		s.total += k.pt.Population
	}
	for b := 0; b <= 180; b++ {
		s.band[b] = sort.Search(len(ks), func(i int) bool { return ks[i].b >= b })
	}
	return s, nil
}

// Len is the number of points with a population.
func (s *Set) Len() int { return len(s.pts) }

// Total is the population of the whole set.
func (s *Set) Total() float64 { return s.total }

// Near returns the population within radiusKm (great-circle) of a point.
func (s *Set) Near(lat, lon, radiusKm float64) float64 {
	if !validLatLon(lat, lon) || !(radiusKm > 0) {
		return 0
	}
	c := unit(lat, lon)
	cosR := math.Cos(math.Min(radiusKm/EarthRadiusKm, math.Pi))
	var sum float64
	s.inCap(lat, lon, radiusKm/EarthRadiusKm, func(i int) {
		if dot(s.pts[i].v, c) >= cosR {
			sum += s.pts[i].pop
		}
	})
	return sum
}

// inCap calls f with the index of every point that may lie within the
// angular radius theta (radians) of (lat, lon); callers test exactly.
func (s *Set) inCap(lat, lon, theta float64, f func(i int)) {
	thetaDeg := theta * 180 / math.Pi
	lo, hi := lat-thetaDeg, lat+thetaDeg
	whole := lo <= -90 || hi >= 90 || thetaDeg >= 90
	var dLon float64
	if !whole {
		// Half-width in longitude of a cap not containing a pole.
		x := math.Sin(theta) / math.Cos(lat*math.Pi/180)
		if x >= 1 {
			whole = true
		} else {
			dLon = math.Asin(x)*180/math.Pi + 1e-9
		}
	}
	b0, b1 := latBand(math.Max(lo, -90)), latBand(math.Min(hi, 90))
	for b := b0; b <= b1; b++ {
		start, end := s.band[b], s.band[b+1]
		if whole {
			for i := start; i < end; i++ {
				f(i)
			}
			continue
		}
		west, east := lon-dLon, lon+dLon
		s.lonRange(start, end, math.Max(west, -180), math.Min(east, 180), f)
		if west < -180 {
			s.lonRange(start, end, west+360, 180, f)
		}
		if east > 180 {
			s.lonRange(start, end, -180, east-360, f)
		}
	}
}

func (s *Set) lonRange(start, end int, west, east float64, f func(i int)) {
	i := start + sort.Search(end-start, func(k int) bool { return s.pts[start+k].lon >= west })
	for ; i < end && s.pts[i].lon <= east; i++ {
		f(i)
	}
}

func latBand(lat float64) int {
	b := int(math.Floor(lat + 90))
	return min(max(b, 0), 179)
}

func validLatLon(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// vec is a unit vector on the sphere.
type vec [3]float64

func unit(lat, lon float64) vec {
	φ, λ := lat*math.Pi/180, lon*math.Pi/180
	return vec{math.Cos(φ) * math.Cos(λ), math.Cos(φ) * math.Sin(λ), math.Sin(φ)}
}

func dot(a, b vec) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func cross(a, b vec) vec {
	return vec{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func norm(a vec) (vec, float64) {
	l := math.Sqrt(dot(a, a))
	if l == 0 {
		return a, 0
	}
	return vec{a[0] / l, a[1] / l, a[2] / l}, l
}

// angle is the angle between two unit vectors, accurate at all sizes.
func angle(a, b vec) float64 {
	_, s := norm(cross(a, b))
	return math.Atan2(s, dot(a, b))
}

// latLon converts a unit vector back to degrees.
func latLon(v vec) (lat, lon float64) {
	return math.Asin(math.Max(-1, math.Min(1, v[2]))) * 180 / math.Pi, math.Atan2(v[1], v[0]) * 180 / math.Pi
}
