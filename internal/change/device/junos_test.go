package device

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// openDialogue opens a driver on a recorded session and checks, when the
// test ends, that the client typed every recorded input and nothing else.
func openDialogue[D Driver](t *testing.T, platform, name string, open func(context.Context, Endpoint, CLIOptions) (D, error)) (D, *dialogue) {
	t.Helper()
	dlg := loadDialogue(t, filepath.Join("testdata", platform, name+".txt"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := open(ctx, Endpoint{Host: platform + "-test"}, CLIOptions{Timeout: 10 * time.Second, transport: dlg,
		Now: func() time.Time { return time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("open: %v (%v)", err, dlg.finished())
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := dlg.finished(); err != nil {
			t.Error(err)
		}
	})
	return d, dlg
}

func readFile(t *testing.T, path ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJunosCommitConfirmed(t *testing.T) {
	j, dlg := openDialogue(t, "junos", "commit-confirmed", OpenJunos)
	ctx := testCtx(t)
	cfg := readFile(t, "testdata", "junos", "ams-edge2.set")
	before, err := j.Running(ctx)
	if err != nil {
		t.Fatalf("Running: %v (%v)", err, dlg.finished())
	}
	want := `set protocols bgp group transit neighbor 203.0.113.1 description "Transit Provider"
set protocols bgp group transit neighbor 203.0.113.1 peer-as 64496
set protocols bgp group transit type external
`
	if before != want {
		t.Errorf("Running:\n%s\nwant:\n%s", before, want)
	}
	// 4m01s is five minutes for Junos, which counts in minutes.
	if err := j.Apply(ctx, cfg, 4*time.Minute+time.Second); err != nil {
		t.Fatalf("Apply: %v (%v)", err, dlg.finished())
	}
	sessions, err := j.Sessions(ctx)
	if err != nil {
		t.Fatalf("Sessions: %v (%v)", err, dlg.finished())
	}
	if len(sessions) != 3 || !sessions[0].Established() || sessions[0].Received[bgp.IPv4] != 3 || sessions[0].Uptime != 27733*time.Second ||
		sessions[2].State != "Active" || sessions[2].Neighbor != netip.MustParseAddr("2001:db8:ffff:1::64") || sessions[2].Uptime != 0 {
		t.Errorf("Sessions: %+v", sessions)
	}
	if err := j.Confirm(ctx); err != nil {
		t.Fatalf("Confirm: %v (%v)", err, dlg.finished())
	}
}

// TestJunosRefusals: a refused statement or a failed commit check is
// ErrRejected, and the candidate is discarded (rollback 0) before the
// driver leaves configuration mode, so nothing is committed.
func TestJunosRefusals(t *testing.T) {
	cases := []struct{ dialogue, config, want string }{
		{"commit-check-fails", "ams-edge2-bad-policy.set", `"commit check": rejected by the router: error: Policy error: Policy peerform-as64502-in referenced but not defined`},
		{"syntax-error", "ams-edge2-typo.set", "config line 7 of 8: rejected by the router: ^ / syntax error."},
	}
	for _, tc := range cases {
		t.Run(tc.dialogue, func(t *testing.T) {
			j, dlg := openDialogue(t, "junos", tc.dialogue, OpenJunos)
			err := j.Apply(testCtx(t), readFile(t, "testdata", "junos", tc.config), time.Minute)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("Apply = %v, want ErrRejected (%v)", err, dlg.finished())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if err := j.Confirm(testCtx(t)); err == nil {
				t.Error("Confirm after a refused Apply succeeded")
			}
		})
	}
}

func TestJunosRollback(t *testing.T) {
	j, dlg := openDialogue(t, "junos", "rollback", OpenJunos)
	ctx := testCtx(t)
	if err := j.Apply(ctx, readFile(t, "testdata", "junos", "ams-edge2.set"), 30*time.Second); err != nil {
		t.Fatalf("Apply: %v (%v)", err, dlg.finished())
	}
	if err := j.Rollback(ctx); err != nil {
		t.Fatalf("Rollback: %v (%v)", err, dlg.finished())
	}
	if err := j.Rollback(ctx); err != nil {
		t.Errorf("second Rollback: %v", err)
	}
}

// TestJunosLoadReplace: the curly-brace format the junos template renders
// is pasted into `load replace terminal`, ended with ^D.
func TestJunosLoadReplace(t *testing.T) {
	j, dlg := openDialogue(t, "junos", "load-replace", OpenJunos)
	ctx := testCtx(t)
	cfg := readFile(t, "testdata", "junos", "ams-edge2.conf")
	if err := j.Apply(ctx, cfg, 90*time.Second); err != nil {
		t.Fatalf("Apply: %v (%v)", err, dlg.finished())
	}
	if err := j.Confirm(ctx); err != nil {
		t.Fatalf("Confirm: %v (%v)", err, dlg.finished())
	}
	if n, err := j.Normalize(cfg); n != cfg || err != nil {
		t.Errorf("Normalize changed a curly-brace config: %v", err)
	}
}

// TestJunosLoadErrors: errors Junos reports after the ^D make the Apply
// fail with ErrRejected, without quoting the pasted secret.
func TestJunosLoadErrors(t *testing.T) {
	j, dlg := openDialogue(t, "junos", "load-errors", OpenJunos)
	err := j.Apply(testCtx(t), readFile(t, "testdata", "junos", "ams-edge2-typo.conf"), time.Minute)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("Apply = %v, want ErrRejected (%v)", err, dlg.finished())
	}
	if want := "terminal:31:(17) syntax error: peer-ass"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	if strings.Contains(err.Error(), "s3cret-md5") {
		t.Errorf("error shows the authentication key: %q", err)
	}
}

func TestCheckCurly(t *testing.T) {
	good := []string{"a {", "b;", `c "x { ; y";`, "/* d", "e */ f;", "}", "# g", "h; # i"}
	if err := checkCurly(good); err != nil {
		t.Errorf("checkCurly refused %q: %v", good, err)
	}
	for _, bad := range [][]string{{"a {"}, {"}"}, {"rollback 5"}, {`a "b;`}, {"/* a"}, {"a {", "b", "}"}} {
		if err := checkCurly(bad); err == nil {
			t.Errorf("checkCurly accepted %q", bad)
		}
	}
}

// TestJunosTimeoutDropsSession: a router that stops answering costs one
// timeout; the session is then dropped, so that scrapligo, still busy
// with the timed-out operation, types nothing more into it.
func TestJunosTimeoutDropsSession(t *testing.T) {
	dlg := loadDialogue(t, filepath.Join("testdata", "junos", "silent.txt"))
	j, err := OpenJunos(testCtx(t), Endpoint{Host: "junos-test"}, CLIOptions{Timeout: 10 * time.Second, transport: dlg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := j.Running(ctx); !errors.Is(err, ErrConnection) {
		t.Fatalf("Running on a silent router = %v, want ErrConnection", err)
	}
	start := time.Now()
	if _, err := j.Running(testCtx(t)); err == nil || !strings.Contains(err.Error(), "session is closed") {
		t.Errorf("Running after the timeout = %v", err)
	}
	if err := j.Apply(testCtx(t), "set a b;", time.Minute); err == nil || time.Since(start) > time.Second {
		t.Errorf("Apply after the timeout = %v (after %s)", err, time.Since(start))
	}
	if err := j.Close(); err != nil {
		t.Error(err)
	}
	if err := dlg.finished(); err != nil {
		t.Error(err)
	}
}
