// Package monitor watches the intended BGP sessions of our routers and
// exports them as Prometheus metrics: state, uptime, flaps, prefixes
// received against max-prefix, RPKI-invalid routes accepted and the last
// error. It reads the routers the way peerform check does (package
// deploy), keeping one management connection per router, and records what
// it sees in the session history (package history) that prune reads.
package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/ops/history"
)

// Options tunes a Monitor.
type Options struct {
	// Interval between two polls of every router (0: 30 s).
	Interval time.Duration
	// Timeout bounds one poll of one router (0: 30 s, at most Interval
	// when that is longer than a second).
	Timeout time.Duration
	// Dial opens a router; nil means the real drivers.
	Dial deploy.DialFunc
	// HistoryPath is the history file updated after every poll; empty
	// keeps the history in memory only.
	HistoryPath string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	Log *slog.Logger
}

// Monitor polls routers and holds the last observation of each.
type Monitor struct {
	targets []deploy.Target
	o       Options

	mu      sync.Mutex
	routers map[string]*routerState
	hist    *history.History
}

type routerState struct {
	driver device.Driver // kept open between polls; nil after an error
	checks []deploy.SessionCheck
	err    error
	polled time.Time
}

// New builds a monitor of the targets' intended sessions, loading the
// history file when one is named.
func New(targets []deploy.Target, o Options) (*Monitor, error) {
	if o.Interval <= 0 {
		o.Interval = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
		if o.Interval > time.Second && o.Interval < o.Timeout {
			o.Timeout = o.Interval
		}
	}
	if o.Dial == nil {
		o.Dial = deploy.Dial
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	h := &history.History{FormatVersion: history.FormatVersion}
	if o.HistoryPath != "" {
		var err error
		if h, err = history.Load(o.HistoryPath); err != nil {
			return nil, err
		}
	}
	m := &Monitor{targets: targets, o: o, routers: map[string]*routerState{}, hist: h}
	for _, t := range targets {
		m.routers[t.Router] = &routerState{}
	}
	return m, nil
}

// Run polls every Interval until ctx is done, then closes the
// connections. A router that cannot be read is retried on the next poll;
// only a history file that cannot be written stops the monitor.
func (m *Monitor) Run(ctx context.Context) error {
	defer m.Close()
	tick := time.NewTicker(m.o.Interval)
	defer tick.Stop()
	for {
		if err := m.Poll(ctx); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Poll reads every router once, in parallel, and records the sessions.
func (m *Monitor) Poll(ctx context.Context) error {
	var wg sync.WaitGroup
	results := make([]routerState, len(m.targets))
	for i, t := range m.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = m.pollRouter(ctx, t)
		}()
	}
	wg.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, t := range m.targets {
		m.routers[t.Router].driver = results[i].driver // for Close, whatever happens next
	}
	if ctx.Err() != nil {
		return nil // stopping: a poll cut short says nothing about the routers
	}
	now := m.o.Now()
	for i, t := range m.targets {
		r := m.routers[t.Router]
		r.err, r.polled = results[i].err, now
		if r.err != nil {
			m.o.Log.Warn("router not readable", "router", t.Router, "error", r.err)
			continue
		}
		r.checks = results[i].checks
		for _, c := range r.checks {
			m.hist.Observe(now, history.Observation{Router: c.Router, Neighbor: c.Neighbor, PeerASN: c.PeerASN,
				Established: c.Established, Error: c.Reason})
		}
	}
	if m.o.HistoryPath == "" {
		return nil
	}
	if err := m.hist.Save(m.o.HistoryPath, now); err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	return nil
}

// pollRouter reads one router with the connection kept from the last
// poll, opening one when there is none; after an error the connection is
// dropped and opened again next time.
func (m *Monitor) pollRouter(ctx context.Context, t deploy.Target) routerState {
	m.mu.Lock()
	d := m.routers[t.Router].driver
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, m.o.Timeout)
	defer cancel()
	if d == nil {
		var err error
		if d, err = m.o.Dial(ctx, t); err != nil {
			return routerState{err: err}
		}
	}
	checks, err := deploy.Observe(ctx, d, t)
	if err != nil {
		d.Close()
		return routerState{err: err}
	}
	return routerState{driver: d, checks: checks}
}

// Close closes the routers' connections.
func (m *Monitor) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.routers {
		if r.driver != nil {
			r.driver.Close()
			r.driver = nil
		}
	}
}

// labelText makes router output (a state, an error) fit for a label
// value: printable, one line, bounded.
func labelText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}
