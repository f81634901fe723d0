package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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

// peerformBinary builds peerform as users run it (without the race
// detector or coverage this test binary may carry), once per test run.
func peerformBinary(t *testing.T) string {
	t.Helper()
	builtOnce.Do(func() {
		dir, err := os.MkdirTemp("", "peerform-bin-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "peerform")
		out, err := exec.Command("go", "build", "-o", built, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building peerform: %v", buildErr)
	}
	return built
}

// measured is a finished peerform process: its output, exit status, CPU
// time (user and system) and peak resident memory.
type measured struct {
	stdout, stderr string
	code           int
	cpu            time.Duration
	maxRSS         int64 // bytes
	wall           time.Duration
}

// measureEnv names the peerform binary a re-executed test binary runs and
// measures (see spawnMeasured).
const measureEnv = "PEERFORM_TEST_MEASURE"

// runMeasured runs the peerform binary with args and env added to the
// test's environment. A run that outlives the wall limit is killed: that
// is a hang, and fails.
//
// Linux carries a process's peak memory across exec from the process that
// started it: a child of this test binary reports at least the test's own
// peak, whatever it used. So the binary is started by a fresh copy of the
// test binary (spawnMeasured), whose small footprint is the floor instead,
// and which reports the child's usage on a pipe.
func runMeasured(t *testing.T, env []string, args ...string) measured {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	report, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer report.Close()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), env...), measureEnv+"="+peerformBinary(t))
	cmd.ExtraFiles = []*os.File{w}
	// A hang is killed with the process group: the spawner and peerform.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err = cmd.Start()
	w.Close()
	if err == nil {
		err = cmd.Wait()
	}
	m := measured{stdout: out.String(), stderr: errOut.String(), wall: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("peerform %v hung (killed after %s)\n%s", args, m.wall.Round(time.Second), m.stderr)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	var cpu int64
	if _, err := fmt.Fscan(report, &m.maxRSS, &cpu); err != nil {
		t.Fatalf("peerform %v: no measurement from the spawner (%v)\n%s", args, err, m.stderr)
	}
	m.code, m.cpu = cmd.ProcessState.ExitCode(), time.Duration(cpu)
	return m
}

// spawnMeasured is the test binary re-executed by runMeasured: it runs
// the peerform binary with its own arguments and standard streams, writes
// the child's peak resident memory (bytes) and CPU time (ns) to file
// descriptor 3, and exits with the child's status.
func spawnMeasured(bin string) int {
	cmd := exec.Command(bin, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, measureEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	fmt.Fprintf(os.NewFile(3, "report"), "%d %d\n", ru.Maxrss*1024, ru.Utime.Nano()+ru.Stime.Nano()) // Maxrss: kilobytes on Linux
	return cmd.ProcessState.ExitCode()
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
		{"symlink to /proc/self/environ", func(t *testing.T, file string) { symlink(t, "/proc/self/environ", file) }, ":1:"},
		{"symlink outside the repository", func(t *testing.T, file string) { symlink(t, outside, file) }, ":1:"},
		{"FIFO", func(t *testing.T, file string) {
			if err := syscall.Mkfifo(file, 0o644); err != nil {
				t.Fatal(err)
			}
		}, ":1:"},
		{"nesting inside a template", func(t *testing.T, file string) {
			body := "peer \"AS64504\" {\n  name   = \"${" + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "[0]}\"\n}\n"
			writeFile(t, filepath.Dir(file), filepath.Base(file), []byte(body))
		}, ":2:"},
		{"nested for directives", func(t *testing.T, file string) {
			body := "peer \"AS64504\" {\n  import = \"AS-EPSILON\"\n  export = \"AS-EXAMPLE\"\n  name   = \"%{ for a in " + hugeList + " }%{ for b in " + hugeList +
				" }%{ for c in " + hugeList + " }${a}${b}${c}%{ endfor }%{ endfor }%{ endfor }\"\n}\n"
			writeFile(t, filepath.Dir(file), filepath.Base(file), []byte(body))
		}, ":4:"},
		{"too many values", func(t *testing.T, file string) {
			body := "peer \"AS64504\" {\n  name   = \"x\"\n  ixps   = [" + strings.Repeat("1,", 100000) + "1]\n}\n"
			writeFile(t, filepath.Dir(file), filepath.Base(file), []byte(body))
		}, ":3:"},
		{"a thousand problems", func(t *testing.T, file string) {
			body := "peer \"AS64504\" {\n" + strings.Repeat("  description = \""+strings.Repeat("y", 200)+"\"\n", 1000) + "}\n"
			writeFile(t, filepath.Dir(file), filepath.Base(file), []byte(body))
		}, ":3:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := renderExampleRepo(t)
			file := filepath.Join(dir, "peers", "AS64504.hcl")
			tc.setup(t, file)
			env := []string{"PEERFORM_SECRET_AS20940=" + canary, "PEERFORM_CANARY=" + canary}
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
				if where := "peers/AS64504.hcl" + tc.line; !strings.Contains(m.stderr+m.stdout, where) {
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
	_, errOut, code := runPeerform(t, "render", "-C", dir, "--offline", "--out", link)
	if code == exitOK || !strings.Contains(errOut, "symbolic link") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Errorf("render wrote through the link: %v", entries)
	}
	t.Chdir(dir)
	if _, errOut, code = runPeerform(t, "render", "--offline", "--out", "rendered/sub"); code == exitOK || !strings.Contains(errOut, "rendered is a symbolic link") {
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
	t.Setenv("PEERFORM_CANARY", canary)
	for _, file := range []string{"data/irr/example.rpsl", "data/rpki/vrps.json"} {
		t.Run(file, func(t *testing.T) {
			dir := renderExampleRepo(t)
			path := filepath.Join(dir, filepath.FromSlash(file))
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			symlink(t, "/proc/self/environ", path)
			out, errOut, code := runPeerform(t, "render", "-C", dir, "--offline", "--out", "-")
			// The diagnostic text is wrapped to the terminal width.
			if flat := strings.Join(strings.Fields(errOut), " "); code == exitOK || !strings.Contains(flat, file) || !strings.Contains(flat, "not a regular file") {
				t.Errorf("exit %d, the file is not named as refused:\n%s", code, errOut)
			}
			if strings.Contains(out+errOut, canary) {
				t.Errorf("the environment was printed:\n%s%s", out, errOut)
			}
		})
	}
}
