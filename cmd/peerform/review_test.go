package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/peerform/peerform/internal/change/review"
	"github.com/peerform/peerform/internal/testutil"
)

// reviewRepo is a real git repository holding the example peering
// repository (peers/, policies/ and the demo PeeringDB snapshot): main lacks
// AS64503 (Doc Eyeballs Gamma, at DOC-IX-AMS in the snapshot), branch "add"
// adds it back, branch "broken" adds a peer file with errors instead.
type reviewRepo struct {
	dir               string
	main, add, broken string
}

func newReviewRepo(t *testing.T) *reviewRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("the git command is not installed")
	}
	dir := exampleRepo(t)
	copyDir(t, filepath.Join("..", "..", "data", "peeringdb"), filepath.Join(dir, "data", "peeringdb"))
	r := &reviewRepo{dir: dir}
	gamma, err := os.ReadFile(filepath.Join(dir, "peers", "AS64503.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "peers", "AS64503.hcl")); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "init", "-q", "-b", "main")
	r.main = commitAll(t, dir, "the example repository without AS64503")

	git(t, dir, "checkout", "-q", "-b", "add")
	writeFile(t, filepath.Join(dir, "peers"), "AS64503.hcl", gamma)
	r.add = commitAll(t, dir, "peer with AS64503 at DOC-IX-AMS")

	git(t, dir, "checkout", "-q", "-b", "broken", "main")
	writeFile(t, filepath.Join(dir, "peers"), "AS64511.hcl", []byte(
		"peer \"AS64511\" {\n  name         = \"Doc Broken\"\n  md5_password = \"x\"\n  import       = \"AS-EVIL|x\"\n  export       = \"AS-EXAMPLE\"\n}\n"))
	r.broken = commitAll(t, dir, "a broken peer")
	git(t, dir, "checkout", "-q", "add")
	return r
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	return testutil.Git(t, dir, args...)
}

func commitAll(t *testing.T, dir, msg string) string {
	t.Helper()
	return testutil.CommitAll(t, dir, msg)
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	testutil.CopyDir(t, src, dst)
}

// clearActionsEnv makes the test independent of the environment it runs
// in (a CI job sets these).
func clearActionsEnv(t *testing.T) {
	for _, k := range []string{"GITHUB_ACTIONS", "GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_REPOSITORY",
		"GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_STEP_SUMMARY"} {
		t.Setenv(k, "")
	}
}

func TestReviewDryRunNewPeer(t *testing.T) {
	clearActionsEnv(t)
	r := newReviewRepo(t)
	// --offline: nothing is asked over the network; the IRR data comes
	// from the example's snapshot.
	out, errOut, code := runPeerform(t, "review", "--repo", r.dir, "--base", "main", "--head", "add", "--dry-run", "--offline")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		review.Marker,
		"### ⚠️ Ready to merge",
		"**Intent files:** `peers/AS64503.hcl` added",
		"#### AS64503 Doc Eyeballs Gamma — new peer",
		"| Likely to agree | Willingness | Affinity |",
		"Where to peer (top of APC\\*):",
		"DOC-IX Amsterdam (Amsterdam)",
		"xychart-beta",
		"PeeringDB: data/peeringdb",
		"IRR: snapshot data/irr/example.rpsl",
		// AS64503's prefix list from the snapshot, without 11.66.4.0/22,
		// which the demo VRPs make RPKI-invalid (and a finding says so).
		"permit 11.66.0.0/22",
		"**RPKI-invalid IRR objects** — 1 prefix(es) registered in AS-GAMMA",
		"#### Router changes (1)",
		"<details><summary><code>ams-edge1</code> (frr)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the comment lacks %q:\n%s", want, out)
		}
	}
	// The diff adds exactly AS64503's neighbors (its two addresses on the
	// DOC-IX-AMS LAN) on ams-edge1, and nothing on fra-edge1, which is
	// not at that exchange.
	if strings.Contains(out, "fra-edge1") {
		t.Error("fra-edge1 changes, but AS64503 is not at DOC-IX-FRA")
	}
	added := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 5 && f[0] == "+" && f[1] == "neighbor" && f[3] == "remote-as" {
			added[f[2]+" AS"+f[4]] = true
		}
	}
	if want := map[string]bool{"192.0.2.13 AS64503": true, "2001:db8:ffff:1::13 AS64503": true}; fmt.Sprint(added) != fmt.Sprint(want) {
		t.Errorf("neighbors added = %v, want %v", added, want)
	}
	// Planning finds AS64503's missing IPv6 count once (and AS65537's,
	// which is left out: that file is not part of the change).
	if strings.Count(out, "**Max-prefix from the policy default**") != 1 {
		t.Error("a finding from planning is missing or reported twice")
	}
	if strings.Contains(out, "peers/AS65537.hcl") || !strings.Contains(out, "warning(s) about files this change does not touch") {
		t.Error("warnings about untouched files must be left out, with a note")
	}
}

func TestReviewDryRunBrokenPeer(t *testing.T) {
	clearActionsEnv(t)
	r := newReviewRepo(t)
	out, errOut, code := runPeerform(t, "review", "--repo", r.dir, "--base", "main", "--head", "broken", "--dry-run")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFindings, out, errOut)
	}
	for _, want := range []string{
		"### ❌ Not ready to merge: 2 errors to fix",
		"- ❌ `peers/AS64511.hcl:3:3` **Unsupported argument**",
		"- ❌ `peers/AS64511.hcl:4:3` **Invalid import**",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the comment lacks %q:\n%s", want, out)
		}
	}
}

// githubRecorder is a small GitHub API that records what peerform posts.
type githubRecorder struct {
	mu          sync.Mutex
	comments    []string
	annotations []*github.CheckRunAnnotation
	conclusion  string
	headSHA     string
	auth        string
}

func newGitHubRecorder(t *testing.T, pulls []*github.PullRequest) (*githubRecorder, *httptest.Server) {
	g := &githubRecorder{}
	mux := http.NewServeMux()
	// The job's token is an App installation token: no user, an App.
	mux.HandleFunc("GET /api/v3/user", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"Resource not accessible by integration"}`, http.StatusForbidden)
	})
	mux.HandleFunc("GET /api/v3/app", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"slug": "github-actions"}`)
	})
	mux.HandleFunc("GET /api/v3/repos/example/peering/issues/{n}/comments", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "[]")
	})
	mux.HandleFunc("POST /api/v3/repos/example/peering/issues/{n}/comments", func(w http.ResponseWriter, r *http.Request) {
		var c github.IssueComment
		json.NewDecoder(r.Body).Decode(&c)
		g.mu.Lock()
		g.comments = append(g.comments, r.PathValue("n")+":"+c.GetBody())
		g.auth = r.Header.Get("Authorization")
		g.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id": 1}`)
	})
	mux.HandleFunc("POST /api/v3/repos/example/peering/check-runs", func(w http.ResponseWriter, r *http.Request) {
		var o github.CreateCheckRunOptions
		json.NewDecoder(r.Body).Decode(&o)
		g.mu.Lock()
		g.annotations = append(g.annotations, o.Output.Annotations...)
		g.conclusion, g.headSHA = o.GetConclusion(), o.HeadSHA
		g.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id": 2}`)
	})
	mux.HandleFunc("GET /api/v3/repos/example/peering/commits/{sha}/pulls", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(pulls)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return g, srv
}

// eventFile writes a pull_request payload (GitHub's shape, from the review
// package's fixtures) whose base and head are this repository's commits.
func eventFile(t *testing.T, fixture string, replace map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "change", "review", "testdata", "events", fixture))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for old, new := range replace {
		s = strings.ReplaceAll(s, old, new)
	}
	p := filepath.Join(t.TempDir(), "event.json")
	writeFile(t, filepath.Dir(p), "event.json", []byte(s))
	return p
}

// TestReviewInActions runs the review as pr.yml does: the event from
// $GITHUB_EVENT_PATH, the token and an Enterprise API URL from the
// environment. The broken peer's findings become annotations on its lines.
func TestReviewInActions(t *testing.T) {
	clearActionsEnv(t)
	r := newReviewRepo(t)
	g, srv := newGitHubRecorder(t, nil)
	t.Setenv("GITHUB_ACTIONS", "true")
	t.Setenv("GITHUB_EVENT_NAME", "pull_request")
	t.Setenv("GITHUB_EVENT_PATH", eventFile(t, "pull_request.json", map[string]string{
		"2e65efe2a145dda7ee51d1741299f848e5bf752e": r.main, "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d": r.broken,
	}))
	t.Setenv("GITHUB_REPOSITORY", "example/peering")
	t.Setenv("GITHUB_TOKEN", "ghs_test")
	t.Setenv("GITHUB_API_URL", srv.URL+"/api/v3")
	t.Setenv("GITHUB_STEP_SUMMARY", filepath.Join(t.TempDir(), "summary.md"))

	out, errOut, code := runPeerform(t, "review", "--repo", r.dir)
	if code != exitFindings {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if out != "" || strings.Contains(errOut, "ghs_test") {
		t.Errorf("stdout %q (want nothing: the comment was posted); stderr %q", out, errOut)
	}
	if len(g.comments) != 1 || !strings.HasPrefix(g.comments[0], "7:"+review.Marker) || g.auth != "Bearer ghs_test" {
		t.Fatalf("comments = %q, auth %q", g.comments, g.auth)
	}
	if g.conclusion != "failure" || g.headSHA != r.broken {
		t.Errorf("check run: conclusion %q on %s, want failure on %s", g.conclusion, g.headSHA, r.broken)
	}
	lines := map[int]string{}
	for _, a := range g.annotations {
		if a.GetPath() == "peers/AS64511.hcl" {
			lines[a.GetStartLine()] = a.GetTitle()
		}
	}
	if lines[3] != "Unsupported argument" || lines[4] != "Invalid import" {
		t.Errorf("annotations by line = %v, want 3: Unsupported argument, 4: Invalid import", lines)
	}
}

func TestReviewForkWithoutToken(t *testing.T) {
	clearActionsEnv(t)
	r := newReviewRepo(t)
	summary := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	ev := eventFile(t, "pull_request_fork.json", map[string]string{
		"2e65efe2a145dda7ee51d1741299f848e5bf752e": r.main, "8f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6": r.broken,
	})
	out, errOut, code := runPeerform(t, "review", "--repo", r.dir, "--event", ev)
	if code != exitFindings {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "::error file=peers/AS64511.hcl,line=3,") {
		t.Errorf("no workflow-command annotation on stdout:\n%s", out)
	}
	b, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(b), review.Marker) {
		t.Errorf("summary = %q", b)
	}
}

func TestReviewCommentDeploy(t *testing.T) {
	clearActionsEnv(t)
	const after = "9a8b7c6d5e4f30211203f4e5d6c7b8a9f0e1d2c3"
	g, srv := newGitHubRecorder(t, []*github.PullRequest{{Number: github.Int(7), MergeCommitSHA: github.String(after)}})
	t.Setenv("GITHUB_TOKEN", "ghs_test")
	t.Setenv("GITHUB_API_URL", srv.URL+"/api/v3")
	outcome := filepath.Join(t.TempDir(), "outcome.md")
	writeFile(t, filepath.Dir(outcome), "outcome.md", []byte("### ✅ Deployed"))
	ev := eventFile(t, "push.json", nil)
	out, errOut, code := runPeerform(t, "review", "--event", ev, "--comment-deploy", outcome)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if len(g.comments) != 1 || g.comments[0] != "7:"+review.DeployMarker+"\n### ✅ Deployed" {
		t.Errorf("comments = %q", g.comments)
	}
}

func TestReviewShallowClone(t *testing.T) {
	clearActionsEnv(t)
	r := newReviewRepo(t)
	shallow := filepath.Join(t.TempDir(), "shallow")
	git(t, filepath.Dir(shallow), "clone", "-q", "--depth", "1", "--branch", "add", "file://"+r.dir, shallow)
	_, errOut, code := runPeerform(t, "review", "--repo", shallow, "--base", r.main, "--dry-run")
	if code != exitError || !strings.Contains(errOut, "fetch-depth: 0") {
		t.Errorf("exit %d, stderr %q; want 2 and the fetch-depth hint", code, errOut)
	}
}

func TestReviewSubdirectory(t *testing.T) {
	clearActionsEnv(t)
	r := newReviewRepo(t)
	_, errOut, code := runPeerform(t, "review", "--repo", filepath.Join(r.dir, "peers"), "--base", "main", "--dry-run")
	if code != exitError || !strings.Contains(errOut, "must be the top of its git repository") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestReviewUsage(t *testing.T) {
	clearActionsEnv(t)
	for _, args := range [][]string{
		{"review", "--dry-run"}, // no base and no event
		{"review", "--base", "main"},
		{"review", "--comment-deploy", "x.md", "--base", "main"},
		{"review", "extra"},
	} {
		_, errOut, code := runPeerform(t, args...)
		if code != exitError || !strings.Contains(errOut, "Run 'peerform --help'") {
			t.Errorf("%v: exit %d, stderr %q; want a usage error", args, code, errOut)
		}
	}
	var got *reviewOptions
	t.Setenv("GITHUB_ACTIONS", "true")
	cmd := newCmdReview(&app{io: &ioStreams{Out: io.Discard, ErrOut: io.Discard}}, func(o *reviewOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--base", "main", "--dry-run"})
	if err := cmd.Execute(); err != nil || got.botLogin != "" || got.base != "main" || !got.dryRun {
		t.Errorf("options = %+v, %v", got, err)
	}
}

// instantClock is a review.Clock whose sleeps take no time.
type instantClock struct{ now time.Time }

func (c *instantClock) Now() time.Time { return c.now }
func (c *instantClock) Sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return ctx.Err()
}

// TestReviewExitCodesWhenGitHubFails: whatever GitHub does — answer 502
// to everything, or never answer — review ends within its time limits,
// writes the report to the job summary, and exits as README says: 1 for
// a change with errors, 0 for one without; posting problems never change
// the exit status.
func TestReviewExitCodesWhenGitHubFails(t *testing.T) {
	clearActionsEnv(t)
	r := newReviewRepo(t)
	badGateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>502 Bad Gateway</html>", http.StatusBadGateway)
	}))
	defer badGateway.Close()
	done := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer silent.Close()
	defer close(done)

	for _, srv := range []*httptest.Server{badGateway, silent} {
		for _, tc := range []struct {
			head string
			want int
		}{{r.broken, exitFindings}, {r.add, exitOK}} {
			summary := filepath.Join(t.TempDir(), "summary.md")
			t.Setenv("GITHUB_EVENT_NAME", "pull_request")
			t.Setenv("GITHUB_EVENT_PATH", eventFile(t, "pull_request.json", map[string]string{
				"2e65efe2a145dda7ee51d1741299f848e5bf752e": r.main, "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d": tc.head,
			}))
			t.Setenv("GITHUB_REPOSITORY", "example/peering")
			t.Setenv("GITHUB_TOKEN", "ghs_test")
			t.Setenv("GITHUB_API_URL", srv.URL+"/api/v3")
			t.Setenv("GITHUB_STEP_SUMMARY", summary)
			var out, errOut strings.Builder
			a := &app{io: &ioStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, repoDir: r.dir, offline: true}
			cmd := newCmdReview(a, func(o *reviewOptions) error {
				o.clock, o.callTimeout = &instantClock{now: time.Now()}, 50*time.Millisecond
				return reviewRun(context.Background(), o)
			})
			cmd.SetArgs(nil)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			start := time.Now()
			code := exitCode(cmd.Execute())
			if took := time.Since(start); took > 30*time.Second {
				t.Errorf("review took %v against a failing GitHub", took)
			}
			if code != tc.want {
				t.Errorf("exit %d, want %d\n%s", code, tc.want, errOut.String())
			}
			if b, _ := os.ReadFile(summary); !strings.HasPrefix(string(b), review.Marker) {
				t.Errorf("summary = %q", b)
			}
			if strings.Contains(out.String()+errOut.String(), "ghs_test") {
				t.Error("the token was printed")
			}
		}
	}
}
