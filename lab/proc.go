package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a daemon the lab started. StartTime (clock ticks since boot,
// from /proc) tells a later `down` that the PID still names the same
// process and was not reused.
type Process struct {
	Name      string `json:"name"`
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
	Log       string `json:"log"`
}

// run executes a short command and returns its combined output; the error
// names the command and carries its output, which is what one needs to see.
func run(ctx context.Context, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// start launches a long-running daemon in the foreground with its output
// in logPath, in its own process group (so that ^C on `make lab-up` does not
// kill the lab, and `down` can stop a daemon and the children it forked).
// The returned channel is closed once the process has exited and been
// reaped, so no zombie is left behind while this process lives.
func (l *Lab) start(name, logPath string, argv ...string) error {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("lab: starting %s: %w", name, err)
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("lab: starting %s: %w", name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait() // reap; how it ended is in its log
		close(done)
	}()
	st, _ := procStartTime(cmd.Process.Pid)
	l.Processes = append(l.Processes, Process{Name: name, PID: cmd.Process.Pid, StartTime: st, Log: logPath})
	l.exited[cmd.Process.Pid] = done
	l.log.Debug("started", "daemon", name, "pid", cmd.Process.Pid)
	return nil
}

// procStartTime reads field 22 of /proc/PID/stat.
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces; fields after it are
	// counted from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, errors.New("malformed stat")
	}
	return strconv.ParseUint(f[19], 10, 64)
}

// alive reports whether p still runs (a zombie does not count: PID 1 here
// does not reap promptly, and kill -0 succeeds on a zombie).
func (p Process) alive() bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.PID), "stat"))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) || b[i+2] == 'Z' {
		return false
	}
	st, err := procStartTime(p.PID)
	return err == nil && st == p.StartTime
}

// stop ends one daemon and its process group: SIGTERM, then SIGKILL if it
// is still running after a grace period.
func (l *Lab) stop(p Process) {
	if !p.alive() {
		return
	}
	_ = syscall.Kill(-p.PID, syscall.SIGTERM)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if done, ok := l.exited[p.PID]; ok {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		} else {
			time.Sleep(20 * time.Millisecond)
		}
		if !p.alive() {
			return
		}
	}
	l.log.Warn("daemon did not stop on SIGTERM, killing it", "daemon", p.Name, "pid", p.PID)
	_ = syscall.Kill(-p.PID, syscall.SIGKILL)
}

// waitFor polls cond every 50 ms until it holds or ctx ends; what names the
// awaited condition in the error.
func WaitFor(ctx context.Context, what string, timeout time.Duration, cond func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: waiting for %s: %w (last: %v)", what, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
