package device

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
	"github.com/scrapli/scrapligo/util"

	"github.com/peerctl/peerctl/bgp"
	"github.com/peerctl/peerctl/openconfig"
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
	// Transcript receives every RPC as sent (after serialisation, without
	// the framing) and every reply, for tests and debugging. It sees
	// payloads, secrets included.
	Transcript io.Writer
}

// Netconf deploys the peerctl-bgp payload (package openconfig) over
// NETCONF: lock the candidate, edit-config, confirmed commit with a
// timeout, then confirm (commit) or roll back (cancel-commit), unlock.
//
// It works around four silent failures measured with netconfd (see
// docs/netconf.md): it always sends self-closing tags, never sends
// <validate> before <commit>, pauses after the hello, and only uses Go's
// SSH transport. After every commit it reads the running datastore back
// and compares it with what was meant, so a commit that silently did
// nothing is an error rather than a success.
//
// A Netconf is one session; it is not safe for concurrent use.
type Netconf struct {
	d          *netconf.Driver
	host       string
	log        *slog.Logger
	timeout    time.Duration
	transcript io.Writer

	cancelCommit bool // the server has :confirmed-commit:1.1

	locked bool
	// pending is set between a confirmed commit and Confirm or Rollback.
	pending bool
	// before and after are the canonical running payloads around the
	// pending commit; after is "" when the payload was not ours to
	// canonicalise, and then the commits cannot be checked.
	before, after string
}

var (
	_ Driver     = (*Netconf)(nil)
	_ Normalizer = (*Netconf)(nil)
)

// OpenNetconf opens a NETCONF session to ep (port 830 unless given) and
// checks that the server has what the deploy flow needs: the candidate
// datastore, confirmed commit and the peerctl-bgp module.
func OpenNetconf(ctx context.Context, ep Endpoint, o NetconfOptions) (*Netconf, error) {
	if ep.Transport != "" && ep.Transport != "standard" {
		// The system transport runs ssh under a pty in canonical mode:
		// RPCs over about 4 KB never arrive, and its NETCONF 1.1 hello
		// shares a line with the first RPC.
		return nil, fmt.Errorf("%s: NETCONF needs the standard SSH transport, not %q", ep.Host, ep.Transport)
	}
	sshOpts, err := ep.sshOptions(830, "standard")
	if err != nil {
		return nil, err
	}
	n := &Netconf{host: ep.Host, log: o.Logger, timeout: o.Timeout, transcript: o.Transcript}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.log = n.log.With("router", ep.Host, "protocol", "netconf")
	if n.timeout <= 0 {
		n.timeout = 30 * time.Second
	}
	timeout, err := n.opTimeout(ctx)
	if err != nil {
		return nil, err
	}
	opts := append(sshOpts,
		options.WithNetconfForceSelfClosingTags(), // yuma123 ignores <discard-changes></discard-changes>
		options.WithTimeoutSocket(timeout),
		options.WithTimeoutOps(timeout),
	)
	d, err := netconf.NewDriver(ep.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: netconf: %w", ep.Host, err)
	}
	n.d = d
	if err := guard(func() error { return d.Open() }); err != nil {
		return nil, fmt.Errorf("%s: netconf: open: %w: %w", ep.Host, ErrConnection, err)
	}
	settle := o.Settle
	if settle <= 0 {
		settle = 20 * time.Millisecond
	}
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		n.closeDriver()
		return nil, ctx.Err()
	}
	if err := n.checkCapabilities(); err != nil {
		n.closeDriver()
		return nil, err
	}
	if err := n.firstRPC(ctx); err != nil {
		n.closeDriver()
		return nil, err
	}
	n.log.Debug("session open", "session-id", d.SessionID(), "netconf", d.SelectedVersion)
	return n, nil
}

// firstRPC reads running once, briefly. If netconfd held the reply back
// (the hello and the RPC arrived together despite the pause), the next
// RPC releases it, so it tries up to three times.
func (n *Netconf) firstRPC(ctx context.Context) error {
	limit := min(2*time.Second, n.timeout)
	for attempt := 1; ; attempt++ {
		_, err := n.rpcWithin(ctx, limit, "get-config running (first RPC)", func() (*response.NetconfResponse, error) {
			return n.d.GetConfig("running", opoptions.WithFilter(openconfig.Filter()))
		})
		if err == nil || !errors.Is(err, util.ErrTimeoutError) || attempt == 3 {
			return err
		}
		n.log.Debug("first RPC unanswered, sending another", "attempt", attempt)
	}
}

func (n *Netconf) checkCapabilities() error {
	var missing []string
	if !n.d.ServerHasCapability(capCandidate) {
		missing = append(missing, ":candidate")
	}
	n.cancelCommit = n.d.ServerHasCapability(capConfirmedCommit11)
	if !n.cancelCommit && !n.d.ServerHasCapability(capConfirmedCommit10) {
		missing = append(missing, ":confirmed-commit")
	}
	module := false
	for _, c := range n.d.ServerCapabilities() {
		if strings.HasPrefix(c, openconfig.Namespace+"?") && strings.Contains(c, "module="+openconfig.Module) {
			module = true
		}
	}
	if !module {
		missing = append(missing, "the "+openconfig.Module+" YANG module")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: netconf: the server lacks %s", n.host, strings.Join(missing, ", "))
	}
	return nil
}

// Running returns the router's peerctl-bgp configuration as the payload
// that would create it (openconfig.Build's canonical form), or
// openconfig.Remove() when there is none.
func (n *Netconf) Running(ctx context.Context) (string, error) {
	r, err := n.rpc(ctx, "get-config running", func() (*response.NetconfResponse, error) {
		return n.d.GetConfig("running", opoptions.WithFilter(openconfig.Filter()))
	})
	if err != nil {
		return "", err
	}
	c, found, err := openconfig.Parse([]byte(r.Result))
	if err != nil {
		return "", fmt.Errorf("%s: %w", n.host, err)
	}
	if !found {
		return openconfig.Remove(), nil
	}
	return openconfig.Build(c.LocalAS, c.Neighbors)
}

// Apply locks the candidate, loads cfg (a <config> element, normally from
// openconfig.Build) and commits it with a confirm timeout rounded up to
// whole seconds. The lock is held until Confirm or Rollback. If anything
// fails, the candidate is discarded and unlocked and running is as before.
func (n *Netconf) Apply(ctx context.Context, cfg string, confirmTimeout time.Duration) error {
	if n.pending {
		return fmt.Errorf("%s: netconf: the previous change is neither confirmed nor rolled back", n.host)
	}
	if err := checkPayload(cfg); err != nil {
		return fmt.Errorf("%s: netconf: %w", n.host, err)
	}
	if confirmTimeout <= 0 {
		return fmt.Errorf("%s: netconf: confirm timeout must be positive, got %s", n.host, confirmTimeout)
	}
	secs := math.Ceil(confirmTimeout.Seconds())
	if secs > math.MaxUint32 {
		return fmt.Errorf("%s: netconf: confirm timeout %s is too long", n.host, confirmTimeout)
	}
	if err := n.lock(ctx); err != nil {
		return err
	}
	before, err := n.Running(ctx)
	if err != nil {
		return n.abandon(ctx, err)
	}
	// Start from running: a candidate left dirty by an earlier session
	// must not ride along with this commit.
	if _, err := n.rpc(ctx, "discard-changes", func() (*response.NetconfResponse, error) { return n.d.Discard() }); err != nil {
		return n.abandon(ctx, err)
	}
	if _, err := n.rpc(ctx, "edit-config candidate", func() (*response.NetconfResponse, error) {
		return n.d.EditConfig("candidate", cfg)
	}); err != nil {
		return n.abandon(ctx, err)
	}
	// No <validate> here: netconfd turns the commit after a validate into
	// a silent no-op. Validation is not lost: the server validates the
	// candidate at every edit-config and again at commit (RFC 6241 §8.3).
	if _, err := n.rpc(ctx, fmt.Sprintf("commit confirmed %.0fs", secs), func() (*response.NetconfResponse, error) {
		return n.d.Commit(opoptions.WithCommitConfirmed(), opoptions.WithCommitConfirmTimeout(uint(secs)))
	}); err != nil {
		return n.abandon(ctx, err)
	}
	n.pending, n.before, n.after = true, before, canonical(cfg)
	if err := n.expectRunning(ctx, n.after, "the confirmed commit"); err != nil {
		return errors.Join(err, n.Rollback(ctx))
	}
	n.log.Info("committed, waiting for confirmation", "confirm-timeout", time.Duration(secs)*time.Second)
	return nil
}

// Confirm makes the pending commit permanent with a plain commit, then
// checks that running still holds it: a commit after the server has
// already rolled back (the confirm timeout passed) succeeds but changes
// nothing, and must not read as a confirmation.
func (n *Netconf) Confirm(ctx context.Context) error {
	if !n.pending {
		return fmt.Errorf("%s: netconf: nothing to confirm", n.host)
	}
	if _, err := n.rpc(ctx, "commit", func() (*response.NetconfResponse, error) { return n.d.Commit() }); err != nil {
		return err
	}
	n.pending = false
	if err := n.expectRunning(ctx, n.after, "the confirming commit (was the confirm timeout already over?)"); err != nil {
		return errors.Join(err, n.unlock(ctx))
	}
	n.log.Info("confirmed")
	return n.unlock(ctx)
}

// Rollback undoes the pending commit now: cancel-commit where the server
// has :confirmed-commit:1.1, otherwise it commits the configuration saved
// before Apply. Without a pending commit it does nothing.
func (n *Netconf) Rollback(ctx context.Context) error {
	if !n.pending {
		return nil
	}
	var err error
	if n.cancelCommit {
		_, err = n.rpc(ctx, "cancel-commit", func() (*response.NetconfResponse, error) {
			return n.d.RPC(opoptions.WithFilter("<cancel-commit/>"))
		})
	} else {
		err = n.restore(ctx)
	}
	if err != nil {
		return err
	}
	n.pending = false
	if err := n.expectRunning(ctx, n.before, "the rollback"); err != nil {
		return errors.Join(err, n.unlock(ctx))
	}
	n.log.Info("rolled back")
	return n.unlock(ctx)
}

// restore puts the saved configuration back with edit-config and a plain
// commit, for servers without cancel-commit (a plain commit also ends the
// pending confirmed commit).
func (n *Netconf) restore(ctx context.Context) error {
	if _, err := n.rpc(ctx, "edit-config candidate (restore)", func() (*response.NetconfResponse, error) {
		return n.d.EditConfig("candidate", n.before)
	}); err != nil {
		return err
	}
	_, err := n.rpc(ctx, "commit (restore)", func() (*response.NetconfResponse, error) { return n.d.Commit() })
	return err
}

// Normalize returns the running payload cfg produces: Running's form, so
// that an unchanged router compares equal byte for byte. A payload that is
// not a whole peerctl-bgp configuration is returned as it is.
func (n *Netconf) Normalize(cfg string) (string, error) {
	if err := checkPayload(cfg); err != nil {
		return "", err
	}
	if c := canonical(cfg); c != "" {
		return c, nil
	}
	return cfg, nil
}

// Sessions reads the configured neighbors and the state the server
// reports for them. State the server does not report reads "Unknown".
func (n *Netconf) Sessions(ctx context.Context) ([]Session, error) {
	r, err := n.rpc(ctx, "get", func() (*response.NetconfResponse, error) {
		return n.d.Get(openconfig.Filter())
	})
	if err != nil {
		return nil, err
	}
	states, err := openconfig.ParseState([]byte(r.Result))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.host, err)
	}
	now := time.Now()
	out := make([]Session, 0, len(states))
	for _, s := range states {
		// The module has no RPKI counters: -1 says so.
		sess := Session{Neighbor: s.Address, PeerASN: s.PeerAS, Description: s.Description, State: "Unknown", Received: map[bgp.Family]int{}, RPKIInvalid: -1}
		if name, ok := fsmStateNames[s.SessionState]; ok {
			sess.State = name
		}
		if sess.Established() && !s.LastEstablished.IsZero() && s.LastEstablished.Before(now) {
			sess.Uptime = now.Sub(s.LastEstablished).Truncate(time.Second)
		}
		for f, c := range s.Received {
			sess.Received[f] = c
		}
		out = append(out, sess)
	}
	return out, nil
}

// fsmStateNames spell the module's session-state as Session.State does.
var fsmStateNames = map[string]string{
	"IDLE": "Idle", "CONNECT": "Connect", "ACTIVE": "Active",
	"OPENSENT": "OpenSent", "OPENCONFIRM": "OpenConfirm", "ESTABLISHED": "Established",
}

// Close ends the session. A pending commit is rolled back by the server,
// as RFC 6241 requires when the session that made it goes away.
func (n *Netconf) Close() error {
	if n.d == nil {
		return nil
	}
	err := n.closeDriver()
	n.d = nil
	if err != nil {
		return fmt.Errorf("%s: netconf: close: %w", n.host, err)
	}
	return nil
}

// closeDriver closes the scrapligo driver but gives up after a few
// seconds: if the connection died, its reader goroutine can be stuck and
// Close would wait for it forever.
func (n *Netconf) closeDriver() error {
	done := make(chan error, 1)
	go func() { done <- guard(n.d.Close) }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		_ = n.d.Transport.Close(true)
		return errors.New("no clean close after 5s; connection dropped")
	}
}

func (n *Netconf) lock(ctx context.Context) error {
	if n.locked {
		return nil
	}
	if _, err := n.rpc(ctx, "lock candidate", func() (*response.NetconfResponse, error) { return n.d.Lock("candidate") }); err != nil {
		return err
	}
	n.locked = true
	return nil
}

func (n *Netconf) unlock(ctx context.Context) error {
	if !n.locked {
		return nil
	}
	if _, err := n.rpc(ctx, "unlock candidate", func() (*response.NetconfResponse, error) { return n.d.Unlock("candidate") }); err != nil {
		return err
	}
	n.locked = false
	return nil
}

// abandon cleans up after a failed Apply step: discard the candidate and
// release the lock, keeping cause as the error that matters.
func (n *Netconf) abandon(ctx context.Context, cause error) error {
	// A fresh context: the cleanup must run even when ctx is what failed.
	cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.timeout)
	defer cancel()
	_, derr := n.rpc(cleanup, "discard-changes", func() (*response.NetconfResponse, error) { return n.d.Discard() })
	return errors.Join(cause, derr, n.unlock(cleanup))
}

// expectRunning checks that running holds want; want "" skips the check.
func (n *Netconf) expectRunning(ctx context.Context, want, what string) error {
	if want == "" {
		return nil
	}
	got, err := n.Running(ctx)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s: netconf: %s left the running configuration different from what was committed", n.host, what)
	}
	return nil
}

// rpc runs one scrapligo call with a timeout from ctx, turning a panic
// (scrapligo's 1.1 chunk parser indexes reply bytes unchecked), a
// transport error and an <rpc-error> into errors; the last wraps
// ErrRejected.
func (n *Netconf) rpc(ctx context.Context, name string, call func() (*response.NetconfResponse, error)) (*response.NetconfResponse, error) {
	return n.rpcWithin(ctx, n.timeout, name, call)
}

// rpcWithin is rpc with its own upper bound on the wait.
func (n *Netconf) rpcWithin(ctx context.Context, limit time.Duration, name string, call func() (*response.NetconfResponse, error)) (*response.NetconfResponse, error) {
	if n.d == nil {
		return nil, fmt.Errorf("%s: netconf: %s: session is closed", n.host, name)
	}
	timeout, err := n.opTimeout(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: netconf: %s: %w", n.host, name, err)
	}
	timeout = min(timeout, limit)
	// Every scrapligo RPC waits for its reply up to the channel's
	// operation timeout; only some take a per-call option.
	n.d.Channel.TimeoutOps = timeout
	var r *response.NetconfResponse
	err = guard(func() error {
		var err error
		r, err = call()
		return err
	})
	if err == nil && r == nil {
		err = errors.New("no response")
	}
	if r != nil && n.transcript != nil {
		fmt.Fprintf(n.transcript, "<!-- sent -->\n%s\n<!-- received -->\n%s\n", r.Input, r.RawResult)
	}
	if err != nil {
		n.log.Warn("rpc failed", "rpc", name, "err", err)
		return nil, fmt.Errorf("%s: netconf: %s: %w: %w", n.host, name, ErrConnection, err)
	}
	if r.Failed != nil {
		msg := rpcErrorText(r.RawResult)
		n.log.Warn("rpc refused", "rpc", name, "error", msg)
		return r, fmt.Errorf("%s: netconf: %s: %w: %s", n.host, name, ErrRejected, msg)
	}
	n.log.Debug("rpc ok", "rpc", name, "elapsed", time.Duration(r.ElapsedTime*float64(time.Second)).Round(time.Microsecond))
	return r, nil
}

func (n *Netconf) opTimeout(ctx context.Context) (time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	t := n.timeout
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return 0, context.DeadlineExceeded
		}
		t = min(t, left)
	}
	return t, nil
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

// maxPayloadBytes bounds an edit-config payload (2000 neighbors: 238 KB).
const maxPayloadBytes = 16 << 20

// checkPayload accepts exactly one well-formed <config> element in the
// NETCONF base namespace. scrapligo places the payload verbatim inside
// <edit-config>, so anything else could close it and smuggle in another
// operation.
func checkPayload(cfg string) error {
	if len(cfg) > maxPayloadBytes {
		return fmt.Errorf("payload of %d bytes exceeds %d", len(cfg), maxPayloadBytes)
	}
	if strings.Contains(cfg, "]]>]]>") || strings.HasPrefix(strings.TrimSpace(cfg), "<?") {
		return errors.New("payload contains NETCONF framing or an XML declaration")
	}
	dec := xml.NewDecoder(strings.NewReader(cfg))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("payload is not well-formed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 || t.Name.Space != "urn:ietf:params:xml:ns:netconf:base:1.0" || t.Name.Local != "config" {
					return errors.New(`payload must be a single <config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"> element`)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(strings.TrimSpace(string(t))) > 0 {
				return errors.New("payload has text outside its <config> element")
			}
		case xml.ProcInst, xml.Directive:
			return errors.New("payload has a processing instruction or directive")
		}
	}
	if roots != 1 {
		return errors.New("payload has no <config> element")
	}
	return nil
}

// canonical returns the running payload cfg should produce, or "" when
// cfg is not a whole peerctl-bgp configuration.
func canonical(cfg string) string {
	if strings.TrimSpace(cfg) == strings.TrimSpace(openconfig.Remove()) {
		return openconfig.Remove()
	}
	c, found, err := openconfig.Parse([]byte(cfg))
	if err != nil || !found || !strings.Contains(cfg, `nc:operation="replace"`) {
		return ""
	}
	out, err := openconfig.Build(c.LocalAS, c.Neighbors)
	if err != nil {
		return ""
	}
	return out
}

// rpcErrorText summarises the <rpc-error> elements of a reply: tag, app
// tag, path and message. error-info is left out, since servers may echo
// the refused value there, and that value may be a secret.
func rpcErrorText(raw []byte) string {
	type rpcError struct {
		Type     string `xml:"error-type"`
		Tag      string `xml:"error-tag"`
		AppTag   string `xml:"error-app-tag"`
		Path     string `xml:"error-path"`
		Message  string `xml:"error-message"`
		Severity string `xml:"error-severity"`
	}
	dec := xml.NewDecoder(strings.NewReader(string(raw[:min(len(raw), 1<<20)])))
	var parts []string
	for len(parts) < 5 {
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
		s := strings.TrimSpace(e.Tag)
		if e.AppTag != "" {
			s += " (" + strings.TrimSpace(e.AppTag) + ")"
		}
		if e.Path != "" {
			s += " at " + strings.TrimSpace(e.Path)
		}
		if e.Message != "" {
			s += ": " + strings.TrimSpace(e.Message)
		}
		if strings.TrimSpace(s) == "" {
			s = "an rpc-error without details"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "the server answered with an rpc-error"
	}
	return strings.Join(parts, "; ")
}
