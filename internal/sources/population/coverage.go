package population

import (
	"math"
	"math/bits"
	"slices"
)

// MaxHullAngleDeg is how far from their mean direction sites may lie for
// the hull to be used; past it the coverage is the discs alone.
const MaxHullAngleDeg = 85

// Area is a coverage area resolved against one Set: the sorted indices of
// the points inside it. Areas from the same Set can be intersected cheaply.
type Area struct {
	set *Set
	idx []int32
	pop float64
	// Hull reports whether the convex hull was used (false: discs only).
	Hull bool
}

// Population is the population inside the area.
func (a *Area) Population() float64 { return a.pop }

// Points is the number of data points inside the area.
func (a *Area) Points() int { return len(a.idx) }

// Overlap returns the population inside both areas. Areas from different
// sets do not overlap.
func (a *Area) Overlap(b *Area) float64 {
	if a == nil || b == nil || a.set != b.set {
		return 0
	}
	var sum float64
	i, j := 0, 0
	for i < len(a.idx) && j < len(b.idx) {
		switch {
		case a.idx[i] < b.idx[j]:
			i++
		case a.idx[i] > b.idx[j]:
			j++
		default:
			sum += a.set.pts[a.idx[i]].pop
			i++
			j++
		}
	}
	return sum
}

// Contains reports whether a point lies in the coverage of sites: inside
// their spherical convex hull (when used, see the package doc) or within
// radiusKm of one of them. It is the membership rule Cover applies to
// every data point, exposed for tests and callers without a data set.
func Contains(sites []Point, radiusKm float64, lat, lon float64) bool {
	g := newGeometry(sites, radiusKm)
	return g.contains(unit(lat, lon))
}

// Cover resolves the coverage of sites (hull ∪ radiusKm discs) against the set.
func (s *Set) Cover(sites []Point, radiusKm float64) *Area {
	g := newGeometry(sites, radiusKm)
	a := &Area{set: s, Hull: g.hull != nil}
	if len(g.sites) == 0 {
		return a
	}
	// Hull members come from one cap around the centre, disc members from
	// one small cap per site; a bitmap over the set unites them in index
	// order without sorting.
	in := make([]uint64, (len(s.pts)+63)/64)
	mark := func(i int) { in[i>>6] |= 1 << uint(i&63) }
	if g.hull != nil {
		lat, lon := latLon(g.centre)
		s.inCap(lat, lon, g.reach, func(i int) {
			if g.inHull(s.pts[i].v) {
				mark(i)
			}
		})
	}
	for _, v := range g.sites {
		lat, lon := latLon(v)
		s.inCap(lat, lon, g.theta, func(i int) {
			if dot(v, s.pts[i].v) >= g.cosT {
				mark(i)
			}
		})
	}
	n := 0
	for _, w := range in {
		n += bits.OnesCount64(w)
	}
	a.idx = make([]int32, 0, n)
	for k, w := range in {
		for ; w != 0; w &= w - 1 {
			a.idx = append(a.idx, int32(k<<6+bits.TrailingZeros64(w)))
		}
	}
	for _, i := range a.idx {
		a.pop += s.pts[i].pop
	}
	return a
}

// geometry is a coverage area ready for membership tests.
type geometry struct {
	sites  []vec
	theta  float64 // disc radius, radians
	cosT   float64
	centre vec     // mean direction of the sites
	reach  float64 // largest angle from centre to a site
	e1, e2 vec     // tangent basis at centre for the gnomonic projection
	hull   [][2]float64
	box    [4]float64 // the hull's bounding box: min x, min y, max x, max y
}

func newGeometry(sites []Point, radiusKm float64) *geometry {
	g := &geometry{theta: math.Max(0, math.Min(radiusKm/EarthRadiusKm, math.Pi))}
	g.cosT = math.Cos(g.theta)
	var sum vec
	for _, p := range sites {
		if !validLatLon(p.Lat, p.Lon) {
			continue
		}
		v := unit(p.Lat, p.Lon)
		g.sites = append(g.sites, v)
		sum = vec{sum[0] + v[0], sum[1] + v[1], sum[2] + v[2]}
	}
	if len(g.sites) < 3 {
		return g
	}
	c, l := norm(sum)
	if l < 1e-9 {
		return g // balanced all around the globe: no hemisphere
	}
	g.centre = c
	for _, v := range g.sites {
		g.reach = math.Max(g.reach, angle(c, v))
	}
	if g.reach >= MaxHullAngleDeg*math.Pi/180 {
		return g
	}
	// Tangent basis: any vector not parallel to c, made orthogonal.
	ref := vec{0, 0, 1}
	if math.Abs(c[2]) > 0.9 {
		ref = vec{1, 0, 0}
	}
	g.e1, _ = norm(cross(ref, c))
	g.e2 = cross(c, g.e1)
	proj := make([][2]float64, len(g.sites))
	for i, v := range g.sites {
		proj[i], _ = g.project(v)
	}
	if h := convexHull(proj); len(h) >= 3 {
		g.hull = h
		g.box = [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
		for _, p := range h {
			g.box = [4]float64{math.Min(g.box[0], p[0]), math.Min(g.box[1], p[1]), math.Max(g.box[2], p[0]), math.Max(g.box[3], p[1])}
		}
	}
	return g
}

// project is the gnomonic projection at centre; ok is false for points in
// the opposite hemisphere, which the hull can never contain.
func (g *geometry) project(v vec) ([2]float64, bool) {
	d := dot(v, g.centre)
	if d <= 1e-12 {
		return [2]float64{}, false
	}
	return [2]float64{dot(v, g.e1) / d, dot(v, g.e2) / d}, true
}

// inHull reports whether v is inside the spherical convex hull.
func (g *geometry) inHull(v vec) bool {
	if g.hull == nil {
		return false
	}
	p, ok := g.project(v)
	if !ok || p[0] < g.box[0] || p[0] > g.box[2] || p[1] < g.box[1] || p[1] > g.box[3] {
		return false
	}
	return inConvex(g.hull, p)
}

func (g *geometry) contains(v vec) bool {
	if g.inHull(v) {
		return true
	}
	for _, s := range g.sites {
		if dot(s, v) >= g.cosT {
			return true
		}
	}
	return false
}

// convexHull is Andrew's monotone chain; it returns the hull
// counter-clockwise without collinear points.
func convexHull(pts [][2]float64) [][2]float64 {
	ps := slices.Clone(pts)
	slices.SortFunc(ps, func(a, b [2]float64) int {
		switch {
		case a[0] < b[0]:
			return -1
		case a[0] > b[0]:
			return 1
		case a[1] < b[1]:
			return -1
		case a[1] > b[1]:
			return 1
		}
		return 0
	})
	ps = slices.Compact(ps)
	if len(ps) < 3 {
		return ps
	}
	turn := func(o, a, b [2]float64) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	h := make([][2]float64, 0, 2*len(ps))
	for _, p := range ps {
		for len(h) >= 2 && turn(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	lower := len(h) + 1
	for i := len(ps) - 2; i >= 0; i-- {
		p := ps[i]
		for len(h) >= lower && turn(h[len(h)-2], h[len(h)-1], p) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return h[:len(h)-1]
}

// inConvex reports whether p is inside (or on) the counter-clockwise
// convex polygon h.
func inConvex(h [][2]float64, p [2]float64) bool {
	for i := range h {
		a, b := h[i], h[(i+1)%len(h)]
		if (b[0]-a[0])*(p[1]-a[1])-(b[1]-a[1])*(p[0]-a[0]) < -1e-12 {
			return false
		}
	}
	return true
}
