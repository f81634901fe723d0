package device_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

// The FRR and BIRD drivers against the real daemons of the lab: one lab,
// subtests in order, each leaving the router confirmed or rolled back.

const (
	ams = "lab-ams-edge1"
	fra = "lab-fra-edge1"
)

var (
	alpha = labtest.Session{Peer: "alpha"}
	gamma = labtest.Session{Peer: "gamma"}
	beta  = labtest.Session{Peer: "beta"}
)

func TestDriversLab(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	t.Run("frr", func(t *testing.T) { testFRR(t, l) })
	t.Run("bird", func(t *testing.T) { testBIRD(t, l) })
	t.Run("ssh agent", func(t *testing.T) { testAgent(t, l) })
	// Last: it stops bgpd.
	t.Run("frr without bgpd", func(t *testing.T) { testNoBGPD(t, l) })
}

// testNoBGPD: a vtysh that cannot reach bgpd leaves bgpd's part out of
// show running-config without a word; the driver refuses such a session
// instead of reading a router without BGP.
func testNoBGPD(t *testing.T, l *lab.Lab) {
	for _, p := range l.Processes {
		if p.Name == ams+"/bgpd" {
			if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err := device.OpenFRR(ctx(t), labtest.Endpoint(t, l, ams), nil)
	if !errors.Is(err, device.ErrConnection) || !strings.Contains(err.Error(), "not connected to bgpd") {
		t.Errorf("opening FRR without bgpd: %v", err)
	}
}

// testAgent logs in with the key held by an SSH agent and no key file: the
// OpenSSH transport for the CLI, the agent protocol for SFTP.
func testAgent(t *testing.T, l *lab.Lab) {
	if _, err := exec.LookPath("ssh-agent"); err != nil {
		t.Skip("ssh-agent is not installed")
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	for i := 0; i < 50; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	if out, err := exec.Command("ssh-add", l.KeyFile).CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	for _, r := range []string{ams, fra} {
		ep := labtest.Endpoint(t, l, r)
		ep.KeyFile = ""
		d, err := device.Dial(ctx(t), map[string]platform.Name{ams: platform.FRR, fra: platform.BIRD2}[r], ep, nil)
		if err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if _, err := d.Running(ctx(t)); err != nil {
			t.Errorf("%s: %v", r, err)
		}
		d.Close()
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func openFRR(t *testing.T, l *lab.Lab) *device.FRR {
	t.Helper()
	f, err := device.OpenFRR(ctx(t), labtest.Endpoint(t, l, ams), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func showRun(t *testing.T, l *lab.Lab) string {
	t.Helper()
	out, err := l.Vtysh(context.Background(), ams, "show running-config")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testFRR(t *testing.T, l *lab.Lab) {
	base := labtest.FRRConfig(l.Topology, ams, []labtest.Session{alpha})
	bigger := labtest.FRRConfig(l.Topology, ams, []labtest.Session{alpha, gamma})

	t.Run("apply and confirm", func(t *testing.T) {
		f := openFRR(t, l)
		if err := f.Apply(ctx(t), base, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := f.Confirm(ctx(t)); err != nil {
			t.Fatal(err)
		}
		want, _ := device.NormalizeFRR(base)
		if got, err := f.Running(ctx(t)); err != nil || got != want {
			t.Errorf("running (%v):\n%s\nwant:\n%s", err, got, want)
		}
		saved := labtest.ReadFile(t, l, ams, "frr.conf")
		if !strings.Contains(saved, "neighbor 192.0.2.11 remote-as 64501") || strings.Contains(saved, "PEERFORM-LOCK") {
			t.Errorf("the confirmed config was not saved, or saved with its lock:\n%s", saved)
		}
		if lo, err := f.Leftover(ctx(t)); lo != nil || err != nil {
			t.Errorf("leftover after a confirm: %v %v", lo, err)
		}
	})

	t.Run("a change by hand is drift, and is converged", func(t *testing.T) {
		f := openFRR(t, l)
		if d, err := f.Drift(ctx(t)); err != nil || d != "" {
			t.Fatalf("drift %q (%v) right after a confirm", d, err)
		}
		if out, err := l.Vtysh(ctx(t), ams, "configure terminal", "router bgp 64500", "neighbor 192.0.2.11 description by hand"); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if d, err := f.Drift(ctx(t)); err != nil || !strings.Contains(d, "not the one peerform last confirmed") {
			t.Errorf("drift %q (%v) after a change by hand", d, err)
		}
		if err := f.Apply(ctx(t), base, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := f.Confirm(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if d, err := f.Drift(ctx(t)); err != nil || d != "" {
			t.Errorf("drift %q (%v) after converging", d, err)
		}
	})

	t.Run("rollback restores the running config byte for byte", func(t *testing.T) {
		before := showRun(t, l)
		f := openFRR(t, l)
		if err := f.Apply(ctx(t), bigger, time.Minute); err != nil {
			t.Fatal(err)
		}
		if mid := showRun(t, l); mid == before || !strings.Contains(mid, "PEERFORM-LOCK") {
			t.Fatalf("the change or its lock is not in the running config")
		}
		if err := f.Rollback(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if after := showRun(t, l); after != before {
			t.Errorf("after the rollback:\n%s\nbefore:\n%s", after, before)
		}
	})

	t.Run("the confirm timer rolls back", func(t *testing.T) {
		before := showRun(t, l)
		f := openFRR(t, l)
		if err := f.Apply(ctx(t), bigger, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		if after := showRun(t, l); after != before {
			t.Errorf("not rolled back at the confirm timeout:\n%s", after)
		}
		if err := f.Confirm(ctx(t)); err == nil {
			t.Errorf("confirming after the timer fired succeeded")
		}
	})

	t.Run("a refused line is ErrRejected and named", func(t *testing.T) {
		before := showRun(t, l)
		f := openFRR(t, l)
		bad := strings.Replace(bigger, " neighbor 192.0.2.13 remote-as 64503\n", " neighbor 192.0.2.13 remote-as 64503\n neighbor 192.0.2.13 frobnicate\n", 1)
		err := f.Apply(ctx(t), bad, time.Minute)
		if !errors.Is(err, device.ErrRejected) || !strings.Contains(err.Error(), "frobnicate") {
			t.Fatalf("error %v", err)
		}
		if err := f.Rollback(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if after := showRun(t, l); after != before {
			t.Errorf("a refused change was not undone:\n%s", after)
		}
	})

	t.Run("a line FRR rewrites fails verification", func(t *testing.T) {
		f := openFRR(t, l)
		odd := base + "bgp community-list standard BH seq 5 permit 65535:666\n"
		err := f.Apply(ctx(t), odd, time.Minute)
		if !errors.Is(err, device.ErrRejected) || !strings.Contains(err.Error(), "permit blackhole") {
			t.Fatalf("error %v", err)
		}
		if err := f.Rollback(ctx(t)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("another run's lock", func(t *testing.T) {
		first, second := openFRR(t, l), openFRR(t, l)
		if err := first.Apply(ctx(t), bigger, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := second.Apply(ctx(t), base, time.Minute); !errors.Is(err, device.ErrLocked) {
			t.Errorf("second Apply during the first: %v", err)
		}
		lo, err := second.Leftover(ctx(t))
		if err != nil || lo == nil || !strings.Contains(lo.Detail, "in progress") {
			t.Errorf("leftover seen by the second session: %v %v", lo, err)
		}
		if err := first.Rollback(ctx(t)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("another router's config is refused", func(t *testing.T) {
		f := openFRR(t, l)
		err := f.Apply(ctx(t), "hostname fra-edge1\n"+base, time.Minute)
		if !errors.Is(err, device.ErrRejected) || !strings.Contains(err.Error(), "hostname") {
			t.Errorf("error %v", err)
		}
	})
}

func openBIRD(t *testing.T, l *lab.Lab) *device.BIRD {
	t.Helper()
	b, err := device.OpenBIRD(ctx(t), labtest.Endpoint(t, l, fra), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func protocols(t *testing.T, l *lab.Lab) string {
	t.Helper()
	out, err := l.Birdc(context.Background(), fra, "show protocols")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(out, "\n")[1:] {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, f[0])
		}
	}
	return strings.Join(names, " ")
}

// noLeftovers checks that no lock, new or temporary file stayed beside
// the config.
func noLeftovers(t *testing.T, l *lab.Lab) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(l.Dir, fra))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), "peerform-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func testBIRD(t *testing.T, l *lab.Lab) {
	base := labtest.BIRDConfig(l.Topology, fra, []labtest.Session{alpha})
	bigger := labtest.BIRDConfig(l.Topology, fra, []labtest.Session{alpha, beta})

	t.Run("apply and confirm", func(t *testing.T) {
		b := openBIRD(t, l)
		if err := b.Apply(ctx(t), base, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := b.Confirm(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Running(ctx(t)); err != nil || got != base {
			t.Errorf("running config (%v) is not the one applied", err)
		}
		if conf := labtest.ReadFile(t, l, fra, "bird.conf"); !strings.HasPrefix(conf, base) || !strings.Contains(conf[len(base):], "define peerform_config_") {
			t.Errorf("bird.conf is not the confirmed config with its identity:\n%s", conf)
		}
		noLeftovers(t, l)
	})
	confirmed := labtest.ReadFile(t, l, fra, "bird.conf")

	t.Run("rollback", func(t *testing.T) {
		before := protocols(t, l)
		b := openBIRD(t, l)
		if err := b.Apply(ctx(t), bigger, time.Minute); err != nil {
			t.Fatal(err)
		}
		if protocols(t, l) == before {
			t.Fatalf("the change is not active")
		}
		if err := b.Rollback(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if after := protocols(t, l); after != before {
			t.Errorf("protocols after the rollback: %s, before: %s", after, before)
		}
		if labtest.ReadFile(t, l, fra, "bird.conf") != confirmed {
			t.Errorf("bird.conf changed")
		}
		if got, err := b.Running(ctx(t)); err != nil || got != base {
			t.Errorf("BIRD does not run the confirmed config after the rollback (%v):\n%s", err, got)
		}
		noLeftovers(t, l)
	})

	t.Run("a config BIRD refuses changes nothing", func(t *testing.T) {
		before := protocols(t, l)
		b := openBIRD(t, l)
		err := b.Apply(ctx(t), base+"protocol bgp broken {\n  neighbor nowhere as 1;\n}\n", time.Minute)
		if !errors.Is(err, device.ErrRejected) || !strings.Contains(err.Error(), "bird.conf.peerform-new:") ||
			!strings.Contains(err.Error(), "syntax error") {
			t.Fatalf("error %v", err)
		}
		t.Logf("refused: %v", err)
		if err := b.Rollback(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if protocols(t, l) != before || labtest.ReadFile(t, l, fra, "bird.conf") != confirmed {
			t.Errorf("a refused config changed the router")
		}
		noLeftovers(t, l)
	})

	t.Run("BIRD undoes an unconfirmed change at its timeout", func(t *testing.T) {
		before := protocols(t, l)
		b := openBIRD(t, l)
		if err := b.Apply(ctx(t), bigger, 3*time.Second); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Second)
		if after := protocols(t, l); after != before {
			t.Errorf("not undone at the timeout: %s", after)
		}
		if err := b.Confirm(ctx(t)); err == nil {
			t.Errorf("confirming after the timeout succeeded")
		}
		if err := b.Rollback(ctx(t)); err != nil {
			t.Errorf("rollback after BIRD's own undo: %v", err)
		}
		noLeftovers(t, l)
	})

	t.Run("a refused change leaves the last confirmed one running", func(t *testing.T) {
		// Change A (a tighter import limit) is confirmed; change B is
		// refused by configure check. BIRD runs A afterwards, not the
		// config before A, and deploy's read-back says so.
		a := labtest.BIRDConfig(l.Topology, fra, []labtest.Session{{Peer: "alpha", MaxPrefix: map[bgp.Family]int{bgp.IPv4: 999}}})
		b := openBIRD(t, l)
		if err := b.Apply(ctx(t), a, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := b.Confirm(ctx(t)); err != nil {
			t.Fatal(err)
		}
		refused := strings.Replace(a, "  connect delay time 1;", "  connect delay time 1;\n  password \"x\"y\";", 1)
		err := b.Apply(ctx(t), refused, time.Minute)
		if !errors.Is(err, device.ErrRejected) || !strings.Contains(err.Error(), "syntax error") {
			t.Fatalf("change B: %v, want refused by configure check", err)
		}
		if err := b.Rollback(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Running(ctx(t)); err != nil || got != a {
			t.Errorf("BIRD does not run change A after B was refused (%v):\n%s", err, got)
		}
		if out, err := l.Birdc(ctx(t), fra, "show protocols all peer1"); err != nil || !strings.Contains(out, "999") {
			t.Errorf("peer1's import limit is not change A's 999 (%v):\n%s", err, out)
		}
		if d, err := b.Drift(ctx(t)); err != nil || d != "" {
			t.Errorf("drift %q (%v) on a router that runs its last confirmed config", d, err)
		}
		noLeftovers(t, l)
	})

	t.Run("a router running another config is seen and converged", func(t *testing.T) {
		// What an undo behind peerform's back does: BIRD goes back to the
		// config before the last one while bird.conf stays.
		confirmed, err := openBIRD(t, l).Running(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if out, err := l.Birdc(ctx(t), fra, "configure undo"); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		b := openBIRD(t, l)
		got, err := b.Running(ctx(t))
		if err != nil || got == confirmed || !strings.HasPrefix(got, "# peerform: BIRD may not run this file") {
			t.Fatalf("Running after the undo (%v):\n%s", err, got)
		}
		drift, err := b.Drift(ctx(t))
		if err != nil || !strings.Contains(drift, "BIRD runs neither") {
			t.Errorf("drift %q (%v), want BIRD running neither config", drift, err)
		}
		if err := b.Apply(ctx(t), confirmed, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := b.Confirm(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if got, err := b.Running(ctx(t)); err != nil || got != confirmed {
			t.Errorf("not converged (%v):\n%s", err, got)
		}
		if drift, err := b.Drift(ctx(t)); err != nil || drift != "" {
			t.Errorf("drift %q (%v) after converging", drift, err)
		}
	})

	t.Run("another run's lock", func(t *testing.T) {
		first, second := openBIRD(t, l), openBIRD(t, l)
		if err := first.Apply(ctx(t), bigger, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := second.Apply(ctx(t), base, time.Minute); !errors.Is(err, device.ErrLocked) {
			t.Errorf("second Apply during the first: %v", err)
		}
		if lo, err := second.Leftover(ctx(t)); err != nil || lo == nil {
			t.Errorf("leftover seen by the second session: %v %v", lo, err)
		}
		if err := first.Rollback(ctx(t)); err != nil {
			t.Fatal(err)
		}
		noLeftovers(t, l)
	})
}

// TestBIRDConfigureCheckLab has BIRD judge a config it refuses and one it
// accepts, each as the first command of a fresh session (when birdc may
// not be ready yet): the verdict must be BIRD's answer, never a false
// rejection made of birdc's greeting and echo. Run it with -count=20 on a
// loaded machine to see the answer is waited for.
func TestBIRDConfigureCheckLab(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	good := labtest.BIRDConfig(l.Topology, fra, []labtest.Session{alpha})
	bad := good + "protocol bgp broken {\n  neighbor nowhere as 1;\n}\n"
	for i := range 5 {
		b := openBIRD(t, l)
		err := b.Apply(ctx(t), bad, time.Minute)
		if !errors.Is(err, device.ErrRejected) || !strings.Contains(err.Error(), "syntax error") {
			t.Fatalf("round %d: a config BIRD refuses: %v", i, err)
		}
		b.Close()
		b = openBIRD(t, l)
		if err := b.Apply(ctx(t), good, time.Minute); err != nil {
			t.Fatalf("round %d: a config BIRD accepts: %v", i, err)
		}
		if err := b.Rollback(ctx(t)); err != nil {
			t.Fatal(err)
		}
		b.Close()
	}
	noLeftovers(t, l)
}
