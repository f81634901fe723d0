package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/sources/flows"
)

// pmacct's print plugin stamps rows as "2006-01-02 15:04:05" (UTC unless
// timestamps_utc is off, then local: import such files with TZ set).
const pmacctTime = "2006-01-02 15:04:05"

// importPMacct reads the print plugin's CSV (print_output: csv) with
// aggregate src_as, dst_as and optionally peer_src_as, peer_dst_as and
// the stamps (print_history): each row is traffic between two ASes, ours
// on one side.
func importPMacct(r io.Reader, o Options, sink Sink, rep *Report) error {
	stamped := false
	var sinkErr error
	err := table(r, func(h []string) error {
		for _, n := range h {
			stamped = stamped || n == "stamp_inserted"
		}
		if !stamped && !o.Period.To.After(o.Period.From) {
			return errors.New("rows without STAMP_INSERTED: give the period they cover")
		}
		return need(h, "src_as", "dst_as", "bytes")
	}, func(get func(string) string, line int) {
		if sinkErr != nil {
			return
		}
		src, err1 := parseASN(get("src_as"))
		dst, err2 := parseASN(get("dst_as"))
		b, err3 := parseCount(get("bytes"))
		if err := errors.Join(err1, err2, err3); err != nil {
			rep.skip(line, "%v", err)
			return
		}
		k := traffic.Key{Class: o.Class}
		var neighbor string
		switch {
		case src == 0 || src == o.OurASN:
			k.Dir, k.Remote, neighbor = traffic.Out, dst, get("peer_dst_as")
		case dst == 0 || dst == o.OurASN:
			k.Dir, k.Remote, neighbor = traffic.In, src, get("peer_src_as")
		default:
			rep.skip(line, "neither %s nor %s is ours (%s)", src, dst, o.OurASN)
			return
		}
		if neighbor != "" {
			if n, err := parseASN(neighbor); err == nil {
				k.Neighbor = n
			}
		}
		p := o.Period
		if stamped {
			t, err := time.Parse(pmacctTime, get("stamp_inserted"))
			if err != nil {
				rep.skip(line, "STAMP_INSERTED %q is not %s", get("stamp_inserted"), pmacctTime)
				return
			}
			p = traffic.Period{From: t, To: t.Add(o.Interval)}
		}
		sinkErr = sink.AddVolume(k, nil, p.From, p.To, b)
		rep.Rows++
		rep.Bytes += b
	})
	return errors.Join(err, sinkErr)
}

// nfdump's CSV names its columns differently across versions; these are
// the names of 1.6 (`-o csv`) and 1.7 (`-o csv` and `-o fmt:` names).
var nfdumpColumns = map[string][]string{
	"start":   {"ts", "firstseen", "first"},
	"end":     {"te", "lastseen", "last"},
	"src":     {"sa", "srcaddr", "src_addr"},
	"dst":     {"da", "dstaddr", "dst_addr"},
	"bytes":   {"ibyt", "inbytes", "bytes", "byt"},
	"packets": {"ipkt", "inpackets", "packets", "pkt"},
	"in":      {"in", "input"},
	"out":     {"out", "output"},
	"srcas":   {"sas", "srcas"},
	"dstas":   {"das", "dstas"},
	"nexthop": {"nhb", "bgpnexthop", "nh", "nexthop"},
}

// nfdump writes times as "2006-01-02 15:04:05" with optional
// milliseconds, in local time: set TZ when the collector's is not UTC.
var nfdumpTimes = []string{"2006-01-02 15:04:05.000", "2006-01-02 15:04:05"}

// importNFDump reads flow records from `nfdump -r … -o csv` and attributes
// them like collected flows (the sink's routes and links). nfdump's
// summary lines at the end are skipped.
func importNFDump(r io.Reader, sink Sink, rep *Report) error {
	col := map[string]string{}
	var sinkErr error
	summary := false
	err := table(r, func(h []string) error {
		for want, names := range nfdumpColumns {
			for _, n := range names {
				for _, have := range h {
					if have == n && col[want] == "" {
						col[want] = n
					}
				}
			}
		}
		for _, c := range []string{"start", "end", "src", "dst", "bytes"} {
			if col[c] == "" {
				return fmt.Errorf("header %q lacks a %s column (%s)", strings.Join(h, ","), c, strings.Join(nfdumpColumns[c], ", "))
			}
		}
		return nil
	}, func(get func(string) string, line int) {
		if sinkErr != nil || summary {
			return
		}
		f := func(c string) string {
			if col[c] == "" {
				return ""
			}
			return get(col[c])
		}
		if strings.EqualFold(f("start"), "summary") {
			summary = true // nfdump's summary block ends the flows
			return
		}
		var rec flows.Record
		var errs []error
		pt := func(s string) time.Time {
			for _, layout := range nfdumpTimes {
				if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
					return t
				}
			}
			errs = append(errs, fmt.Errorf("time %q", s))
			return time.Time{}
		}
		rec.Start, rec.End = pt(f("start")), pt(f("end"))
		addr := func(s string) netip.Addr {
			a, err := netip.ParseAddr(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("address %q", s))
			}
			return a.Unmap()
		}
		rec.Src, rec.Dst = addr(f("src")), addr(f("dst"))
		var err error
		if rec.Bytes, err = parseCount(f("bytes")); err != nil {
			errs = append(errs, err)
		}
		if s := f("packets"); s != "" {
			rec.Packets, _ = parseCount(s)
		}
		num := func(s string) uint32 {
			v, err := parseCount(s)
			if err != nil || v > math.MaxUint32 {
				return 0
			}
			return uint32(v)
		}
		rec.InIf, rec.OutIf, rec.SrcAS, rec.DstAS = num(f("in")), num(f("out")), num(f("srcas")), num(f("dstas"))
		if a, err := netip.ParseAddr(f("nexthop")); err == nil && !a.IsUnspecified() {
			rec.NextHop = a.Unmap()
		}
		if len(errs) > 0 {
			rep.skip(line, "%v", errors.Join(errs...))
			return
		}
		if rec.End.Before(rec.Start) || rec.End.Sub(rec.Start) > 24*time.Hour {
			rep.skip(line, "flow from %v to %v", rec.Start, rec.End)
			return
		}
		ok, err := sink.Add(rec)
		if err != nil {
			sinkErr = err
			return
		}
		if !ok {
			rep.skip(line, "cannot tell the direction of %v → %v", rec.Src, rec.Dst)
			return
		}
		rep.Rows++
		rep.Bytes += rec.Bytes
	})
	return errors.Join(err, sinkErr)
}

// akvoradoGraph is the answer of Akvorado's POST /api/v0/console/graph/line
// (bidirectional, units l3bps, one dimension: SrcAS or DstAS): per row,
// a rate per time.
type akvoradoGraph struct {
	Time   []time.Time `json:"t"`
	Rows   [][]string  `json:"rows"`
	Points [][]float64 `json:"points"`
	Axis   []int       `json:"axis"`
}

// importAkvorado reads a saved line graph answer. Axis 1 has
// o.Direction, axis 2 the reverse; the previous-period axes and the
// "Other" rows are skipped.
func importAkvorado(r io.Reader, o Options, sink Sink, rep *Report) error {
	if o.Direction != traffic.In && o.Direction != traffic.Out {
		return errors.New("give the direction of the graph's first axis (in for SrcAS graphs of inbound traffic, out for DstAS)")
	}
	var g akvoradoGraph
	dec := json.NewDecoder(r)
	if err := dec.Decode(&g); err != nil {
		return fmt.Errorf("akvorado graph: %w", err)
	}
	if len(g.Rows) != len(g.Points) || len(g.Rows) != len(g.Axis) {
		return fmt.Errorf("akvorado graph: %d rows, %d point series, %d axes", len(g.Rows), len(g.Points), len(g.Axis))
	}
	if len(g.Time) < 2 {
		return errors.New("akvorado graph: fewer than two times")
	}
	step := g.Time[1].Sub(g.Time[0])
	for i := 1; i < len(g.Time); i++ {
		if d := g.Time[i].Sub(g.Time[i-1]); d <= 0 || d != step {
			return fmt.Errorf("akvorado graph: times are not evenly spaced at %d", i)
		}
	}
	for i, row := range g.Rows {
		n := i + 1
		dir := o.Direction
		switch g.Axis[i] {
		case 1:
		case 2:
			dir = traffic.In + traffic.Out - o.Direction
		default:
			continue // a previous period
		}
		if len(row) == 0 || strings.EqualFold(row[0], "Other") {
			rep.skip(n, "row %q is not an AS", row)
			continue
		}
		asn, err := parseASN(row[0])
		if err != nil {
			rep.skip(n, "row %q: %v", row[0], err)
			continue
		}
		if len(g.Points[i]) != len(g.Time) {
			rep.skip(n, "%d points for %d times", len(g.Points[i]), len(g.Time))
			continue
		}
		if j := slices.IndexFunc(g.Points[i], func(bps float64) bool { return !(bps >= 0 && bps <= maxMbps*1e6) }); j >= 0 {
			rep.skip(n, "rate %g at %v", g.Points[i][j], g.Time[j])
			continue
		}
		k := traffic.Key{Dir: dir, Class: o.Class, Remote: asn}
		var total uint64
		for j, bps := range g.Points[i] {
			b := uint64(bps / 8 * step.Seconds())
			if err := sink.AddVolume(k, nil, g.Time[j], g.Time[j].Add(step), b); err != nil {
				return err
			}
			total += b
		}
		rep.Rows++
		rep.Bytes += total
	}
	return nil
}
