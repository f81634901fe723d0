package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/ops/request/mtatest"
	"github.com/peerform/peerform/internal/ops/request/peeringapi/peeringapitest"
	"github.com/peerform/peerform/internal/repo/proposal/proposaltest"
	"github.com/peerform/peerform/internal/testutil"
)

var updateGolden = flag.Bool("update-request-golden", false, "rewrite the request goldens")

// requestDate is the fixed clock of the request tests.
var requestDate = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// runRequest runs peerform request in dir with the fixed clock and
// message-id seed, offline on the example's PeeringDB snapshot.
func runRequest(t *testing.T, dir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{io: &ioStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, repoDir: dir, offline: true}
	cmd := newCmdRequest(a, func(o *requestOptions) error {
		o.now, o.idSeed = func() time.Time { return requestDate }, "golden"
		return requestRun(context.Background(), o)
	})
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := testutil.Path(t, "cmd/peerform/testdata/"+name)
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -run %s -update-request-golden rewrites it):\n--- got\n%s\n--- want\n%s", name, t.Name(), got, want)
	}
}

// TestRequestOut writes the request for AS64504 from the example snapshot
// to a file: byte for byte the golden (CRLF lines, 7bit, folded To).
func TestRequestOut(t *testing.T) {
	dir := renderExampleRepo(t)
	out := filepath.Join(t.TempDir(), "request.eml")
	stdout, stderr, err := runRequest(t, dir, "AS64504", "--from", "Example Networks Peering <peering@example.net>", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "request-AS64504.eml", data)
	if !strings.Contains(stdout, "Wrote the request for AS64504") {
		t.Errorf("stdout: %s", stdout)
	}
}

func TestRequestJSONAndRefusals(t *testing.T) {
	dir := renderExampleRepo(t)
	stdout, stderr, err := runRequest(t, dir, "AS64504", "--from", "peering@example.net", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	var doc struct {
		FormatVersion int      `json:"format_version"`
		Recipients    []string `json:"recipients"`
		Request       struct {
			To        []struct{ Email string } `json:"to"`
			MaxPrefix struct{ IPv4, IPv6 int } `json:"max_prefix"`
			Sessions  []struct {
				Router string `json:"router"`
			} `json:"sessions"`
		} `json:"request"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != 1 || !slices.Equal(doc.Recipients, []string{"peering@epsilon.example.net", "neteng@epsilon.example.net", "noc@epsilon.example.net"}) ||
		doc.Request.MaxPrefix.IPv4 != 44 || len(doc.Request.Sessions) == 0 {
		t.Errorf("JSON: %s", stdout)
	}
	// Already a peer: a finding, nothing written.
	if _, _, err := runRequest(t, dir, "AS64501", "--from", "peering@example.net"); exitCode(err) != exitFindings {
		t.Errorf("AS64501 (active peer): %v, want exit 1", err)
	}
	// Not in PeeringDB.
	if _, _, err := runRequest(t, dir, "AS64499", "--from", "peering@example.net"); exitCode(err) != exitFindings {
		t.Errorf("AS64499: %v, want exit 1", err)
	}
	// A sender that would inject a header.
	if _, _, err := runRequest(t, dir, "AS64504", "--from", "peering@example.net\r\nBcc: x@example.org"); exitCode(err) != exitError {
		t.Errorf("injected --from: %v, want exit 2", err)
	}
	// --send without an smtp block.
	if _, _, err := runRequest(t, dir, "AS64504", "--from", "peering@example.net", "--send"); exitCode(err) != exitError {
		t.Errorf("--send without smtp: %v, want exit 2", err)
	}
}

// TestRequestProposeLocal commits the requested peer file on a new
// branch: one file, in the example's format, that validates.
func TestRequestProposeLocal(t *testing.T) {
	dir := renderExampleRepo(t)
	git(t, dir, "init", "-q", "-b", "main")
	commitAll(t, dir, "the example repository")
	stdout, stderr, err := runRequest(t, dir, "AS64504", "--from", "peering@example.net", "--out", filepath.Join(t.TempDir(), "m.eml"), "--propose", "local")
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	files := git(t, dir, "diff", "--name-only", "main", "peerform/request-AS64504")
	if strings.TrimSpace(files) != "peers/AS64504.hcl" {
		t.Fatalf("the branch changes %q", files)
	}
	got, err := exec.Command("git", "-C", dir, "show", "peerform/request-AS64504:peers/AS64504.hcl").Output()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "request-AS64504.hcl", got)
	if _, err := os.Stat(filepath.Join(dir, "peers", "AS64504.hcl")); err == nil {
		t.Error("the working tree got the file")
	}
}

// TestRequestSendToMTA submits the request through a real Exim on
// 127.0.0.1 and compares what it delivered to each recipient's mailbox
// with the golden, leaving out only the headers the server adds.
func TestRequestSendToMTA(t *testing.T) {
	mta := mtatest.Start(t, mtatest.Options{})
	dir := renderExampleRepo(t)
	writeFile(t, dir, "policies/smtp.hcl", fmt.Appendf(nil, `smtp {
  host     = "127.0.0.1"
  port     = %d
  from     = "Example Networks Peering <peering@example.net>"
  cc       = ["peering@example.net"]
  starttls = false
}
`, mta.Port))
	stdout, stderr, err := runRequest(t, dir, "AS64504", "--send")
	if err != nil {
		t.Fatalf("%v\n%s%s\nexim log:\n%s", err, stdout, stderr, mta.Log())
	}
	// One delivery per recipient: AS64504's three contacts and our cc.
	msgs := mta.WaitDeliveries(t, 4)
	for _, m := range msgs {
		checkGolden(t, "request-AS64504-smtp.eml", mtatest.StripTrace(m))
	}
}

// TestRequestPeeringAPI asks the strict fake Peering API for the sessions
// the request lists, with the token from its secret, and prints their
// status read back.
func TestRequestPeeringAPI(t *testing.T) {
	srv := peeringapitest.New(t, 64504, "tok-secret-value", 64500, map[string][]netip.Addr{
		"pdb:ix:90001": {netip.MustParseAddr("192.0.2.14"), netip.MustParseAddr("2001:db8:ffff:1::114")}, // the exchange's IX-F export's, which the sessions use
	}, "pending")
	dir := renderExampleRepo(t)
	args := []string{"AS64504", "--from", "peering@example.net", "--out", filepath.Join(t.TempDir(), "m.eml"), "--peering-api", srv.URL}
	if _, _, err := runRequest(t, dir, args...); exitCode(err) != exitError || !strings.Contains(err.Error(), "PEERFORM_SECRET_PEERING_API_TOKEN") {
		t.Errorf("without the token: %v", err)
	}
	t.Setenv("PEERFORM_SECRET_PEERING_API_TOKEN", "tok-secret-value")
	stdout, stderr, err := runRequest(t, dir, args...)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	got := srv.Sessions()
	if len(got) != 2 || got[0].PeerIP != "192.0.2.14" || got[1].LocalIP != "2001:db8:ffff:1::1" {
		t.Errorf("the API got %+v", got)
	}
	for _, want := range []string{"Peering API: session sess-1 192.0.2.1 -> 192.0.2.14 at pdb:ix:90001: pending", "session sess-2"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout+stderr, "tok-secret-value") {
		t.Error("the token was printed")
	}
}

// TestRequestPullRequest opens the requested peer file as a pull request
// on the strict GitHub fake: the base files plus exactly the new peer.
func TestRequestPullRequest(t *testing.T) {
	dir := renderExampleRepo(t)
	files := intentFiles(t, dir)
	gh := proposaltest.New(t, "example", "peering", "main", files)
	t.Setenv("GITHUB_TOKEN", "t0ken")
	t.Setenv("GITHUB_API_URL", gh.URL())
	stdout, stderr, err := runRequest(t, dir, "AS64504", "--from", "peering@example.net", "--out", filepath.Join(t.TempDir(), "m.eml"),
		"--propose", "github", "--github-repo", "example/peering")
	if err != nil || !strings.Contains(stdout, "pull request #1") {
		t.Fatalf("%v\n%s%s", err, stdout, stderr)
	}
	pr := gh.Opened()
	want := maps.Clone(files)
	peer, _ := os.ReadFile(testutil.Path(t, "cmd/peerform/testdata/request-AS64504.hcl"))
	want["peers/AS64504.hcl"] = string(peer)
	if len(pr) != 1 || pr[0].Head != "peerform/request-AS64504" || !strings.Contains(pr[0].Body, "<peerform.") {
		t.Fatalf("pull requests %+v", pr)
	}
	for name := range maps.Keys(want) {
		if pr[0].Files[name] != want[name] {
			t.Errorf("%s in the pull request:\n%s\nwant:\n%s", name, pr[0].Files[name], want[name])
		}
	}
	if len(pr[0].Files) != len(want) {
		t.Errorf("the pull request has %d files, want %d", len(pr[0].Files), len(want))
	}
	// The file exists in the working tree as requested: the request is
	// made again, nothing is proposed.
	writeFile(t, dir, "peers/AS64504.hcl", peer)
	if _, stderr, err := runRequest(t, dir, "AS64504", "--from", "peering@example.net", "--out", filepath.Join(t.TempDir(), "m.eml"),
		"--propose", "github", "--github-repo", "example/peering"); err != nil || !strings.Contains(stderr, "nothing to propose") || len(gh.Opened()) != 1 {
		t.Errorf("again: %v\n%s", err, stderr)
	}
}

func TestRequestHelp(t *testing.T) {
	out, _, code := runPeerform(t, "request", "--help")
	for _, want := range []string{"PEERFORM_SECRET_", "--peering-api", "--propose", "Exit status", "PeeringDB has no field"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("request --help (exit %d) lacks %q", code, want)
		}
	}
	if _, _, code := runPeerform(t, "request", "AS64504", "--propose", "gitlab"); code != exitError {
		t.Errorf("--propose gitlab: exit %d, want 2", code)
	}
}

// intentFiles reads the peers/ and policies/ files of the repository in
// dir, by repository path: the base of a fake GitHub repository.
func intentFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, sub := range []string{"peers", "policies"} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			files[sub+"/"+e.Name()] = string(b)
		}
	}
	return files
}
