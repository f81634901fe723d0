package main

import (
	"bufio"
	"bytes"
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
	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

// TestDeploySIGTERMLab sends SIGTERM to a real `peerform deploy` process
// while its change waits for a new session, unconfirmed: peerform rolls
// the change back before it exits, on BIRD (whose own timer would wait
// the whole confirm timeout) and on FRR (whose timer is peerform's and
// dies with it). Each router then runs its previous config, read back,
// long before the confirm timeout.
func TestDeploySIGTERMLab(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	dir := renderExampleRepo(t)
	writeLabEnv(t, l, dir)
	t.Setenv("PEERFORM_SECRET_AS20940", lab.LabMD5)
	args := []string{"-C", dir, "--offline", "--env", "lab", "--known-hosts", l.KnownHostsFile}

	// The previous config lacks beta (FRA only) and gamma (AMS only);
	// the change adds them, and waits for their sessions.
	for _, p := range []string{"AS64502.hcl", "AS64503.hcl"} {
		if err := os.Rename(filepath.Join(dir, "peers", p), filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	if out, errOut, code := runPeerform(t, append([]string{"deploy"}, args...)...); code != exitOK {
		t.Fatalf("deploying the previous config: exit %d\n%s%s", code, out, errOut)
	}
	for _, p := range []string{"AS64502.hcl", "AS64503.hcl"} {
		if err := os.Rename(filepath.Join(dir, p), filepath.Join(dir, "peers", p)); err != nil {
			t.Fatal(err)
		}
	}

	const confirm = 3 * time.Minute
	for _, router := range []string{"lab-fra-edge1", "lab-ams-edge1"} {
		t.Run(router, func(t *testing.T) {
			ep := labtest.Endpoint(t, l, router)
			p := map[string]platform.Name{"lab-fra-edge1": platform.BIRD2, "lab-ams-edge1": platform.FRR}[router]
			before := readRunning(t, p, ep)

			ctx, cancel := context.WithTimeout(context.Background(), confirm)
			defer cancel()
			cmd := peerformCommand(ctx, append([]string{"deploy", "--router", router, "--confirm-timeout", confirm.String()}, args...)...)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var progress []string
			var sent time.Time
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				progress = append(progress, sc.Text())
				if sent.IsZero() && strings.Contains(sc.Text(), " verify ") {
					// Applied, not confirmed: the new session is not
					// up for the settle time yet.
					if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
						t.Fatal(err)
					}
					sent = time.Now()
				}
			}
			err = cmd.Wait()
			took := time.Since(sent)
			var exit *exec.ExitError
			if sent.IsZero() || !errors.As(err, &exit) || exit.ExitCode() != exitFindings {
				t.Fatalf("deploy: %v (signal sent: %v)\n%s\n%s", err, !sent.IsZero(), stdout.String(), strings.Join(progress, "\n"))
			}
			t.Logf("exited %s after SIGTERM:\n%s\n%s", took.Round(time.Millisecond), strings.Join(progress, "\n"), stdout.String())
			if took >= confirm || !strings.Contains(stdout.String(), "rolled-back") {
				t.Errorf("not rolled back by peerform before it exited")
			}
			if after := readRunning(t, p, ep); after != before {
				t.Errorf("%s does not run its previous config after SIGTERM:\n%s", router, after)
			}
		})
	}
}

// readRunning reads back what a router runs, and fails on a change left
// unfinished on it.
func readRunning(t *testing.T, p platform.Name, ep device.Endpoint) string {
	t.Helper()
	ctx := context.Background()
	d, err := device.Dial(ctx, p, ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	have, err := d.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if left, err := d.(device.LeftoverReporter).Leftover(ctx); err != nil || left != nil {
		t.Errorf("a change is left unfinished on the router: %v %v", left, err)
	}
	return have
}
