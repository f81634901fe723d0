package ixf

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestFetch downloads exports from an httptest server: the body as
// served, within the size and time bounds, and nothing that does not
// parse.
func TestFetch(t *testing.T) {
	good := doc(member("64501", `, "ipv4": {"address": "192.0.2.11"}`))
	mux := http.NewServeMux()
	mux.HandleFunc("/ok.json", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/json" || r.Header.Get("User-Agent") != "peerform-test" {
			http.Error(w, "bad request headers", http.StatusBadRequest)
			return
		}
		w.Write([]byte(good))
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok.json", http.StatusFound) })
	mux.HandleFunc("/big-declared", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1048577")
		w.Write([]byte(good))
	})
	mux.HandleFunc("/big-streamed", func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for i := 0; i < 32; i++ { // 2 MiB, no Content-Length
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"version": "1.0", `))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // never finishes the body
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>login</html>")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	o := FetchOptions{Timeout: 5 * time.Second, Limits: Limits{MaxBytes: 1 << 20}, UserAgent: "peerform-test"}
	ctx := context.Background()
	for _, path := range []string{"/ok.json", "/redirect"} {
		body, e, err := Fetch(ctx, srv.URL+path, o)
		if err != nil || string(body) != good || len(e.Members) != 1 {
			t.Errorf("%s: %v, %d bytes", path, err, len(body))
		}
	}
	for _, tc := range []struct {
		url, want string
		tooLarge  bool
	}{
		{srv.URL + "/missing", "404 Not Found", false},
		{srv.URL + "/big-declared", "1048577 bytes", true},
		{srv.URL + "/big-streamed", "more than the 1048576 bytes", true},
		{srv.URL + "/html", "invalid character '<'", false},
		{"ftp://example.net/x.json", "not an http or https URL", false},
		{"file:///etc/passwd", "not an http or https URL", false},
	} {
		body, e, err := Fetch(ctx, tc.url, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) || body != nil || e != nil || errors.Is(err, ErrTooLarge) != tc.tooLarge {
			t.Errorf("%s: %v, want %q", tc.url, err, tc.want)
		}
	}
	// A server that never finishes is given up at the timeout.
	o.Timeout = 300 * time.Millisecond
	if _, _, err := Fetch(ctx, srv.URL+"/hang", o); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hang: %v", err)
	}
}
