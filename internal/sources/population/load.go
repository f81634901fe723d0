package population

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Limits for files read from users.
const (
	// MaxLineBytes bounds one line of a TSV or grid file. A 2.5′ GPW grid
	// row (8,640 cells) is about 100 kB.
	MaxLineBytes = 1 << 20
	// MaxFileBytes bounds the uncompressed size read from one file.
	MaxFileBytes = 4 << 30
	// MaxGridCells bounds ncols × nrows of a grid.
	MaxGridCells = 200_000_000
)

// Load reads a population file: a GeoNames TSV (cities15000 format) or an
// ESRI ASCII grid (recognised by its "ncols" header), plain or gzip.
func Load(path string) (*Set, error) {
	// A regular file, checked before it is opened: a repository's policy
	// names it, and a symbolic link or a FIFO there must not be read.
	if fi, err := os.Lstat(path); err != nil {
		return nil, fmt.Errorf("population file: %w", err)
	} else if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("population file %s: not a regular file (%s)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("population file: %w", err)
	}
	defer f.Close()
	pts, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("population file %s: %w", path, err)
	}
	s, err := NewSet(pts)
	if err != nil {
		return nil, fmt.Errorf("population file %s: %w", path, err)
	}
	return s, nil
}

// Read detects gzip and the format, and reads the points.
func Read(r io.Reader) ([]Point, error) {
	br := bufio.NewReader(r)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	limited := bufio.NewReader(io.LimitReader(br, MaxFileBytes))
	head, _ := limited.Peek(5)
	if strings.EqualFold(string(head), "ncols") {
		return ReadGrid(limited)
	}
	return ReadGeoNames(limited)
}

func newScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	return sc
}

// ReadGeoNames reads the GeoNames dump format: 19 tab-separated columns,
// latitude in column 5, longitude in 6 and population in 15 (1-based).
// Lines starting with '#' and empty lines are skipped; rows with an empty
// population count as zero.
func ReadGeoNames(r io.Reader) ([]Point, error) {
	sc := newScanner(r)
	var pts []Point
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || text[0] == '#' {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) < 15 {
			return nil, fmt.Errorf("line %d: %d columns, want at least 15 (GeoNames format)", line, len(cols))
		}
		lat, err1 := strconv.ParseFloat(cols[4], 64)
		lon, err2 := strconv.ParseFloat(cols[5], 64)
		if err1 != nil || err2 != nil || !validLatLon(lat, lon) {
			return nil, fmt.Errorf("line %d: invalid coordinates %q, %q", line, cols[4], cols[5])
		}
		var pop float64
		if cols[14] != "" {
			n, err := strconv.ParseUint(cols[14], 10, 64)
			if err != nil || float64(n) > MaxPlacePopulation {
				return nil, fmt.Errorf("line %d: invalid population %q", line, cols[14])
			}
			pop = float64(n)
		}
		if len(pts) >= MaxPoints {
			return nil, fmt.Errorf("more than %d rows", MaxPoints)
		}
		pts = append(pts, Point{Lat: lat, Lon: lon, Population: pop})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if len(pts) == 0 {
		return nil, errors.New("no rows")
	}
	return pts, nil
}

// ReadGrid reads an ESRI ASCII grid: a header (ncols, nrows, xllcorner or
// xllcenter, yllcorner or yllcenter, cellsize, optional NODATA_value), then
// nrows rows of ncols values from north to south. Every cell with a
// positive value becomes a point at the cell's centre.
func ReadGrid(r io.Reader) ([]Point, error) {
	sc := newScanner(r)
	hdr := map[string]float64{}
	center := false
	line := 0
	var first []byte
	for sc.Scan() {
		line++
		f := bytes.Fields(sc.Bytes())
		if len(f) == 0 {
			continue
		}
		key := strings.ToLower(string(f[0]))
		if key == "" || (key[0] >= '0' && key[0] <= '9') || key[0] == '-' || key[0] == '.' {
			first = append([]byte(nil), sc.Bytes()...)
			break
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: header wants \"name value\"", line)
		}
		v, err := strconv.ParseFloat(string(f[1]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("line %d: bad header value %q", line, f[1])
		}
		switch key {
		case "xllcenter", "yllcenter":
			center = true
			key = strings.Replace(key, "center", "corner", 1)
		case "ncols", "nrows", "xllcorner", "yllcorner", "cellsize", "nodata_value":
		default:
			return nil, fmt.Errorf("line %d: unknown header %q", line, f[0])
		}
		hdr[key] = v
	}
	for _, k := range []string{"ncols", "nrows", "xllcorner", "yllcorner", "cellsize"} {
		if _, ok := hdr[k]; !ok {
			return nil, fmt.Errorf("grid header has no %s", k)
		}
	}
	ncols, nrows, cell := hdr["ncols"], hdr["nrows"], hdr["cellsize"]
	if ncols < 1 || nrows < 1 || ncols != math.Trunc(ncols) || nrows != math.Trunc(nrows) || ncols*nrows > MaxGridCells {
		return nil, fmt.Errorf("grid size %g × %g is invalid or too large", ncols, nrows)
	}
	if !(cell > 0) || cell > 360 {
		return nil, fmt.Errorf("invalid cellsize %g", cell)
	}
	x0, y0 := hdr["xllcorner"], hdr["yllcorner"]
	if center {
		x0, y0 = x0-cell/2, y0-cell/2
	}
	nodata, hasNodata := hdr["nodata_value"]
	nc, nr := int(ncols), int(nrows)
	var pts []Point
	row := 0
	handle := func(text []byte) error {
		f := bytes.Fields(text)
		if len(f) == 0 {
			return nil
		}
		if row >= nr {
			return fmt.Errorf("more than %d rows", nr)
		}
		if len(f) != nc {
			return fmt.Errorf("row %d has %d values, want %d", row+1, len(f), nc)
		}
		lat := y0 + (float64(nr-row)-0.5)*cell
		for c, tok := range f {
			v, err := strconv.ParseFloat(string(tok), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("row %d column %d: bad value %q", row+1, c+1, tok)
			}
			if (hasNodata && v == nodata) || v <= 0 {
				continue
			}
			if v > MaxPlacePopulation {
				return fmt.Errorf("row %d column %d: population %g is implausible", row+1, c+1, v)
			}
			lon := x0 + (float64(c)+0.5)*cell
			if lon > 180 {
				lon -= 360
			}
			if !validLatLon(lat, lon) {
				return fmt.Errorf("row %d column %d: cell centre %g, %g is off the globe", row+1, c+1, lat, lon)
			}
			if len(pts) >= MaxPoints {
				return fmt.Errorf("more than %d populated cells", MaxPoints)
			}
			pts = append(pts, Point{Lat: lat, Lon: lon, Population: v})
		}
		row++
		return nil
	}
	if first != nil {
		if err := handle(first); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	for sc.Scan() {
		line++
		if err := handle(sc.Bytes()); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if row != nr {
		return nil, fmt.Errorf("grid has %d rows, header says %d", row, nr)
	}
	return pts, nil
}
