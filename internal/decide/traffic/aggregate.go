package traffic

import (
	"errors"
	"sync"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/flows"
)

// Aggregator adds flows (or already attributed volumes) to the days of a
// store. It is safe for concurrent use; Flush writes what changed.
type Aggregator struct {
	store *Store

	mu    sync.Mutex
	attr  *Attributor
	days  map[time.Time]*Day
	dirty map[time.Time]bool
	stats AggregateStats
}

// AggregateStats counts what an Aggregator did with the records it got.
type AggregateStats struct {
	Records      uint64 `json:"records"`
	Unattributed uint64 `json:"unattributed"`
	Bytes        uint64 `json:"bytes"`
}

// NewAggregator aggregates into store, attributing flows with attr.
func NewAggregator(store *Store, attr *Attributor) *Aggregator {
	return &Aggregator{store: store, attr: attr, days: map[time.Time]*Day{}, dirty: map[time.Time]bool{}}
}

// SetAttributor replaces the attributor (a reloaded routing table).
func (a *Aggregator) SetAttributor(attr *Attributor) {
	a.mu.Lock()
	a.attr = attr
	a.mu.Unlock()
}

// Stats returns the running totals.
func (a *Aggregator) Stats() AggregateStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// Add attributes a flow and adds it; it returns false (and counts it)
// when the flow cannot be attributed.
func (a *Aggregator) Add(r flows.Record) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	at, ok := a.attr.Attribute(r)
	if !ok {
		a.stats.Unattributed++
		return false, nil
	}
	a.stats.Records++
	return true, a.addLocked(at.Key, at.Path, r.Start, r.End, r.Bytes)
}

// AddVolume adds bytes already attributed to k, spread evenly over
// [start, end] (one instant when they are equal).
func (a *Aggregator) AddVolume(k Key, path []bgp.ASN, start, end time.Time, bytes uint64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.addLocked(k, path, start, end, bytes)
}

func (a *Aggregator) addLocked(k Key, path []bgp.ASN, start, end time.Time, bytes uint64) error {
	if !k.valid() {
		return errors.New("traffic: invalid key")
	}
	a.stats.Bytes += bytes
	if !end.After(start) {
		return a.addBucket(k, path, end, bytes)
	}
	// Spread over the buckets the flow overlaps, in proportion to the
	// overlap; the last bucket takes the rounding so that the sum is
	// exact.
	span := end.Sub(start)
	left := bytes
	for t := start; t.Before(end); {
		next := t.Truncate(Bucket).Add(Bucket)
		if next.After(end) {
			next = end
		}
		part := left
		if next.Before(end) {
			part = uint64(float64(bytes) * float64(next.Sub(t)) / float64(span))
			part = min(part, left)
		}
		if err := a.addBucket(k, path, t, part); err != nil {
			return err
		}
		left -= part
		t = next
	}
	return nil
}

func (a *Aggregator) addBucket(k Key, path []bgp.ASN, t time.Time, bytes uint64) error {
	date := DayOf(t)
	d, ok := a.days[date]
	if !ok {
		var err error
		if d, err = a.store.Load(date); err != nil {
			return err
		}
		a.days[date] = d
	}
	d.Add(k, int(t.UTC().Sub(date)/Bucket), bytes)
	d.SetPath(k.Remote, path)
	a.dirty[date] = true
	return nil
}

// Flush writes every day that changed, and forgets days that ended more
// than keep before now (a collector passes the decoder's MaxFlowAge; an
// import flushes with keep 0 at the end).
func (a *Aggregator) Flush(now time.Time, keep time.Duration) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	for date := range a.dirty {
		if err := a.store.Write(a.days[date]); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(a.dirty, date)
	}
	for date := range a.days {
		if !a.dirty[date] && date.Add(24*time.Hour+keep).Before(now) {
			delete(a.days, date)
		}
	}
	return errors.Join(errs...)
}
