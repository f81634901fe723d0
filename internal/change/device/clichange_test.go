package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
)

// recordedSteps is a platform whose steps only record that they ran, and
// fail where told: the cycle's order, state and cleanup rules, apart from
// any router (the recorded dialogues test each platform's words).
type recordedSteps struct {
	calls []string
	fail  map[string]error
	// drop, when set, makes a failing step lose the session, as a
	// transport error does.
	drop *cliSession
}

func (r *recordedSteps) step(name string) error {
	r.calls = append(r.calls, name)
	err := r.fail[name]
	if err != nil && r.drop != nil {
		r.drop.d = nil
	}
	return err
}

func (r *recordedSteps) lines(cfg string) ([]string, error) {
	return strings.Split(cfg, "\n"), r.step("lines")
}

func (r *recordedSteps) trial(d time.Duration) (string, error) {
	return fmt.Sprintf("commit confirmed %s", d), r.step("trial")
}
func (r *recordedSteps) load(context.Context, []string) error { return r.step("load") }
func (r *recordedSteps) commit(context.Context, string) error { return r.step("commit") }
func (r *recordedSteps) discard(ctx context.Context) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return r.step("discard")
}
func (r *recordedSteps) confirm(context.Context) error  { return r.step("confirm") }
func (r *recordedSteps) rollback(context.Context) error { return r.step("rollback") }

func newRecordedChange(fail map[string]error, dropOnFailure bool) (*cliChange, *recordedSteps) {
	cli := &cliSession{d: &network.Driver{}, host: "r1", log: slog.New(slog.DiscardHandler), timeout: time.Second}
	steps := &recordedSteps{fail: fail}
	if dropOnFailure {
		steps.drop = cli
	}
	return &cliChange{cli: cli, platform: "test", steps: steps}, steps
}

func TestCLIChangeCycle(t *testing.T) {
	ctx := t.Context()
	c, steps := newRecordedChange(nil, false)
	if err := c.Confirm(ctx); err == nil || !strings.Contains(err.Error(), "r1: test: nothing to confirm") {
		t.Errorf("Confirm before Apply = %v", err)
	}
	if err := c.Rollback(ctx); err != nil || len(steps.calls) != 0 {
		t.Errorf("Rollback before Apply = %v, steps %v: want a no-op", err, steps.calls)
	}
	if err := c.Apply(ctx, "a\nb", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, "a", time.Minute); err == nil || !strings.Contains(err.Error(), "neither confirmed nor rolled back") {
		t.Errorf("a second Apply while pending = %v", err)
	}
	if err := c.Confirm(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, "a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"lines", "trial", "load", "commit", "confirm", "lines", "trial", "load", "commit", "rollback"}
	if !slices.Equal(steps.calls, want) {
		t.Errorf("steps %v, want %v", steps.calls, want)
	}
}

func TestCLIChangeFailures(t *testing.T) {
	refused := fmt.Errorf("line 3: %w", ErrRejected)
	lost := fmt.Errorf("read: %w", ErrConnection)
	for _, tc := range []struct {
		name  string
		fail  map[string]error
		drop  bool
		calls []string
		want  error
	}{
		{"bad config", map[string]error{"lines": errors.New("control character")}, false, []string{"lines"}, nil},
		{"bad timeout", map[string]error{"trial": errors.New("over the limit")}, false, []string{"lines", "trial"}, nil},
		{"refused line", map[string]error{"load": refused}, false, []string{"lines", "trial", "load", "discard"}, ErrRejected},
		{"refused commit", map[string]error{"commit": refused}, false, []string{"lines", "trial", "load", "commit", "discard"}, ErrRejected},
		// The session is gone: the router drops the candidate, and a
		// commit that went through is undone by its timer.
		{"lost during load", map[string]error{"load": lost}, true, []string{"lines", "trial", "load"}, ErrConnection},
		{"lost during commit", map[string]error{"commit": lost}, true, []string{"lines", "trial", "load", "commit"}, ErrConnection},
		{"discard fails too", map[string]error{"load": refused, "discard": errors.New("no prompt")}, false, []string{"lines", "trial", "load", "discard"}, ErrRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, steps := newRecordedChange(tc.fail, tc.drop)
			err := c.Apply(t.Context(), "a", time.Minute)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("Apply = %v, want %v", err, tc.want)
			}
			if !slices.Equal(steps.calls, tc.calls) {
				t.Errorf("steps %v, want %v", steps.calls, tc.calls)
			}
			if c.pending {
				t.Error("a failed Apply left a change pending")
			}
			if d := tc.fail["discard"]; d != nil && !errors.Is(err, d) {
				t.Errorf("the cleanup's own failure is not reported: %v", err)
			}
		})
	}
	// The cleanup runs even when the caller's context has ended.
	c, steps := newRecordedChange(map[string]error{"load": refused}, false)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_ = c.Apply(ctx, "a", time.Minute)
	if !slices.Contains(steps.calls, "discard") {
		t.Errorf("no discard after a refusal with an ended context: %v", steps.calls)
	}
}
