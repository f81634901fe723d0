package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/peeringdb/peeringdbtest"
	"github.com/peerform/peerform/internal/testutil"
)

func TestPeeringDBShowDemo(t *testing.T) {
	out, errOut, code := runPeerform(t, "peeringdb", "show", "AS64502", "-C", "../..")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"AS64502  Doc Content Beta", "ratio Heavy Outbound", "prefixes: IPv4 350, IPv6 120",
		"AS-SET: AS64502 RADB::AS-BETA", "Facilities (4):", "fac:90104  Doc DC London", "51.5072, -0.1276",
		"IXPs (1, 200G in total):", "DOC-IX Frankfurt", "192.0.2.140", "2001:db8:ffff:2::22", "100G", "rs-peer",
		"Data: " + filepath.Join("../..", "data", "peeringdb"),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestPeeringDBShowAkamai: `peerform peeringdb show AS20940 --peeringdb
// DIR`, with DIR the real netixlan-2021-09 snapshot, prints every IXP with
// each port's addresses and speed.
func TestPeeringDBShowAkamai(t *testing.T) {
	dir := testutil.Shared(t, "peeringdb/netixlan-2021-09")
	out, errOut, code := runPeerform(t, "peeringdb", "show", "AS20940", "--peeringdb", dir)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	store, err := peeringdb.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	pops := store.PoPs(20940)
	if !strings.Contains(out, "Akamai") || !strings.Contains(out, fmt.Sprintf("IXPs (%d,", len(pops))) {
		t.Errorf("header:\n%s", out[:min(len(out), 600)])
	}
	lines := strings.Split(out, "\n")
	for _, p := range pops {
		for _, port := range store.NetIXLANs(20940, p.ID) {
			found := false
			for _, l := range lines {
				if strings.Contains(l, pdbAddr(port.IPv4.String(), port.IPv4.IsValid())+" ") &&
					strings.Contains(l, pdbAddr(port.IPv6.String(), port.IPv6.IsValid())+" ") &&
					strings.Contains(l, pdbSpeed(port.SpeedMbps)) {
					found = true
				}
			}
			if !found {
				t.Errorf("no line with %s, %s and %s for %s", port.IPv4, port.IPv6, pdbSpeed(port.SpeedMbps), p.Key())
			}
		}
	}

	out, _, code = runPeerform(t, "peeringdb", "show", "AS20940", "--peeringdb", dir, "--json")
	var res struct {
		FormatVersion int `json:"format_version"`
		Net           struct{ Name string }
		ASSets        []string `json:"as_sets"`
		PoPs          []struct {
			Kind  string
			Speed int `json:"speed_mbps"`
			Ports []struct {
				IPv4  string `json:"ipaddr4"`
				Speed int
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	if res.FormatVersion != 1 || res.Net.Name != "Akamai Technologies" || len(res.ASSets) != 1 || len(res.PoPs) != len(pops) {
		t.Errorf("--json: %+v", res)
	}
	for _, p := range res.PoPs {
		sum := 0
		for _, port := range p.Ports {
			sum += port.Speed
		}
		if p.Kind != "ix" || sum != p.Speed || len(p.Ports) == 0 {
			t.Errorf("--json PoP %+v: ports do not add up to its capacity", p)
		}
	}
}

func TestPeeringDBShowErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"peeringdb", "show", "AS64599", "-C", "../.."}, exitFindings, "AS64599 is not in the PeeringDB data"},
		{[]string{"peeringdb", "show", "AS-FOO", "-C", "../.."}, exitError, "invalid AS number"},
		{[]string{"peeringdb", "show", "-C", "../.."}, exitError, "accepts 1 arg"},
		{[]string{"peeringdb", "show", "AS64501", "--peeringdb", "/nonexistent"}, exitError, "no such file"},
		{[]string{"peeringdb", "show", "AS64501", "-C", t.TempDir(), "--offline"}, exitError, "peeringdb sync"},
	} {
		out, errOut, code := runPeerform(t, tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.msg)
		}
		if tc.code == exitFindings && out != "" {
			t.Errorf("%v: printed %q for a network that is not there", tc.args, out)
		}
	}
}

func TestNewCmdPeeringDBSync(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		since string
		want  time.Time
	}{
		{"2026-01-02", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{"2026-01-02T03:04:05Z", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"1767225600", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		got, err := parsePeeringDBSince(tc.since, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parsePeeringDBSince(%q) = %v, %v; want %v", tc.since, got, err, tc.want)
		}
	}
	if got, _ := parsePeeringDBSince("48h", now); !got.Equal(now.Add(-48 * time.Hour)) {
		t.Errorf("48h = %v", got)
	}

	a := &app{io: &ioStreams{}}
	var got *peeringDBSyncOptions
	cmd := newCmdPeeringDBSync(a, func(o *peeringDBSyncOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--since", "2026-01-02", "--cache", "/tmp/x", "--api-url", "http://127.0.0.1:1/api", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.since.Equal(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)) || got.cacheDir != "/tmp/x" || got.apiURL != "http://127.0.0.1:1/api" || !got.json {
		t.Errorf("options = %+v", got)
	}

	for _, args := range [][]string{{"peeringdb", "sync", "--since", "last week"}, {"peeringdb", "sync", "--offline"}, {"peeringdb", "sync", "extra"}} {
		if _, errOut, code := runPeerform(t, args...); code != exitError || !strings.Contains(errOut, "usage") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
}

// TestPeeringDBSyncThenShow syncs the demo snapshot from a fake API into a
// repository's cache, then reads the cache offline.
func TestPeeringDBSyncThenShow(t *testing.T) {
	const key = "cli-test-key-98765"
	t.Setenv(peeringdb.APIKeyEnv, key)
	api := peeringdbtest.New(t, filepath.Join("..", "..", "data", "peeringdb"))
	api.SetKey(key)

	repo := t.TempDir()
	out, errOut, code := runPeerform(t, "peeringdb", "sync", "-C", repo, "--api-url", api.URL)
	if code != exitOK {
		t.Fatalf("sync: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "netixlan") || !strings.Contains(out, "Synced "+filepath.Join(repo, ".peerform", "peeringdb")) {
		t.Errorf("sync output:\n%s", out)
	}
	if strings.Contains(out+errOut, key) {
		t.Error("the API key was printed")
	}
	n := len(api.Requests())

	out, errOut, code = runPeerform(t, "peeringdb", "show", "AS64501", "-C", repo, "--peeringdb", "api", "--offline")
	if code != exitOK || !strings.Contains(out, "192.0.2.11") || !strings.Contains(out, "synced ") {
		t.Errorf("show from the cache: exit %d\n%s%s", code, out, errOut)
	}
	if len(api.Requests()) != n {
		t.Error("--offline contacted the API")
	}
}

// TestPeeringDBSyncMatchesFiles: `peerform peeringdb sync` against an API
// serving api-sample-2026 (pages, a 429 with Retry-After first) ends with
// exactly the rows of the files.
func TestPeeringDBSyncMatchesFiles(t *testing.T) {
	src := testutil.Shared(t, "peeringdb/api-sample-2026")
	t.Setenv(peeringdb.APIKeyEnv, "")
	api := peeringdbtest.New(t, src)
	api.Throttle(1, "1")
	cache := filepath.Join(t.TempDir(), "cache")
	out, errOut, code := runPeerform(t, "peeringdb", "sync", "--cache", cache, "--api-url", api.URL, "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"throttled (429); retrying in 1s", "anonymous access"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	var res peeringdb.SyncResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Types) != len(peeringdb.ObjectTypes()) {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	for _, typ := range peeringdb.ObjectTypes() {
		if _, err := os.Stat(filepath.Join(src, typ+".json.gz")); err != nil {
			continue // the sample has no org or poc file
		}
		got := peeringdbtest.FileRows(t, filepath.Join(cache, typ+".json.gz"))
		want := peeringdbtest.FileRows(t, filepath.Join(src, typ+".json.gz"))
		if len(got) != 500 || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %d rows synced, differing from the file's %d", typ, len(got), len(want))
		}
	}
}
