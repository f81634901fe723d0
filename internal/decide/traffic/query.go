package traffic

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
)

// Period is the time a query covers: the buckets that start in
// [From, To). Days the store has no file for are left out (the collector
// did not run), so Days and Buckets say what was really measured.
type Period struct {
	From, To time.Time
}

// LastDays is the period of the n days before now, to the bucket.
func LastDays(now time.Time, n int) Period {
	to := now.Truncate(Bucket).Add(Bucket)
	return Period{From: to.AddDate(0, 0, -n), To: to}
}

// Volume is one direction of a row: the 95th percentile of the 5-minute
// rates (billing.Percentile95: sort the period's samples, drop the top
// 5 %, take the highest left), the average rate, and the bytes.
type Volume struct {
	P95Mbps float64 `json:"p95_mbps"`
	AvgMbps float64 `json:"avg_mbps"`
	Bytes   uint64  `json:"bytes"`
	// Samples are the period's 5-minute rates in Mbps, oldest first,
	// when the query keeps them (Moved and Total do, for billing).
	Samples []float64 `json:"-"`
}

// Row is one AS's traffic, per direction.
type Row struct {
	AS  bgp.ASN `json:"asn"`
	In  Volume  `json:"in"`
	Out Volume  `json:"out"`
	// Via lists the neighbor ASes the traffic crossed, most bytes first.
	Via []bgp.ASN `json:"via"`
}

// Max is the larger direction's 95th percentile: what a transit bill
// charges when it bills the higher of in and out.
func (r Row) Max() float64 { return math.Max(r.In.P95Mbps, r.Out.P95Mbps) }

// Report is the answer of a query.
type Report struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Days    int       `json:"days"`    // days with data in the period
	Buckets int       `json:"buckets"` // 5-minute samples behind each percentile
	Rows    []Row     `json:"rows"`
}

// Filter selects the series a query reads.
type Filter struct {
	// Classes, when not empty, keeps these classes only.
	Classes []Class
	// Neighbors, when not empty, keeps the traffic of links to these
	// neighbor ASes only; ExceptNeighbors drops theirs.
	Neighbors, ExceptNeighbors []bgp.ASN
}

func (f Filter) keep(k Key) bool {
	return (len(f.Classes) == 0 || slices.Contains(f.Classes, k.Class)) &&
		(len(f.Neighbors) == 0 || slices.Contains(f.Neighbors, k.Neighbor)) &&
		!slices.Contains(f.ExceptNeighbors, k.Neighbor)
}

// grouper says which rows a series counts for (none, one, or several, as
// when every AS on a route's path is a row).
type grouper func(f *DayFile, e Entry) []bgp.ASN

// byRemote groups series by remote AS, byNeighbor by neighbor AS.
func byRemote(_ *DayFile, e Entry) []bgp.ASN   { return []bgp.ASN{e.Key.Remote} }
func byNeighbor(_ *DayFile, e Entry) []bgp.ASN { return []bgp.ASN{e.Key.Neighbor} }

// read opens the period's day files; close them with closeAll.
func (s *Store) read(p Period) ([]*DayFile, error) {
	days, err := s.Days()
	if err != nil {
		return nil, err
	}
	var out []*DayFile
	for _, d := range days {
		if !d.Add(24*time.Hour).After(p.From) || !d.Before(p.To) {
			continue
		}
		f, err := s.Read(d)
		if err != nil {
			closeAll(out)
			return nil, err
		}
		if f != nil {
			out = append(out, f)
		}
	}
	return out, nil
}

func closeAll(files []*DayFile) {
	for _, f := range files {
		f.Close()
	}
}

// bucketRange is the part of day f inside the period, as bucket indexes.
func (p Period) bucketRange(f *DayFile) (lo, hi int) {
	lo, hi = 0, BucketsPerDay
	if p.From.After(f.Date) {
		lo = min(BucketsPerDay, int((p.From.Sub(f.Date)+Bucket-1)/Bucket))
	}
	if end := f.Date.Add(24 * time.Hour); p.To.Before(end) {
		hi = max(0, int((p.To.Sub(f.Date)+Bucket-1)/Bucket))
	}
	return lo, max(lo, hi)
}

type ref struct {
	file, entry int
}

// rows ranks the groups of the period by bytes and computes the
// percentiles of the top n (all when n ≤ 0), keeping the samples when
// keep is set.
func rows(files []*DayFile, p Period, flt Filter, group grouper, n int, keep bool) (Report, error) {
	rep := Report{From: p.From, To: p.To, Days: len(files), Rows: []Row{}}
	type acc struct {
		bytes uint64
		refs  []ref
	}
	groups := map[bgp.ASN]*acc{}
	for fi, f := range files {
		lo, hi := p.bucketRange(f)
		rep.Buckets += hi - lo
		for ei, e := range f.Entries {
			if !flt.keep(e.Key) || e.Total == 0 {
				continue
			}
			for _, g := range group(f, e) {
				a := groups[g]
				if a == nil {
					a = &acc{}
					groups[g] = a
				}
				a.bytes += e.Total
				a.refs = append(a.refs, ref{fi, ei})
			}
		}
	}
	order := make([]bgp.ASN, 0, len(groups))
	for g := range groups {
		order = append(order, g)
	}
	slices.SortFunc(order, func(a, b bgp.ASN) int {
		return cmp.Or(cmp.Compare(groups[b].bytes, groups[a].bytes), cmp.Compare(a, b))
	})
	if n > 0 && len(order) > n {
		order = order[:n]
	}
	samples := make([]float64, 0, rep.Buckets)
	for _, g := range order {
		row := Row{AS: g}
		via := map[bgp.ASN]uint64{}
		for _, dir := range []Direction{In, Out} {
			series := make([]Series, len(files))
			var bytes uint64
			for _, r := range groups[g].refs {
				e := files[r.file].Entries[r.entry]
				if e.Key.Dir != dir {
					continue
				}
				var one Series
				if err := files[r.file].AddTo(r.entry, &one); err != nil {
					return Report{}, err
				}
				lo, hi := p.bucketRange(files[r.file])
				for i := lo; i < hi; i++ {
					series[r.file][i] += one[i]
					via[e.Key.Neighbor] += one[i]
				}
			}
			samples = samples[:0]
			for fi, f := range files {
				lo, hi := p.bucketRange(f)
				for _, v := range series[fi][lo:hi] {
					samples = append(samples, float64(v)*8/Bucket.Seconds()/1e6)
					bytes += v
				}
			}
			vol := Volume{P95Mbps: billing.Percentile95(samples), Bytes: bytes}
			if keep {
				vol.Samples = slices.Clone(samples)
			}
			if len(samples) > 0 {
				vol.AvgMbps = float64(bytes) * 8 / (float64(len(samples)) * Bucket.Seconds()) / 1e6
			}
			if dir == In {
				row.In = vol
			} else {
				row.Out = vol
			}
		}
		row.Via = topKeys(via, 3)
		rep.Rows = append(rep.Rows, row)
	}
	return rep, nil
}

// topKeys lists the n keys with the largest non-zero values.
func topKeys(m map[bgp.ASN]uint64, n int) []bgp.ASN {
	keys := []bgp.ASN{}
	for k, v := range m {
		if v > 0 && k != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b bgp.ASN) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	if len(keys) > n {
		keys = keys[:n]
	}
	return keys
}

// TopOptions choose what Top ranks.
type TopOptions struct {
	Period Period
	Filter Filter
	// ByNeighbor groups by the neighbor AS instead of the remote AS.
	ByNeighbor bool
	// N is the number of rows (0: all).
	N int
}

// Top ranks ASes by the traffic of the period, with the 95th percentile
// per direction.
func (s *Store) Top(o TopOptions) (Report, error) {
	files, err := s.read(o.Period)
	if err != nil {
		return Report{}, err
	}
	defer closeAll(files)
	g := byRemote
	if o.ByNeighbor {
		g = byNeighbor
	}
	return rows(files, o.Period, o.Filter, g, o.N, false)
}

// Moved is, for each candidate, the traffic of the period that now
// crosses the links the filter keeps (usually transit) and would move to
// a session with the candidate: traffic whose remote AS is the candidate,
// or whose route's path passes through it (its customers, as far as our
// routes show). Candidates without such traffic get no row. Rows keep
// their samples.
func (s *Store) Moved(p Period, flt Filter, candidates []bgp.ASN) (Report, error) {
	files, err := s.read(p)
	if err != nil {
		return Report{}, err
	}
	defer closeAll(files)
	want := map[bgp.ASN]bool{}
	for _, c := range candidates {
		want[c] = true
	}
	group := func(f *DayFile, e Entry) []bgp.ASN {
		var out []bgp.ASN
		if want[e.Key.Remote] {
			out = append(out, e.Key.Remote)
		}
		for _, a := range f.Path(e.Key.Remote) {
			if want[a] && a != e.Key.Neighbor && !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
		return out
	}
	return rows(files, p, flt, group, 0, true)
}

// Total is all the traffic of the period the filter keeps, as one row
// (AS 0) with its samples: a transit provider's bill, for one.
func (s *Store) Total(p Period, flt Filter) (Report, error) {
	files, err := s.read(p)
	if err != nil {
		return Report{}, err
	}
	defer closeAll(files)
	return rows(files, p, flt, func(*DayFile, Entry) []bgp.ASN { return []bgp.ASN{0} }, 0, true)
}

// Verification compares an AS's traffic before and after a change: how
// much of it crossed sessions with the AS itself (IXP or PNI links whose
// neighbor is the AS) and how much went elsewhere (transit, other peers).
type Verification struct {
	AS     bgp.ASN `json:"asn"`
	Before Split   `json:"before"`
	After  Split   `json:"after"`
}

// Split is one period of a Verification.
type Split struct {
	Period    Period `json:"period"`
	Days      int    `json:"days"`
	Direct    Row    `json:"direct"`    // over sessions with the AS
	Elsewhere Row    `json:"elsewhere"` // every other way
}

// MovedShare is the part of the after period's traffic (bytes, both
// directions) that crossed sessions with the AS.
func (v Verification) MovedShare() float64 {
	d := v.After.Direct.In.Bytes + v.After.Direct.Out.Bytes
	t := d + v.After.Elsewhere.In.Bytes + v.After.Elsewhere.Out.Bytes
	if t == 0 {
		return 0
	}
	return float64(d) / float64(t)
}

// Verify reports how traffic to and from asn (its own, and that of
// networks behind it by our routes) crossed our edge before and after at.
func (s *Store) Verify(asn bgp.ASN, before, after Period) (Verification, error) {
	v := Verification{AS: asn}
	const direct, elsewhere = 1, 2
	group := func(f *DayFile, e Entry) []bgp.ASN {
		if e.Key.Remote != asn && !slices.Contains(f.Path(e.Key.Remote), asn) {
			return nil
		}
		if e.Key.Neighbor == asn && (e.Key.Class == IXP || e.Key.Class == PNI) {
			return []bgp.ASN{direct}
		}
		return []bgp.ASN{elsewhere}
	}
	for _, part := range []struct {
		p   Period
		out *Split
	}{{before, &v.Before}, {after, &v.After}} {
		files, err := s.read(part.p)
		if err != nil {
			return v, err
		}
		rep, err := rows(files, part.p, Filter{}, group, 0, false)
		closeAll(files)
		if err != nil {
			return v, err
		}
		*part.out = Split{Period: part.p, Days: rep.Days}
		for _, r := range rep.Rows {
			switch r.AS {
			case direct:
				part.out.Direct = r
			case elsewhere:
				part.out.Elsewhere = r
			}
		}
		part.out.Direct.AS, part.out.Elsewhere.AS = asn, asn
	}
	return v, nil
}

func (p Period) String() string {
	return fmt.Sprintf("%s – %s", p.From.UTC().Format("2006-01-02 15:04"), p.To.UTC().Format("2006-01-02 15:04"))
}
