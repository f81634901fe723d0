package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	builtOnce sync.Once
	built     string
	buildErr  error
)

// peerctlBinary builds peerctl as users run it (without the race
// detector or coverage this test binary may carry), once per test run.
func peerctlBinary(t *testing.T) string {
	t.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "peerctl-bin-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "peerctl")
		out, err := exec.Command("go", "build", "-o", built, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building peerctl: %v", buildErr)
	}
	return built
}

// measured is a finished peerctl process: its output, exit status, CPU
// time (user and system) and peak resident memory.
type measured struct {
	stdout, stderr string
	code           int
	cpu            time.Duration
	maxRSS         int64 // bytes
	wall           time.Duration
}

// runMeasured runs the peerctl binary with args and env added to the
// test's environment. A run that outlives the wall limit is killed: that
// is a hang, and fails.
func runMeasured(t *testing.T, env []string, args ...string) measured {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, peerctlBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	m := measured{stdout: out.String(), stderr: errOut.String(), wall: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("peerctl %v hung (killed after %s)\n%s", args, m.wall.Round(time.Second), m.stderr)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	m.code = cmd.ProcessState.ExitCode()
	m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	m.maxRSS = ru.Maxrss * 1024 // kilobytes on Linux
	return m
}

// The hostile peer files of a pull request: each is refused with exit 1
// and the file's name and line, by every command that reads the
// repository, within 2 s of CPU time and 200 MB of memory; the
// environment (secrets included) and files outside the repository are
// never printed. CPU time rather than wall time: it does not grow with
// the load on the machine.
func TestHostilePeerFiles(t *testing.T) {
	const canary = "canary-5e3c7a"
	outside := filepath.Join(t.TempDir(), "outside.hcl")
	if err := os.WriteFile(outside, []byte("peer \"AS64504\" {\n  name = \"outside-"+canary+"\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hugeList := "[" + strings.TrimSuffix(strings.Repeat(`"x",`, 300), ",") + "]"
	cases := []struct {
		name  string
		setup func(t *testing.T, file string)
		line  string // where the diagnostic points
	}{
		{"symlink to /proc/self/environ", func(t *testing.T, file string) { symlink(t, "/proc/self/environ", file) }, "line 1"},
		{"symlink outside the repository", func(t *testing.T, file string) { symlink(t, outside, file) }, "line 1"},
		{"FIFO", func(t *testing.T, file string) {
			if err := syscall.Mkfifo(file, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "line 1"},
		{"nesting inside a template", func(t *testing.T, file string) {
			body := "peer \"AS64504\" {\n  name   = \"${" + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "[0]}\"\n}\n"
			writeFile(t, filepath.Dir(file), filepath.Base(file), []byte(body))
		}, "line 2"},
		{"nested for directives", func(t *testing.T, file string) {
			body := "peer \"AS64504\" {\n  import = \"AS-EPSILON\"\n  export = \"AS-EXAMPLE\"\n  name   = \"%{ for a in " + hugeList + " }%{ for b in " + hugeList +
				" }%{ for c in " + hugeList + " }${a}${b}${c}%{ endfor }%{ endfor }%{ endfor }\"\n}\n"
			writeFile(t, filepath.Dir(file), filepath.Base(file), []byte(body))
		}, "line 4"},
		{"too many values", func(t *testing.T, file string) {
			body := "peer \"AS64504\" {\n  name   = \"x\"\n  ixps   = [" + strings.Repeat("1,", 100000) + "1]\n}\n"
			writeFile(t, filepath.Dir(file), filepath.Base(file), []byte(body))
		}, "line 3"},
		{"a thousand problems", func(t *testing.T, file string) {
			body := "peer \"AS64504\" {\n" + strings.Repeat("  description = \""+strings.Repeat("y", 200)+"\"\n", 1000) + "}\n"
			writeFile(t, filepath.Dir(file), filepath.Base(file), []byte(body))
		}, "line 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := renderExampleRepo(t)
			file := filepath.Join(dir, "peers", "AS64504.hcl")
			tc.setup(t, file)
			env := []string{"PEERCTL_SECRET_AS20940=" + canary, "PEERCTL_CANARY=" + canary}
			for _, args := range [][]string{
				{"validate"},
				{"deploy", "--dry-run"},
				{"check"},
				{"render", "--out", filepath.Join(t.TempDir(), "out")},
			} {
				m := runMeasured(t, env, append(args, "-C", dir, "--offline")...)
				t.Logf("%s %s: exit %d, %s CPU (%s wall), %.1f MB", tc.name, args[0], m.code, m.cpu.Round(time.Millisecond),
					m.wall.Round(time.Millisecond), float64(m.maxRSS)/(1<<20))
				if m.code != exitFindings {
					t.Errorf("%s: exit %d, want %d\n%s%s", args[0], m.code, exitFindings, m.stdout, m.stderr)
				}
				if where := "peers/AS64504.hcl " + tc.line; !strings.Contains(m.stderr+m.stdout, where) {
					t.Errorf("%s: the problem is not placed at %s:\n%s%s", args[0], where, m.stdout, m.stderr)
				}
				if strings.Contains(m.stdout+m.stderr, canary) {
					t.Errorf("%s printed the environment or the outside file:\n%s%s", args[0], m.stdout, m.stderr)
				}
				if m.cpu > 2*time.Second || m.maxRSS > 200<<20 {
					t.Errorf("%s: %s CPU, %d MB; the bound is 2 s and 200 MB", args[0], m.cpu, m.maxRSS>>20)
				}
			}
		})
	}
}

// `render --out rendered/` where rendered is a symbolic link writes
// nothing through it.
func TestRenderOutSymlink(t *testing.T) {
	dir := renderExampleRepo(t)
	target := t.TempDir()
	link := filepath.Join(dir, "rendered")
	symlink(t, target, link)
	_, errOut, code := runPeerctl(t, "render", "-C", dir, "--offline", "--out", link)
	if code == exitOK || !strings.Contains(errOut, "symbolic link") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Errorf("render wrote through the link: %v", entries)
	}
	t.Chdir(dir)
	if _, errOut, code = runPeerctl(t, "render", "--offline", "--out", "rendered/sub"); code == exitOK || !strings.Contains(errOut, "rendered is a symbolic link") {
		t.Errorf("a directory below the link: exit %d:\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(target, "sub")); err == nil {
		t.Errorf("render created a directory through the link")
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// The data files the policies name (IRR snapshot, VRPs) are read only as
// regular files of the repository: a symbolic link in their place is
// refused by name, and what it points to is never read.
func TestHostileDataFiles(t *testing.T) {
	const canary = "canary-0b91d4"
	t.Setenv("PEERCTL_CANARY", canary)
	for _, file := range []string{"data/irr/example.rpsl", "data/rpki/vrps.json"} {
		t.Run(file, func(t *testing.T) {
			dir := renderExampleRepo(t)
			path := filepath.Join(dir, filepath.FromSlash(file))
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			symlink(t, "/proc/self/environ", path)
			out, errOut, code := runPeerctl(t, "render", "-C", dir, "--offline", "--out", "-")
			if code == exitOK || !strings.Contains(errOut, file) || !strings.Contains(errOut, "not a regular file") {
				t.Errorf("exit %d, the file is not named as refused:\n%s", code, errOut)
			}
			if strings.Contains(out+errOut, canary) {
				t.Errorf("the environment was printed:\n%s%s", out, errOut)
			}
		})
	}
}
