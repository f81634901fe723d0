package importer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/sources/flows"
)

// Sink takes what an import reads; *traffic.Aggregator is one.
type Sink interface {
	AddVolume(k traffic.Key, path []bgp.ASN, start, end time.Time, bytes uint64) error
	Add(r flows.Record) (bool, error)
}

// Format names an input format.
type Format string

// Formats.
const (
	CSV      Format = "csv"
	PMacct   Format = "pmacct"
	NFDump   Format = "nfdump"
	Akvorado Format = "akvorado"
)

// Formats lists the formats, for help texts.
var Formats = []Format{CSV, PMacct, NFDump, Akvorado}

// Options say how to read a file.
type Options struct {
	Format Format
	// Period is when the traffic of a table without times happened (a
	// plain CSV's rates, pmacct rows without stamps).
	Period traffic.Period
	// Class is the class of link an AS table's traffic crossed (default
	// transit: the table an operator exports to decide on peering).
	Class traffic.Class
	// Direction is the direction of Akvorado's first axis (the second is
	// the reverse).
	Direction traffic.Direction
	// OurASN tells pmacct's rows apart: the side with our AS (or 0, a
	// local address) is ours.
	OurASN bgp.ASN
	// Interval is the time a pmacct row covers from its STAMP_INSERTED
	// (print_history; default 5 minutes).
	Interval time.Duration
	// MaxBytes bounds the input (default 1 GiB).
	MaxBytes int64
}

// Report says what an import read.
type Report struct {
	Rows    int    `json:"rows"`
	Skipped int    `json:"skipped"`
	Bytes   uint64 `json:"bytes"`
	// Problems holds the first reasons rows were skipped, with their
	// line (or row) numbers.
	Problems []string `json:"problems"`
}

const maxProblems = 20

func (r *Report) skip(line int, format string, args ...any) {
	r.Skipped++
	if len(r.Problems) < maxProblems {
		r.Problems = append(r.Problems, fmt.Sprintf("line %d: %s", line, fmt.Sprintf(format, args...)))
	}
}

// Limits on values: no link carries more than a petabit per second, and
// a file row carries no more than an exabyte.
const (
	maxMbps    = 1e9
	maxBytes   = 1 << 60
	maxLineLen = 1 << 20
)

// Import reads r in o.Format into sink.
func Import(r io.Reader, o Options, sink Sink) (Report, error) {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 30
	}
	if o.Class == traffic.Unknown {
		o.Class = traffic.Transit
	}
	if o.Interval <= 0 {
		o.Interval = traffic.Bucket
	}
	lr := &limitedReader{r: r, left: o.MaxBytes}
	var rep Report
	var err error
	switch o.Format {
	case CSV:
		err = importCSV(lr, o, sink, &rep)
	case PMacct:
		err = importPMacct(lr, o, sink, &rep)
	case NFDump:
		err = importNFDump(lr, sink, &rep)
	case Akvorado:
		err = importAkvorado(lr, o, sink, &rep)
	default:
		return rep, fmt.Errorf("unknown format %q (want one of %v)", o.Format, Formats)
	}
	return rep, err
}

// limitedReader fails (rather than stops) past its bound, and on a line
// longer than maxLineLen, so that a huge input is an error and not a
// truncated import.
type limitedReader struct {
	r       io.Reader
	left    int64
	lineLen int
}

var errTooLarge = errors.New("input too large")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	for _, c := range p[:n] {
		if c == '\n' {
			l.lineLen = 0
		} else if l.lineLen++; l.lineLen > maxLineLen {
			return n, fmt.Errorf("a line longer than %d bytes", maxLineLen)
		}
	}
	return n, err
}

// table reads CSV rows with a header, calling row with each record's
// fields by header name (lower case) and its line number.
func table(r io.Reader, header func([]string) error, row func(get func(string) string, line int)) error {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	var cols map[string]int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err // a csv.ParseError says where
		}
		line, _ := cr.FieldPos(0)
		if cols == nil {
			cols = map[string]int{}
			names := make([]string, len(rec))
			for i, h := range rec {
				names[i] = strings.ToLower(strings.TrimSpace(h))
				cols[names[i]] = i
			}
			if err := header(names); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
			continue
		}
		get := func(name string) string {
			if i, ok := cols[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		row(get, line)
	}
}

// need checks that a header has every column.
func need(names []string, cols ...string) error {
	var missing []string
	for _, c := range cols {
		found := false
		for _, n := range names {
			found = found || n == c
		}
		if !found {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("header %q lacks %s", strings.Join(names, ","), strings.Join(missing, ", "))
	}
	return nil
}

// parseASN reads "64501", "AS64501", "AS64501 Name" or "64501: Name".
func parseASN(s string) (bgp.ASN, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ": \t"); i > 0 {
		s = s[:i]
	}
	return bgp.ParseASN(s)
}

func parseCount(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// nfdump prints large counts as "1.2 M" with -N off; plain
		// numbers are what `-o csv` writes, but accept a float.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f < 0 || math.IsNaN(f) || f > maxBytes {
			return 0, fmt.Errorf("%q is not a count", s)
		}
		v = uint64(f)
	}
	if v > maxBytes {
		return 0, fmt.Errorf("%d is beyond any link", v)
	}
	return v, nil
}

// constant adds a rate held over a period, bucket by bucket.
func constant(sink Sink, k traffic.Key, p traffic.Period, mbps float64) (uint64, error) {
	bytes := uint64(mbps * 1e6 / 8 * p.To.Sub(p.From).Seconds())
	return bytes, sink.AddVolume(k, nil, p.From, p.To, bytes)
}

// importCSV reads `asn,direction,mbps`: each row is a rate held over
// o.Period.
func importCSV(r io.Reader, o Options, sink Sink, rep *Report) error {
	if !o.Period.To.After(o.Period.From) {
		return errors.New("a plain CSV holds rates: give the period they were measured over")
	}
	var sinkErr error
	err := table(r, func(h []string) error { return need(h, "asn", "direction", "mbps") }, func(get func(string) string, line int) {
		if sinkErr != nil {
			return
		}
		asn, err := parseASN(get("asn"))
		if err != nil {
			rep.skip(line, "%v", err)
			return
		}
		dir, err := traffic.ParseDirection(strings.ToLower(get("direction")))
		if err != nil {
			rep.skip(line, "%v", err)
			return
		}
		mbps, err := strconv.ParseFloat(get("mbps"), 64)
		if err != nil || mbps < 0 || mbps > maxMbps || math.IsNaN(mbps) {
			rep.skip(line, "mbps %q is not a rate between 0 and %g", get("mbps"), float64(maxMbps))
			return
		}
		b, err := constant(sink, traffic.Key{Dir: dir, Class: o.Class, Remote: asn}, o.Period, mbps)
		sinkErr = err
		rep.Rows++
		rep.Bytes += b
	})
	return errors.Join(err, sinkErr)
}
