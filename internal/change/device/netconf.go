package device

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/response"

	"github.com/peerform/peerform/internal/change/openconfig"
	"github.com/peerform/peerform/internal/core/bgp"
)

// Netconf deploys the peerform-bgp payload (package openconfig) over
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
	s *ncSession
	// pending is set between a confirmed commit and Confirm or Rollback.
	pending bool
	// before and after are the canonical running payloads around the
	// pending commit; after is "" when the payload was not ours to
	// canonicalise, and then the commits cannot be checked.
	before, after string
}

var (
	_ Driver       = (*Netconf)(nil)
	_ Normalizer   = (*Netconf)(nil)
	_ SecretFinder = (*Netconf)(nil)
)

// authPassword finds the MD5 key of a payload line.
var authPassword = regexp.MustCompile(`<auth-password>([^<]*)</auth-password>`)

// Secrets lists the auth-passwords of a payload, as written (XML-escaped)
// and as their value.
func (n *Netconf) Secrets(cfg string) []string {
	var out []string
	for _, v := range findSecrets(authPassword, cfg) {
		out = append(out, v, html.UnescapeString(v))
	}
	return out
}

// StateUnknown is Session.State for a configured neighbor whose state the
// router does not report (a NETCONF server that implements peerform-bgp's
// configuration but not its state, such as netconfd).
const StateUnknown = "Unknown"

// OpenNetconf opens a NETCONF session to ep (port 830 unless given) and
// checks that the server has what the deploy flow needs: the candidate
// datastore, confirmed commit and the peerform-bgp module.
func OpenNetconf(ctx context.Context, ep Endpoint, o NetconfOptions) (*Netconf, error) {
	s, err := openNCSession(ctx, ep, o, "netconf", func(s *ncSession) error {
		// The module capability is "namespace?module=peerform-bgp&…".
		if !s.hasCapability(openconfig.Namespace + "?module=" + openconfig.Module) {
			return s.missing([]string{"the " + openconfig.Module + " YANG module"})
		}
		return nil
	}, getConfigBGP)
	if err != nil {
		return nil, err
	}
	return &Netconf{s: s}, nil
}

// getConfigBGP reads the module's data from running.
func getConfigBGP(s *ncSession) (*response.NetconfResponse, error) {
	return s.d.GetConfig("running", opoptions.WithFilter(openconfig.Filter()))
}

// Running returns the router's peerform-bgp configuration as the payload
// that would create it (openconfig.Build's canonical form), or
// openconfig.Remove() when there is none.
func (n *Netconf) Running(ctx context.Context) (string, error) {
	r, err := n.s.rpc(ctx, "get-config running", func() (*response.NetconfResponse, error) { return getConfigBGP(n.s) })
	if err != nil {
		return "", err
	}
	c, found, err := openconfig.Parse([]byte(r.Result))
	if err != nil {
		return "", fmt.Errorf("%s: %w", n.s.host, err)
	}
	if !found {
		return openconfig.Remove(), nil
	}
	return openconfig.Build(c.LocalAS, c.Neighbors)
}

// Apply locks the candidate, loads cfg (a <config> element, normally from
// openconfig.Build, leading comments allowed) and commits it with a
// confirm timeout rounded up to whole seconds. What is sent is the
// canonical form of cfg (Normalize) when it has one, so that the commit
// can be checked against it. The lock is held until Confirm or Rollback.
// If anything fails, the candidate is discarded and unlocked and running
// is as before.
func (n *Netconf) Apply(ctx context.Context, cfg string, confirmTimeout time.Duration) error {
	host := n.s.host
	if n.pending {
		return fmt.Errorf("%s: netconf: the previous change is neither confirmed nor rolled back", host)
	}
	if err := checkPayload(cfg); err != nil {
		return fmt.Errorf("%s: netconf: %w", host, err)
	}
	secs, err := confirmSeconds(confirmTimeout)
	if err != nil {
		return fmt.Errorf("%s: netconf: %w", host, err)
	}
	after := canonical(cfg)
	send := after
	if send == "" {
		send = withoutComments(cfg)
	}
	if err := n.s.lock(ctx); err != nil {
		return err
	}
	before, err := n.Running(ctx)
	if err != nil {
		return n.s.abandon(ctx, err)
	}
	// Start from running: a candidate left dirty by an earlier session
	// must not ride along with this commit.
	if err := n.s.discard(ctx); err != nil {
		return n.s.abandon(ctx, err)
	}
	if _, err := n.s.rpc(ctx, "edit-config candidate", func() (*response.NetconfResponse, error) {
		return n.s.d.EditConfig("candidate", send)
	}); err != nil {
		return n.s.abandon(ctx, err)
	}
	if err := n.s.commitConfirmed(ctx, secs); err != nil {
		return n.s.abandon(ctx, err)
	}
	n.pending, n.before, n.after = true, before, after
	if err := n.expectRunning(ctx, n.after, "the confirmed commit"); err != nil {
		return errors.Join(err, n.Rollback(ctx))
	}
	n.s.log.Info("committed, waiting for confirmation", "confirm-timeout", time.Duration(secs)*time.Second)
	return nil
}

// Confirm makes the pending commit permanent with a plain commit, then
// checks that running still holds it: a commit after the server has
// already rolled back (the confirm timeout passed) succeeds but changes
// nothing, and must not read as a confirmation.
func (n *Netconf) Confirm(ctx context.Context) error {
	if !n.pending {
		return fmt.Errorf("%s: netconf: nothing to confirm", n.s.host)
	}
	if err := n.s.commit(ctx, "commit"); err != nil {
		return err
	}
	n.pending = false
	if err := n.expectRunning(ctx, n.after, "the confirming commit (was the confirm timeout already over?)"); err != nil {
		return errors.Join(err, n.s.unlock(ctx))
	}
	n.s.log.Info("confirmed")
	return n.s.unlock(ctx)
}

// Rollback undoes the pending commit now: cancel-commit where the server
// has :confirmed-commit:1.1, otherwise it commits the configuration saved
// before Apply. Without a pending commit it does nothing.
func (n *Netconf) Rollback(ctx context.Context) error {
	if !n.pending {
		return nil
	}
	var err error
	if n.s.cancelCommit {
		err = n.s.cancel(ctx)
	} else {
		err = n.restore(ctx)
	}
	if err != nil {
		return err
	}
	n.pending = false
	if err := n.expectRunning(ctx, n.before, "the rollback"); err != nil {
		return errors.Join(err, n.s.unlock(ctx))
	}
	n.s.log.Info("rolled back")
	return n.s.unlock(ctx)
}

// restore puts the saved configuration back with edit-config and a plain
// commit, for servers without cancel-commit (a plain commit also ends the
// pending confirmed commit).
func (n *Netconf) restore(ctx context.Context) error {
	if _, err := n.s.rpc(ctx, "edit-config candidate (restore)", func() (*response.NetconfResponse, error) {
		return n.s.d.EditConfig("candidate", n.before)
	}); err != nil {
		return err
	}
	return n.s.commit(ctx, "commit (restore)")
}

// Normalize returns the running payload cfg produces: Running's form, so
// that an unchanged router compares equal byte for byte. A payload that is
// not a whole peerform-bgp configuration is returned as it is.
func (n *Netconf) Normalize(cfg string) (string, error) {
	if err := checkPayload(cfg); err != nil {
		return "", err
	}
	if c := canonical(cfg); c != "" {
		return c, nil
	}
	return withoutComments(cfg), nil
}

// withoutComments drops the comments in front of a payload's <config>:
// notes for people, which are neither sent nor compared.
func withoutComments(cfg string) string {
	dec := xml.NewDecoder(strings.NewReader(cfg))
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return cfg
		}
		switch tok.(type) {
		case xml.Comment, xml.CharData:
			continue
		case xml.StartElement:
			return cfg[start:]
		}
		return cfg
	}
}

// Sessions reads the configured neighbors and the state the server
// reports for them. A neighbor without reported state reads StateUnknown.
func (n *Netconf) Sessions(ctx context.Context) ([]Session, error) {
	r, err := n.s.rpc(ctx, "get", func() (*response.NetconfResponse, error) {
		return n.s.d.Get(openconfig.Filter())
	})
	if err != nil {
		return nil, err
	}
	states, err := openconfig.ParseState([]byte(r.Result))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n.s.host, err)
	}
	now := time.Now()
	out := make([]Session, 0, len(states))
	for _, s := range states {
		// The module has no RPKI counters: -1 says so.
		sess := Session{Neighbor: s.Address, PeerASN: s.PeerAS, Description: s.Description, State: StateUnknown, Received: map[bgp.Family]int{}, RPKIInvalid: -1}
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
func (n *Netconf) Close() error { return n.s.close() }

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
		return fmt.Errorf("%s: netconf: %s left the running configuration different from what was committed", n.s.host, what)
	}
	return nil
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
// cfg is not a whole peerform-bgp configuration.
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
