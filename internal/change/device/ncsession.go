package device

// The NETCONF machinery the NETCONF drivers share — the peerform-bgp driver
// (Netconf, netconf.go) and Junos over NETCONF (JunosNetconf,
// junos_netconf.go): opening a session with the guards netconfd needs,
// bounded RPCs whose <rpc-error> replies become ErrRejected, the candidate
// lock, confirmed commit, confirm, cancel and discard, and a transcript
// that tests replay.

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/scrapli/scrapligo/driver/netconf"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/response"
	"github.com/scrapli/scrapligo/transport"
	"github.com/scrapli/scrapligo/util"
)

// NETCONF capabilities the deploy flow relies on (RFC 6241 §8).
const (
	capCandidate         = "urn:ietf:params:netconf:capability:candidate:1.0"
	capConfirmedCommit10 = "urn:ietf:params:netconf:capability:confirmed-commit:1.0"
	capConfirmedCommit11 = "urn:ietf:params:netconf:capability:confirmed-commit:1.1"
)

// NetconfOptions tunes a NETCONF session; the zero value suits real routers.
type NetconfOptions struct {
	// Logger receives one line per step (nil: silent). Payloads are never
	// logged: they may carry MD5 keys.
	Logger *slog.Logger
	// Timeout bounds each RPC (0: 30 s); a context deadline shortens it.
	Timeout time.Duration
	// Settle is the pause between the hello exchange and the first RPC
	// (0: 20 ms). Some servers (yuma123's netconfd) hold back the reply to
	// an RPC that arrives in the same read as the client's hello; should
	// that still happen, the first RPC is retried, which releases it.
	Settle time.Duration
	// Transcript receives the server's hello, every RPC as sent (after
	// serialisation, without the framing) and every reply, in the form
	// the tests replay (see netconf_replay_test.go). It sees payloads,
	// secrets included.
	Transcript io.Writer

	// transport replaces SSH with a recorded session in tests.
	transport transport.Implementation
}

// Markers between the parts of a transcript, each on a line of its own.
const (
	transcriptHello    = "<!-- hello -->"
	transcriptSent     = "<!-- sent -->"
	transcriptReceived = "<!-- received -->"
)

// ncSession is one open NETCONF session. It is not safe for concurrent
// use.
type ncSession struct {
	d          *netconf.Driver
	host       string
	log        *slog.Logger
	timeout    time.Duration
	transcript io.Writer

	cancelCommit bool // the server has :confirmed-commit:1.1
	locked       bool // this session holds the candidate lock
}

// openNCSession opens a NETCONF session to ep (port 830 unless given),
// checks that the server has the candidate datastore and confirmed commit,
// then calls check for the driver's own capability checks and probe as
// the first RPC (see firstRPC).
func openNCSession(ctx context.Context, ep Endpoint, o NetconfOptions, kind string,
	check func(*ncSession) error, probe func(*ncSession) (*response.NetconfResponse, error)) (*ncSession, error) {
	s := &ncSession{host: ep.Host, log: o.Logger, timeout: o.Timeout, transcript: o.Transcript}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("router", ep.Host, "protocol", kind)
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	var opts []util.Option
	if o.transport != nil {
		opts = []util.Option{options.WithCustomTransport(o.transport), options.WithAuthBypass(), options.WithReadDelay(time.Millisecond)}
	} else {
		if ep.Transport != "" && ep.Transport != "standard" {
			// The system transport runs ssh under a pty in canonical mode:
			// RPCs over about 4 KB never arrive, and its NETCONF 1.1 hello
			// shares a line with the first RPC.
			return nil, fmt.Errorf("%s: NETCONF needs the standard SSH transport, not %q", ep.Host, ep.Transport)
		}
		var err error
		if opts, err = ep.sshOptions(830, "standard"); err != nil {
			return nil, err
		}
	}
	timeout, err := s.opTimeout(ctx)
	if err != nil {
		return nil, err
	}
	opts = append(opts,
		options.WithNetconfForceSelfClosingTags(), // yuma123 ignores <discard-changes></discard-changes>
		options.WithTimeoutSocket(timeout),
		options.WithTimeoutOps(timeout),
	)
	d, err := netconf.NewDriver(ep.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ep.Host, kind, err)
	}
	s.d = d
	if err := guard(func() error { return d.Open() }); err != nil {
		return nil, fmt.Errorf("%s: %s: open: %w: %w", ep.Host, kind, ErrConnection, err)
	}
	s.writeHello()
	settle := o.Settle
	if settle <= 0 {
		settle = 20 * time.Millisecond
	}
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		_ = s.closeDriver()
		return nil, ctx.Err()
	}
	err = s.checkCapabilities()
	if err == nil {
		err = check(s)
	}
	if err == nil {
		err = s.firstRPC(ctx, probe)
	}
	if err != nil {
		_ = s.closeDriver()
		return nil, err
	}
	s.log.Debug("session open", "session-id", d.SessionID(), "netconf", d.SelectedVersion)
	return s, nil
}

// writeHello puts the server's hello into the transcript: its
// capabilities as they came over the wire, and its session id.
func (s *ncSession) writeHello() {
	if s.transcript == nil {
		return
	}
	var b strings.Builder
	b.WriteString(`<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>`)
	for _, c := range s.d.ServerCapabilities() {
		b.WriteString("<capability>" + c + "</capability>")
	}
	fmt.Fprintf(&b, "</capabilities><session-id>%d</session-id></hello>", s.d.SessionID())
	fmt.Fprintf(s.transcript, "%s\n%s\n", transcriptHello, b.String())
}

func (s *ncSession) checkCapabilities() error {
	var missing []string
	if !s.d.ServerHasCapability(capCandidate) {
		missing = append(missing, ":candidate")
	}
	s.cancelCommit = s.d.ServerHasCapability(capConfirmedCommit11)
	if !s.cancelCommit && !s.d.ServerHasCapability(capConfirmedCommit10) {
		missing = append(missing, ":confirmed-commit")
	}
	return s.missing(missing)
}

// missing is the error for capabilities the server lacks, nil for none.
func (s *ncSession) missing(what []string) error {
	if len(what) == 0 {
		return nil
	}
	return fmt.Errorf("%s: netconf: the server lacks %s", s.host, strings.Join(what, ", "))
}

// hasCapability reports whether the server advertised a capability that
// starts with prefix (module capabilities carry ?module=…&revision=…).
func (s *ncSession) hasCapability(prefix string) bool {
	for _, c := range s.d.ServerCapabilities() {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// firstRPC sends probe, a read-only RPC, with a short limit. If netconfd
// held the reply back (the hello and the RPC arrived together despite the
// pause), the next RPC releases it, so it tries up to three times.
func (s *ncSession) firstRPC(ctx context.Context, probe func(*ncSession) (*response.NetconfResponse, error)) error {
	limit := min(2*time.Second, s.timeout)
	for attempt := 1; ; attempt++ {
		_, err := s.rpcWithin(ctx, limit, "first RPC", func() (*response.NetconfResponse, error) { return probe(s) })
		if err == nil || !errors.Is(err, util.ErrTimeoutError) || attempt == 3 {
			return err
		}
		s.log.Debug("first RPC unanswered, sending another", "attempt", attempt)
	}
}

// lock takes the candidate lock, unless this session holds it already.
func (s *ncSession) lock(ctx context.Context) error {
	if s.locked {
		return nil
	}
	if _, err := s.rpc(ctx, "lock candidate", func() (*response.NetconfResponse, error) { return s.d.Lock("candidate") }); err != nil {
		return err
	}
	s.locked = true
	return nil
}

func (s *ncSession) unlock(ctx context.Context) error {
	if !s.locked {
		return nil
	}
	if _, err := s.rpc(ctx, "unlock candidate", func() (*response.NetconfResponse, error) { return s.d.Unlock("candidate") }); err != nil {
		return err
	}
	s.locked = false
	return nil
}

// discard resets the candidate to running (always sent self-closing:
// netconfd ignores <discard-changes></discard-changes>).
func (s *ncSession) discard(ctx context.Context) error {
	_, err := s.rpc(ctx, "discard-changes", func() (*response.NetconfResponse, error) { return s.d.Discard() })
	return err
}

// confirmSeconds rounds a confirm timeout up to the whole seconds of
// <confirm-timeout> (RFC 6241 §8.4.5: 1 to 2^32-1).
func confirmSeconds(t time.Duration) (uint, error) {
	if t <= 0 {
		return 0, fmt.Errorf("confirm timeout must be positive, got %s", t)
	}
	secs := math.Ceil(t.Seconds())
	if secs > math.MaxUint32 {
		return 0, fmt.Errorf("confirm timeout %s is too long", t)
	}
	return uint(secs), nil
}

// commitConfirmed commits the candidate with an automatic rollback after
// secs seconds. No <validate> goes before it: netconfd turns the commit
// after a validate into a silent no-op, and servers validate the
// candidate at commit anyway (RFC 6241 §8.3).
func (s *ncSession) commitConfirmed(ctx context.Context, secs uint) error {
	_, err := s.rpc(ctx, fmt.Sprintf("commit confirmed %ds", secs), func() (*response.NetconfResponse, error) {
		return s.d.Commit(opoptions.WithCommitConfirmed(), opoptions.WithCommitConfirmTimeout(secs))
	})
	return err
}

// commit is a plain commit: it confirms a pending confirmed commit.
func (s *ncSession) commit(ctx context.Context, name string) error {
	_, err := s.rpc(ctx, name, func() (*response.NetconfResponse, error) { return s.d.Commit() })
	return err
}

// cancel ends a pending confirmed commit at once (:confirmed-commit:1.1).
func (s *ncSession) cancel(ctx context.Context) error {
	_, err := s.rpc(ctx, "cancel-commit", func() (*response.NetconfResponse, error) {
		return s.d.RPC(opoptions.WithFilter("<cancel-commit/>"))
	})
	return err
}

// abandon cleans up after a failed change step: discard the candidate and
// release the lock, keeping cause as the error that matters.
func (s *ncSession) abandon(ctx context.Context, cause error) error {
	// A fresh context: the cleanup must run even when ctx is what failed.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	return errors.Join(cause, s.discard(cleanup), s.unlock(cleanup))
}

// close ends the session. A pending confirmed commit is rolled back by the
// server, as RFC 6241 requires when the session that made it goes away.
func (s *ncSession) close() error {
	if s.d == nil {
		return nil
	}
	err := s.closeDriver()
	s.d = nil
	if err != nil {
		return fmt.Errorf("%s: netconf: close: %w", s.host, err)
	}
	return nil
}

// closeDriver closes the scrapligo driver but gives up after a few
// seconds: if the connection died, its reader goroutine can be stuck and
// Close would wait for it forever.
func (s *ncSession) closeDriver() error {
	done := make(chan error, 1)
	go func() { done <- guard(s.d.Close) }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		_ = s.d.Transport.Close(true)
		return errors.New("no clean close after 5s; connection dropped")
	}
}

// rpc runs one scrapligo call with a timeout from ctx, turning a panic
// (scrapligo's 1.1 chunk parser indexes reply bytes unchecked), a
// transport error and an <rpc-error> into errors; the last wraps
// ErrRejected. A reply whose only rpc-errors are warnings succeeds (Junos
// warns about deleting what is not there); the warnings are logged.
func (s *ncSession) rpc(ctx context.Context, name string, call func() (*response.NetconfResponse, error)) (*response.NetconfResponse, error) {
	return s.rpcWithin(ctx, s.timeout, name, call)
}

// rpcWithin is rpc with its own upper bound on the wait.
func (s *ncSession) rpcWithin(ctx context.Context, limit time.Duration, name string, call func() (*response.NetconfResponse, error)) (*response.NetconfResponse, error) {
	if s.d == nil {
		return nil, fmt.Errorf("%s: netconf: %s: session is closed", s.host, name)
	}
	timeout, err := s.opTimeout(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: netconf: %s: %w", s.host, name, err)
	}
	timeout = min(timeout, limit)
	// Every scrapligo RPC waits for its reply up to the channel's
	// operation timeout; only some take a per-call option.
	s.d.Channel.TimeoutOps = timeout
	var r *response.NetconfResponse
	err = guard(func() error {
		var err error
		r, err = call()
		return err
	})
	if err == nil && r == nil {
		err = errors.New("no response")
	}
	if r != nil && s.transcript != nil {
		fmt.Fprintf(s.transcript, "%s\n%s\n%s\n%s\n", transcriptSent, r.Input, transcriptReceived, r.Result)
	}
	if err != nil {
		s.log.Warn("rpc failed", "rpc", name, "err", err)
		return nil, fmt.Errorf("%s: netconf: %s: %w: %w", s.host, name, ErrConnection, err)
	}
	if r.Failed != nil {
		errs := rpcErrors(r.RawResult)
		if !onlyWarnings(errs) {
			msg := rpcErrorText(errs)
			s.log.Warn("rpc refused", "rpc", name, "error", msg)
			return r, fmt.Errorf("%s: netconf: %s: %w: %s", s.host, name, ErrRejected, msg)
		}
		s.log.Info("rpc warnings", "rpc", name, "warning", rpcErrorText(errs))
	}
	s.log.Debug("rpc ok", "rpc", name, "elapsed", time.Duration(r.ElapsedTime*float64(time.Second)).Round(time.Microsecond))
	return r, nil
}

func (s *ncSession) opTimeout(ctx context.Context) (time.Duration, error) {
	return boundedTimeout(ctx, s.timeout)
}

// boundedTimeout is the time one operation may take: at most limit, and
// no longer than ctx's deadline leaves; an error when ctx has ended.
func boundedTimeout(ctx context.Context, limit time.Duration) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return 0, context.DeadlineExceeded
		}
		limit = min(limit, left)
	}
	return limit, nil
}

// guard runs f and turns a panic into an error.
func guard(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed reply (%v)", p)
		}
	}()
	return f()
}

// rpcError is the part of an <rpc-error> (RFC 6241 §4.3) peerform shows.
// error-info is left out on purpose: servers may echo the refused value
// there, and that value may be a secret.
type rpcError struct {
	Type     string `xml:"error-type"`
	Tag      string `xml:"error-tag"`
	AppTag   string `xml:"error-app-tag"`
	Path     string `xml:"error-path"`
	Message  string `xml:"error-message"`
	Severity string `xml:"error-severity"`
}

// maxRPCErrors bounds how many rpc-errors of one reply are read.
const maxRPCErrors = 5

// rpcErrors reads the <rpc-error> elements of a reply, wherever they sit
// (Junos nests them in <load-configuration-results> or <commit-results>),
// from its first megabyte and at most maxRPCErrors of them.
func rpcErrors(raw []byte) []rpcError {
	dec := xml.NewDecoder(strings.NewReader(string(raw[:min(len(raw), 1<<20)])))
	var out []rpcError
	for len(out) < maxRPCErrors {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		start, ok := tok.(xml.StartElement)
		if !ok || start.Name.Local != "rpc-error" {
			continue
		}
		var e rpcError
		if dec.DecodeElement(&e, &start) != nil {
			break
		}
		out = append(out, e)
	}
	return out
}

// onlyWarnings reports whether errs holds rpc-errors and every one has the
// severity "warning"; an rpc-error without a severity counts as an error.
func onlyWarnings(errs []rpcError) bool {
	for _, e := range errs {
		if strings.TrimSpace(e.Severity) != "warning" {
			return false
		}
	}
	return len(errs) > 0
}

// rpcErrorText summarises rpc-errors: tag, app tag, path and message of
// each, separated by "; ".
func rpcErrorText(errs []rpcError) string {
	var parts []string
	for _, e := range errs {
		s := strings.TrimSpace(e.Tag)
		if e.AppTag != "" {
			s += " (" + strings.TrimSpace(e.AppTag) + ")"
		}
		if e.Path != "" {
			s += " at " + strings.TrimSpace(e.Path)
		}
		if e.Message != "" {
			s += ": " + strings.Join(strings.Fields(e.Message), " ")
		}
		if s = strings.TrimSpace(s); s == "" {
			s = "an rpc-error without details"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "the server answered with an rpc-error"
	}
	return strings.Join(parts, "; ")
}
