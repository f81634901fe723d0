// Package peeringapi is a client of the Peering API
// (draft-ietf-grow-peering-api, with the OpenAPI definition of
// github.com/bgp/autopeer): it asks a peer's API for the BGP sessions we
// would configure (POST /sessions) and reads their status back
// (GET /sessions/{session_id}).
//
// Field names follow the draft's BGP Session data type, where local is
// the requesting side (us) and peer the server's side. The server is
// untrusted: answers are bounded in size and time, their identifiers and
// texts checked before they are used or shown, and the bearer token is
// sent only over HTTPS (or to a loopback address, for tests).
package peeringapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on what the server may send or make us do.
const (
	maxBody       = 1 << 20 // bytes of one answer
	maxSessions   = 1024    // sessions in one answer
	maxRetries    = 3       // 429 answers honoured per call
	maxRetryAfter = time.Minute
	maxText       = 512 // bytes kept of a server's status or message
)

// RFC 9234 BGP roles, as the draft carries them (integers).
const (
	RoleProvider = 0
	RoleRS       = 1
	RoleRSClient = 2
	RoleCustomer = 3
	RolePeer     = 4
)

// Location is where a session is: "pdb:ix:<id>" and "public" for an IXP.
type Location struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// IXLocation is the location of a public session at PeeringDB ix id.
func IXLocation(id int) Location { return Location{ID: "pdb:ix:" + strconv.Itoa(id), Type: "public"} }

// Session is the draft's BGP Session. Status and SessionID are set by the
// server.
type Session struct {
	LocalASN     uint32     `json:"local_asn"`
	LocalIP      netip.Addr `json:"local_ip"`
	PeerASN      uint32     `json:"peer_asn"`
	PeerIP       netip.Addr `json:"peer_ip"`
	LocalBGPRole int        `json:"local_bgp_role"`
	PeerBGPRole  int        `json:"peer_bgp_role"`
	PeerType     string     `json:"peer_type"`
	Location     Location   `json:"location"`
	Status       string     `json:"status,omitempty"`
	SessionID    string     `json:"session_id,omitempty"`
}

// FieldError is one of the draft's error entries: the field and what is
// wrong with it.
type FieldError struct {
	Name     string   `json:"name"`
	Errors   []string `json:"errors"`
	Messages []string `json:"messages,omitempty"` // the draft's example spells it so
}

// Error is an answer other than success, in the draft's error shape when
// the server gave one.
type Error struct {
	Status int
	Fields []FieldError
}

func (e *Error) Error() string {
	var parts []string
	for _, f := range e.Fields {
		msgs := append(append([]string{}, f.Errors...), f.Messages...)
		parts = append(parts, fmt.Sprintf("%s: %s", f.Name, strings.Join(msgs, "; ")))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("peering API answered %d", e.Status)
	}
	return fmt.Sprintf("peering API answered %d: %s", e.Status, strings.Join(parts, ", "))
}

// Result is the answer to a request for sessions: those accepted, and the
// errors about those that were not (the draft's partial approval).
type Result struct {
	Sessions []Session
	Rejected []FieldError
}

// Client talks to one peer's Peering API.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
	// Sleep waits before a retry; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// New returns a client of the API at base (".../v0.1" or wherever the
// peer serves /sessions) that authenticates with the bearer token.
func New(base, token string, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("peering API URL %q: want https://host/path", base)
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())) {
		return nil, fmt.Errorf("peering API URL %q: the bearer token is sent only over https", base)
	}
	if token == "" || strings.ContainsAny(token, "\r\n ") {
		return nil, errors.New("peering API: a bearer token (one line, no spaces) is needed")
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, token: token, http: &http.Client{Timeout: timeout}, Sleep: sleep}, nil
}

func loopback(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback() || host == "localhost"
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Submit asks for the sessions (POST /sessions). Sessions the server
// accepted come back with their ids and status; the rest are explained in
// Rejected.
func (c *Client) Submit(ctx context.Context, ss []Session) (*Result, error) {
	body, err := json.Marshal(struct {
		Sessions []Session `json:"sessions"`
	}{ss})
	if err != nil {
		return nil, err
	}
	var ans struct {
		Sessions []Session      `json:"sessions"`
		Errors   errorsEnvelope `json:"errors"`
	}
	if err := c.do(ctx, http.MethodPost, "/sessions", body, &ans); err != nil {
		return nil, err
	}
	if len(ans.Sessions) > maxSessions {
		return nil, fmt.Errorf("peering API answered %d sessions, more than %d", len(ans.Sessions), maxSessions)
	}
	for i := range ans.Sessions {
		if err := checkSession(&ans.Sessions[i]); err != nil {
			return nil, err
		}
	}
	return &Result{Sessions: ans.Sessions, Rejected: ans.Errors.fields()}, nil
}

// Status reads one session back (GET /sessions/{session_id}).
func (c *Client) Status(ctx context.Context, id string) (Session, error) {
	if !sessionID.MatchString(id) {
		return Session{}, fmt.Errorf("session id %q is not one peerform asks about", id)
	}
	var s Session
	if err := c.do(ctx, http.MethodGet, "/sessions/"+url.PathEscape(id), nil, &s); err != nil {
		return Session{}, err
	}
	if err := checkSession(&s); err != nil {
		return Session{}, err
	}
	if s.SessionID != id {
		return Session{}, fmt.Errorf("asked for session %q, the Peering API answered %q", id, s.SessionID)
	}
	return s, nil
}

// Final reports whether a session's status is one the draft does not move
// on from by itself: established, rejected, down or unestablished (the
// server removed what was not configured in time). Pending and approved
// are not; neither is a status the draft does not name.
func Final(status string) bool {
	switch strings.ToLower(status) {
	case "established", "rejected", "down", "unestablished":
		return true
	}
	return false
}

// Poll reads the session every interval until its status is Final or ctx
// ends, and returns the last status read; the end of ctx is not an error
// once a status was read.
func (c *Client) Poll(ctx context.Context, id string, interval time.Duration) (Session, error) {
	s, err := c.Status(ctx, id)
	for err == nil && !Final(s.Status) {
		if c.Sleep(ctx, interval) != nil {
			return s, nil
		}
		var next Session
		if next, err = c.Status(ctx, id); err == nil {
			s = next
		} else if ctx.Err() != nil {
			return s, nil
		}
	}
	return s, err
}

// sessionID bounds the ids a server may hand out: they go into URLs and
// onto the terminal.
var sessionID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

func checkSession(s *Session) error {
	if !sessionID.MatchString(s.SessionID) {
		return fmt.Errorf("the Peering API gave a session without a usable session_id (%.40q)", s.SessionID)
	}
	s.Status = cleanText(s.Status)
	s.Location = Location{ID: cleanText(s.Location.ID), Type: cleanText(s.Location.Type)}
	return nil
}

// cleanText keeps a server's text printable and short.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	for len(s) > maxText {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// errorsEnvelope reads the draft's "errors", which the OpenAPI definition
// nests ({"errors": {"errors": [...]}}) and its example does not
// ({"errors": [...]}).
type errorsEnvelope []FieldError

func (e *errorsEnvelope) UnmarshalJSON(b []byte) error {
	var list []FieldError
	if err := json.Unmarshal(b, &list); err == nil {
		*e = list
		return nil
	}
	var nested struct {
		Errors []FieldError `json:"errors"`
	}
	if err := json.Unmarshal(b, &nested); err != nil {
		return err
	}
	*e = nested.Errors
	return nil
}

func (e errorsEnvelope) fields() []FieldError {
	out := make([]FieldError, 0, len(e))
	for i, f := range e {
		if i == maxSessions {
			break
		}
		g := FieldError{Name: cleanText(f.Name)}
		for _, m := range append(f.Errors, f.Messages...) {
			g.Errors = append(g.Errors, cleanText(m))
		}
		out = append(out, g)
	}
	return out
}

// do sends one call, retrying a 429 after its Retry-After (bounded), and
// decodes a 200 answer into out.
func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	u := *c.base
	u.Path += path
	u.RawPath = ""
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return fmt.Errorf("peering API %s %s: %w", method, u.Redacted(), err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("peering API %s %s: %w", method, u.Redacted(), err)
		}
		if len(data) > maxBody {
			return fmt.Errorf("peering API %s %s: answer larger than %d bytes", method, u.Redacted(), maxBody)
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < maxRetries {
			if err := c.Sleep(ctx, retryAfter(resp.Header.Get("Retry-After"))); err != nil {
				return err
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			e := &Error{Status: resp.StatusCode}
			var env struct {
				Errors errorsEnvelope `json:"errors"`
			}
			if json.Unmarshal(data, &env) == nil {
				e.Fields = env.Errors.fields()
			}
			return e
		}
		if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return fmt.Errorf("peering API %s %s: answer is %q, not JSON", method, u.Redacted(), resp.Header.Get("Content-Type"))
		}
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("peering API %s %s: %w", method, u.Redacted(), err)
		}
		return nil
	}
}

// retryAfter reads Retry-After in seconds (or as a date), between 1s and
// maxRetryAfter; without a usable value, 1s.
func retryAfter(v string) time.Duration {
	d := time.Second
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	return min(max(d, time.Second), maxRetryAfter)
}
