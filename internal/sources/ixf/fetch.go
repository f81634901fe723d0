package ixf

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// FetchOptions bound a download of an export.
type FetchOptions struct {
	// Timeout bounds the whole download, redirects and body included
	// (default 60s).
	Timeout time.Duration
	// Limits bound what is accepted, MaxBytes the body.
	Limits    Limits
	UserAgent string
}

// Fetch downloads the export at rawURL (http or https) within o's time
// and size bounds and parses it. It returns the body as received — what
// is committed to the repository — and what it holds; a body that is not
// an export peerform can read is an error, so nothing unreadable is
// written.
func Fetch(ctx context.Context, rawURL string, o FetchOptions) ([]byte, *Export, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, nil, fmt.Errorf("%q is not an http or https URL", rawURL)
	}
	lim := o.Limits.withDefaults()
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if o.UserAgent != "" {
		req.Header.Set("User-Agent", o.UserAgent)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fetching %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("fetching %s: %s", u.Redacted(), resp.Status)
	}
	if resp.ContentLength > lim.MaxBytes {
		return nil, nil, fmt.Errorf("fetching %s: %d bytes, more than the %d an export may have: %w", u.Redacted(), resp.ContentLength, lim.MaxBytes, ErrTooLarge)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, lim.MaxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("fetching %s: %w", u.Redacted(), err)
	}
	if int64(len(body)) > lim.MaxBytes {
		return nil, nil, fmt.Errorf("fetching %s: more than the %d bytes an export may have: %w", u.Redacted(), lim.MaxBytes, ErrTooLarge)
	}
	e, err := Parse(body, lim)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", u.Redacted(), err)
	}
	return body, e, nil
}
