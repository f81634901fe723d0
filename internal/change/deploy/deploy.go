package deploy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/change/linediff"
	"github.com/peerform/peerform/internal/change/secret"
)

// Target is one router and the config it should run.
type Target struct {
	Router   string          `json:"router"`
	Platform platform.Name   `json:"platform"`
	Endpoint device.Endpoint `json:"endpoint"`
	// Config is the rendered config (for FRR the managed part, for BIRD
	// the whole file).
	Config   string            `json:"-"`
	Intended []IntendedSession `json:"intended"`
	// Secrets are values inside Config that must never be shown (MD5
	// keys read from the environment): every diff, error, event and log
	// line has them replaced by "<secret>", as well as the keys read back
	// from the routers (device.SecretFinder).
	Secrets []string `json:"-"`
	// Verify is how a change is verified before it is confirmed; ""
	// means VerifySessions. VerificationFor gives each platform's.
	Verify Verification `json:"verify,omitempty"`
}

// Verification is how deploy decides that a change works before it
// confirms it, and how check judges a session.
type Verification string

const (
	// VerifySessions: every required intended session must be
	// Established (for Options.Settle) within its max-prefix. A session
	// whose state the router does not report fails.
	VerifySessions Verification = "sessions"
	// VerifyConfig: the running config, read back after the commit, must
	// be the rendered one; sessions the router reports state for are
	// verified as with VerifySessions, and sessions it reports no state
	// for (device.StateUnknown) pass on the configuration alone and are
	// reported as unverified. For routers whose management interface
	// may not report BGP state (the netconf platform).
	VerifyConfig Verification = "config"
)

// VerificationFor returns a platform's verification: VerifyConfig for
// netconf, whose servers need not implement the peerform-bgp module's
// state (netconfd does not), VerifySessions for every other platform,
// whose routers always report their sessions.
func VerificationFor(p platform.Name) Verification {
	if p == platform.NETCONF {
		return VerifyConfig
	}
	return VerifySessions
}

func (t Target) verification() Verification {
	if t.Verify == VerifyConfig {
		return VerifyConfig
	}
	return VerifySessions
}

// DialFunc opens a management session to a target's router.
type DialFunc func(ctx context.Context, t Target) (device.Driver, error)

func defaultDial(log *slog.Logger) DialFunc {
	return func(ctx context.Context, t Target) (device.Driver, error) {
		return device.Dial(ctx, t.Platform, t.Endpoint, log)
	}
}

// Options is the rollout policy and how to report on it.
type Options struct {
	// Parallel is how many routers change at the same time (0: 1).
	Parallel int
	// ConfirmTimeout is the commit-confirm timer: a change not confirmed
	// by then is rolled back (0: 2 minutes). It must leave time for
	// VerifyTimeout.
	ConfirmTimeout time.Duration
	// VerifyTimeout bounds the wait for the sessions after a change
	// (0: 60 s).
	VerifyTimeout time.Duration
	// Poll is the interval between two session reads (0: 1 s).
	Poll time.Duration
	// Settle is how long a session must have been Established to count
	// as verified (0: 3 s): a session that comes up and is torn down by
	// its first updates (over max-prefix, a bad attribute) must not pass.
	Settle time.Duration
	// NeverTogether lists router pairs that must not change at once.
	NeverTogether [][2]string
	// DryRun connects and compares, and changes nothing.
	DryRun bool
	// Progress receives events as the rollout goes; nil drops them. It
	// is called from several goroutines, one at a time.
	Progress func(Event)
	// Logger receives debug logs of the drivers; nil discards them.
	Logger *slog.Logger
	// Dial opens routers; nil means device.Dial.
	Dial DialFunc

	// redact hides every secret known to the rollout.
	redact *secret.Redactor
}

func (o *Options) defaults() error {
	if o.Parallel <= 0 {
		o.Parallel = 1
	}
	if o.ConfirmTimeout <= 0 {
		o.ConfirmTimeout = 2 * time.Minute
	}
	if o.VerifyTimeout <= 0 {
		o.VerifyTimeout = 60 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Settle <= 0 {
		o.Settle = 3 * time.Second
	}
	if o.ConfirmTimeout < o.VerifyTimeout+10*time.Second {
		return fmt.Errorf("confirm timeout %s must exceed the verify timeout %s by at least 10s, or changes would be rolled back while being verified",
			o.ConfirmTimeout, o.VerifyTimeout)
	}
	if o.redact == nil {
		o.redact = &secret.Redactor{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Logger = slog.New(o.redact.Handler(o.Logger.Handler()))
	if o.Progress != nil {
		o.Progress = redacted(o.redact, serialized(o.Progress))
	}
	if o.Dial == nil {
		o.Dial = defaultDial(o.Logger)
	}
	return nil
}

// redactorFor hides the targets' secrets, and whatever keys are added
// later (read back from the routers).
func redactorFor(targets []Target) *secret.Redactor {
	r := &secret.Redactor{}
	for _, t := range targets {
		r.Add(t.Secrets...)
	}
	return r
}

// redacted hides secrets in the events f receives.
func redacted(r *secret.Redactor, f func(Event)) func(Event) {
	return func(e Event) {
		e.Message = r.String(e.Message)
		f(e)
	}
}

// Step names what a rollout event is about.
type Step string

// Steps of a router's rollout, in order.
const (
	StepConnect   Step = "connect"
	StepUnchanged Step = "unchanged"
	StepLeftover  Step = "leftover"
	StepDrift     Step = "drift"
	StepPlan      Step = "plan"
	StepApply     Step = "apply"
	StepVerify    Step = "verify"
	StepConfirm   Step = "confirm"
	StepRollback  Step = "rollback"
	StepDone      Step = "done"
	StepFailed    Step = "failed"
	StepSkipped   Step = "skipped"
)

// Event is one step of one router's rollout, for progress output.
type Event struct {
	Time    time.Time `json:"time"`
	Router  string    `json:"router"`
	Step    Step      `json:"step"`
	Message string    `json:"message,omitempty"`
}

func emit(f func(Event), router string, step Step, msg string) {
	if f != nil {
		f(Event{Time: time.Now(), Router: router, Step: step, Message: msg})
	}
}

// Status is how a router's rollout ended.
type Status string

// Statuses.
const (
	Unchanged   Status = "unchanged"    // its config already was the rendered one
	WouldChange Status = "would-change" // dry run: it differs
	Deployed    Status = "deployed"     // changed, verified, confirmed
	RolledBack  Status = "rolled-back"  // changed, failed, back on the old config
	Failed      Status = "failed"       // unreachable, refused, or rollback failed
	Skipped     Status = "skipped"      // the rollout stopped before it
)

// RouterResult is what happened to one router.
type RouterResult struct {
	Router string `json:"router"`
	Status Status `json:"status"`
	// Error says why the router is not Deployed or Unchanged.
	Error string `json:"error,omitempty"`
	// Leftover describes an unfinished change of an earlier run that
	// this run found and converged.
	Leftover string `json:"leftover,omitempty"`
	// Drift says how the router's running config departed from the one
	// peerform last confirmed on it (device.DriftReporter), when it runs
	// neither that one nor the rendered one; the change converges it.
	Drift string `json:"drift,omitempty"`
	// Diff lists the lines removed ("-") and added ("+").
	Diff     []string       `json:"diff"`
	Sessions []SessionCheck `json:"sessions"`
	// Verification is how the change was verified; with VerifyConfig,
	// Sessions marks those the router reports no state for.
	Verification Verification `json:"verification,omitempty"`
	// Applied is the time from the start of the push to the verified
	// sessions (or to the failure).
	Applied time.Duration `json:"applied_ns"`
}

// Report is the outcome of a rollout.
type Report struct {
	Routers []RouterResult `json:"routers"`
	// OK is true when every router is Unchanged, Deployed or (dry run)
	// WouldChange.
	OK       bool          `json:"ok"`
	Duration time.Duration `json:"duration_ns"`
}

// Run deploys targets: it connects to every router and compares first (so
// that an unreachable router or a bad credential stops the rollout before
// anything changes), then changes the routers whose config differs, in
// order, o.Parallel at a time, never two of a NeverTogether pair at once.
// Each change is locked, applied with commit-confirm, verified (every
// intended session Established, within max-prefix) and confirmed, or
// rolled back; the first failure stops the rollout.
func Run(ctx context.Context, targets []Target, o Options) (Report, error) {
	o.redact = redactorFor(targets)
	if err := o.defaults(); err != nil {
		return Report{}, err
	}
	start := time.Now()
	rep := Report{Routers: make([]RouterResult, len(targets))}
	for i, t := range targets {
		rep.Routers[i] = RouterResult{Router: t.Router, Status: Skipped, Diff: []string{}, Sessions: []SessionCheck{}}
	}
	var mu sync.Mutex // guards the report and the scheduler

	// Phase 1: connect to every router and compare.
	drivers := make([]device.Driver, len(targets))
	wants := make([]string, len(targets)) // the rendered configs in the routers' form
	defer func() {
		for _, d := range drivers {
			if d != nil {
				d.Close()
			}
		}
	}()
	var changed []int
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &rep.Routers[i]
			d, want, change, err := prepare(ctx, t, o, r)
			mu.Lock()
			defer mu.Unlock()
			drivers[i], wants[i] = d, want
			if err != nil {
				r.Status, r.Error = Failed, o.redact.String(err.Error())
				emit(o.Progress, t.Router, StepFailed, r.Error)
				return
			}
			if change {
				changed = append(changed, i)
			}
		}()
	}
	wg.Wait()
	slices.Sort(changed)
	if slices.ContainsFunc(rep.Routers, func(r RouterResult) bool { return r.Status == Failed }) {
		for _, i := range changed {
			emit(o.Progress, targets[i].Router, StepSkipped, "another router failed before any change")
		}
		return finish(rep, start), nil
	}
	if o.DryRun {
		return finish(rep, start), nil
	}

	// Phase 2: change, in order, within the policy's limits.
	cond := sync.NewCond(&mu)
	active := map[string]bool{}
	stopped := false
	conflict := func(router string) bool {
		for _, p := range o.NeverTogether {
			if (p[0] == router && active[p[1]]) || (p[1] == router && active[p[0]]) {
				return true
			}
		}
		return false
	}
	for _, i := range changed {
		t := targets[i]
		mu.Lock()
		for !stopped && (len(active) >= o.Parallel || conflict(t.Router)) {
			cond.Wait()
		}
		if stopped || ctx.Err() != nil {
			emit(o.Progress, t.Router, StepSkipped, "the rollout stopped before this router")
			mu.Unlock()
			continue
		}
		active[t.Router] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := rollout(ctx, drivers[i], t, wants[i], o)
			mu.Lock()
			rep.Routers[i].Status, rep.Routers[i].Error = res.Status, o.redact.String(res.Error)
			rep.Routers[i].Sessions, rep.Routers[i].Applied = res.Sessions, res.Applied
			rep.Routers[i].Verification = res.Verification
			delete(active, t.Router)
			if res.Status != Deployed {
				stopped = true
			}
			cond.Broadcast()
			mu.Unlock()
		}()
	}
	wg.Wait()
	return finish(rep, start), nil
}

// serialized makes f safe to call from several goroutines.
func serialized(f func(Event)) func(Event) {
	if f == nil {
		return nil
	}
	var pmu sync.Mutex
	return func(e Event) {
		pmu.Lock()
		defer pmu.Unlock()
		f(e)
	}
}

func finish(rep Report, start time.Time) Report {
	rep.Duration = time.Since(start)
	rep.OK = !slices.ContainsFunc(rep.Routers, func(r RouterResult) bool {
		return r.Status != Unchanged && r.Status != Deployed && r.Status != WouldChange
	})
	return rep
}

// prepare connects to a router and decides whether it needs a change: its
// config differs from the rendered one, or an earlier run left a change
// unfinished. It fills r's status, diff and leftover, and returns the
// rendered config in the form Running reads (device.Normalizer).
func prepare(ctx context.Context, t Target, o Options, r *RouterResult) (device.Driver, string, bool, error) {
	emit(o.Progress, t.Router, StepConnect, t.Endpoint.Host)
	d, err := o.Dial(ctx, t)
	if err != nil {
		return nil, "", false, fmt.Errorf("%s: connecting: %w", t.Router, err)
	}
	want := t.Config
	if n, ok := d.(device.Normalizer); ok {
		if want, err = n.Normalize(t.Config); err != nil {
			return d, "", false, fmt.Errorf("%s: the rendered config: %w", t.Router, err)
		}
	}
	have, err := d.Running(ctx)
	if err != nil {
		return d, want, false, fmt.Errorf("%s: reading the running config: %w", t.Router, err)
	}
	var left *device.Leftover
	if lr, ok := d.(device.LeftoverReporter); ok {
		if left, err = lr.Leftover(ctx); err != nil {
			return d, want, false, fmt.Errorf("%s: looking for unfinished changes: %w", t.Router, err)
		}
	}
	if sf, ok := d.(device.SecretFinder); ok {
		o.redact.Add(sf.Secrets(have)...)
	}
	r.Diff = linediff.Changes(have, want)
	for i, l := range r.Diff {
		r.Diff[i] = o.redact.String(l)
	}
	if left != nil {
		r.Leftover = left.String()
		emit(o.Progress, t.Router, StepLeftover, r.Leftover)
		if left.Deadline.After(time.Now()) {
			return d, want, false, fmt.Errorf("%s: %w: %s", t.Router, device.ErrLocked, left)
		}
	}
	if have != want {
		if dr, ok := d.(device.DriftReporter); ok {
			drift, err := dr.Drift(ctx)
			if err != nil {
				return d, want, false, fmt.Errorf("%s: reading back what the router runs: %w", t.Router, err)
			}
			if drift != "" {
				r.Drift = o.redact.String(drift)
				emit(o.Progress, t.Router, StepDrift, "the router runs neither the last deployed nor the rendered config: "+r.Drift)
			}
		}
	}
	switch {
	case have == want && left == nil:
		r.Status = Unchanged
		emit(o.Progress, t.Router, StepUnchanged, "config is already the rendered one")
		return d, want, false, nil
	case o.DryRun:
		r.Status = WouldChange
		emit(o.Progress, t.Router, StepPlan, fmt.Sprintf("would change %d lines", len(r.Diff)))
		return d, want, false, nil
	}
	emit(o.Progress, t.Router, StepPlan, fmt.Sprintf("%d lines to change", len(r.Diff)))
	return d, want, true, nil
}

// rollout changes one router: apply, verify, confirm or roll back. want is
// the rendered config in the form Running reads, for VerifyConfig.
func rollout(ctx context.Context, d device.Driver, t Target, want string, o Options) RouterResult {
	mode := t.verification()
	res := RouterResult{Router: t.Router, Verification: mode}
	before, err := d.Sessions(ctx)
	if err != nil {
		res.Status, res.Error = Failed, fmt.Sprintf("%s: reading sessions before the change: %v", t.Router, err)
		emit(o.Progress, t.Router, StepFailed, res.Error)
		return res
	}
	required := requiredSessions(t.Intended, before)
	start := time.Now()
	emit(o.Progress, t.Router, StepApply, fmt.Sprintf("commit-confirm, %s to confirm", o.ConfirmTimeout))
	if err := d.Apply(ctx, t.Config, o.ConfirmTimeout); err != nil {
		res.Applied = time.Since(start)
		return rollBack(ctx, d, t, o, res, before, fmt.Sprintf("%s: applying: %v", t.Router, err))
	}
	if mode == VerifyConfig {
		if why := verifyConfig(ctx, d, t, want); why != "" {
			res.Applied = time.Since(start)
			return rollBack(ctx, d, t, o, res, before, why)
		}
		emit(o.Progress, t.Router, StepVerify, "configuration read back: it is the rendered one")
	}
	emit(o.Progress, t.Router, StepVerify, fmt.Sprintf("waiting up to %s for %d sessions", o.VerifyTimeout, len(t.Intended)))
	checks, err := poll(ctx, d, t.Router, t.Intended, o.VerifyTimeout, o.Poll, func(cs []SessionCheck) bool {
		// A session shut down for max-prefix stays down: no use waiting.
		return len(verifyProblems(cs, required, o.Settle, mode)) == 0 || slices.ContainsFunc(cs, func(c SessionCheck) bool {
			return required[c.Neighbor.String()] && c.Reason == device.ReasonMaxPrefix
		})
	})
	res.Applied = time.Since(start)
	res.Sessions = checks
	if err != nil {
		return rollBack(ctx, d, t, o, res, before, fmt.Sprintf("%s: verifying: %v", t.Router, err))
	}
	if problems := verifyProblems(checks, required, o.Settle, mode); len(problems) > 0 {
		return rollBack(ctx, d, t, o, res, before, fmt.Sprintf("%s: not verified after %s: %s", t.Router,
			res.Applied.Round(100*time.Millisecond), strings.Join(problems, "; ")))
	}
	if n := unknownState(checks); n > 0 {
		emit(o.Progress, t.Router, StepVerify, fmt.Sprintf("%d of %d sessions not verified: the router reports no session state; their configuration is verified", n, len(checks)))
	}
	if err := context.Cause(ctx); err != nil {
		// Stopped (a signal) after verifying: an unconfirmed change is
		// never left behind, so it is undone rather than kept.
		return rollBack(ctx, d, t, o, res, before, fmt.Sprintf("%s: stopped before confirming: %v", t.Router, err))
	}
	emit(o.Progress, t.Router, StepConfirm, "")
	if err := d.Confirm(ctx); err != nil {
		return rollBack(ctx, d, t, o, res, before, fmt.Sprintf("%s: confirming: %v", t.Router, err))
	}
	res.Status = Deployed
	msg := fmt.Sprintf("deployed and verified in %s", res.Applied.Round(10*time.Millisecond))
	switch n := unknownState(checks); {
	case n > 0:
		msg = fmt.Sprintf("deployed and verified by reading the configuration back in %s; %d sessions without reported state",
			res.Applied.Round(10*time.Millisecond), n)
	case mode == VerifyConfig:
		msg += ": configuration read back, sessions Established"
	}
	emit(o.Progress, t.Router, StepDone, msg)
	return res
}

// verifyConfig reads the running config back after a commit and compares
// it with the rendered one; it returns why they differ, or "".
func verifyConfig(ctx context.Context, d device.Driver, t Target, want string) string {
	have, err := d.Running(ctx)
	if err != nil {
		return fmt.Sprintf("%s: verifying: reading the running config back: %v", t.Router, err)
	}
	if have != want {
		return fmt.Sprintf("%s: not verified: the running config read back differs from the rendered one in %d lines",
			t.Router, len(linediff.Changes(have, want)))
	}
	return ""
}

// unknownState counts the sessions the router reports no state for.
func unknownState(cs []SessionCheck) int {
	n := 0
	for _, c := range cs {
		if c.StateUnknown {
			n++
		}
	}
	return n
}

// requiredSessions are the intended sessions a change must leave
// Established: those that were up before it, new ones, and those whose
// state the router did not report (nothing says they were down). A session
// that was configured and down before is the peer's business, not a reason
// to undo our change. Sessions meant to be shut down are always judged:
// the change must take them down.
func requiredSessions(intended []IntendedSession, before []device.Session) map[string]bool {
	req := map[string]bool{}
	prior := map[string]device.Session{}
	for _, s := range before {
		prior[s.Neighbor.String()] = s
	}
	for _, in := range intended {
		s, ok := prior[in.Neighbor.Unmap().String()]
		if in.Shutdown || !ok || s.Established() || s.State == device.StateUnknown {
			req[in.Neighbor.Unmap().String()] = true
		}
	}
	return req
}

// verifyProblems lists the required sessions that are not fine: not
// Established (for at least settle), or over max-prefix when policy does not say "warn" (a
// router that enforces the limit takes the session down anyway; this
// catches one that does not). With VerifyConfig a session the router
// reports no state for is no problem: its configuration was verified.
func verifyProblems(cs []SessionCheck, required map[string]bool, settle time.Duration, mode Verification) []string {
	var out []string
	for _, c := range cs {
		if !required[c.Neighbor.String()] || (mode == VerifyConfig && c.StateUnknown) {
			continue
		}
		switch {
		case c.Shutdown:
			if c.Established {
				out = append(out, c.describe())
			}
		case !c.Established:
			out = append(out, c.describe())
		case c.Uptime < settle:
			out = append(out, fmt.Sprintf("%s (%s) Established for only %s", c.Neighbor, c.PeerASN, c.Uptime.Round(100*time.Millisecond)))
		case len(c.OverMax()) > 0 && !c.WarnOnly:
			out = append(out, fmt.Sprintf("%s (%s) over max-prefix: %s", c.Neighbor, c.PeerASN, strings.Join(c.Warnings, ", ")))
		}
	}
	return out
}

// rollBack undoes a failed change and waits for the sessions that were
// Established before to come back. It uses its own context: a cancelled
// rollout must still roll back.
func rollBack(ctx context.Context, d device.Driver, t Target, o Options, res RouterResult, before []device.Session, why string) RouterResult {
	why = o.redact.String(why)
	emit(o.Progress, t.Router, StepRollback, why)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.ConfirmTimeout+o.VerifyTimeout)
	defer cancel()
	if err := d.Rollback(rctx); err != nil {
		res.Status = Failed
		res.Error = why + "; rollback failed: " + o.redact.String(err.Error())
		if errors.Is(err, device.ErrConnection) {
			res.Error += " (the router's confirm timer, or the next run, will restore it)"
		}
		emit(o.Progress, t.Router, StepFailed, res.Error)
		return res
	}
	res.Status, res.Error = RolledBack, why
	if ctx.Err() != nil {
		// Stopping: the previous config is back; waiting for its
		// sessions would only hold up the exit.
		emit(o.Progress, t.Router, StepRollback, "previous config restored")
		return res
	}
	var up []IntendedSession
	for _, s := range before {
		if s.Established() {
			up = append(up, IntendedSession{Neighbor: s.Neighbor, PeerASN: s.PeerASN})
		}
	}
	checks, err := poll(rctx, d, t.Router, up, o.VerifyTimeout, o.Poll, func(cs []SessionCheck) bool {
		return !slices.ContainsFunc(cs, func(c SessionCheck) bool { return !c.Established })
	})
	switch {
	case err != nil:
		res.Error += "; reading sessions after the rollback: " + err.Error()
	case slices.ContainsFunc(checks, func(c SessionCheck) bool { return !c.Established }):
		res.Error += "; after the rollback some earlier sessions are still down"
	}
	emit(o.Progress, t.Router, StepRollback, "previous config restored")
	return res
}
