package monitor

import (
	"context"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/ops/history"
)

// scripted is a router whose session table the test sets; a real router
// in the lab backs the end-to-end test (cmd/peerform).
type scripted struct {
	device.Driver
	mu       sync.Mutex
	sessions []device.Session
	err      error
	dials    int
}

func (s *scripted) Sessions(context.Context) ([]device.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions, s.err
}

func (s *scripted) Close() error { return nil }

func (s *scripted) set(err error, ss ...device.Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions, s.err = ss, err
}

var (
	alpha = netip.MustParseAddr("192.0.2.11")
	gamma = netip.MustParseAddr("2001:db8:ffff:1::13")
)

func TestMetrics(t *testing.T) {
	r := &scripted{}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	target := deploy.Target{Router: "ams", Intended: []deploy.IntendedSession{
		{Neighbor: alpha, PeerASN: 64501, Peer: "Alpha", MaxPrefix: map[bgp.Family]int{bgp.IPv4: 10}},
		{Neighbor: gamma, PeerASN: 64503, Peer: "Gamma", MaxPrefix: map[bgp.Family]int{bgp.IPv6: 20}, Shutdown: true},
	}}
	path := filepath.Join(t.TempDir(), "h.json")
	m, err := New([]deploy.Target{target}, Options{HistoryPath: path, Now: func() time.Time { return now },
		Dial: func(context.Context, deploy.Target) (device.Driver, error) { r.dials++; return r, nil }})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	poll := func() {
		t.Helper()
		if err := m.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
	}
	r.set(nil, device.Session{Neighbor: alpha, PeerASN: 64501, State: "Established", Uptime: time.Hour, Received: map[bgp.Family]int{bgp.IPv4: 9}, RPKIInvalid: 0},
		device.Session{Neighbor: gamma, PeerASN: 64503, State: "Idle", Reason: "Admin. shutdown", RPKIInvalid: -1})
	poll()
	r.set(nil, device.Session{Neighbor: alpha, PeerASN: 64501, State: "Active", Reason: "Hold Timer Expired\n\x1b[31mred", RPKIInvalid: -1},
		device.Session{Neighbor: gamma, PeerASN: 64503, State: "Idle", RPKIInvalid: -1})
	poll()
	poll()
	want := `
# HELP peerform_session_up 1 when the session is Established, 0 otherwise.
# TYPE peerform_session_up gauge
peerform_session_up{neighbor="192.0.2.11",peer="Alpha",peer_asn="64501",router="ams"} 0
peerform_session_up{neighbor="2001:db8:ffff:1::13",peer="Gamma",peer_asn="64503",router="ams"} 0
# HELP peerform_session_admin_down 1 when the session is shut down on purpose (the peer is being decommissioned): down is what is wanted.
# TYPE peerform_session_admin_down gauge
peerform_session_admin_down{neighbor="192.0.2.11",peer="Alpha",peer_asn="64501",router="ams"} 0
peerform_session_admin_down{neighbor="2001:db8:ffff:1::13",peer="Gamma",peer_asn="64503",router="ams"} 1
# HELP peerform_session_flaps_total Times the session was seen going down after being up (kept in the history file across restarts).
# TYPE peerform_session_flaps_total counter
peerform_session_flaps_total{neighbor="192.0.2.11",peer="Alpha",peer_asn="64501",router="ams"} 1
peerform_session_flaps_total{neighbor="2001:db8:ffff:1::13",peer="Gamma",peer_asn="64503",router="ams"} 0
# HELP peerform_session_down_seconds How long the session has been seen down by peerform monitor; 0 while up.
# TYPE peerform_session_down_seconds gauge
peerform_session_down_seconds{neighbor="192.0.2.11",peer="Alpha",peer_asn="64501",router="ams"} 120
peerform_session_down_seconds{neighbor="2001:db8:ffff:1::13",peer="Gamma",peer_asn="64503",router="ams"} 180
# HELP peerform_session_prefix_limit The session's max-prefix limit, per address family.
# TYPE peerform_session_prefix_limit gauge
peerform_session_prefix_limit{family="ipv4",neighbor="192.0.2.11",peer="Alpha",peer_asn="64501",router="ams"} 10
peerform_session_prefix_limit{family="ipv6",neighbor="2001:db8:ffff:1::13",peer="Gamma",peer_asn="64503",router="ams"} 20
# HELP peerform_session_last_error_info Why the session is down, as the router says (always 1; absent while up).
# TYPE peerform_session_last_error_info gauge
peerform_session_last_error_info{error="Hold Timer Expired [31mred",neighbor="192.0.2.11",peer="Alpha",peer_asn="64501",router="ams"} 1
peerform_session_last_error_info{error="shut down on purpose (decommissioning)",neighbor="2001:db8:ffff:1::13",peer="Gamma",peer_asn="64503",router="ams"} 1
# HELP peerform_router_up 1 when the last poll of the router succeeded.
# TYPE peerform_router_up gauge
peerform_router_up{router="ams"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "peerform_session_up", "peerform_session_admin_down",
		"peerform_session_flaps_total", "peerform_session_down_seconds", "peerform_session_prefix_limit",
		"peerform_session_last_error_info", "peerform_router_up"); err != nil {
		t.Error(err)
	}
	// The flap is in the history file, for prune and the next start.
	h, err := history.Load(path)
	if err != nil || len(h.Peer(64501)) != 1 || h.Peer(64501)[0].Flaps != 1 {
		t.Errorf("history: %v %+v", err, h)
	}

	// A router that cannot be read: its sessions are not reported stale,
	// and the connection is opened again on the next poll.
	r.set(errors.New("connection reset"))
	poll()
	if n := testutil.CollectAndCount(m, "peerform_session_up"); n != 0 {
		t.Errorf("%d session values from an unreadable router", n)
	}
	if v := testutil.ToFloat64(onlyRouterUp{m}); v != 0 {
		t.Errorf("peerform_router_up %v", v)
	}
	r.set(nil)
	poll()
	if r.dials != 2 {
		t.Errorf("%d dials, want a second one after the error", r.dials)
	}
}

// onlyRouterUp narrows the monitor to peerform_router_up for ToFloat64.
type onlyRouterUp struct{ m *Monitor }

func (o onlyRouterUp) Describe(ch chan<- *prometheus.Desc) { ch <- descRouterUp }
func (o onlyRouterUp) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric, 64)
	go func() { o.m.Collect(all); close(all) }()
	for mt := range all {
		if mt.Desc() == descRouterUp {
			ch <- mt
		}
	}
}

func TestLabelText(t *testing.T) {
	if got := labelText("a\nb\tc \x00 d", 100); got != "a b c d" {
		t.Errorf("%q", got)
	}
	if got := labelText(strings.Repeat("é", 100), 9); got != "éééé" {
		t.Errorf("cut in a rune: %q", got)
	}
}
