package deploy_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

// big is a change with many lines (three new peers), so that a connection
// cut a few kilobytes into the push falls in its middle.
var big = []labtest.Session{alpha, gamma, {Peer: "rs"}, {Peer: "delta", MaxPrefix: map[bgp.Family]int{bgp.IPv6: 50}}}

// viaProxy points a target at a cuttable relay in front of its router.
func viaProxy(t *testing.T, l *lab.Lab, tg deploy.Target) (deploy.Target, *labtest.Proxy) {
	e, _ := l.Endpoint(tg.Router)
	p := labtest.NewProxy(t, e.SSH.String())
	tg.Endpoint.Port = p.Port()
	tg.Endpoint.KnownHostsFile = labtest.KnownHostsVia(t, l, tg.Router, p)
	return tg, p
}

func frrRunning(t *testing.T, l *lab.Lab) string {
	out, err := l.Vtysh(context.Background(), "lab-ams-edge1", "show running-config")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// frrManaged is the managed part of lab-ams-edge1's running config, as the
// FRR driver reads it.
func frrManaged(t *testing.T, l *lab.Lab) string {
	t.Helper()
	ctx := context.Background()
	f, err := device.OpenFRR(ctx, labtest.Endpoint(t, l, "lab-ams-edge1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := f.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// 3. The SSH connection is cut in the middle of a push.
func testCut(t *testing.T, l *lab.Lab) {
	ctx := context.Background()

	t.Run("frr reconnects and restores", func(t *testing.T) {
		base(t, l)
		before := frrRunning(t, l)
		tg, p := viaProxy(t, l, labtest.Target(t, l, "lab-ams-edge1", big))
		o := fast(t)
		progress := o.Progress
		o.Progress = func(e deploy.Event) {
			if e.Step == deploy.StepApply {
				p.CutAfter(3000) // a few config lines into the push
			}
			progress(e)
		}
		rep, err := deploy.Run(ctx, []deploy.Target{tg}, o)
		if err != nil {
			t.Fatal(err)
		}
		r := rep.Routers[0]
		if p.Cuts() == 0 || r.Status != deploy.RolledBack || !strings.Contains(r.Error, "connection") {
			t.Fatalf("cuts=%d status=%s error=%q: want a cut and a rollback", p.Cuts(), r.Status, r.Error)
		}
		if p.Accepted() < 2 {
			t.Errorf("the driver did not reconnect (%d connections)", p.Accepted())
		}
		if after := frrRunning(t, l); after != before {
			t.Errorf("after the cut and the rollback the config is not the old one:\n%s", after)
		}
	})

	t.Run("frr cannot reconnect; the next run converges", func(t *testing.T) {
		base(t, l)
		old := frrManaged(t, l)
		tg, p := viaProxy(t, l, labtest.Target(t, l, "lab-ams-edge1", big))
		o := fast(t)
		o.ConfirmTimeout, o.VerifyTimeout = 12*time.Second, 2*time.Second
		progress := o.Progress
		o.Progress = func(e deploy.Event) {
			if e.Step == deploy.StepApply {
				p.CutAfter(3000)
				p.Refuse(true)
			}
			progress(e)
		}
		start := time.Now()
		rep, _ := deploy.Run(ctx, []deploy.Target{tg}, o)
		if r := rep.Routers[0]; r.Status != deploy.Failed || !strings.Contains(r.Error, "rollback failed") {
			t.Fatalf("status %s, error %q: want failed with the rollback impossible", r.Status, r.Error)
		}
		running := frrRunning(t, l)
		if !strings.Contains(running, "route-map PEERFORM-LOCK") {
			t.Errorf("no lock marker left on the router:\n%s", running)
		}
		want, _ := device.NormalizeFRR(tg.Config)
		if mixed := frrManaged(t, l); mixed == old || mixed == want {
			t.Errorf("the cut did not fall in the middle of the push (the router runs the old or the new config)")
		}
		// The lock holds until its confirm deadline; then the next run
		// reports the leftover and converges.
		time.Sleep(time.Until(start.Add(13 * time.Second)))
		p.Refuse(false)
		o = fast(t)
		var sawLeftover bool
		o.Progress = func(e deploy.Event) {
			sawLeftover = sawLeftover || e.Step == deploy.StepLeftover
			t.Logf("%s %-9s %s", e.Router, e.Step, e.Message)
		}
		rep = mustDeploy(t, []deploy.Target{tg}, o)
		if !sawLeftover || rep.Routers[0].Leftover == "" {
			t.Errorf("the next run did not report the unfinished change")
		}
		if got := frrManaged(t, l); got != want {
			t.Errorf("not converged:\n%s", got)
		}
		if strings.Contains(frrRunning(t, l), "PEERFORM-LOCK") {
			t.Errorf("lock marker still there after converging")
		}
	})

	t.Run("bird reconnects and undoes", func(t *testing.T) {
		base(t, l)
		conf := labtest.ReadFile(t, l, "lab-fra-edge1", "bird.conf")
		before, _ := l.Birdc(ctx, "lab-fra-edge1", "show protocols")
		tg, p := viaProxy(t, l, labtest.Target(t, l, "lab-fra-edge1", []labtest.Session{alpha, beta}))
		o := fast(t)
		progress := o.Progress
		o.Progress = func(e deploy.Event) {
			if e.Step == deploy.StepVerify { // applied, not confirmed
				p.Cut()
			}
			progress(e)
		}
		rep, err := deploy.Run(ctx, []deploy.Target{tg}, o)
		if err != nil {
			t.Fatal(err)
		}
		if r := rep.Routers[0]; r.Status != deploy.RolledBack || p.Accepted() < 3 {
			t.Fatalf("status %s (%s), %d connections: want a reconnect and a rollback", r.Status, r.Error, p.Accepted())
		}
		after, _ := l.Birdc(ctx, "lab-fra-edge1", "show protocols")
		if protocolNames(after) != protocolNames(before) || labtest.ReadFile(t, l, "lab-fra-edge1", "bird.conf") != conf {
			t.Errorf("not back on the old config:\n%s", after)
		}
	})

	t.Run("bird cut during the upload; the next run converges", func(t *testing.T) {
		base(t, l)
		conf := labtest.ReadFile(t, l, "lab-fra-edge1", "bird.conf")
		tg, p := viaProxy(t, l, labtest.Target(t, l, "lab-fra-edge1", []labtest.Session{alpha, beta, {Peer: "rs"}}))
		o := fast(t)
		o.ConfirmTimeout, o.VerifyTimeout = 12*time.Second, 2*time.Second
		progress := o.Progress
		o.Progress = func(e deploy.Event) {
			if e.Step == deploy.StepApply {
				p.CutAfter(600) // lock file written, config upload in flight
				p.Refuse(true)
			}
			progress(e)
		}
		start := time.Now()
		rep, _ := deploy.Run(ctx, []deploy.Target{tg}, o)
		if r := rep.Routers[0]; r.Status != deploy.Failed {
			t.Fatalf("status %s (%s), want failed", r.Status, r.Error)
		}
		if got := labtest.ReadFile(t, l, "lab-fra-edge1", "bird.conf"); got != conf {
			t.Errorf("bird.conf changed by an interrupted push")
		}
		if _, err := l.WaitSessions(ctx, lab.LinksOf(l.Topology.Links(), "lab-fra-edge1", "alpha", 0), 5*time.Second); err != nil {
			t.Errorf("BIRD does not run the old config: %v", err)
		}
		time.Sleep(time.Until(start.Add(13 * time.Second)))
		p.Refuse(false)
		rep = mustDeploy(t, []deploy.Target{tg}, fast(t))
		if rep.Routers[0].Leftover == "" {
			t.Errorf("the next run did not report the unfinished change")
		}
		if have, want := readBack(t, tg); have != want {
			t.Errorf("BIRD does not run the new config after converging:\n%s", have)
		}
	})

	t.Run("bird undoes an unconfirmed change by itself", func(t *testing.T) {
		base(t, l)
		before, _ := l.Birdc(ctx, "lab-fra-edge1", "show protocols")
		tg, p := viaProxy(t, l, labtest.Target(t, l, "lab-fra-edge1", []labtest.Session{alpha, beta}))
		o := fast(t)
		o.ConfirmTimeout, o.VerifyTimeout = 12*time.Second, 2*time.Second
		progress := o.Progress
		var during string
		var applied time.Time
		o.Progress = func(e deploy.Event) {
			if e.Step == deploy.StepVerify { // applied, not confirmed
				applied = time.Now()
				during, _ = l.Birdc(ctx, "lab-fra-edge1", "show protocols")
				p.Refuse(true)
				p.Cut()
			}
			progress(e)
		}
		rep, _ := deploy.Run(ctx, []deploy.Target{tg}, o)
		if r := rep.Routers[0]; r.Status != deploy.Failed {
			t.Fatalf("status %s (%s), want failed", r.Status, r.Error)
		}
		if protocolNames(during) == protocolNames(before) {
			t.Fatalf("the change was not active before its timeout")
		}
		// BIRD's timer started when it took the change, which on a loaded
		// machine can be seconds after deploy.Run began: wait for its undo
		// from then, bounding a BIRD that never undoes rather than
		// assuming how fast it gets there.
		var after string
		err := lab.WaitFor(ctx, "BIRD to undo the unconfirmed change", time.Until(applied.Add(o.ConfirmTimeout+time.Minute)), func() error {
			after, _ = l.Birdc(ctx, "lab-fra-edge1", "show protocols")
			if protocolNames(after) != protocolNames(before) {
				return errors.New("the unconfirmed change is still active")
			}
			return nil
		})
		if err != nil {
			t.Errorf("BIRD did not undo the unconfirmed change at its timeout: %v\n%s", err, after)
		}
		// The run's lock holds until its confirm deadline, which BIRD's
		// timer (whole seconds, rounded down) may undo just before: the
		// lock was taken before the change was applied, so it has expired
		// by applied + ConfirmTimeout.
		time.Sleep(time.Until(applied.Add(o.ConfirmTimeout)))
		p.Refuse(false)
		mustDeploy(t, []deploy.Target{tg}, fast(t)) // converges and cleans up the lock
	})
}

// 4. Wrong credentials or an unreachable router: a clear error naming the
// router, and no other router touched.
func testBadAccess(t *testing.T, l *lab.Lab) {
	ctx := context.Background()
	base(t, l)
	wrongKey := filepath.Join(t.TempDir(), "id_wrong")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	blk, _ := ssh.MarshalPrivateKey(priv, "")
	if err := os.WriteFile(wrongKey, pem.EncodeToMemory(blk), 0o600); err != nil {
		t.Fatal(err)
	}
	closed := labtest.NewProxy(t, "127.0.0.1:1")
	closed.Refuse(true)
	for name, broken := range map[string]func(*deploy.Target){
		"wrong key":   func(tg *deploy.Target) { tg.Endpoint.KeyFile = wrongKey },
		"wrong user":  func(tg *deploy.Target) { tg.Endpoint.User = "nobody" },
		"unreachable": func(tg *deploy.Target) { tg.Endpoint.Port = closed.Port() },
		"no password": func(tg *deploy.Target) {
			tg.Endpoint.KeyFile, tg.Endpoint.PasswordEnv = "", "PEERFORM_TEST_UNSET_PASSWORD"
		},
	} {
		t.Run(name, func(t *testing.T) {
			frrBefore, birdBefore := frrRunning(t, l), labtest.ReadFile(t, l, "lab-fra-edge1", "bird.conf")
			bad := labtest.Target(t, l, "lab-fra-edge1", []labtest.Session{alpha, beta})
			broken(&bad)
			good := labtest.Target(t, l, "lab-ams-edge1", []labtest.Session{alpha, gamma})
			rep, err := deploy.Run(ctx, []deploy.Target{good, bad}, fast(t))
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.Routers[1].Status != deploy.Failed || !strings.HasPrefix(rep.Routers[1].Error, "lab-fra-edge1: connecting") {
				t.Errorf("lab-fra-edge1: %s %q, want failed naming the router", rep.Routers[1].Status, rep.Routers[1].Error)
			}
			t.Logf("error: %s", rep.Routers[1].Error)
			if rep.Routers[0].Status != deploy.Skipped {
				t.Errorf("lab-ams-edge1: %s, want skipped", rep.Routers[0].Status)
			}
			if frrRunning(t, l) != frrBefore || labtest.ReadFile(t, l, "lab-fra-edge1", "bird.conf") != birdBefore {
				t.Errorf("a router was changed")
			}
		})
	}
}

// 5. RPKI-invalid routes, routes outside the peer's IRR data and routes
// of a peer without IRR data are not accepted; everything else the peers
// announce is. The routers are asked route by route, per neighbor, and
// held to what the example's IRR and RPKI data say (lab.Example).
func testFilters(t *testing.T, l *lab.Lab) {
	peers := map[string][]labtest.Session{
		"lab-ams-edge1": {alpha, gamma, {Peer: "rs"}, {Peer: "delta"}},
		"lab-fra-edge1": {alpha, beta, {Peer: "rs"}},
	}
	var targets []deploy.Target
	for _, router := range []string{"lab-ams-edge1", "lab-fra-edge1"} {
		targets = append(targets, labtest.Target(t, l, router, peers[router]))
	}
	mustDeploy(t, targets, fast(t))
	// RPKI data and route refresh settle after the sessions.
	rep, err := l.WaitRoutes(context.Background(), 30*time.Second)
	if err != nil {
		for _, v := range rep.Mismatches() {
			t.Errorf("%s", v)
		}
		t.Fatal(err)
	}
	for _, router := range []string{"lab-ams-edge1", "lab-fra-edge1"} {
		rejected := map[string]int{}
		for _, v := range rep.Routes {
			if v.Router == router && !v.Want {
				rejected[v.Reason]++
			}
		}
		t.Logf("%s: %s", router, rep.Summary(router))
		if rejected[lab.RejectRPKIInvalid] == 0 || rejected[lab.RejectNotInIRR] == 0 {
			t.Errorf("%s: the scenario lacks crafted routes: %v", router, rejected)
		}
	}
	chk := deploy.Check(context.Background(), targets, deploy.CheckOptions{})
	for _, s := range chk.Sessions {
		if s.RPKIInvalid != 0 {
			t.Errorf("%s %s: %d RPKI-invalid routes accepted", s.Router, s.Neighbor, s.RPKIInvalid)
		}
	}
}

// acceptable counts the routes of a peer in a family that a correct
// filter accepts.
func acceptable(l *lab.Lab, peer string, fam bgp.Family) int {
	p, _ := l.Topology.Peer(peer)
	n := 0
	for _, an := range p.Announce {
		if ok, _ := l.Topology.Acceptable(p, an); ok && bgp.FamilyOf(an.Prefix.Addr()) == fam {
			n++
		}
	}
	return n
}

// 5. A peer that sends more routes than its max-prefix is handled as the
// policy says: "shutdown" takes the session down (and a deploy that adds
// it is rolled back with that reason), "warn" keeps it up with a warning.
// No peer of the example exceeds the limit the example gives it, so the
// test sets a tighter one: alpha's IPv4 routes (lab.Example) against a
// limit of 2, as a max_prefix in its peer file would.
func testMaxPrefix(t *testing.T, l *lab.Lab) {
	ctx := context.Background()
	other := map[string]labtest.Session{"lab-ams-edge1": gamma, "lab-fra-edge1": beta}
	limit := map[bgp.Family]int{bgp.IPv4: 2}
	want := acceptable(l, "alpha", bgp.IPv4)
	if want <= limit[bgp.IPv4] {
		t.Fatalf("alpha sends %d acceptable IPv4 routes, not more than the limit %d", want, limit[bgp.IPv4])
	}
	for _, router := range []string{"lab-ams-edge1", "lab-fra-edge1"} {
		t.Run(router, func(t *testing.T) {
			mustDeploy(t, []deploy.Target{labtest.Target(t, l, router, []labtest.Session{other[router]})}, fast(t))
			shut := labtest.Target(t, l, router, []labtest.Session{other[router], {Peer: "alpha", MaxPrefix: limit}})
			rep, err := deploy.Run(ctx, []deploy.Target{shut}, fast(t))
			if err != nil {
				t.Fatal(err)
			}
			if r := rep.Routers[0]; r.Status != deploy.RolledBack || !strings.Contains(r.Error, "max-prefix exceeded") {
				t.Errorf("shutdown policy: %s %q, want rolled back for max-prefix", r.Status, r.Error)
			}

			warn := labtest.Target(t, l, router, []labtest.Session{other[router], {Peer: "alpha", MaxPrefix: limit, MaxPrefixAction: "warn"}})
			mustDeploy(t, []deploy.Target{warn}, fast(t))
			var alpha4 deploy.SessionCheck
			var chk deploy.CheckReport
			deadline := time.Now().Add(15 * time.Second) // RPKI keeps the invalid route out
			for {
				chk = deploy.Check(ctx, []deploy.Target{warn}, deploy.CheckOptions{Wait: 10 * time.Second})
				for _, s := range chk.Sessions {
					if s.Peer == "alpha" && s.Neighbor.Is4() {
						alpha4 = s
					}
				}
				if alpha4.Received[bgp.IPv4] == want || time.Now().After(deadline) {
					break
				}
				time.Sleep(500 * time.Millisecond)
			}
			if !alpha4.Established || alpha4.Received[bgp.IPv4] != want || len(alpha4.Warnings) == 0 {
				t.Errorf("warn policy: %+v, want Established with %d routes and a warning", alpha4, want)
			}
			if !chk.OK {
				t.Errorf("check: %+v", chk)
			}

			// The router enforces "shutdown" by itself once the peer goes
			// over the limit: apply it directly, bypassing verification.
			d, err := device.Dial(ctx, shut.Platform, shut.Endpoint, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if err := d.Apply(ctx, shut.Config, time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := d.Confirm(ctx); err != nil {
				t.Fatal(err)
			}
			chk = deploy.Check(ctx, []deploy.Target{shut}, deploy.CheckOptions{Wait: 3 * time.Second})
			var down bool
			for _, s := range chk.Sessions {
				if s.Peer == "alpha" && s.Neighbor.Is4() {
					down = !s.Established && s.Reason == "max-prefix exceeded"
					if !down {
						t.Errorf("shutdown policy: alpha %s %s %q, want down for max-prefix", s.Neighbor, s.State, s.Reason)
					}
				}
			}
			if !down || chk.OK {
				t.Errorf("check passes with alpha over its limit: %+v", chk)
			}
		})
	}
}
