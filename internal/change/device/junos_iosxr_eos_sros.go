package device

// The machinery shared by the Junos, IOS-XR, EOS and SR OS drivers: a
// scrapligo network driver on one of scrapligo's built-in platforms,
// operations bounded by the context, config lines checked before they are
// sent, the router's refusals turned into ErrRejected, and one
// commit-confirmed cycle (cliChange). Each driver (junos.go, iosxr.go,
// eos.go, sros.go) supplies its platform's words for the cycle's steps.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/response"
	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"
)

// CLIOptions tunes a CLI session to Junos, IOS-XR, EOS or SR OS; the zero
// value suits real routers.
type CLIOptions struct {
	// Logger receives one line per step (nil: silent). Config lines are
	// never logged: they may carry MD5 keys.
	Logger *slog.Logger
	// Timeout bounds each operation (0: 60 s); a context deadline
	// shortens it. A commit on a big router can take tens of seconds.
	Timeout time.Duration
	// Now is the clock, used to name EOS configuration sessions (nil:
	// time.Now).
	Now func() time.Time

	// transport replaces SSH with a recorded dialogue in tests.
	transport transport.Implementation
}

// cliSession is one open CLI session on a scrapligo built-in platform.
type cliSession struct {
	d        *network.Driver
	host     string
	platform string
	log      *slog.Logger
	timeout  time.Duration
	now      func() time.Time
}

// openCLI opens ep (port 22 unless given) with the scrapligo platform
// name. Without a key file or password variable the OpenSSH ("system")
// transport is used, so that an SSH agent can log in.
func openCLI(ctx context.Context, platformName string, ep Endpoint, o CLIOptions) (*cliSession, error) {
	c := &cliSession{host: ep.Host, platform: platformName, log: o.Logger, timeout: o.Timeout, now: o.Now}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("router", ep.Host, "platform", platformName)
	if c.timeout <= 0 {
		c.timeout = 60 * time.Second
	}
	if c.now == nil {
		c.now = time.Now
	}
	timeout, err := c.opTimeout(ctx)
	if err != nil {
		return nil, err
	}
	var opts []util.Option
	if o.transport != nil {
		opts = []util.Option{options.WithCustomTransport(o.transport), options.WithAuthBypass(), options.WithReadDelay(time.Millisecond)}
	} else {
		kind := ep.Transport
		if kind == "" {
			kind = "system"
			if ep.KeyFile != "" || ep.PasswordEnv != "" {
				kind = "standard"
			}
		}
		if opts, err = ep.sshOptions(22, kind); err != nil {
			return nil, err
		}
	}
	opts = append(opts, options.WithTimeoutSocket(timeout), options.WithTimeoutOps(timeout))
	p, err := platform.NewPlatform(platformName, ep.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: platform %s: %w", ep.Host, platformName, err)
	}
	d, err := p.GetNetworkDriver()
	if err != nil {
		return nil, fmt.Errorf("%s: platform %s: %w", ep.Host, platformName, err)
	}
	if err := guard(d.Open); err != nil {
		return nil, fmt.Errorf("%s: %s: open: %w: %w", ep.Host, platformName, ErrConnection, err)
	}
	c.d = d
	return c, nil
}

func (c *cliSession) opTimeout(ctx context.Context) (time.Duration, error) {
	return boundedTimeout(ctx, c.timeout)
}

// command runs one command in the platform's default (operational)
// mode and returns its output.
func (c *cliSession) command(ctx context.Context, cmd string) (string, error) {
	if c.d == nil {
		return "", fmt.Errorf("%s: %q: session is closed", c.host, cmd)
	}
	timeout, err := c.opTimeout(ctx)
	if err != nil {
		return "", fmt.Errorf("%s: %q: %w", c.host, cmd, err)
	}
	var r *response.Response
	err = guard(func() error {
		var err error
		r, err = c.d.SendCommand(cmd, opoptions.WithTimeoutOps(timeout))
		return err
	})
	if err != nil {
		c.drop()
		return "", fmt.Errorf("%s: %q: %w: %w", c.host, cmd, ErrConnection, err)
	}
	if r.Failed != nil {
		return "", fmt.Errorf("%s: %q: %w: %s", c.host, cmd, ErrRejected, refusal(r.Result))
	}
	c.log.Debug("command", "command", cmd, "elapsed", time.Duration(r.ElapsedTime*float64(time.Second)).Round(time.Millisecond))
	return r.Result, nil
}

// summary runs a BGP summary command and parses what it prints; platform
// names the parser in errors.
func (c *cliSession) summary(ctx context.Context, platform, cmd string, parse func(string) ([]Session, error)) ([]Session, error) {
	out, err := c.command(ctx, cmd)
	if err != nil {
		return nil, err
	}
	s, err := parse(out)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", c.host, platform, err)
	}
	return s, nil
}

// configure sends lines in the configuration mode priv, stopping at the
// first one the router refuses. Output containing one of the platform's
// failure strings or one of failures counts as a refusal.
func (c *cliSession) configure(ctx context.Context, priv string, lines []string, failures ...string) (*response.MultiResponse, error) {
	if c.d == nil {
		return nil, fmt.Errorf("%s: configure: session is closed", c.host)
	}
	if err := guard(func() error { return c.d.AcquirePriv(priv) }); err != nil {
		c.drop()
		return nil, fmt.Errorf("%s: entering %s mode: %w: %w", c.host, priv, ErrConnection, err)
	}
	return c.send(ctx, lines, failures...)
}

// send types lines at whatever prompt the session is at, reading each
// answer up to the next prompt of any mode and stopping at the first
// refusal. Unlike configure it leaves scrapligo's privilege tracking
// alone, which is what EOS needs: its exec prompt pattern also matches
// its configuration prompts. The error names the refused line by its
// text only when it is a session command the driver wrote (commit,
// rollback …); rendered lines are named by number, since they may carry
// secrets.
func (c *cliSession) send(ctx context.Context, lines []string, failures ...string) (*response.MultiResponse, error) {
	if c.d == nil {
		return nil, fmt.Errorf("%s: send: session is closed", c.host)
	}
	timeout, err := c.opTimeout(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: send: %w", c.host, err)
	}
	fail := append(slices.Clone(c.d.FailedWhenContains), failures...)
	var mr *response.MultiResponse
	err = guard(func() error {
		var err error
		mr, err = c.d.Driver.SendCommands(lines, opoptions.WithStopOnFailed(),
			opoptions.WithFailedWhenContains(fail), opoptions.WithTimeoutOps(timeout))
		return err
	})
	if err != nil {
		c.drop()
		return mr, fmt.Errorf("%s: send: %w: %w", c.host, ErrConnection, err)
	}
	for i, r := range mr.Responses {
		if r.Failed == nil {
			continue
		}
		c.log.Warn("router refused a line", "line", i+1, "of", len(lines))
		return mr, fmt.Errorf("%s: %s: %w: %s", c.host, describeLine(lines, i), ErrRejected, refusal(r.Result))
	}
	c.log.Debug("sent", "lines", len(lines))
	return mr, nil
}

// sessionCommands are the first words of the lines a driver writes
// itself; rendered config lines never start with them.
var sessionCommands = []string{"commit", "rollback", "abort", "discard", "configure", "edit-config", "quit-config", "show", "end"}

func isSessionCommand(line string) bool {
	first, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	return slices.Contains(sessionCommands, first)
}

// describeLine names lines[i] in an error: a session command by its
// text, a config line by its number among the config lines.
func describeLine(lines []string, i int) string {
	if isSessionCommand(lines[i]) {
		return fmt.Sprintf("%q", lines[i])
	}
	k, n := 0, 0
	for j, l := range lines {
		if !isSessionCommand(l) {
			n++
			if j <= i {
				k++
			}
		}
	}
	return fmt.Sprintf("config line %d of %d", k, n)
}

// refusal condenses a router's error output to its meaningful lines.
func refusal(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			keep = append(keep, l)
		}
	}
	if len(keep) > 8 {
		keep = append(keep[:8], "…")
	}
	if len(keep) == 0 {
		return "the router refused it"
	}
	return strings.Join(keep, " / ")
}

// drop abandons a session after a transport error or timeout: scrapligo
// may still be typing or reading for the operation that timed out, so
// nothing more is sent on it — not even the platform's logout, which
// scrapligo's Close would type (after a return to find the prompt): the
// channel is closed under it. The router's commit timer undoes a change
// left pending.
func (c *cliSession) drop() {
	if c.d == nil {
		return
	}
	d := c.d
	c.d = nil
	c.log.Warn("session dropped after an error")
	go func() { _ = guard(d.Channel.Close) }()
}

func (c *cliSession) close() error {
	if c.d == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- guard(c.d.Close) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		_ = c.d.Transport.Close(true)
		err = errors.New("no clean close after 10s; connection dropped")
	}
	c.d = nil
	if err != nil {
		return fmt.Errorf("%s: close: %w", c.host, err)
	}
	return nil
}

// maxConfigLines bounds what one Apply sends over a CLI.
const maxConfigLines = 200_000

// configLines splits a rendered config into the lines to send, without
// their indentation: blank lines and comments (lines starting with one
// of comments) are dropped,
// and every other line must start with a word in allowed (if allowed is
// not nil) and none in denied. Control characters are refused: a stray
// ^D, ^C or ^Z would end input or the session, and an escape sequence
// could rewrite the terminal.
func configLines(cfg string, comments []string, allowed, denied []string) ([]string, error) {
	var lines []string
	for n, raw := range strings.Split(cfg, "\n") {
		line := strings.TrimRight(raw, " \t\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || slices.ContainsFunc(comments, func(c string) bool { return strings.HasPrefix(trimmed, c) }) {
			continue
		}
		for _, r := range line {
			if unicode.IsControl(r) && r != '\t' {
				return nil, fmt.Errorf("config line %d: control character %U", n+1, r)
			}
		}
		word, _, _ := strings.Cut(trimmed, " ")
		word = strings.ToLower(word)
		if allowed != nil && !slices.Contains(allowed, word) {
			return nil, fmt.Errorf("config line %d: starts with %q; only %s statements are accepted", n+1, word, strings.Join(allowed, ", "))
		}
		if slices.Contains(denied, word) {
			return nil, fmt.Errorf("config line %d: %q is a session command; commits and rollbacks are the driver's", n+1, word)
		}
		lines = append(lines, trimmed)
		if len(lines) > maxConfigLines {
			return nil, fmt.Errorf("config has more than %d lines", maxConfigLines)
		}
	}
	if len(lines) == 0 {
		return nil, errors.New("config has no statements")
	}
	return lines, nil
}

// ceilUnits rounds d up to whole units, at least lo and at most hi.
func ceilUnits(d, unit time.Duration, lo, hi int) (int, error) {
	if d <= 0 {
		return 0, fmt.Errorf("confirm timeout must be positive, got %s", d)
	}
	n := math.Ceil(float64(d) / float64(unit))
	if n > float64(hi) {
		return 0, fmt.Errorf("confirm timeout %s is over the platform's limit of %s", d, time.Duration(hi)*unit)
	}
	return max(int(n), lo), nil
}

// outputLines returns the non-empty lines of command output, right-trimmed.
func outputLines(out string) []string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l = strings.TrimRight(l, " \t\r"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// commitSteps are one CLI platform's words for the steps of a
// commit-confirmed change. cliChange runs them in the same order, with the
// same state and cleanup, on every platform.
type commitSteps interface {
	// lines checks a rendered config and splits it into the lines to send.
	lines(cfg string) ([]string, error)
	// trial spells the commit that rolls itself back unless confirmed
	// within confirmTimeout, refusing a timeout the platform cannot take.
	trial(confirmTimeout time.Duration) (string, error)
	// load puts the lines into the exclusive candidate (or configuration
	// session), which locks out other changes until it is committed or
	// discarded.
	load(ctx context.Context, lines []string) error
	// commit runs the trial commit command.
	commit(ctx context.Context, cmd string) error
	// discard throws the candidate away after a failed load or commit.
	discard(ctx context.Context) error
	// confirm makes the trial commit permanent.
	confirm(ctx context.Context) error
	// rollback undoes the trial commit now.
	rollback(ctx context.Context) error
}

// cliChange is the commit-confirmed cycle of the Junos, IOS-XR, EOS and
// SR OS drivers: Apply loads and commits with a confirm timer, and
// Confirm or Rollback ends the trial; a second Apply before that is
// refused. The drivers embed it and supply their platform's steps.
type cliChange struct {
	cli      *cliSession
	platform string // in errors: "junos", "iosxr", …
	steps    commitSteps
	pending  bool // committed, awaiting Confirm or Rollback
}

// errorf prefixes an error with the router and the platform.
func (c *cliChange) errorf(format string, args ...any) error {
	return fmt.Errorf("%s: %s: "+format, append([]any{c.cli.host, c.platform}, args...)...)
}

// Apply checks cfg and the confirm timeout, loads cfg and commits it with
// the platform's automatic rollback armed.
func (c *cliChange) Apply(ctx context.Context, cfg string, confirmTimeout time.Duration) error {
	if c.pending {
		return c.errorf("the previous change is neither confirmed nor rolled back")
	}
	lines, err := c.steps.lines(cfg)
	if err != nil {
		return c.errorf("%w", err)
	}
	cmd, err := c.steps.trial(confirmTimeout)
	if err != nil {
		return c.errorf("%w", err)
	}
	if err := c.steps.load(ctx, lines); err != nil {
		return c.discard(ctx, err)
	}
	if err := c.steps.commit(ctx, cmd); err != nil {
		return c.discard(ctx, err)
	}
	c.pending = true
	c.cli.log.Info("committed, waiting for confirmation", "commit", cmd)
	return nil
}

// discard throws the candidate away after a failed Apply step, even when
// ctx has ended. A session lost on the way is left alone: the router
// drops an exclusive candidate with its session, and if a commit went
// through before the loss, its timer undoes it.
func (c *cliChange) discard(ctx context.Context, cause error) error {
	if c.cli.d == nil {
		return cause
	}
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cli.timeout)
	defer cancel()
	return errors.Join(cause, c.steps.discard(cleanup))
}

// Confirm makes the last Apply permanent.
func (c *cliChange) Confirm(ctx context.Context) error {
	if !c.pending {
		return c.errorf("nothing to confirm")
	}
	if err := c.steps.confirm(ctx); err != nil {
		return err
	}
	c.pending = false
	c.cli.log.Info("confirmed")
	return nil
}

// Rollback undoes the last Apply now; without a pending change it does
// nothing.
func (c *cliChange) Rollback(ctx context.Context) error {
	if !c.pending {
		return nil
	}
	if err := c.steps.rollback(ctx); err != nil {
		return err
	}
	c.pending = false
	c.cli.log.Info("rolled back")
	return nil
}

// Close ends the session; a pending trial commit is undone by the router
// when its timer runs out.
func (c *cliChange) Close() error { return c.cli.close() }

// exclusive is how Junos, IOS-XR and SR OS take the configuration lock:
// an exclusive configuration mode (scrapligo's privilege level priv),
// whose refusals include failures besides the platform's own.
type exclusive struct {
	cli      *cliSession
	priv     string
	failures []string
}

// run sends lines in the exclusive mode.
func (x exclusive) run(ctx context.Context, lines ...string) (*response.MultiResponse, error) {
	return x.cli.configure(ctx, x.priv, lines, x.failures...)
}

// send is run for steps that need no output.
func (x exclusive) send(ctx context.Context, lines ...string) error {
	_, err := x.run(ctx, lines...)
	return err
}
