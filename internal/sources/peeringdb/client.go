package peeringdb

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
)

// DefaultBaseURL is the PeeringDB REST API.
const DefaultBaseURL = "https://www.peeringdb.com/api"

// APIKeyEnv is the environment variable the CLI reads the API key from.
const APIKeyEnv = "PEERINGDB_API_KEY"

// Errors callers can test for with errors.Is.
var (
	// ErrOffline: a network access was needed but offline mode forbids it.
	ErrOffline = errors.New("PeeringDB access is disabled by --offline")
	// ErrThrottled: PeeringDB kept answering 429 past the retry budget.
	ErrThrottled = errors.New("throttled by PeeringDB")
	// ErrUnauthorized: PeeringDB refused the API key.
	ErrUnauthorized = errors.New("PeeringDB refused the API key")
)

// APIKey is a PeeringDB API key. It prints, logs and marshals as
// "[redacted]" so that it cannot leak through a formatted error or a
// logged options struct; only the Authorization header carries it.
type APIKey string

// Format prints "[redacted]" for every verb, %#v included.
func (APIKey) Format(f fmt.State, _ rune) { io.WriteString(f, "[redacted]") }

// LogValue keeps the key out of slog output.
func (APIKey) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MarshalJSON keeps the key out of JSON output.
func (APIKey) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// ClientOptions configures a Client. Zero fields take the documented
// defaults.
type ClientOptions struct {
	// BaseURL is the API root (default DefaultBaseURL); tests and mirrors
	// point it elsewhere.
	BaseURL string
	// APIKey authenticates requests ("Authorization: Api-Key …"). Without
	// one PeeringDB throttles hard; the client warns.
	APIKey APIKey
	// HTTPClient defaults to NewHTTPClient().
	HTTPClient *http.Client
	Logger     *slog.Logger
	// UserAgent defaults to "peerform".
	UserAgent string
	// PageSize is the rows asked for per request (default 5000). Pages
	// overlap by 2% so that rows shifting during a sync are not missed.
	PageSize int
	// RetryBudget is the total time one Sync may spend waiting on 429
	// (Retry-After) and 5xx answers before it gives up (default 5 minutes).
	RetryBudget time.Duration
	// RetryDeadline bounds how long one request is retried, from its
	// first attempt (default 2 minutes): a server that stays down fails
	// the sync in about that time, not after every retry's backoff.
	RetryDeadline time.Duration
	// MaxRetries bounds the retries of one request (default 8).
	MaxRetries int
	// Limits bound each response like a snapshot file.
	Limits Limits
	// Offline makes every call fail with ErrOffline before any I/O.
	Offline bool
	// Progress, when set, receives a report after every page and before
	// every wait, so a command can show what is happening.
	Progress func(Progress)
}

// Progress reports how a sync is going.
type Progress struct {
	Type string        // object type being fetched
	Rows int           // rows received so far for Type
	Wait time.Duration // > 0: about to wait this long before retrying
	// Message is a one-line description for people.
	Message string
}

// Client talks to the PeeringDB REST API. It is safe for concurrent use,
// but one cache directory should be synced by one Sync at a time.
type Client struct {
	base *url.URL
	opts ClientOptions
	http *http.Client
	log  *slog.Logger
}

// NewHTTPClient returns the HTTP client used by default: bounded connect,
// TLS handshake and response-header times, and a 5-minute cap on a whole
// request (a 5000-row page is a few MB).
func NewHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = 15 * time.Second
	tr.ResponseHeaderTimeout = 90 * time.Second
	return &http.Client{Transport: tr, Timeout: 5 * time.Minute}
}

// NewClient checks the options and returns a client. It does no I/O.
func NewClient(opts ClientOptions) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("PeeringDB API URL %q: want an absolute http(s) URL", opts.BaseURL)
	}
	if base.User != nil {
		return nil, fmt.Errorf("PeeringDB API URL: credentials in the URL are not allowed; use %s", APIKeyEnv)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 5000
	}
	if opts.RetryBudget <= 0 {
		opts.RetryBudget = 5 * time.Minute
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 8
	}
	if opts.RetryDeadline <= 0 {
		opts.RetryDeadline = 2 * time.Minute
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "peerform"
	}
	opts.Limits = opts.Limits.withDefaults()
	c := &Client{base: base, opts: opts, http: opts.HTTPClient, log: opts.Logger}
	if c.http == nil {
		c.http = NewHTTPClient()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

// Anonymous reports whether the client has no API key.
func (c *Client) Anonymous() bool { return c.opts.APIKey == "" }

func (c *Client) progress(p Progress) {
	if c.opts.Progress != nil {
		c.opts.Progress(p)
	}
}

// session is the state one Sync shares across its requests: how much of
// the retry budget is spent and how many requests were made.
type session struct {
	waited   time.Duration
	requests int
}

// apiRow is one row as received: its raw JSON, kept verbatim for the cache,
// and the fields the merge needs.
type apiRow struct {
	ID      int
	Status  string
	Updated time.Time
	Raw     json.RawMessage
}

// fetchType gets every row of an object type, page by page, updated at or
// after since when since is not zero. Rows are checked against the row
// shape the loader expects, so a bad answer never reaches the cache.
//
// Pages overlap by a few rows: the API pages with skip/limit over a list
// that can change between requests (with since it is ordered by updated,
// so an edit moves a row to the end; a deletion shifts every later row
// back). A row that shifts into the previous page is then still fetched.
// Rows seen twice are merged by id, the later copy winning.
func (c *Client) fetchType(ctx context.Context, s *session, typ string, since time.Time) ([]apiRow, error) {
	var rows []apiRow
	index := map[int]int{} // id → position in rows
	overlap := max(c.opts.PageSize/50, 1)
	if c.opts.PageSize == 1 {
		overlap = 0
	}
	for skip := 0; ; skip += c.opts.PageSize - overlap {
		q := url.Values{}
		q.Set("depth", "0")
		q.Set("limit", strconv.Itoa(c.opts.PageSize))
		q.Set("skip", strconv.Itoa(skip))
		if !since.IsZero() {
			q.Set("since", strconv.FormatInt(since.Unix(), 10))
		}
		u := c.base.JoinPath(typ)
		u.RawQuery = q.Encode()
		n, added := 0, 0
		err := c.get(ctx, s, u, func(body io.Reader) error {
			_, err := walkSingle(body, c.opts.Limits.MaxRows, func(dec *json.Decoder, _ int) error {
				if len(rows) >= c.opts.Limits.MaxRows {
					return fmt.Errorf("more than %d rows: %w", c.opts.Limits.MaxRows, ErrTooLarge)
				}
				r, err := decodeAPIRow(dec, typ)
				if err != nil {
					return err
				}
				n++
				if i, seen := index[r.ID]; seen {
					rows[i] = r
					return nil
				}
				index[r.ID] = len(rows)
				rows = append(rows, r)
				added++
				return nil
			})
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("fetching PeeringDB %s: %w", typ, err)
		}
		c.progress(Progress{Type: typ, Rows: len(rows), Message: fmt.Sprintf("%s: %d rows", typ, len(rows))})
		if n < c.opts.PageSize {
			return rows, nil
		}
		if added == 0 {
			// A full page of rows already seen: the server does not honour
			// skip, and asking on would never end.
			return nil, fmt.Errorf("fetching PeeringDB %s: the API answered skip=%d with rows already received; it does not page", typ, skip)
		}
	}
}

func decodeAPIRow(dec *json.Decoder, typ string) (apiRow, error) {
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return apiRow{}, err
	}
	if err := checkRowShape(typ, raw); err != nil {
		return apiRow{}, err
	}
	var head struct {
		ID      int    `json:"id"`
		Status  string `json:"status"`
		Updated string `json:"updated"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return apiRow{}, err
	}
	if head.ID <= 0 {
		return apiRow{}, fmt.Errorf("row without a positive id")
	}
	r := apiRow{ID: head.ID, Status: head.Status, Raw: raw}
	if t, err := time.Parse(time.RFC3339, head.Updated); err == nil {
		r.Updated = t.UTC()
	}
	return r, nil
}

// checkRowShape decodes a row into the loader's type for it, so that a
// field with the wrong JSON type fails the sync instead of every later load.
func checkRowShape(typ string, raw json.RawMessage) error {
	var v any
	switch typ {
	case "org":
		v = new(orgRow)
	case "fac":
		v = new(facRow)
	case "ix":
		v = new(ixRow)
	case "ixfac":
		v = new(ixfacRow)
	case "ixlan":
		v = new(ixlanRow)
	case "ixpfx":
		v = new(ixpfxRow)
	case "net":
		v = new(netRow)
	case "netfac":
		v = new(netfacRow)
	case "netixlan":
		v = new(netixlanRow)
	case "poc":
		v = new(pocRow)
	default:
		return fmt.Errorf("unknown object type %q", typ)
	}
	return json.Unmarshal(raw, v)
}

// get performs one GET with retries of what can recover: 429 waits for
// Retry-After (or backs off); 5xx (as Retry-After says, else backing off),
// timeouts and broken connections back off; all within the session's
// budget and the request's deadline. A name that does not resolve, a
// refused connection or an unreachable network fails at once: retrying
// would only delay the answer. read consumes a 200 body.
func (c *Client) get(ctx context.Context, s *session, u *url.URL, read func(io.Reader) error) error {
	if c.opts.Offline {
		return ErrOffline
	}
	first := time.Now()
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.opts.UserAgent)
		if c.opts.APIKey != "" {
			req.Header.Set("Authorization", "Api-Key "+string(c.opts.APIKey))
		}
		s.requests++
		c.log.Debug("PeeringDB request", "url", u.Redacted())
		resp, err := c.http.Do(req)
		var wait time.Duration
		var why string
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if unreachable(err) {
				return fmt.Errorf("PeeringDB cannot be reached: %w", err)
			}
			wait, why = backoff(attempt), fmt.Sprintf("request failed (%v)", err)
		case resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"):
			drain(resp)
			return fmt.Errorf("%s answered with an HTML page, not JSON: is the API URL right, or is a proxy or captive portal in the way?", u.Redacted())
		case resp.StatusCode == http.StatusOK:
			err := read(resp.Body)
			resp.Body.Close()
			return err
		case resp.StatusCode == http.StatusTooManyRequests:
			wait, why = retryAfter(resp.Header.Get("Retry-After"), time.Now(), attempt), "throttled (429)"
			drain(resp)
			if attempt >= c.opts.MaxRetries || s.waited+wait > c.opts.RetryBudget {
				hint := ""
				if c.Anonymous() {
					hint = fmt.Sprintf("; anonymous clients are throttled hardest, set %s", APIKeyEnv)
				}
				return fmt.Errorf("%w: asked to wait %s with %s of the %s retry budget left%s",
					ErrThrottled, wait, (c.opts.RetryBudget - s.waited).Round(time.Second), c.opts.RetryBudget, hint)
			}
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			snippet := bodySnippet(resp)
			if c.Anonymous() {
				return fmt.Errorf("PeeringDB answered %s: %s", resp.Status, snippet)
			}
			return fmt.Errorf("%w (%s: %s); check %s", ErrUnauthorized, resp.Status, snippet, APIKeyEnv)
		case resp.StatusCode >= 500:
			wait, why = retryAfter(resp.Header.Get("Retry-After"), time.Now(), attempt), fmt.Sprintf("server error (%s)", resp.Status)
			drain(resp)
		default:
			return fmt.Errorf("PeeringDB answered %s for %s: %s", resp.Status, u.Path, bodySnippet(resp))
		}
		if attempt >= c.opts.MaxRetries || s.waited+wait > c.opts.RetryBudget || time.Since(first)+wait > c.opts.RetryDeadline {
			return fmt.Errorf("giving up after %d attempts in %s: %s", attempt+1, time.Since(first).Round(time.Second), why)
		}
		s.waited += wait
		// Said once: to the progress callback when there is one (a
		// command shows it), else as a log line.
		msg := fmt.Sprintf("%s; retrying in %s", why, wait.Round(time.Millisecond))
		if c.opts.Progress != nil {
			c.progress(Progress{Wait: wait, Message: msg})
		} else {
			c.log.Warn("PeeringDB request will be retried", "reason", why, "wait", wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// unreachable reports errors no retry within a sync can fix: the name
// does not resolve (or the resolver cannot be asked), the connection is
// refused, the network or host is unreachable, or the server's
// certificate is not valid. Timeouts and broken connections are not among
// them.
func unreachable(err error) bool {
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	return errors.As(err, &dns) || errors.As(err, &cert) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH)
}

// backoff is 1s, 2s, 4s … capped at 60s.
func backoff(attempt int) time.Duration {
	if attempt > 6 {
		return time.Minute
	}
	return time.Second << attempt
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). Without a usable value it falls back to backoff.
func retryAfter(h string, now time.Time, attempt int) time.Duration {
	h = strings.TrimSpace(h)
	if secs, err := strconv.Atoi(h); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, time.Hour)
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), time.Hour)
	}
	return backoff(attempt)
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

func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// bodySnippet returns the start of an error body, printable characters
// only, for error messages.
func bodySnippet(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	s := strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, string(b))
	if s = strings.TrimSpace(s); s == "" {
		return "(empty body)"
	}
	return s
}
