package peeringdb

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI serves PeeringDB's list endpoints the way the real API does:
// /api/<type>?depth=0&limit=N&skip=M[&since=T], {"data": [...], "meta": {}}
// envelopes, rows by id, only status "ok" rows unless since is given (then
// every row updated at or after it, deleted ones included), and an API key
// checked from "Authorization: Api-Key <key>".
type fakeAPI struct {
	t    testing.TB
	key  string
	mu   sync.Mutex
	rows map[string]map[int]map[string]any
	// throttle answers this many first requests with 429 and Retry-After.
	throttle   int
	retryAfter string
	// fail, when set, answers instead of the normal handler.
	fail  func(w http.ResponseWriter, r *http.Request) bool
	calls []*http.Request
}

func newFakeAPI(t testing.TB, dir string) *fakeAPI {
	f := &fakeAPI{t: t, rows: map[string]map[int]map[string]any{}}
	for _, typ := range ObjectTypes {
		f.rows[typ] = map[int]map[string]any{}
		path, err := typeFile(dir, typ)
		if err != nil || path == "" {
			continue
		}
		var env struct{ Data []map[string]any }
		dec := json.NewDecoder(bytes.NewReader(readMaybeGz(t, path)))
		dec.UseNumber()
		if err := dec.Decode(&env); err != nil {
			t.Fatal(err)
		}
		for _, r := range env.Data {
			f.rows[typ][rowID(t, r)] = r
		}
	}
	return f
}

func rowID(t testing.TB, r map[string]any) int {
	id, err := strconv.Atoi(fmt.Sprint(r["id"]))
	if err != nil {
		t.Fatalf("row without id: %v", r)
	}
	return id
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r)
	if f.throttle > 0 {
		f.throttle--
		w.Header().Set("Retry-After", f.retryAfter)
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"message": "Request was throttled."}`)
		return
	}
	if f.fail != nil && f.fail(w, r) {
		return
	}
	if f.key != "" && r.Header.Get("Authorization") != "Api-Key "+f.key {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"meta": {"error": "Invalid API key"}}`)
		return
	}
	typ, ok := strings.CutPrefix(r.URL.Path, "/api/")
	rows, known := f.rows[typ]
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	skip, _ := strconv.Atoi(q.Get("skip"))
	since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
	var out []map[string]any
	for _, id := range slices.Sorted(mapsKeys(rows)) {
		row := rows[id]
		if since > 0 {
			upd, err := time.Parse(time.RFC3339, row["updated"].(string))
			if err != nil || upd.Unix() < since {
				continue
			}
		} else if row["status"] != "ok" {
			continue
		}
		out = append(out, row)
	}
	out = out[min(skip, len(out)):]
	if limit > 0 {
		out = out[:min(limit, len(out))]
	}
	if out == nil {
		out = []map[string]any{}
	}
	json.NewEncoder(w).Encode(map[string]any{"data": out, "meta": map[string]any{}})
}

func mapsKeys(m map[int]map[string]any) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// set changes fields of a row and stamps it updated at when.
func (f *fakeAPI) set(typ string, id int, when time.Time, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	row := f.rows[typ][id]
	if row == nil {
		row = map[string]any{"id": json.Number(strconv.Itoa(id))}
		f.rows[typ][id] = row
	}
	for k, v := range fields {
		row[k] = v
	}
	row["updated"] = when.UTC().Format(time.RFC3339)
}

func (f *fakeAPI) requests() []*http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// okRows returns the rows the API currently serves for a type, as generic
// JSON, sorted by id.
func (f *fakeAPI) okRows(typ string) []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []any{}
	for _, id := range slices.Sorted(mapsKeys(f.rows[typ])) {
		if f.rows[typ][id]["status"] == "ok" {
			out = append(out, roundTrip(f.t, f.rows[typ][id]))
		}
	}
	return out
}

func roundTrip(t testing.TB, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// cachedRows reads a cache file's rows as generic JSON.
func cachedRows(t testing.TB, dir, typ string) []any {
	env := struct{ Data []any }{Data: []any{}}
	if err := json.Unmarshal(readMaybeGz(t, filepath.Join(dir, typ+".json.gz")), &env); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(env.Data, func(a, b any) int {
		return cmp.Compare(a.(map[string]any)["id"].(float64), b.(map[string]any)["id"].(float64))
	})
	return env.Data
}

func startFake(t *testing.T, f *fakeAPI) string {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL + "/api"
}

// TestSyncMatchesFiles serves api-sample-2026 through the fake API, which
// throttles the first request, and checks that the synced cache holds
// exactly the rows of the files and loads to the same store.
func TestSyncMatchesFiles(t *testing.T) {
	src := sharedData(t, "api-sample-2026")
	fake := newFakeAPI(t, src)
	fake.key, fake.throttle, fake.retryAfter = "pdb-test-key-0123456789", 1, "1"
	var events []Progress
	c, err := NewClient(ClientOptions{BaseURL: startFake(t, fake), APIKey: APIKey(fake.key), PageSize: 128,
		Progress: func(p Progress) { events = append(events, p) }})
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), ".peerctl", "peeringdb")
	res, err := c.Sync(context.Background(), cache, time.Time{})
	if err != nil {
		t.Fatal(err)
	}

	// The 429 was honoured: one wait of Retry-After, then the same request again.
	var waits []time.Duration
	for _, e := range events {
		if e.Wait > 0 {
			waits = append(waits, e.Wait)
		}
	}
	calls := fake.requests()
	if !slices.Equal(waits, []time.Duration{time.Second}) || res.Waited != time.Second {
		t.Errorf("waits = %v (result %v), want one of 1s", waits, res.Waited)
	}
	if calls[0].URL.String() != calls[1].URL.String() {
		t.Errorf("after the 429 the client asked %s, not %s again", calls[1].URL, calls[0].URL)
	}
	// org: one empty page; 8 types × 500 rows in pages of 128: 4 pages each.
	if want := 1 + 1 + 8*4; len(calls) != want || res.Requests != want {
		t.Errorf("%d requests (result says %d), want %d", len(calls), res.Requests, want)
	}
	for _, r := range calls {
		q := r.URL.Query()
		if q.Get("depth") != "0" || q.Get("limit") != "128" || q.Has("since") {
			t.Errorf("request %s: want depth=0, limit=128, no since", r.URL)
		}
	}

	for _, typ := range ObjectTypes {
		got, want := cachedRows(t, cache, typ), fake.okRows(typ)
		if len(got) != len(want) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: cache has %d rows, the API %d, or they differ", typ, len(got), len(want))
		}
	}
	synced := mustLoad(t, cache)
	files := mustLoad(t, src)
	for _, typ := range ObjectTypes[1:] {
		if synced.Meta().Counts[typ] != files.Meta().Counts[typ] {
			t.Errorf("%s: %d rows synced, %d in the files", typ, synced.Meta().Counts[typ], files.Meta().Counts[typ])
		}
	}
	if !slices.Equal(synced.Nets(), files.Nets()) {
		t.Error("synced nets differ from the files'")
	}
	for _, n := range files.Nets() {
		if !slices.Equal(synced.PoPs(n.ASN), files.PoPs(n.ASN)) {
			t.Errorf("PoPs(%s) differ", n.ASN)
		}
	}
	if m := synced.Meta(); m.Synced.IsZero() || m.Generated.IsZero() {
		t.Errorf("cache meta lacks sync times: %+v", m)
	}
}

func TestSyncIncremental(t *testing.T) {
	src := sharedData(t, "api-sample-2026")
	fake := newFakeAPI(t, src)
	c, err := NewClient(ClientOptions{BaseURL: startFake(t, fake), APIKey: "k", PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	fake.key = "k"
	cache := t.TempDir()
	ctx := context.Background()
	if _, err := c.Sync(ctx, cache, time.Time{}); err != nil {
		t.Fatal(err)
	}
	before := mustLoad(t, cache)
	newest := before.Meta().Newest

	// Changes on the server, all after the newest row the cache has.
	when := newest.Add(48 * time.Hour)
	renamed := before.Nets()[3]
	var gone NetIXLAN
	for _, n := range before.Nets() {
		if pops := before.PoPs(n.ASN); len(pops) > 0 && pops[len(pops)-1].Kind == KindIX {
			gone = before.NetIXLANs(n.ASN, pops[len(pops)-1].ID)[0]
			break
		}
	}
	fake.set("net", renamed.ID, when, map[string]any{"name": "Renamed Network"})
	fake.set("netixlan", gone.ID, when, map[string]any{"status": "deleted"})
	fake.set("netixlan", 9_999_999, when, map[string]any{"net_id": json.Number("1"), "ix_id": json.Number("90001"), "ixlan_id": json.Number("90001"),
		"asn": json.Number("64501"), "speed": json.Number("10000"), "ipaddr4": "192.0.2.11", "ipaddr6": nil,
		"is_rs_peer": true, "operational": true, "status": "ok"})
	calls := len(fake.requests())

	res, err := c.Sync(ctx, cache, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantSince := strconv.FormatInt(newest.Add(-syncOverlap).Unix(), 10)
	for _, r := range fake.requests()[calls:] {
		typ := strings.TrimPrefix(r.URL.Path, "/api/")
		if typ == "org" {
			continue // nothing cached for org: fetched in full again
		}
		// Each type asks from its own newest row, never later than the newest overall.
		if s := r.URL.Query().Get("since"); s == "" || s > wantSince {
			t.Errorf("%s asked since=%q, want at most %s", r.URL, s, wantSince)
		}
	}
	byType := map[string]TypeSyncResult{}
	for _, tr := range res.Types {
		byType[tr.Type] = tr
	}
	if tr := byType["netixlan"]; tr.Deleted != 1 || tr.Rows != 500 || tr.Fetched >= 500 || tr.Since.IsZero() {
		t.Errorf("netixlan sync = %+v, want an incremental fetch with 1 deletion and 500 rows kept", tr)
	}

	after := mustLoad(t, cache)
	if n, _ := after.Net(renamed.ASN); n.Name != "Renamed Network" {
		t.Errorf("renamed net = %q", n.Name)
	}
	for _, p := range after.NetIXLANs(gone.ASN, gone.IXID) {
		if p.ID == gone.ID {
			t.Errorf("deleted netixlan %d is still cached", gone.ID)
		}
	}
	if ports := after.NetIXLANs(64501, 90001); len(ports) != 1 || ports[0].ID != 9_999_999 {
		t.Errorf("new netixlan missing: %+v", ports)
	}
	for _, typ := range ObjectTypes {
		if got, want := cachedRows(t, cache, typ), fake.okRows(typ); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: cache (%d rows) differs from the API (%d rows)", typ, len(got), len(want))
		}
	}

	// An explicit --since asks every type for changes since then.
	calls = len(fake.requests())
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := c.Sync(ctx, cache, since); err != nil {
		t.Fatal(err)
	}
	for _, r := range fake.requests()[calls:] {
		if got := r.URL.Query().Get("since"); got != strconv.FormatInt(since.Unix(), 10) {
			t.Errorf("%s: since=%q", r.URL, got)
		}
	}
	if got, want := cachedRows(t, cache, "netixlan"), fake.okRows("netixlan"); !reflect.DeepEqual(got, want) {
		t.Error("explicit since changed the cached rows")
	}
}

func TestSyncThrottledPastBudget(t *testing.T) {
	fake := newFakeAPI(t, demoDir)
	fake.throttle, fake.retryAfter = 1000, "3600"
	c, _ := NewClient(ClientOptions{BaseURL: startFake(t, fake)})
	start := time.Now()
	_, err := c.Sync(context.Background(), t.TempDir(), time.Time{})
	if !errors.Is(err, ErrThrottled) || !strings.Contains(err.Error(), APIKeyEnv) || !strings.Contains(err.Error(), "1h0m0s") {
		t.Fatalf("err = %v, want ErrThrottled naming the wait and %s", err, APIKeyEnv)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests; a wait past the budget must not be retried", n)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("gave up only after %v", time.Since(start))
	}
}

func TestSyncRetriesServerError(t *testing.T) {
	fake := newFakeAPI(t, demoDir)
	failed := false
	fake.fail = func(w http.ResponseWriter, r *http.Request) bool {
		if !failed {
			failed = true
			http.Error(w, "upstream timeout", http.StatusBadGateway)
			return true
		}
		return false
	}
	c, _ := NewClient(ClientOptions{BaseURL: startFake(t, fake)})
	res, err := c.Sync(context.Background(), t.TempDir(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Waited != time.Second || res.Requests != len(ObjectTypes)+1 {
		t.Errorf("waited %v over %d requests", res.Waited, res.Requests)
	}
}

func TestSyncOffline(t *testing.T) {
	fake := newFakeAPI(t, demoDir)
	c, _ := NewClient(ClientOptions{BaseURL: startFake(t, fake), Offline: true})
	dir := filepath.Join(t.TempDir(), "cache")
	if _, err := c.Sync(context.Background(), dir, time.Time{}); !errors.Is(err, ErrOffline) {
		t.Errorf("err = %v, want ErrOffline", err)
	}
	if len(fake.requests()) != 0 {
		t.Error("offline client made requests")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Error("offline sync created the cache directory")
	}
}

// TestAPIKeyNeverPrinted: a refused key, the options struct and the logs
// never show the key.
func TestAPIKeyNeverPrinted(t *testing.T) {
	const key = "sEcReT-pdb-key-4242"
	fake := newFakeAPI(t, demoDir)
	fake.key = "another-key"
	var logs bytes.Buffer
	opts := ClientOptions{BaseURL: startFake(t, fake), APIKey: key, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	c, _ := NewClient(opts)
	_, err := c.Sync(context.Background(), t.TempDir(), time.Time{})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	opts.Logger.Info("options", "opts", opts, "key", opts.APIKey)
	js, _ := json.Marshal(opts)
	for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v %s %q %x", opts, opts, opts, opts.APIKey, opts.APIKey, opts.APIKey), logs.String(), string(js)} {
		if strings.Contains(s, key) || strings.Contains(s, fmt.Sprintf("%x", key)) {
			t.Errorf("the API key leaked: %s", s)
		}
	}
	if got := fake.requests()[0].Header.Get("Authorization"); got != "Api-Key "+key {
		t.Errorf("Authorization = %q", got)
	}
}

// TestSyncRejectsBadRows: an answer with a wrongly typed field fails the
// sync and leaves the cache as it was.
func TestSyncRejectsBadRows(t *testing.T) {
	fake := newFakeAPI(t, demoDir)
	c, _ := NewClient(ClientOptions{BaseURL: startFake(t, fake)})
	cache := t.TempDir()
	if _, err := c.Sync(context.Background(), cache, time.Time{}); err != nil {
		t.Fatal(err)
	}
	before := readMaybeGz(t, filepath.Join(cache, "netixlan.json.gz"))
	fake.set("netixlan", 90701, time.Now(), map[string]any{"speed": "fast"})
	_, err := c.Sync(context.Background(), cache, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "speed") {
		t.Fatalf("err = %v, want a type error on speed", err)
	}
	if !bytes.Equal(before, readMaybeGz(t, filepath.Join(cache, "netixlan.json.gz"))) {
		t.Error("a failed sync changed the cached netixlan")
	}
	if _, err := LoadDir(cache); err != nil {
		t.Errorf("cache no longer loads: %v", err)
	}
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || e.Name() == ".sync.lock" {
			t.Errorf("left behind %s", e.Name())
		}
	}
}

func TestSyncLocked(t *testing.T) {
	fake := newFakeAPI(t, demoDir)
	c, _ := NewClient(ClientOptions{BaseURL: startFake(t, fake)})
	cache := t.TempDir()
	os.WriteFile(filepath.Join(cache, ".sync.lock"), []byte("1\n"), 0o644)
	if _, err := c.Sync(context.Background(), cache, time.Time{}); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("err = %v", err)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(filepath.Join(cache, ".sync.lock"), old, old)
	if _, err := c.Sync(context.Background(), cache, time.Time{}); err != nil {
		t.Errorf("a stale lock was not taken over: %v", err)
	}
}

func TestNewClientOptions(t *testing.T) {
	for _, u := range []string{"ftp://x/api", "/api", "https://user:pw@www.peeringdb.com/api", "::"} {
		if _, err := NewClient(ClientOptions{BaseURL: u}); err == nil {
			t.Errorf("NewClient accepted %q", u)
		}
	}
	c, err := NewClient(ClientOptions{})
	if err != nil || c.base.String() != DefaultBaseURL || !c.Anonymous() {
		t.Errorf("defaults: %v %v", c, err)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"3":                             3 * time.Second,
		" 0 ":                           0,
		"86400":                         time.Hour,
		"Fri, 01 May 2026 12:00:30 GMT": 30 * time.Second,
		"Fri, 01 May 2026 11:00:00 GMT": 0,
		"soon":                          2 * time.Second, // backoff for attempt 1
		"-5":                            2 * time.Second,
	} {
		if got := retryAfter(h, now, 1); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("a directory", func(t *testing.T) {
		s, err := Open(ctx, Source{Spec: demoDir, Offline: true})
		if err != nil || len(s.Nets()) != 6 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("the repository's snapshot by default", func(t *testing.T) {
		s, err := Open(ctx, Source{RepoDir: "..", Snapshot: "data/peeringdb"})
		if err != nil || s.Meta().Source != filepath.Join("..", "data", "peeringdb") {
			t.Fatalf("%v %v", s, err)
		}
	})
	t.Run("nothing to load", func(t *testing.T) {
		_, err := Open(ctx, Source{RepoDir: t.TempDir(), Snapshot: "data/peeringdb"})
		if !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "--peeringdb") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("api", func(t *testing.T) {
		fake := newFakeAPI(t, demoDir)
		repo := t.TempDir()
		src := Source{Spec: SourceAPI, RepoDir: repo, Client: ClientOptions{BaseURL: startFake(t, fake)}}

		offline := src
		offline.Offline = true
		if _, err := Open(ctx, offline); !errors.Is(err, ErrNoData) || len(fake.requests()) != 0 {
			t.Fatalf("offline with an empty cache: %v, %d requests", err, len(fake.requests()))
		}
		s, err := Open(ctx, src)
		if err != nil || len(s.Nets()) != 6 || s.Meta().Source != filepath.Join(repo, DefaultCacheDir) {
			t.Fatalf("first open: %v", err)
		}
		n := len(fake.requests())
		if _, err := Open(ctx, src); err != nil || len(fake.requests()) != n {
			t.Errorf("a fresh cache was synced again: %v", err)
		}
		if _, err := Open(ctx, offline); err != nil || len(fake.requests()) != n {
			t.Errorf("offline open of a filled cache: %v", err)
		}
		// The API goes away; a stale cache is still used.
		fake.fail = func(w http.ResponseWriter, r *http.Request) bool { http.NotFound(w, r); return true }
		stale := src
		stale.MaxAge = time.Nanosecond
		var logs bytes.Buffer
		stale.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		if s, err := Open(ctx, stale); err != nil || len(s.Nets()) != 6 || !strings.Contains(logs.String(), "using the cached data") {
			t.Errorf("stale cache: %v, logs %q", err, logs.String())
		}
	})
}
