package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIXFShow reads the example's export and a hostile one through the
// command: exit 0 with nothing skipped, 1 with skipped entries listed at
// their lines, 1 for a file that cannot be read, 2 for a usage error.
func TestIXFShow(t *testing.T) {
	dir := exampleRepo(t)
	out, errOut, code := runPeerform(t, "ixf", "show", "-C", dir, "data/ixf/doc-ix-ams.json", "--asn", "AS64504")
	if code != exitOK || !strings.Contains(out, "2001:db8:ffff:1::114") || !strings.Contains(out, "Nothing skipped.") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}

	hostile := `{"version": "1.0", "timestamp": "2026-11-30T04:00:00Z",
"ixp_list": [{"ixp_id": 1, "ixf_id": 1, "shortname": "X", "vlan": [{"id": 1, "ipv4": {"prefix": "192.0.2.0", "mask_length": 25}}]}],
"member_list": [
{"asnum": 64501, "connection_list": [{"ixp_id": 1, "vlan_list": [{"vlan_id": 1, "ipv4": {"address": "198.51.100.1", "as_macro": "AS-X\n}"}}]}]},
{"asnum": 4294967296, "connection_list": []}
]}`
	writeFile(t, filepath.Join(dir, "data", "ixf"), "hostile.json", []byte(hostile))
	out, errOut, code = runPeerform(t, "ixf", "show", "-C", dir, "data/ixf/hostile.json", "--json")
	var got ixfShowJSON
	if code != exitFindings || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if len(got.Problems) != 2 || got.Problems[0].Line != 4 || !strings.Contains(got.Problems[0].Message, "198.51.100.1 is outside") || got.Problems[1].Line != 5 {
		t.Errorf("problems %+v", got.Problems)
	}

	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "data", "ixf", "link.json")); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runPeerform(t, "ixf", "show", "-C", dir, "data/ixf/link.json"); code != exitFindings || !strings.Contains(errOut, "not a regular file") {
		t.Errorf("symbolic link: exit %d %s", code, errOut)
	}
	if _, _, code := runPeerform(t, "ixf", "show", "-C", dir, "data/ixf/doc-ix-ams.json", "--asn", "ASX"); code != exitError {
		t.Errorf("bad --asn: exit %d", code)
	}
}

// TestIXFFetch downloads an export from an httptest server into the
// repository; a body that is not an export leaves the file as it was.
func TestIXFFetch(t *testing.T) {
	dir := exampleRepo(t)
	good, err := os.ReadFile(filepath.Join(dir, "data", "ixf", "doc-ix-ams.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.Write([]byte(`{"version": "1.0", "member_list": [`))
			return
		}
		w.Write(good)
	}))
	defer srv.Close()
	dst := filepath.Join(dir, "data", "ixf", "new", "ams.json")
	out, errOut, code := runPeerform(t, "ixf", "fetch", srv.URL+"/ixf", "--out", dst, "--json")
	var res ixfFetchJSON
	if code != exitOK || json.Unmarshal([]byte(out), &res) != nil || res.Members != 7 || res.Bytes != len(good) {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(dst); string(b) != string(good) {
		t.Errorf("%s is not the served body", dst)
	}
	if _, errOut, code := runPeerform(t, "ixf", "fetch", srv.URL+"/broken", "--out", dst); code != exitError || !strings.Contains(errOut, "ends inside") {
		t.Errorf("broken body: exit %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(dst); string(b) != string(good) {
		t.Errorf("a broken download replaced %s", dst)
	}
	if _, errOut, code := runPeerform(t, "ixf", "fetch", srv.URL+"/ixf", "--out", dst, "--offline"); code != exitError || !strings.Contains(errOut, "--offline") {
		t.Errorf("--offline: exit %d %s", code, errOut)
	}
	if _, _, code := runPeerform(t, "ixf", "fetch", srv.URL+"/ixf"); code != exitError {
		t.Errorf("without --out: exit %d", code)
	}
}
