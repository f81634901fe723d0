package traffic

import (
	"cmp"
	"slices"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// The store's time grid: 5-minute buckets, as transit is billed, 288 to
// a UTC day.
const (
	Bucket        = 5 * time.Minute
	BucketsPerDay = int(24 * time.Hour / Bucket)
)

// Series is the bytes of each bucket of one day.
type Series [BucketsPerDay]uint64

// DayOf is the UTC midnight that starts t's day.
func DayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Day is one UTC day of aggregates, being built (by an Aggregator or an
// importer) or read back whole for merging. It is not safe for
// concurrent use.
type Day struct {
	Date   time.Time
	series map[Key]*Series
	// paths holds, per remote AS, the AS path (neighbor first) of the
	// route its traffic followed, for Moved.
	paths   map[bgp.ASN][]bgp.ASN
	maxKeys int
}

// NewDay starts an empty day holding at most maxKeys series (beyond,
// new remote ASes are folded into Remote 0).
func NewDay(date time.Time, maxKeys int) *Day {
	return &Day{Date: DayOf(date), series: map[Key]*Series{}, paths: map[bgp.ASN][]bgp.ASN{}, maxKeys: maxKeys}
}

// Add adds bytes to bucket i (0 ≤ i < BucketsPerDay) of k's series.
func (d *Day) Add(k Key, i int, bytes uint64) {
	s, ok := d.series[k]
	if !ok {
		if len(d.series) >= d.maxKeys {
			// Fold: first the remote AS, then the neighbor; at most
			// one series per direction and class lies beyond the
			// bound.
			k.Remote = 0
			if s, ok = d.series[k]; !ok {
				k.Neighbor = 0
				s, ok = d.series[k]
			}
		}
		if !ok {
			s = new(Series)
			d.series[k] = s
		}
	}
	s[i] += bytes
}

// SetPath records the AS path traffic to or from remote followed, if the
// day has a series for it and no path yet.
func (d *Day) SetPath(remote bgp.ASN, path []bgp.ASN) {
	if remote == 0 || len(path) == 0 {
		return
	}
	if _, ok := d.paths[remote]; !ok && len(d.paths) < d.maxKeys {
		d.paths[remote] = path
	}
}

// Keys lists the day's series in a stable order.
func (d *Day) Keys() []Key {
	keys := make([]Key, 0, len(d.series))
	for k := range d.series {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	return keys
}

// Series returns k's series (nil when the day has none).
func (d *Day) Series(k Key) *Series { return d.series[k] }

// Path is the AS path recorded for remote.
func (d *Day) Path(remote bgp.ASN) []bgp.ASN { return d.paths[remote] }

// Len is the number of series.
func (d *Day) Len() int { return len(d.series) }

func compareKeys(a, b Key) int {
	return cmp.Or(cmp.Compare(a.Dir, b.Dir), cmp.Compare(a.Class, b.Class),
		cmp.Compare(a.Neighbor, b.Neighbor), cmp.Compare(a.Remote, b.Remote))
}

// Total is the sum of a series.
func (s *Series) Total() uint64 {
	var t uint64
	for _, v := range s {
		t += v
	}
	return t
}
