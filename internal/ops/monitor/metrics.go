package monitor

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/peerform/peerform/internal/core/bgp"
)

// The metrics, per intended session (router, neighbor, peer_asn, peer)
// unless said otherwise. Sessions come and go with the repository, so
// they are built from the last poll at every scrape rather than kept in
// vectors.
var (
	sessionLabels = []string{"router", "neighbor", "peer_asn", "peer"}

	descUp = prometheus.NewDesc("peerform_session_up",
		"1 when the session is Established, 0 otherwise.", sessionLabels, nil)
	descAdminDown = prometheus.NewDesc("peerform_session_admin_down",
		"1 when the session is shut down on purpose (the peer is being decommissioned): down is what is wanted.", sessionLabels, nil)
	descState = prometheus.NewDesc("peerform_session_state",
		"The BGP state the router reports, as the state label (always 1).", append(sessionLabels, "state"), nil)
	descUptime = prometheus.NewDesc("peerform_session_uptime_seconds",
		"How long the session has been Established; 0 while down.", sessionLabels, nil)
	descDown = prometheus.NewDesc("peerform_session_down_seconds",
		"How long the session has been seen down by peerform monitor; 0 while up.", sessionLabels, nil)
	descFlaps = prometheus.NewDesc("peerform_session_flaps_total",
		"Times the session was seen going down after being up (kept in the history file across restarts).", sessionLabels, nil)
	descReceived = prometheus.NewDesc("peerform_session_prefixes_received",
		"Routes accepted from the peer, per address family.", append(sessionLabels, "family"), nil)
	descLimit = prometheus.NewDesc("peerform_session_prefix_limit",
		"The session's max-prefix limit, per address family.", append(sessionLabels, "family"), nil)
	descInvalid = prometheus.NewDesc("peerform_session_rpki_invalid_routes",
		"RPKI-invalid routes accepted from the peer (absent when the router cannot tell).", sessionLabels, nil)
	descError = prometheus.NewDesc("peerform_session_last_error_info",
		"Why the session is down, as the router says (always 1; absent while up).", append(sessionLabels, "error"), nil)
	descRouterUp = prometheus.NewDesc("peerform_router_up",
		"1 when the last poll of the router succeeded.", []string{"router"}, nil)
	descPolled = prometheus.NewDesc("peerform_router_last_poll_timestamp_seconds",
		"When the router was last polled.", []string{"router"}, nil)
)

// Describe implements prometheus.Collector.
func (m *Monitor) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descAdminDown, descState, descUptime, descDown, descFlaps,
		descReceived, descLimit, descInvalid, descError, descRouterUp, descPolled} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the last poll of every router.
func (m *Monitor) Collect(ch chan<- prometheus.Metric) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.o.Now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, t := range m.targets {
		r := m.routers[t.Router]
		if r.polled.IsZero() {
			continue
		}
		gauge(descRouterUp, boolValue(r.err == nil), t.Router)
		gauge(descPolled, float64(r.polled.UnixMilli())/1000, t.Router)
		if r.err != nil {
			continue // no stale session values: an alert on the router says why
		}
		for _, c := range r.checks {
			l := []string{c.Router, c.Neighbor.String(), strconv.FormatUint(uint64(c.PeerASN), 10), c.Peer}
			gauge(descUp, boolValue(c.Established), l...)
			gauge(descAdminDown, boolValue(c.Shutdown), l...)
			gauge(descState, 1, append(l, labelText(c.State, 40))...)
			uptime := 0.0
			if c.Established {
				uptime = c.Uptime.Seconds()
			}
			gauge(descUptime, uptime, l...)
			s, _ := m.hist.Get(c.Router, c.Neighbor)
			gauge(descDown, s.DownFor(now).Seconds(), l...)
			ch <- prometheus.MustNewConstMetric(descFlaps, prometheus.CounterValue, float64(s.Flaps), l...)
			for _, f := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
				n, got := c.Received[f]
				max := c.MaxPrefix[f]
				if !got && max == 0 {
					continue // the session does not carry the family
				}
				gauge(descReceived, float64(n), append(l, f.String())...)
				if max > 0 {
					gauge(descLimit, float64(max), append(l, f.String())...)
				}
			}
			if c.RPKIInvalid >= 0 {
				gauge(descInvalid, float64(c.RPKIInvalid), l...)
			}
			if !c.Established && c.Reason != "" {
				gauge(descError, 1, append(l, labelText(c.Reason, 200))...)
			}
		}
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var _ prometheus.Collector = (*Monitor)(nil)
