package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// interruptible returns a context that SIGINT or SIGTERM cancels, so that
// a command stops the way it chooses: deploy rolls back every unconfirmed
// change (FRR's commit-confirm timer lives in this process, and an
// unconfirmed change must not outlive it) and then exits. A second signal
// does not wait: it calls exit with exitError at once, leaving any
// unconfirmed change to the router's own timer or to the next run, which
// reports and converges it. stop releases the signals.
func interruptible(w io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sig:
			fmt.Fprintf(w, "peerform: %v: stopping; unconfirmed changes are rolled back first (send it again to exit at once)\n", s)
			cancel(fmt.Errorf("stopped by %v", s))
		case <-done:
			return
		}
		select {
		case s := <-sig:
			fmt.Fprintf(w, "peerform: %v again: exiting now; an unconfirmed change is left to the router's confirm timer or the next deploy\n", s)
			exit(exitError)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel(nil)
	}
}
