package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain runs the test binary as peerform itself when PEERFORM_TEST_MAIN
// is set, so that tests can start real peerform processes (signals, exit
// status, memory use) without building another binary.
func TestMain(m *testing.M) {
	if os.Getenv("PEERFORM_TEST_MAIN") == "1" {
		main()
		return
	}
	if bin := os.Getenv(measureEnv); bin != "" {
		os.Exit(spawnMeasured(bin))
	}
	os.Exit(m.Run())
}

// peerformCommand is a peerform process running args.
func peerformCommand(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PEERFORM_TEST_MAIN=1")
	return cmd
}

// The first SIGTERM (or SIGINT) cancels the context with the signal as
// its cause; the second exits at once with exitError.
func TestInterruptible(t *testing.T) {
	var errOut lockedBuffer
	exited := make(chan int, 1)
	ctx, stop := interruptible(&errOut, func(code int) { exited <- code })
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	if cause := context.Cause(ctx); cause == nil || !strings.Contains(cause.Error(), "terminated") {
		t.Errorf("cause %v, want the signal", cause)
	}
	if !strings.Contains(errOut.String(), "rolled back first") {
		t.Errorf("the first signal is not explained: %q", errOut.String())
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != exitError {
			t.Errorf("exit %d after a second signal, want %d", code, exitError)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second signal did not exit")
	}
}

// lockedBuffer is a bytes.Buffer written from one goroutine and read from
// another.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
