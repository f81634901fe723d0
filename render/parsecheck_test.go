package render

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/peerform/peerform/internal/testutil"
)

// The real parsers: every BIRD config a test renders goes through
// `bird -p -c`, every FRR config through `vtysh --dryrun` and through a
// real bgpd that loads it and prints its running config back.

const frrDaemonDir = "/usr/lib/frr"

// labRequired is set in CI: a missing daemon is then a failure, not a skip.

// tool returns the path of a binary, or skips (fails under
// PEERFORM_LAB=required) when it is not installed.
func tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if testutil.LabRequired() {
			t.Fatalf("%s is not installed (Debian package %s) and PEERFORM_LAB=required", name, pkg)
		}
		t.Skipf("%s is not installed (Debian package %s); skipping the real-parser check", name, pkg)
	}
	return p
}

var birdErrLine = regexp.MustCompile(`:(\d+):(\d+) `)

// checkBIRD runs `bird -p -c` on conf and fails with the offending line
// and a caret under the column when BIRD rejects it.
func checkBIRD(t testing.TB, name string, conf []byte) {
	t.Helper()
	if err := parseBIRD(t, conf); err != nil {
		t.Errorf("%s: %v", name, err)
	}
}

func parseBIRD(t testing.TB, conf []byte) error {
	t.Helper()
	bird := tool(t, "bird", "bird2")
	f := filepath.Join(t.TempDir(), "bird.conf")
	if err := os.WriteFile(f, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bird, "-p", "-c", f).CombinedOutput()
	if err == nil {
		return nil
	}
	msg := strings.TrimSpace(string(out))
	if m := birdErrLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		lines := strings.Split(string(conf), "\n")
		if line >= 1 && line <= len(lines) {
			msg += fmt.Sprintf("\n%5d | %s\n      | %s^", line, lines[line-1], strings.Repeat(" ", max(col-1, 0)))
		}
	}
	return fmt.Errorf("bird -p rejects the config: %s", msg)
}

// checkFRR runs FRR's own check (`vtysh --dryrun -f`), then loads the
// config into a real bgpd (with the RPKI module, no zebra, no BGP port)
// and requires its running config to be the rendered config line for
// line, ignoring only "!" lines: what FRR accepts and how it prints it
// back, so that deploy's diff against `show running-config` is quiet.
func checkFRR(t testing.TB, name string, conf []byte) {
	t.Helper()
	dir, f, ok := checkFRRSyntax(t, name, conf)
	if !ok {
		return
	}
	// bgpd is given the config without its rpki block: a configured cache
	// starts rtrlib threads that can hold bgpd's exit for their retry
	// interval. vtysh has checked the block; bgpd checks the rest, and
	// "match rpki" still needs the module.
	withoutRPKI := stripRPKIBlock(string(conf))
	if err := os.WriteFile(f, []byte(withoutRPKI), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	running, err := frrRunningConfig(t, ctx, dir, f)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	want := frrSignificant(withoutRPKI)
	got := strings.Replace(frrSignificant(running), "rpki\nexit\n", "", 1) // bgpd -M rpki always prints the block
	if want != got {
		t.Errorf("%s: bgpd's running config differs from the rendered config (- rendered, + running):\n%s",
			name, udiff.Unified("rendered", "running", want, got))
	}
}

// checkFRRSyntax runs `vtysh --dryrun -f` on conf; it returns the
// directory and file it wrote and whether vtysh accepted it.
func checkFRRSyntax(t testing.TB, name string, conf []byte) (dir, file string, ok bool) {
	t.Helper()
	vtysh := tool(t, "vtysh", "frr")
	dir = t.TempDir()
	file = filepath.Join(dir, "frr.conf")
	if err := os.WriteFile(file, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, vtysh, "--dryrun", "-f", file).CombinedOutput()
	if err != nil {
		t.Errorf("%s: vtysh --dryrun rejects the config: %v\n%s", name, err, out)
		return dir, file, false
	}
	return dir, file, true
}

// frrRunningConfig starts bgpd in terminal mode on the config, asks for
// its running config on stdin and returns it.
func frrRunningConfig(t testing.TB, ctx context.Context, dir, conf string) (string, error) {
	t.Helper()
	bgpd := filepath.Join(frrDaemonDir, "bgpd")
	if _, err := os.Stat(bgpd); err != nil {
		if testutil.LabRequired() {
			t.Fatalf("%s missing (Debian package frr)", bgpd)
		}
		t.Skipf("%s missing (Debian package frr)", bgpd)
	}
	if mods, _ := filepath.Glob("/usr/lib/*/frr/modules/bgpd_rpki.so"); len(mods) == 0 {
		if testutil.LabRequired() {
			t.Fatal("the bgpd RPKI module is missing (Debian package frr-rpki-rtrlib)")
		}
		t.Skip("the bgpd RPKI module is missing (Debian package frr-rpki-rtrlib)")
	}
	cmd := exec.CommandContext(ctx, bgpd, "-Z", "-p", "0", "-n", "-S", "-P", "0",
		"--vty_socket", dir, "-i", filepath.Join(dir, "bgpd.pid"), "-f", conf, "-M", "rpki", "-t",
		"--log", "file:"+filepath.Join(dir, "bgpd.log"))
	cmd.Stdin = strings.NewReader("show running-config\n")
	cmd.WaitDelay = 5 * time.Second
	// A file, not a pipe: bgpd writes to a non-blocking stdout and exits
	// at the end of its input without waiting for a slow pipe reader.
	outFile, err := os.Create(filepath.Join(dir, "bgpd.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer outFile.Close()
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = outFile, &stderr
	// What is judged is the answer: the running config bgpd printed, and
	// its log. Once the config is printed, bgpd's exit status says only
	// how its shutdown went: at the end of its input it signals itself,
	// and under load that shutdown sometimes exits 1 ("Terminating on
	// signal") after a complete answer.
	runErr := cmd.Run()
	stdout, err := os.ReadFile(outFile.Name())
	if err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "bgpd.log"))
	if bytes.Contains(log, []byte("Config Failed")) || bytes.Contains(log, []byte("Unknown command")) {
		return "", fmt.Errorf("bgpd refused lines of the config:\n%s", log)
	}
	s := strings.ReplaceAll(string(stdout), "\r\n", "\n")
	start := strings.Index(s, "Current configuration:")
	end := strings.LastIndex(s, "\nend\n")
	if start < 0 || end < start {
		return "", fmt.Errorf("no running config in bgpd's output (bgpd: %v):\n%s%s", runErr, s, stderr.String())
	}
	return s[start+len("Current configuration:") : end+1], nil
}

// stripRPKIBlock removes the "rpki" ... "exit" block from an FRR config.
func stripRPKIBlock(conf string) string {
	start := strings.Index(conf, "\nrpki\n")
	if start < 0 {
		return conf
	}
	end := strings.Index(conf[start+1:], "\nexit\n")
	if end < 0 {
		return conf
	}
	return conf[:start+1] + conf[start+1+end+len("\nexit\n"):]
}

// frrSignificant keeps the lines of an FRR config that carry meaning:
// not "!" separators or comments, blank lines, or what bgpd adds by
// itself (its version, "bgp no-rib" for running without zebra).
func frrSignificant(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		trimmed := strings.TrimSpace(l)
		switch {
		case trimmed == "", strings.HasPrefix(trimmed, "!"), strings.HasPrefix(l, "frr version "), l == "bgp no-rib", l == "end":
			continue
		}
		b.WriteString(strings.TrimRight(l, " "))
		b.WriteByte('\n')
	}
	return b.String()
}

func TestStripRPKIBlock(t *testing.T) {
	in := "router bgp 1\nexit\n!\nrpki\n rpki cache 127.0.0.1 3323 preference 1\nexit\n!\nroute-map X deny 10\nexit\n"
	if got, want := stripRPKIBlock(in), "router bgp 1\nexit\n!\n!\nroute-map X deny 10\nexit\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := stripRPKIBlock("router bgp 1\nexit\n"); got != "router bgp 1\nexit\n" {
		t.Errorf("no block: %q", got)
	}
}
