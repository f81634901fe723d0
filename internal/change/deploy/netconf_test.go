package deploy_test

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/change/device/netconftest"
	"github.com/peerform/peerform/internal/change/openconfig"
	"github.com/peerform/peerform/internal/core/bgp"
)

// Deploys to a real netconfd (package netconftest). netconfd keeps the
// peerform-bgp configuration but reports no session state, so the netconf
// platform is verified by reading its configuration back (VerifyConfig).
// Where a router does report state, the same rules as on every platform
// apply; netconfd cannot, so those tests wrap its driver in one that adds
// the states a router would report, and everything else (apply, read
// back, confirm, cancel-commit) is the real server's.

var (
	alphaV4 = netip.MustParseAddr("192.0.2.64")
	gammaV4 = netip.MustParseAddr("192.0.2.65")
)

// netconfTarget is a netconf router on srv with sessions to alpha and,
// with gamma, to gamma too.
func netconfTarget(t *testing.T, srv *netconftest.Server, verify deploy.Verification, gamma bool) deploy.Target {
	t.Helper()
	neighbors := []openconfig.Neighbor{{Address: alphaV4, PeerAS: 64501, Description: "Doc Transit Alpha", PeerGroup: "PEERFORM_DOC_IX_AMS_V4",
		AFISAFIs: []openconfig.AFISAFI{{Family: bgp.IPv4, MaxPrefixes: 1100}}}}
	if gamma {
		neighbors = append(neighbors, openconfig.Neighbor{Address: gammaV4, PeerAS: 64503, Description: "Doc Eyeballs Gamma",
			AuthPassword: "k&y<\"secret\">", AFISAFIs: []openconfig.AFISAFI{{Family: bgp.IPv4, MaxPrefixes: 55}}})
	}
	payload, err := openconfig.Build(64500, neighbors)
	if err != nil {
		t.Fatal(err)
	}
	tg := deploy.Target{Router: "ams-nc1", Platform: "netconf", Verify: verify,
		Endpoint: device.Endpoint{Host: srv.Host, Port: srv.Port, User: srv.User, KeyFile: srv.KeyFile,
			KnownHostsFile: srv.KnownHostsFile, NETCONF: true},
		// The comment in front is what render puts there; it is not sent.
		Config:  "<!-- rendered by peerform -->\n" + payload,
		Secrets: []string{"k&y<\"secret\">", "k&amp;y&lt;&#34;secret&#34;&gt;"},
	}
	for _, n := range neighbors {
		tg.Intended = append(tg.Intended, deploy.IntendedSession{Neighbor: n.Address, PeerASN: n.PeerAS,
			MaxPrefix: map[bgp.Family]int{bgp.IPv4: int(n.AFISAFIs[0].MaxPrefixes)}})
	}
	return tg
}

// ncOptions suit netconfd: quick polls, a short verify window.
func ncOptions(t *testing.T, dial deploy.DialFunc) (deploy.Options, *[]deploy.Event) {
	var mu sync.Mutex
	var events []deploy.Event
	return deploy.Options{
		ConfirmTimeout: 30 * time.Second, VerifyTimeout: 3 * time.Second, Poll: 250 * time.Millisecond, Settle: time.Second,
		Dial: dial,
		Progress: func(e deploy.Event) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
			t.Logf("%s %-9s %s", e.Router, e.Step, e.Message)
		},
	}, &events
}

func running(t *testing.T, srv *netconftest.Server) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := device.OpenNetconf(ctx, device.Endpoint{Host: srv.Host, Port: srv.Port, User: srv.User, KeyFile: srv.KeyFile,
		KnownHostsFile: srv.KnownHostsFile}, device.NetconfOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	got, err := n.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func payloadOf(t *testing.T, tg deploy.Target) string {
	t.Helper()
	c, _, err := openconfig.Parse([]byte(tg.Config))
	if err != nil {
		t.Fatal(err)
	}
	p, err := openconfig.Build(c.LocalAS, c.Neighbors)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestNetconfVerifiedByConfig: on netconfd, a change is verified by
// reading the configuration back and confirmed; the sessions are reported
// as configured with their state unknown, and the progress says so. A
// second run changes nothing. With session verification the same change
// is rolled back: an unknown state never passes for Established.
func TestNetconfVerifiedByConfig(t *testing.T) {
	t.Parallel()
	srv := netconftest.Start(t)
	tg := netconfTarget(t, srv, deploy.VerifyConfig, true)
	o, events := ncOptions(t, nil)
	rep, err := deploy.Run(context.Background(), []deploy.Target{tg}, o)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Routers[0]
	if !rep.OK || r.Status != deploy.Deployed || r.Verification != deploy.VerifyConfig || len(r.Sessions) != 2 {
		t.Fatalf("report %+v", r)
	}
	for _, s := range r.Sessions {
		if !s.StateUnknown || s.Established || s.State != device.StateUnknown {
			t.Errorf("session %+v", s)
		}
	}
	if got := running(t, srv); got != payloadOf(t, tg) {
		t.Errorf("running:\n%s", got)
	}
	var said strings.Builder
	for _, e := range *events {
		said.WriteString(e.Message + "\n")
	}
	for _, want := range []string{"configuration read back: it is the rendered one", "2 of 2 sessions not verified: the router reports no session state",
		"deployed and verified by reading the configuration back"} {
		if !strings.Contains(said.String(), want) {
			t.Errorf("progress does not say %q:\n%s", want, said.String())
		}
	}
	if shown := said.String() + strings.Join(r.Diff, "\n"); strings.Contains(shown, "k&y") || strings.Contains(shown, "k&amp;y") {
		t.Errorf("the MD5 key was shown:\n%s%s", said.String(), r.Diff)
	}

	rep, _ = deploy.Run(context.Background(), []deploy.Target{tg}, o)
	if rep.Routers[0].Status != deploy.Unchanged {
		t.Errorf("second run: %+v", rep.Routers[0])
	}

	// Without gamma, verified by sessions: rolled back, the state of
	// alpha being unknown.
	less := netconfTarget(t, srv, deploy.VerifySessions, false)
	rep, _ = deploy.Run(context.Background(), []deploy.Target{less}, o)
	if r := rep.Routers[0]; r.Status != deploy.RolledBack || !strings.Contains(r.Error, "Unknown") {
		t.Errorf("session verification on a router without state: %+v", r)
	}
	if got := running(t, srv); got != payloadOf(t, tg) {
		t.Errorf("running after the rollback:\n%s", got)
	}
}

// stateful is a netconfd session that reports the states a router would:
// netconfd keeps the configuration but has no BGP to report on.
type stateful struct {
	*device.Netconf
	states map[netip.Addr]string
}

func (s stateful) Sessions(ctx context.Context) ([]device.Session, error) {
	sessions, err := s.Netconf.Sessions(ctx)
	for i := range sessions {
		if st, ok := s.states[sessions[i].Neighbor]; ok {
			sessions[i].State = st
			if st == "Established" {
				sessions[i].Uptime = time.Hour
			}
		}
	}
	return sessions, err
}

// TestNetconfVerifiedBySessionsWhereReported: with config verification, a
// session whose state the router reports must still be Established: up,
// the change is confirmed; Active, it is rolled back by the real server
// and running is as before.
func TestNetconfVerifiedBySessionsWhereReported(t *testing.T) {
	t.Parallel()
	srv := netconftest.Start(t)
	dialWith := func(states map[netip.Addr]string) deploy.DialFunc {
		return func(ctx context.Context, tg deploy.Target) (device.Driver, error) {
			d, err := device.OpenNetconf(ctx, tg.Endpoint, device.NetconfOptions{})
			if err != nil {
				return nil, err
			}
			return stateful{Netconf: d, states: states}, nil
		}
	}
	base := netconfTarget(t, srv, deploy.VerifyConfig, false)
	o, _ := ncOptions(t, dialWith(map[netip.Addr]string{alphaV4: "Established"}))
	if rep, _ := deploy.Run(context.Background(), []deploy.Target{base}, o); !rep.OK {
		t.Fatalf("alpha Established: %+v", rep.Routers[0])
	}
	if r := running(t, srv); r != payloadOf(t, base) {
		t.Fatalf("running:\n%s", r)
	}

	more := netconfTarget(t, srv, deploy.VerifyConfig, true)
	o, _ = ncOptions(t, dialWith(map[netip.Addr]string{alphaV4: "Established", gammaV4: "Active"}))
	rep, _ := deploy.Run(context.Background(), []deploy.Target{more}, o)
	if r := rep.Routers[0]; r.Status != deploy.RolledBack || !strings.Contains(r.Error, "192.0.2.65 (AS64503) Active") {
		t.Errorf("gamma Active: %+v", r)
	}
	if r := running(t, srv); r != payloadOf(t, base) {
		t.Errorf("running after the rollback:\n%s", r)
	}
}
