package peeringdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/sources/peeringdb/peeringdbtest"
	"github.com/peerform/peerform/internal/testutil"
)

// cachedRows reads a cache file's rows as generic JSON, sorted by id.
func cachedRows(t testing.TB, dir, typ string) []any {
	return peeringdbtest.FileRows(t, filepath.Join(dir, typ+".json.gz"))
}

func TestFakeAPIServesEveryType(t *testing.T) {
	if !slices.Equal(peeringdbtest.Types(), ObjectTypes()) {
		t.Errorf("peeringdbtest serves %v, the client syncs %v", peeringdbtest.Types(), ObjectTypes())
	}
}

// TestSyncMatchesFiles serves api-sample-2026 through the fake API, which
// throttles the first request, and checks that the synced cache holds
// exactly the rows of the files and loads to the same store.
func TestSyncMatchesFiles(t *testing.T) {
	src := testutil.Shared(t, "peeringdb/api-sample-2026")
	fake := peeringdbtest.New(t, src)
	const key = "pdb-test-key-0123456789"
	fake.SetKey(key)
	fake.Throttle(1, "1")
	var events []Progress
	c, err := NewClient(ClientOptions{BaseURL: fake.URL, APIKey: key, PageSize: 128,
		Progress: func(p Progress) { events = append(events, p) }})
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), ".peerform", "peeringdb")
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
	calls := fake.Requests()
	if !slices.Equal(waits, []time.Duration{time.Second}) || res.Waited != time.Second {
		t.Errorf("waits = %v (result %v), want one of 1s", waits, res.Waited)
	}
	if calls[0].URL.String() != calls[1].URL.String() {
		t.Errorf("after the 429 the client asked %s, not %s again", calls[1].URL, calls[0].URL)
	}
	// org and poc (the sample has neither): one empty page each; 8 types
	// × 500 rows in pages of 128: 4 pages each.
	if want := 1 + 2 + 8*4; len(calls) != want || res.Requests != want {
		t.Errorf("%d requests (result says %d), want %d", len(calls), res.Requests, want)
	}
	for _, r := range calls {
		q := r.URL.Query()
		if q.Get("depth") != "0" || q.Get("limit") != "128" || q.Has("since") {
			t.Errorf("request %s: want depth=0, limit=128, no since", r.URL)
		}
	}

	for _, typ := range ObjectTypes() {
		got, want := cachedRows(t, cache, typ), fake.OKRows(typ)
		if len(got) != len(want) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: cache has %d rows, the API %d, or they differ", typ, len(got), len(want))
		}
	}
	synced := mustLoad(t, cache)
	files := mustLoad(t, src)
	for _, typ := range ObjectTypes()[1:] {
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
	src := testutil.Shared(t, "peeringdb/api-sample-2026")
	fake := peeringdbtest.New(t, src)
	c, err := NewClient(ClientOptions{BaseURL: fake.URL, APIKey: "k", PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	fake.SetKey("k")
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
	fake.Set("net", renamed.ID, when, map[string]any{"name": "Renamed Network"})
	fake.Set("netixlan", gone.ID, when, map[string]any{"status": "deleted"})
	fake.Set("netixlan", 9_999_999, when, map[string]any{"net_id": json.Number("1"), "ix_id": json.Number("90001"), "ixlan_id": json.Number("90001"),
		"asn": json.Number("64501"), "speed": json.Number("10000"), "ipaddr4": "192.0.2.11", "ipaddr6": nil,
		"is_rs_peer": true, "operational": true, "status": "ok"})
	calls := len(fake.Requests())

	res, err := c.Sync(ctx, cache, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	wantSince := strconv.FormatInt(newest.Add(-syncOverlap).Unix(), 10)
	for _, r := range fake.Requests()[calls:] {
		typ := strings.TrimPrefix(r.URL.Path, "/api/")
		if typ == "org" || typ == "poc" {
			continue // nothing cached for org and poc: fetched in full again
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
	for _, typ := range ObjectTypes() {
		if got, want := cachedRows(t, cache, typ), fake.OKRows(typ); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: cache (%d rows) differs from the API (%d rows)", typ, len(got), len(want))
		}
	}

	// An explicit --since asks every type for changes since then.
	calls = len(fake.Requests())
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := c.Sync(ctx, cache, since); err != nil {
		t.Fatal(err)
	}
	for _, r := range fake.Requests()[calls:] {
		if got := r.URL.Query().Get("since"); got != strconv.FormatInt(since.Unix(), 10) {
			t.Errorf("%s: since=%q", r.URL, got)
		}
	}
	if got, want := cachedRows(t, cache, "netixlan"), fake.OKRows("netixlan"); !reflect.DeepEqual(got, want) {
		t.Error("explicit since changed the cached rows")
	}
}

func TestSyncThrottledPastBudget(t *testing.T) {
	fake := peeringdbtest.New(t, demoDir(t))
	fake.Throttle(1000, "3600")
	c, _ := NewClient(ClientOptions{BaseURL: fake.URL})
	start := time.Now()
	_, err := c.Sync(context.Background(), t.TempDir(), time.Time{})
	if !errors.Is(err, ErrThrottled) || !strings.Contains(err.Error(), APIKeyEnv) || !strings.Contains(err.Error(), "1h0m0s") {
		t.Fatalf("err = %v, want ErrThrottled naming the wait and %s", err, APIKeyEnv)
	}
	if n := len(fake.Requests()); n != 1 {
		t.Errorf("%d requests; a wait past the budget must not be retried", n)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("gave up only after %v", time.Since(start))
	}
}

func TestSyncRetriesServerError(t *testing.T) {
	fake := peeringdbtest.New(t, demoDir(t))
	failed := false
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !failed {
			failed = true
			http.Error(w, "upstream timeout", http.StatusBadGateway)
			return true
		}
		return false
	})
	c, _ := NewClient(ClientOptions{BaseURL: fake.URL})
	res, err := c.Sync(context.Background(), t.TempDir(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Waited != time.Second || res.Requests != len(ObjectTypes())+1 {
		t.Errorf("waited %v over %d requests", res.Waited, res.Requests)
	}
}

func TestSyncOffline(t *testing.T) {
	fake := peeringdbtest.New(t, demoDir(t))
	c, _ := NewClient(ClientOptions{BaseURL: fake.URL, Offline: true})
	dir := filepath.Join(t.TempDir(), "cache")
	if _, err := c.Sync(context.Background(), dir, time.Time{}); !errors.Is(err, ErrOffline) {
		t.Errorf("err = %v, want ErrOffline", err)
	}
	if len(fake.Requests()) != 0 {
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
	fake := peeringdbtest.New(t, demoDir(t))
	fake.SetKey("another-key")
	var logs bytes.Buffer
	opts := ClientOptions{BaseURL: fake.URL, APIKey: key, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	c, _ := NewClient(opts)
	_, err := c.Sync(context.Background(), t.TempDir(), time.Time{})
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	opts.Logger.Info("options", "opts", opts, "key", opts.APIKey)
	// ClientOptions holds an http.Client, which JSON cannot encode; the
	// key is what must not leak when a caller encodes it.
	js, jerr := json.Marshal(struct{ Key APIKey }{opts.APIKey})
	if jerr != nil {
		t.Fatal(jerr)
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v %s %q %x", opts, opts, opts, opts.APIKey, opts.APIKey, opts.APIKey), logs.String(), string(js)} {
		if strings.Contains(s, key) || strings.Contains(s, fmt.Sprintf("%x", key)) {
			t.Errorf("the API key leaked: %s", s)
		}
	}
	if got := fake.Requests()[0].Header.Get("Authorization"); got != "Api-Key "+key {
		t.Errorf("Authorization = %q", got)
	}
}

// TestSyncRejectsBadRows: an answer with a wrongly typed field fails the
// sync and leaves the cache as it was.
func TestSyncRejectsBadRows(t *testing.T) {
	fake := peeringdbtest.New(t, demoDir(t))
	c, _ := NewClient(ClientOptions{BaseURL: fake.URL})
	cache := t.TempDir()
	if _, err := c.Sync(context.Background(), cache, time.Time{}); err != nil {
		t.Fatal(err)
	}
	before := readMaybeGz(t, filepath.Join(cache, "netixlan.json.gz"))
	fake.Set("netixlan", 90701, time.Now(), map[string]any{"speed": "fast"})
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
	fake := peeringdbtest.New(t, demoDir(t))
	c, _ := NewClient(ClientOptions{BaseURL: fake.URL})
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
		s, err := Open(ctx, Source{Spec: demoDir(t), Offline: true})
		if err != nil || len(s.Nets()) != 7 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("the repository's snapshot by default", func(t *testing.T) {
		s, err := Open(ctx, Source{RepoDir: testutil.Root(t), Snapshot: "data/peeringdb"})
		if err != nil || s.Meta().Source != demoDir(t) {
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
		fake := peeringdbtest.New(t, demoDir(t))
		repo := t.TempDir()
		src := Source{Spec: SourceAPI, RepoDir: repo, Client: ClientOptions{BaseURL: fake.URL}}

		offline := src
		offline.Offline = true
		if _, err := Open(ctx, offline); !errors.Is(err, ErrNoData) || len(fake.Requests()) != 0 {
			t.Fatalf("offline with an empty cache: %v, %d requests", err, len(fake.Requests()))
		}
		s, err := Open(ctx, src)
		if err != nil || len(s.Nets()) != 7 || s.Meta().Source != filepath.Join(repo, DefaultCacheDir) {
			t.Fatalf("first open: %v", err)
		}
		n := len(fake.Requests())
		if _, err := Open(ctx, src); err != nil || len(fake.Requests()) != n {
			t.Errorf("a fresh cache was synced again: %v", err)
		}
		if _, err := Open(ctx, offline); err != nil || len(fake.Requests()) != n {
			t.Errorf("offline open of a filled cache: %v", err)
		}
		// The API goes away; a stale cache is still used.
		fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool { http.NotFound(w, r); return true })
		stale := src
		stale.MaxAge = time.Nanosecond
		var logs bytes.Buffer
		stale.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		if s, err := Open(ctx, stale); err != nil || len(s.Nets()) != 7 || !strings.Contains(logs.String(), "using the cached data") {
			t.Errorf("stale cache: %v, logs %q", err, logs.String())
		}
	})
}

// TestSyncSurvivesChangesBetweenPages: rows deleted or edited on the
// server while a sync pages through a type shift the rows after them; the
// overlap between pages keeps any row from being skipped.
func TestSyncSurvivesChangesBetweenPages(t *testing.T) {
	src := testutil.Shared(t, "peeringdb/api-sample-2026")
	fake := peeringdbtest.New(t, src)
	c, err := NewClient(ClientOptions{BaseURL: fake.URL, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cache := t.TempDir()
	var ids []int
	for _, r := range fake.OKRows("netixlan") {
		ids = append(ids, int(r.(map[string]any)["id"].(float64)))
	}
	later := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	changed := false
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		// After the first page: two rows of that page are deleted, which
		// moves the rest of the list two places back.
		if strings.HasSuffix(r.URL.Path, "/netixlan") && r.URL.Query().Get("skip") != "0" && !changed {
			changed = true
			fake.Set("netixlan", ids[0], later, map[string]any{"status": "deleted"})
			fake.Set("netixlan", ids[1], later, map[string]any{"status": "deleted"})
		}
		return false
	})
	if _, err := c.Sync(ctx, cache, time.Time{}); err != nil {
		t.Fatal(err)
	}
	cached := map[float64]bool{}
	for _, r := range cachedRows(t, cache, "netixlan") {
		cached[r.(map[string]any)["id"].(float64)] = true
	}
	for _, r := range fake.OKRows("netixlan") {
		if id := r.(map[string]any)["id"].(float64); !cached[id] {
			t.Errorf("netixlan %v was skipped while rows before it were deleted", id)
		}
	}

	// Many edits make the next sync page through ?since= results, which
	// come oldest first; an edit during it moves a row to the end.
	for i, id := range ids[10:260] {
		fake.Set("netixlan", id, later.Add(time.Duration(i)*time.Second), map[string]any{"notes": "edited"})
	}
	changed = false
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/netixlan") && r.URL.Query().Get("skip") != "0" && !changed {
			changed = true
			fake.Set("netixlan", ids[10], later.Add(time.Hour), map[string]any{"notes": "edited twice"})
		}
		return false
	})
	if _, err := c.Sync(ctx, cache, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, want := cachedRows(t, cache, "netixlan"), fake.OKRows("netixlan"); !reflect.DeepEqual(got, want) {
		t.Errorf("after a paged incremental sync the cache (%d rows) differs from the API (%d rows)", len(got), len(want))
	}
}

// TestSyncStopsOnAServerThatDoesNotPage: a server that ignores skip and
// repeats its first page must not keep the client asking for ever.
func TestSyncStopsOnAServerThatDoesNotPage(t *testing.T) {
	fake := peeringdbtest.New(t, demoDir(t))
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		fmt.Fprint(w, `{"data": [{"id": 1, "status": "ok"}, {"id": 2, "status": "ok"}]}`)
		return true
	})
	c, _ := NewClient(ClientOptions{BaseURL: fake.URL, PageSize: 2})
	if _, err := c.Sync(context.Background(), t.TempDir(), time.Time{}); err == nil || !strings.Contains(err.Error(), "does not page") {
		t.Errorf("err = %v", err)
	}
}

func TestSyncRejectsHTML(t *testing.T) {
	fake := peeringdbtest.New(t, demoDir(t))
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<html><body>Please log in to the hotel Wi-Fi</body></html>")
		return true
	})
	c, _ := NewClient(ClientOptions{BaseURL: fake.URL})
	if _, err := c.Sync(context.Background(), t.TempDir(), time.Time{}); err == nil || !strings.Contains(err.Error(), "HTML page") {
		t.Errorf("err = %v", err)
	}
}

// TestSyncFailsAtOnceWhenUnreachable: a name that does not resolve and a
// refused connection are not retried; with no network a sync fails in the
// time of one attempt instead of after minutes of backoff.
func TestSyncFailsAtOnceWhenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	for _, tc := range []struct{ name, url, want string }{
		{"refused", refused, "refused"},
		{"unresolvable", "http://peeringdb.invalid/api", "peeringdb.invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var progress []Progress
			var logs bytes.Buffer
			c, _ := NewClient(ClientOptions{BaseURL: tc.url, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
				Progress: func(p Progress) {
					if p.Wait > 0 {
						progress = append(progress, p)
					}
				}})
			res, err := c.Sync(context.Background(), t.TempDir(), time.Time{})
			if err == nil || !strings.Contains(err.Error(), "cannot be reached") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want PeeringDB cannot be reached … %s", err, tc.want)
			}
			if res.Requests > 1 || res.Waited != 0 || len(progress) != 0 || strings.Contains(logs.String(), "retried") {
				t.Errorf("%d requests, waited %v, %d retry reports, logs %q: nothing can recover, nothing is retried",
					res.Requests, res.Waited, len(progress), logs.String())
			}
		})
	}
}

// TestSyncRetries503Once: a 503 is retried when Retry-After says, and the
// retry is reported once: to the progress callback, not also to the log.
func TestSyncRetries503Once(t *testing.T) {
	fake := peeringdbtest.New(t, demoDir(t))
	failed := false
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !failed {
			failed = true
			w.Header().Set("Retry-After", "0")
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return true
		}
		return false
	})
	var progress []string
	var logs bytes.Buffer
	c, _ := NewClient(ClientOptions{BaseURL: fake.URL, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Progress: func(p Progress) {
			if p.Wait > 0 || strings.Contains(p.Message, "retrying") { // Retry-After: 0 is a wait of 0
				progress = append(progress, p.Message)
			}
		}})
	res, err := c.Sync(context.Background(), t.TempDir(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != len(ObjectTypes())+1 {
		t.Errorf("%d requests, want one retry", res.Requests)
	}
	if len(progress) != 1 || !strings.Contains(progress[0], "503") || strings.Contains(logs.String(), "retried") {
		t.Errorf("retry reports %q, log %q: want the one retry reported once", progress, logs.String())
	}
}

// TestSyncRetryDeadline: a server that keeps failing is given up on once
// the next wait would pass the request's retry deadline.
func TestSyncRetryDeadline(t *testing.T) {
	fake := peeringdbtest.New(t, demoDir(t))
	fake.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "down", http.StatusServiceUnavailable)
		return true
	})
	c, _ := NewClient(ClientOptions{BaseURL: fake.URL, RetryDeadline: 10 * time.Second})
	res, err := c.Sync(context.Background(), t.TempDir(), time.Time{})
	if err == nil || !strings.Contains(err.Error(), "giving up after 1 attempts") {
		t.Fatalf("err = %v", err)
	}
	if res.Waited != 0 {
		t.Errorf("waited %v past the deadline", res.Waited)
	}
}
