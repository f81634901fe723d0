package main

import (
	"encoding/json"
	"maps"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/ops/history"
	"github.com/peerform/peerform/internal/ops/prune"
	"github.com/peerform/peerform/internal/repo/proposal/proposaltest"
)

// pruneRepo is the example repository as a git repository, with a session
// history in which AS64502 (beta) has had both its sessions down for 41
// days while every other peer's sessions are up, and AS64503's have been
// down for 39 days only.
func pruneRepo(t *testing.T) (dir, hist string) {
	t.Helper()
	dir = renderExampleRepo(t)
	git(t, dir, "init", "-q", "-b", "main")
	commitAll(t, dir, "the example repository")
	now := time.Now()
	h := &history.History{}
	obs := func(daysAgo int, router, addr string, asn bgp.ASN, up bool) {
		h.Observe(now.Add(-time.Duration(daysAgo)*24*time.Hour), history.Observation{
			Router: router, Neighbor: netip.MustParseAddr(addr), PeerASN: asn, Established: up, Error: "Active"})
	}
	for _, s := range []struct {
		router, addr string
		asn          bgp.ASN
		downDays     int
	}{
		{"fra-edge1", "192.0.2.140", 64502, 41}, {"fra-edge1", "2001:db8:ffff:2::21", 64502, 41},
		{"ams-edge1", "192.0.2.13", 64503, 39},
		{"ams-edge1", "192.0.2.11", 64501, 0}, {"fra-edge1", "192.0.2.139", 64501, 0},
	} {
		obs(90, s.router, s.addr, s.asn, true)
		if s.downDays > 0 {
			obs(s.downDays, s.router, s.addr, s.asn, false)
		}
		obs(0, s.router, s.addr, s.asn, s.downDays == 0)
	}
	hist = filepath.Join(t.TempDir(), "sessions.json")
	if err := h.Save(hist, now); err != nil {
		t.Fatal(err)
	}
	return dir, hist
}

// TestPruneDryRun: a peer whose every session has been down past the
// threshold is proposed, and only it: a local branch whose one commit
// removes exactly its file, the working tree and HEAD untouched.
func TestPruneDryRun(t *testing.T) {
	dir, hist := pruneRepo(t)
	out, errOut, code := runPeerform(t, "prune", "-C", dir, "--offline", "--down-for", "40d", "--history", hist, "--dry-run", "--json", "--branch", "prune-test")
	var doc struct {
		Candidates []prune.Candidate `json:"candidates"`
		Proposed   string            `json:"proposed"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitFindings {
		t.Fatalf("exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if len(doc.Candidates) != 1 || doc.Candidates[0].ASN != 64502 || doc.Candidates[0].Reasons[0] != prune.SessionsDown ||
		len(doc.Candidates[0].Evidence) != 2 || !strings.HasPrefix(doc.Proposed, "branch prune-test") {
		t.Fatalf("candidates %+v, proposed %q", doc.Candidates, doc.Proposed)
	}
	if diff := git(t, dir, "diff", "--name-status", "main", "prune-test"); diff != "D\tpeers/AS64502.hcl" {
		t.Errorf("the branch changes:\n%s", diff)
	}
	msg := git(t, dir, "log", "-1", "--format=%B", "prune-test")
	if !strings.Contains(msg, "Remove 1 peer(s) that are gone: AS64502") || !strings.Contains(msg, "fra-edge1 192.0.2.140: down since") {
		t.Errorf("commit message:\n%s", msg)
	}
	if st := git(t, dir, "status", "--porcelain"); st != "" || git(t, dir, "rev-parse", "--abbrev-ref", "HEAD") != "main" {
		t.Errorf("the working tree or HEAD moved: %q", st)
	}
	// With a shorter threshold AS64503 goes too; with none of them due, nothing.
	out, _, code = runPeerform(t, "prune", "-C", dir, "--offline", "--down-for", "45d", "--history", hist, "--dry-run", "--branch", "prune-none")
	if code != exitOK || out != "" {
		t.Errorf("nothing due: exit %d\n%s", code, out)
	}
}

// TestPrunePullRequest: the same proposal as a pull request through the
// GitHub API (a strict fake): one commit on a new branch removing exactly
// the file, the evidence in the description.
func TestPrunePullRequest(t *testing.T) {
	dir, hist := pruneRepo(t)
	files := intentFiles(t, dir)
	gh := proposaltest.New(t, "example", "peering", "main", files)
	t.Setenv("GITHUB_TOKEN", "t0ken")
	t.Setenv("GITHUB_API_URL", gh.URL())
	out, errOut, code := runPeerform(t, "prune", "-C", dir, "--offline", "--down-for", "40d", "--history", hist, "--github-repo", "example/peering")
	if code != exitFindings || !strings.Contains(out, "Proposed as pull request #1") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	pr := gh.Opened()
	want := maps.Clone(files)
	delete(want, "peers/AS64502.hcl")
	if len(pr) != 1 || !maps.Equal(pr[0].Files, want) || !strings.Contains(pr[0].Body, "fra-edge1 192.0.2.140: down since") ||
		!strings.HasPrefix(pr[0].Head, "peerform/prune-") {
		t.Errorf("pull requests %+v", pr)
	}
	if _, _, code := runPeerform(t, "prune", "-C", dir, "--offline", "--history", hist); code != exitError {
		t.Errorf("without a repository to open the pull request in: exit %d, want 2", code)
	}
}
