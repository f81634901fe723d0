// Package peeringdbtest serves a PeeringDB snapshot over HTTP the way the
// PeeringDB REST API does, so that code which syncs from the API can be
// tested against real payloads without the network:
//
//   - GET /api/<type>?depth=0&limit=N&skip=M[&since=T] answers
//     {"data": [...], "meta": {}} with rows ordered by id;
//   - without since only rows with status "ok" are listed; with since,
//     every row updated at or after T (Unix seconds), deleted ones
//     included, ordered by updated time;
//   - with a key set, requests must carry "Authorization: Api-Key <key>"
//     (401 otherwise);
//   - Throttle answers the next requests with 429 and a Retry-After header.
//
// Rows are kept as generic JSON, so unknown fields pass through unchanged.
package peeringdbtest

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Types returns the object types served, as peeringdb.ObjectTypes lists
// them.
func Types() []string {
	return []string{"org", "fac", "ix", "ixfac", "ixlan", "ixpfx", "net", "netfac", "netixlan", "poc"}
}

// API is a running fake PeeringDB API.
type API struct {
	// URL is the API root to give a client: "http://127.0.0.1:port/api".
	URL string

	t          testing.TB
	mu         sync.Mutex
	key        string
	rows       map[string]map[int]map[string]any
	throttle   int
	retryAfter string
	fail       func(w http.ResponseWriter, r *http.Request) bool
	requests   []Request
}

// Request is a request the API received.
type Request struct {
	URL    *url.URL
	Header http.Header
}

// New serves the snapshot in dir (<type>.json or <type>.json.gz files;
// missing types are empty) until the test ends.
func New(t testing.TB, dir string) *API {
	t.Helper()
	a := &API{t: t, rows: map[string]map[int]map[string]any{}}
	for _, typ := range Types() {
		a.rows[typ] = map[int]map[string]any{}
		for _, name := range []string{typ + ".json", typ + ".json.gz"} {
			b, err := readMaybeGz(filepath.Join(dir, name))
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatalf("peeringdbtest: %v", err)
			}
			var env struct{ Data []map[string]any }
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber() // ids and speeds go back out exactly as read
			if err := dec.Decode(&env); err != nil {
				t.Fatalf("peeringdbtest: %s: %v", name, err)
			}
			for _, r := range env.Data {
				a.rows[typ][a.id(r)] = r
			}
		}
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	a.URL = srv.URL + "/api"
	return a
}

func readMaybeGz(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return b, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return io.ReadAll(zr)
}

func (a *API) id(r map[string]any) int {
	id, err := strconv.Atoi(fmt.Sprint(r["id"]))
	if err != nil {
		a.t.Fatalf("peeringdbtest: row without an id: %v", r)
	}
	return id
}

// SetKey makes the API require this key ("" allows anonymous requests).
func (a *API) SetKey(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.key = key
}

// Throttle answers the next n requests with 429 Too Many Requests and the
// given Retry-After value.
func (a *API) Throttle(n int, retryAfter string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.throttle, a.retryAfter = n, retryAfter
}

// Intercept lets fn see every request first and answer it; when fn
// returns false the API answers normally. fn may call Set (it runs before
// the API locks its rows). nil removes it.
func (a *API) Intercept(fn func(w http.ResponseWriter, r *http.Request) bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fail = fn
}

// Set changes fields of a row (creating it if needed) and stamps it as
// updated at when, as an edit on PeeringDB would. Use "status": "deleted"
// to delete it.
func (a *API) Set(typ string, id int, when time.Time, fields map[string]any) {
	a.mu.Lock()
	defer a.mu.Unlock()
	row := a.rows[typ][id]
	if row == nil {
		row = map[string]any{"id": json.Number(strconv.Itoa(id)), "status": "ok"}
		a.rows[typ][id] = row
	}
	for k, v := range fields {
		row[k] = v
	}
	row["updated"] = when.UTC().Format(time.RFC3339)
}

// Requests returns the requests received so far.
func (a *API) Requests() []Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.requests)
}

// OKRows returns the rows currently listed for a type (status "ok"), as
// generic JSON (numbers as float64), sorted by id.
func (a *API) OKRows(typ string) []any {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []any{}
	for _, id := range slices.Sorted(maps.Keys(a.rows[typ])) {
		if row := a.rows[typ][id]; row["status"] == "ok" {
			b, err := json.Marshal(row)
			if err != nil {
				a.t.Fatal(err)
			}
			var v any
			json.Unmarshal(b, &v)
			out = append(out, v)
		}
	}
	return out
}

// FileRows reads the rows of a <type>.json[.gz] file as generic JSON,
// sorted by id, for comparing a synced cache with OKRows.
func FileRows(t testing.TB, path string) []any {
	t.Helper()
	b, err := readMaybeGz(path)
	if err != nil {
		t.Fatal(err)
	}
	env := struct{ Data []any }{Data: []any{}}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	slices.SortFunc(env.Data, func(x, y any) int {
		return cmp.Compare(x.(map[string]any)["id"].(float64), y.(map[string]any)["id"].(float64))
	})
	return env.Data
}

// throttled answers 429 while Throttle says so.
func (a *API) throttled(w http.ResponseWriter) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.throttle == 0 {
		return false
	}
	a.throttle--
	w.Header().Set("Retry-After", a.retryAfter)
	w.WriteHeader(http.StatusTooManyRequests)
	fmt.Fprint(w, `{"message": "Request was throttled."}`)
	return true
}

// ServeHTTP answers one API request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	u := *r.URL
	a.requests = append(a.requests, Request{URL: &u, Header: r.Header.Clone()})
	intercept := a.fail
	a.mu.Unlock()
	if a.throttled(w) || (intercept != nil && intercept(w, r)) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.key != "" && r.Header.Get("Authorization") != "Api-Key "+a.key {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"meta": {"error": "Invalid API key"}}`)
		return
	}
	typ, ok := strings.CutPrefix(r.URL.Path, "/api/")
	rows, known := a.rows[typ]
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	skip, _ := strconv.Atoi(q.Get("skip"))
	since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
	out := []map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(rows)) {
		row := rows[id]
		if since > 0 {
			upd, err := time.Parse(time.RFC3339, fmt.Sprint(row["updated"]))
			if err != nil || upd.Unix() < since {
				continue
			}
		} else if row["status"] != "ok" {
			continue
		}
		out = append(out, row)
	}
	if since > 0 {
		// Like the real API: changes come oldest first, so an edit made
		// during a paged sync moves the row to the end of the list.
		slices.SortStableFunc(out, func(x, y map[string]any) int {
			return cmp.Compare(fmt.Sprint(x["updated"]), fmt.Sprint(y["updated"]))
		})
	}
	out = out[min(skip, len(out)):]
	if limit > 0 {
		out = out[:min(limit, len(out))]
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"data": out, "meta": map[string]any{}})
}
