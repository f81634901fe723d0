// Package labtest starts the BGP lab of package lab from Go tests, and
// writes router configs shaped like the ones peerform renders, for tests
// that run before (or without) the renderer.
//
// A test that needs the lab calls Start; it skips with the reason when the
// machine cannot run one (not root, no network namespaces, a daemon not
// installed), unless PEERFORM_LAB=required, in which case it fails: CI sets
// that, so a lab test can never silently stop running there.
package labtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/testutil"
	"github.com/peerform/peerform/lab"
)

// Start starts a lab with a unique name and directory, and stops it when
// the test ends. On failure it prints the tail of every daemon's log.
// Without a topology in o it starts the example repository's (Example).
func Start(t testing.TB, o lab.Options) *lab.Lab {
	t.Helper()
	if err := lab.Requirements(); err != nil {
		unavailable(t, err)
	}
	if len(o.Topology.Routers) == 0 {
		o.Topology = Example(t)
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	o.Name = "pt" + hex.EncodeToString(b)
	// Not t.TempDir(): its parent is 0700, and the routers' login shells
	// run as the lab's unprivileged SSH user.
	o.Dir = filepath.Join(os.TempDir(), "peerform-lab-"+o.Name)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := lab.Up(ctx, o)
	if errors.Is(err, lab.ErrUnavailable) {
		unavailable(t, err)
	}
	if err != nil {
		t.Fatalf("starting the lab: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs(t, l)
		}
		if err := l.Down(context.Background()); err != nil {
			t.Errorf("stopping the lab: %v", err)
		}
	})
	return l
}

// Example is the topology of the example repository this module holds
// (lab.Example on RepoRoot).
func Example(t testing.TB) lab.Topology {
	t.Helper()
	topo, err := lab.Example(context.Background(), RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// RepoRoot is the root of the module the test runs in: the nearest
// directory above the test's package directory that holds go.mod. The
// example peering repository lives there.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// NeedTools skips the test (fails it under PEERFORM_LAB=required) unless
// every program is installed, for lab tests that run more than the lab's
// daemons (a flow exporter, say).
func NeedTools(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			unavailable(t, fmt.Errorf("%w: %s is not installed (see .ci/run)", lab.ErrUnavailable, p))
		}
	}
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if testutil.LabRequired() {
		t.Fatalf("PEERFORM_LAB=required but the lab cannot run: %v", err)
	}
	t.Skipf("lab test skipped: %v (run as root with the Debian packages of .ci/run; PEERFORM_LAB=required makes this a failure)", err)
}

func dumpLogs(t testing.TB, l *lab.Lab) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range l.Processes {
		for _, f := range []string{p.Log, filepath.Join(filepath.Dir(p.Log), "bgpd.log"), filepath.Join(filepath.Dir(p.Log), "sshd.log")} {
			if seen[f] {
				continue
			}
			seen[f] = true
			b, err := os.ReadFile(f)
			if err != nil || len(b) == 0 {
				continue
			}
			lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			if len(lines) > 15 {
				lines = lines[len(lines)-15:]
			}
			t.Logf("--- %s (%s), last lines:\n%s", p.Name, f, strings.Join(lines, "\n"))
		}
	}
}

// Endpoint is how peerform's device drivers reach a lab router.
func Endpoint(t testing.TB, l *lab.Lab, router string) device.Endpoint {
	t.Helper()
	e, ok := l.Endpoint(router)
	if !ok {
		t.Fatalf("lab has no router %q", router)
	}
	return device.Endpoint{
		Host: e.SSH.Addr().String(), Port: int(e.SSH.Port()), User: l.User,
		KeyFile: l.KeyFile, KnownHostsFile: l.KnownHostsFile,
	}
}

// ReadFile returns a file of a lab node's directory (a router's bird.conf
// or frr.conf), failing the test if it cannot be read.
func ReadFile(t testing.TB, l *lab.Lab, node, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.Dir, node, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
