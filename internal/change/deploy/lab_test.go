package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

// The scenarios of a lab test share its lab and run in order; each starts
// by deploying the state it needs, so any one of them can also run alone
// (go test -run 'TestLab/rollback').

var (
	alpha = labtest.Session{Peer: "alpha"}
	beta  = labtest.Session{Peer: "beta"}
	gamma = labtest.Session{Peer: "gamma"}
)

// fast are rollout options that suit the lab: its peers retry within
// seconds, so sessions come up fast or not at all. (A GoBGP peer that was
// just removed can take ten seconds to accept a session again.)
func fast(t *testing.T) deploy.Options {
	return deploy.Options{
		ConfirmTimeout: 60 * time.Second, VerifyTimeout: 20 * time.Second, Poll: 250 * time.Millisecond, Settle: 2 * time.Second,
		Progress: func(e deploy.Event) { t.Logf("%s %-9s %s", e.Router, e.Step, e.Message) },
	}
}

// base deploys alpha on both routers: the state most scenarios start from.
func base(t *testing.T, l *lab.Lab) []deploy.Target {
	t.Helper()
	targets := []deploy.Target{
		labtest.Target(t, l, "lab-ams-edge1", []labtest.Session{alpha}),
		labtest.Target(t, l, "lab-fra-edge1", []labtest.Session{alpha}),
	}
	mustDeploy(t, targets, fast(t))
	return targets
}

func mustDeploy(t *testing.T, targets []deploy.Target, o deploy.Options) deploy.Report {
	t.Helper()
	rep, err := deploy.Run(context.Background(), targets, o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("deploy failed: %+v", rep.Routers)
	}
	return rep
}

// Two labs side by side: most of the time goes into waiting for BGP and
// for confirm timers, not into CPU.
func TestLab(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.Options{})

	t.Run("new peer", func(t *testing.T) { testNewPeer(t, l) })
	t.Run("rollback", func(t *testing.T) { testRollback(t, l) })
	t.Run("bad access", func(t *testing.T) { testBadAccess(t, l) })
	t.Run("filters", func(t *testing.T) { testFilters(t, l) })
	t.Run("policy", func(t *testing.T) { testPolicy(t, l) })
	t.Run("no-op", func(t *testing.T) { testNoOp(t, l) })
	t.Run("refused change", func(t *testing.T) { testRefused(t, l) })
}

func TestLabFailures(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.Options{})

	t.Run("cut connection", func(t *testing.T) { testCut(t, l) })
	t.Run("max-prefix", func(t *testing.T) { testMaxPrefix(t, l) })
}

// 1. A new peer is deployed to FRR and to BIRD; both sessions reach
// Established and Check passes.
func testNewPeer(t *testing.T, l *lab.Lab) {
	base(t, l)
	targets := []deploy.Target{
		labtest.Target(t, l, "lab-ams-edge1", []labtest.Session{alpha, gamma}),
		labtest.Target(t, l, "lab-fra-edge1", []labtest.Session{alpha, beta}),
	}
	rep := mustDeploy(t, targets, fast(t))
	for _, r := range rep.Routers {
		if r.Status != deploy.Deployed {
			t.Errorf("%s: %s, want deployed", r.Router, r.Status)
		}
		t.Logf("%s: deploy to verified in %s", r.Router, r.Applied)
	}
	if _, err := l.WaitSessions(context.Background(), append(lab.LinksOf(l.Topology.Links(), "lab-ams-edge1", "gamma", 0),
		lab.LinksOf(l.Topology.Links(), "lab-fra-edge1", "beta", 0)...), 10*time.Second); err != nil {
		t.Errorf("the peers do not see the new sessions: %v", err)
	}
	chk := deploy.Check(context.Background(), targets, deploy.CheckOptions{Wait: 10 * time.Second})
	if !chk.OK {
		t.Errorf("check not OK: %+v", chk)
	}
	if len(chk.Sessions) != 8 {
		t.Errorf("check reports %d sessions, want 8", len(chk.Sessions))
	}
}

// 2. A change that cannot come up (wrong remote ASN) is rolled back: the
// running config is the one before, byte for byte, and the earlier
// sessions are Established again.
func testRollback(t *testing.T, l *lab.Lab) {
	ctx := context.Background()
	base(t, l)
	for _, tc := range []struct {
		router string
		peer   labtest.Session
		before func() string
	}{
		{"lab-ams-edge1", labtest.Session{Peer: "gamma", ASN: 64599}, func() string {
			out, err := l.Vtysh(ctx, "lab-ams-edge1", "show running-config")
			if err != nil {
				t.Fatal(err)
			}
			return out
		}},
		{"lab-fra-edge1", labtest.Session{Peer: "beta", ASN: 64598}, func() string {
			out, err := l.Birdc(ctx, "lab-fra-edge1", "show protocols")
			if err != nil {
				t.Fatal(err)
			}
			conf := labtest.ReadFile(t, l, "lab-fra-edge1", "bird.conf")
			return conf + "\n--\n" + protocolNames(out)
		}},
	} {
		t.Run(tc.router, func(t *testing.T) {
			before := tc.before()
			tg := labtest.Target(t, l, tc.router, []labtest.Session{alpha, tc.peer})
			o := fast(t)
			o.VerifyTimeout = 8 * time.Second // the wrong AS never comes up: do not wait long
			rep, err := deploy.Run(ctx, []deploy.Target{tg}, o)
			if err != nil {
				t.Fatal(err)
			}
			r := rep.Routers[0]
			if rep.OK || r.Status != deploy.RolledBack {
				t.Fatalf("status %s (ok=%v), want rolled-back: %s", r.Status, rep.OK, r.Error)
			}
			wrong := fmt.Sprintf("AS%d", tc.peer.ASN)
			if !strings.Contains(r.Error, wrong) || !strings.Contains(r.Error, "not verified") {
				t.Errorf("error does not say which session failed: %s", r.Error)
			}
			if after := tc.before(); after != before {
				t.Errorf("config after the rollback differs from before:\n--- before\n%s\n--- after\n%s", before, after)
			}
			if _, err := l.WaitSessions(ctx, lab.LinksOf(l.Topology.Links(), tc.router, "alpha", 0), 15*time.Second); err != nil {
				t.Errorf("earlier sessions not back after the rollback: %v", err)
			}
		})
	}
}

func protocolNames(showProtocols string) string {
	var names []string
	for _, line := range strings.Split(showProtocols, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, f[0]+" "+f[1])
		}
	}
	return strings.Join(names, "\n")
}

// 6. A rerun with nothing changed touches no router.
func testNoOp(t *testing.T, l *lab.Lab) {
	targets := base(t, l)
	o := fast(t)
	counter := &applyCounter{}
	o.Dial = counter.dial
	status := settledStatus(t, l, "lab-fra-edge1")
	rep := mustDeploy(t, targets, o)
	for _, r := range rep.Routers {
		if r.Status != deploy.Unchanged || len(r.Diff) != 0 {
			t.Errorf("%s: %s with diff %q, want unchanged", r.Router, r.Status, r.Diff)
		}
	}
	if n := counter.count(); n != 0 {
		t.Errorf("%d Apply calls on a no-op rerun", n)
	}
	after := settledStatus(t, l, "lab-fra-edge1")
	if lastReconf(after) != lastReconf(status) {
		t.Errorf("BIRD was reconfigured on a no-op rerun: %q → %q", lastReconf(status), lastReconf(after))
	}
}

// settledStatus is BIRD's "show status" once no reconfiguration is in
// progress: until BIRD has finished the one the base deploy started, its
// "Last reconfiguration" may still move, which is not a change of ours.
func settledStatus(t *testing.T, l *lab.Lab, router string) string {
	t.Helper()
	var status string
	err := lab.WaitFor(context.Background(), "BIRD on "+router+" to finish reconfiguring", 30*time.Second, func() error {
		var err error
		if status, err = l.Birdc(context.Background(), router, "show status"); err != nil {
			return err
		}
		if !strings.Contains(status, "Daemon is up and running") {
			return errors.New(strings.TrimSpace(status))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return status
}

func lastReconf(status string) string {
	for _, l := range strings.Split(status, "\n") {
		if strings.HasPrefix(l, "Last reconfiguration") {
			return l
		}
	}
	return ""
}

// applyCounter wraps the real drivers to count Apply calls.
type applyCounter struct {
	mu sync.Mutex
	n  int
}

func (c *applyCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *applyCounter) dial(ctx context.Context, t deploy.Target) (device.Driver, error) {
	d, err := device.Dial(ctx, t.Platform, t.Endpoint, nil)
	if err != nil {
		return nil, err
	}
	return countingDriver{Driver: d, c: c}, nil
}

type countingDriver struct {
	device.Driver
	c *applyCounter
}

// Normalize and Leftover forward the optional interfaces deploy uses.
func (d countingDriver) Normalize(cfg string) (string, error) {
	if n, ok := d.Driver.(device.Normalizer); ok {
		return n.Normalize(cfg)
	}
	return cfg, nil
}

func (d countingDriver) Leftover(ctx context.Context) (*device.Leftover, error) {
	if r, ok := d.Driver.(device.LeftoverReporter); ok {
		return r.Leftover(ctx)
	}
	return nil, nil
}

func (d countingDriver) Apply(ctx context.Context, cfg string, timeout time.Duration) error {
	d.c.mu.Lock()
	d.c.n++
	d.c.mu.Unlock()
	return d.Driver.Apply(ctx, cfg, timeout)
}

// The rollout policy: order, parallelism and router pairs that must never
// change at once, seen in when each router's change starts and ends.
func testPolicy(t *testing.T, l *lab.Lab) {
	base(t, l)
	for i, tc := range []struct {
		name     string
		parallel int
		never    [][2]string
		overlap  bool
	}{
		{"one at a time, in order", 1, nil, false},
		{"two at once", 2, nil, true},
		{"never together", 2, [][2]string{{"lab-fra-edge1", "lab-ams-edge1"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			extra := map[bool][]labtest.Session{true: {alpha, gamma}, false: {alpha}}[i%2 == 0]
			fraExtra := map[bool][]labtest.Session{true: {alpha, beta}, false: {alpha}}[i%2 == 0]
			targets := []deploy.Target{ // policy order: fra first
				labtest.Target(t, l, "lab-fra-edge1", fraExtra),
				labtest.Target(t, l, "lab-ams-edge1", extra),
			}
			o := fast(t)
			o.Parallel, o.NeverTogether = tc.parallel, tc.never
			var mu sync.Mutex
			start, end := map[string]time.Time{}, map[string]time.Time{}
			o.Progress = func(e deploy.Event) {
				mu.Lock()
				defer mu.Unlock()
				switch e.Step {
				case deploy.StepApply:
					start[e.Router] = e.Time
				case deploy.StepDone, deploy.StepRollback, deploy.StepFailed:
					end[e.Router] = e.Time
				}
			}
			mustDeploy(t, targets, o)
			fs, fe, as, ae := start["lab-fra-edge1"], end["lab-fra-edge1"], start["lab-ams-edge1"], end["lab-ams-edge1"]
			overlap := fs.Before(ae) && as.Before(fe)
			if overlap != tc.overlap {
				t.Errorf("fra %s–%s, ams %s–%s: overlap %v, want %v", fs.Format("05.000"), fe.Format("05.000"),
					as.Format("05.000"), ae.Format("05.000"), overlap, tc.overlap)
			}
			if !tc.overlap && !fs.Before(as) {
				t.Errorf("lab-ams-edge1 changed before lab-fra-edge1, against the order")
			}
		})
	}
}

// readBack reads back what a target's router runs, in the form its driver
// compares, and the target's config in that form.
func readBack(t *testing.T, tg deploy.Target) (have, want string) {
	t.Helper()
	ctx := context.Background()
	d, err := device.Dial(ctx, tg.Platform, tg.Endpoint, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	want = tg.Config
	if n, ok := d.(device.Normalizer); ok {
		if want, err = n.Normalize(want); err != nil {
			t.Fatal(err)
		}
	}
	if have, err = d.Running(ctx); err != nil {
		t.Fatal(err)
	}
	return have, want
}

// 7. Change A is confirmed; change B is then refused by the router (a
// line FRR does not know, an MD5 password BIRD cannot parse). The router
// runs A, read back, check passes, and B fixed converges.
func testRefused(t *testing.T, l *lab.Lab) {
	ctx := context.Background()
	tight := map[bgp.Family]int{bgp.IPv4: 999}
	for _, tc := range []struct {
		router  string
		peer    string
		refused func(string) string
	}{
		{"lab-ams-edge1", "gamma", func(cfg string) string {
			return strings.Replace(cfg, " neighbor 192.0.2.13 timers connect 3\n", " neighbor 192.0.2.13 timers connect 3\n neighbor 192.0.2.13 frobnicate\n", 1)
		}},
		{"lab-fra-edge1", "beta", func(cfg string) string {
			return strings.Replace(cfg, "  connect delay time 1;", "  connect delay time 1;\n  password \"x\"y\";", 1)
		}},
	} {
		t.Run(tc.router, func(t *testing.T) {
			a := labtest.Target(t, l, tc.router, []labtest.Session{alpha, {Peer: tc.peer, MaxPrefix: tight}})
			mustDeploy(t, []deploy.Target{a}, fast(t))

			fixed := labtest.Target(t, l, tc.router, []labtest.Session{alpha, {Peer: tc.peer, MaxPrefix: map[bgp.Family]int{bgp.IPv4: 998}}})
			b := fixed
			b.Config = tc.refused(fixed.Config)
			if b.Config == fixed.Config {
				t.Fatal("the refused change is no different from the fixed one")
			}
			rep, err := deploy.Run(ctx, []deploy.Target{b}, fast(t))
			if err != nil {
				t.Fatal(err)
			}
			if r := rep.Routers[0]; r.Status != deploy.RolledBack || !strings.Contains(r.Error, "rejected by the router") {
				t.Fatalf("change B: %s %q, want rolled back as refused", r.Status, r.Error)
			}
			if have, want := readBack(t, a); have != want {
				t.Errorf("the router does not run change A after B was refused:\n%s", have)
			}
			if chk := deploy.Check(ctx, []deploy.Target{a}, deploy.CheckOptions{Wait: 15 * time.Second}); !chk.OK {
				t.Errorf("check after the refused change: %+v", chk)
			}
			rep = mustDeploy(t, []deploy.Target{fixed}, fast(t))
			if r := rep.Routers[0]; r.Status != deploy.Deployed || r.Drift != "" {
				t.Errorf("B fixed: %s, drift %q", r.Status, r.Drift)
			}
			if have, want := readBack(t, fixed); have != want {
				t.Errorf("B fixed did not converge:\n%s", have)
			}
		})
	}
}
