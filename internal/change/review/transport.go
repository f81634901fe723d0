package review

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxReadAttempts bounds the tries of a read that gets no answer or a
// server error.
const maxReadAttempts = 3

// maxResponseBytes bounds one answer of the API (a page of 100 comments
// of up to 65,536 characters each fits).
const maxResponseBytes = 16 << 20

// transport is the HTTP layer under go-github. It gives every request a
// time limit, reads every answer whole (bounded), paces content-creating
// requests, and retries what GitHub documents as safe to retry:
//
//   - a rate-limited answer (403 or 429 with Retry-After, x-ratelimit
//     headers or the secondary-limit message), after the wait GitHub asks
//     for: the request was not carried out;
//   - a GET that got no answer or a server error, after a short pause.
//
// A write that got no answer or a server error may have been carried out;
// it is returned to the Publisher, which looks before writing again.
type transport struct {
	base http.RoundTripper
	p    *Publisher

	mu        sync.Mutex
	lastWrite time.Time
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	attempts := t.p.maxAttempts()
	for attempt := 1; ; attempt++ {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			if err := t.pace(ctx); err != nil {
				return nil, err
			}
		}
		resp, err := t.once(req)
		wait, retry := t.p.retryAfter(req, resp, err, attempt)
		if !retry || attempt >= attempts || ctx.Err() != nil || !t.p.fits(ctx, wait) {
			return resp, err
		}
		what := "no answer"
		if resp != nil {
			what = resp.Status
		}
		t.p.log().Warn("GitHub asks us to wait; retrying", "request", req.Method+" "+req.URL.Path, "answer", what, "wait", wait.String(), "attempt", attempt)
		if err := t.p.clock().Sleep(ctx, wait); err != nil {
			return nil, err
		}
		if req, err = rewind(req); err != nil {
			return nil, err
		}
	}
}

// pace keeps content-creating requests at least WriteGap apart, as
// GitHub's guidance on secondary rate limits asks.
func (t *transport) pace(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	clk := t.p.clock()
	if !t.lastWrite.IsZero() {
		if wait := t.lastWrite.Add(t.p.writeGap()).Sub(clk.Now()); wait > 0 {
			if err := clk.Sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
	t.lastWrite = clk.Now()
	return nil
}

// errNoAnswer is a request that timed out on its own limit (not the
// caller's): GitHub may or may not have carried it out.
var errNoAnswer = errors.New("no answer from GitHub in time")

// once sends the request with the per-request time limit and reads the
// whole answer, so that the limit covers the body too.
func (t *transport) once(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeoutCause(req.Context(), t.p.callTimeout(), errNoAnswer)
	defer cancel()
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		if context.Cause(ctx) == errNoAnswer && req.Context().Err() == nil {
			return nil, fmt.Errorf("%s %s: %w (%s)", req.Method, req.URL.Path, errNoAnswer, t.p.callTimeout())
		}
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	switch {
	case err != nil && context.Cause(ctx) == errNoAnswer && req.Context().Err() == nil:
		return nil, fmt.Errorf("%s %s: %w (%s)", req.Method, req.URL.Path, errNoAnswer, t.p.callTimeout())
	case err != nil:
		return nil, err
	case len(body) > maxResponseBytes:
		return nil, fmt.Errorf("%s %s: the answer is larger than %d bytes", req.Method, req.URL.Path, maxResponseBytes)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// rewind returns the request ready to be sent again.
func rewind(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.GetBody == nil {
		return req, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = body
	return r, nil
}

// fits reports whether waiting d leaves the deadline of the Publish
// intact (by the Publisher's clock, which waits) and the caller's.
func (p *Publisher) fits(ctx context.Context, d time.Duration) bool {
	if !p.until.IsZero() && p.clock().Now().Add(d).After(p.until) {
		return false
	}
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d
}

// retryAfter decides whether an answer (or its absence) is retried, and
// after how long. Rate limits follow GitHub's documented headers:
// Retry-After first, then x-ratelimit-reset when x-ratelimit-remaining is
// 0, else at least a minute, doubling. A wait longer than MaxWait is not
// worth it: the review falls back instead.
func (p *Publisher) retryAfter(req *http.Request, resp *http.Response, err error, attempt int) (time.Duration, bool) {
	var wait time.Duration
	switch {
	case err != nil || resp.StatusCode >= 500:
		// A write may have been carried out: the caller looks first. A
		// read is tried three times at most; a GitHub that does not
		// answer is not worth the whole deadline.
		if req.Method != http.MethodGet || attempt >= maxReadAttempts {
			return 0, false
		}
		wait = time.Second << (attempt - 1)
	case rateLimited(resp):
		wait = p.rateLimitWait(resp.Header, attempt)
	default:
		return 0, false
	}
	if wait > p.maxWait() {
		p.log().Warn("GitHub's rate limit resets too late to wait for", "wait", wait.String(), "max_wait", p.maxWait().String())
		return 0, false
	}
	return wait, true
}

// rateLimited recognises GitHub's primary and secondary rate-limit
// answers, which come as 403 or 429.
func rateLimited(resp *http.Response) bool {
	if resp.StatusCode == http.StatusTooManyRequests {
		return true
	}
	if resp.StatusCode != http.StatusForbidden {
		return false
	}
	if resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0" {
		return true
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	msg := strings.ToLower(string(body))
	return strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse")
}

func (p *Publisher) rateLimitWait(h http.Header, attempt int) time.Duration {
	now := p.clock().Now()
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return max(time.Duration(s)*time.Second, time.Second)
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), time.Second)
		}
	}
	if h.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			// One second past the reset: it is whole seconds and clocks
			// differ.
			return max(time.Unix(s, 0).Sub(now)+time.Second, time.Second)
		}
	}
	return time.Minute << min(attempt-1, 10)
}
