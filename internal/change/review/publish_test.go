package review

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

var testTarget = Target{Owner: "example", Repo: "peering", Number: 7, HeadSHA: "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d"}

// newPublisher connects a Publisher to the fake with the fake's clock and
// short time limits, so that no test waits for real.
func newPublisher(f *fakeGitHub) (*Publisher, *bytes.Buffer, string) {
	stdout := &bytes.Buffer{}
	summary := filepath.Join(f.t.TempDir(), "step_summary.md")
	p := &Publisher{Clock: f.clock, CallTimeout: 200 * time.Millisecond, Deadline: 30 * time.Minute,
		Stdout: stdout, SummaryPath: summary}
	if err := p.Connect("test-token", f.apiURL(), f.srv.Client().Transport); err != nil {
		f.t.Fatal(err)
	}
	return p, stdout, summary
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)} }

func findings(n int) []Finding {
	out := make([]Finding, n)
	for i := range out {
		out[i] = Finding{Severity: SeverityError, File: fmt.Sprintf("peers/AS%d.hcl", 64600+i), Line: 3, Col: 3, EndLine: 3, EndCol: 9,
			Title: "Unsupported argument", Message: `An argument named "md5" is not expected here.`}
	}
	return out
}

// report is a small report with the given findings and a body line.
func report(v Verdict, line string, fs []Finding) Report {
	return Report{Verdict: v, Base: "2e65efe2a145dda7ee51d1741299f848e5bf752e", Head: testTarget.HeadSHA, Findings: fs, Notes: []string{line}}
}

// TestStickyComment: the first run creates the comment, the second run
// finds it among 150 others (two pages of 100) and edits it. Whose
// comments are ours comes from GET /user, not from a fixed login.
func TestStickyComment(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	f.addComments(120, "octocat", func(i int) string {
		if i == 10 {
			// A person quoting our marker must not be taken for us.
			return Marker + "\nquoted by a human"
		}
		return fmt.Sprintf("looks good %d; mentions %s in passing", i, Marker)
	})
	// Another bot's comment with our marker is not ours either.
	f.addComments(30, "github-actions[bot]", func(i int) string { return Marker + "\nanother bot" })
	p, _, _ := newPublisher(f)

	out := p.Publish(context.Background(), testTarget, report(Pass, "first review", nil))
	if len(out.Problems) > 0 || !out.CommentCreated || out.CommentID == 0 {
		t.Fatalf("first run: %+v", out)
	}
	if got := f.seen("GET /repos/example/peering/issues/7/comments"); !reflect.DeepEqual(got, []string{
		"GET /repos/example/peering/issues/7/comments?per_page=100",
		"GET /repos/example/peering/issues/7/comments?page=2&per_page=100",
	}) {
		t.Errorf("first run listed %q, want two pages of 100", got)
	}

	// A second push, a new process: the comment is the 151st, on the
	// second page.
	p2, _, _ := newPublisher(f)
	out2 := p2.Publish(context.Background(), testTarget, report(Fail, "second review", nil))
	if len(out2.Problems) > 0 || out2.CommentCreated || out2.CommentID != out.CommentID {
		t.Fatalf("second run: %+v, want an edit of comment %d", out2, out.CommentID)
	}
	if ours := f.ours(); len(ours) != 1 || !strings.Contains(ours[0].GetBody(), "second review") {
		t.Errorf("our comments: %d, want 1 with the second review", len(ours))
	}
	if f.comments[10].GetBody() != Marker+"\nquoted by a human" || f.comments[120].GetBody() != Marker+"\nanother bot" {
		t.Error("someone else's comment quoting the marker was edited")
	}
	for _, a := range f.auth {
		if a != "Bearer test-token" {
			t.Fatalf("Authorization = %q", a)
		}
	}
	f.checkRunsCompleted(t)
}

// A comment written under the tool's former name is edited, not
// duplicated, and carries the new marker afterwards.
func TestStickyCommentLegacyMarker(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	f.addComments(1, f.user, func(int) string { return "<!-- peerctl:review -->\nan old review" })
	p, _, _ := newPublisher(f)
	out := p.Publish(context.Background(), testTarget, report(Pass, "new review", nil))
	if len(out.Problems) > 0 || out.CommentCreated || out.CommentID != f.comments[0].GetID() {
		t.Fatalf("%+v: want an edit of comment %d", out, f.comments[0].GetID())
	}
	if body := f.comments[0].GetBody(); !strings.HasPrefix(body, Marker) || !strings.Contains(body, "new review") {
		t.Errorf("edited comment:\n%s", body)
	}
}

// TestStickyCommentAsApp: an App installation token (GitHub Actions'
// GITHUB_TOKEN is one) has no user; its comments are the App's bot
// user's, "<slug>[bot]", which GET /app names.
func TestStickyCommentAsApp(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	f.user, f.app = "", "peering-review"
	f.addComments(3, "github-actions[bot]", func(int) string { return Marker + "\nnot ours" })
	p, _, _ := newPublisher(f)
	first := p.Publish(context.Background(), testTarget, report(Pass, "one", nil))
	p2, _, _ := newPublisher(f)
	second := p2.Publish(context.Background(), testTarget, report(Pass, "two", nil))
	if !first.CommentCreated || second.CommentCreated || second.CommentID != first.CommentID {
		t.Fatalf("outcomes %+v then %+v: the second push must edit the first comment", first, second)
	}
	if ours := f.ours(); len(ours) != 1 || ours[0].GetUser().GetLogin() != "peering-review[bot]" {
		t.Errorf("our comments = %d", len(ours))
	}
}

// TestAnnotationBatches: 120 located findings go out as 50 + 50 + 20; the
// run is completed from its first request, so that no later batch can
// leave it in progress. Findings without a file are not annotated.
func TestAnnotationBatches(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	p, stdout, _ := newPublisher(f)
	fs := append(findings(120), Finding{Severity: SeverityWarning, Title: "IRR server whois.radb.net did not answer"})
	fs[0].EndLine = 5 // multi-line: no columns allowed
	out := p.Publish(context.Background(), testTarget, report(Fail, "body", fs))
	if len(out.Problems) > 0 || out.Annotations != 120 || out.Commands {
		t.Fatalf("outcome %+v", out)
	}
	run := f.runs[out.CheckRunID]
	if run == nil {
		t.Fatal("no check run recorded")
	}
	if !reflect.DeepEqual(run.Batches, []int{50, 50, 20}) {
		t.Errorf("batches = %v, want [50 50 20]", run.Batches)
	}
	if want := []string{"completed", "completed", "completed"}; !reflect.DeepEqual(run.StatusesByRequest, want) {
		t.Errorf("statuses = %v, want %v", run.StatusesByRequest, want)
	}
	if run.Conclusion != "failure" || run.HeadSHA != testTarget.HeadSHA || run.Name != DefaultCheckName || run.ExternalID == "" {
		t.Errorf("run = %+v", run)
	}
	a := run.Annotations[0]
	if a.StartColumn != nil || a.GetEndLine() != 5 || a.GetAnnotationLevel() != "failure" || a.GetPath() != "peers/AS64600.hcl" {
		t.Errorf("first annotation = %v", a)
	}
	if b := run.Annotations[1]; b.GetStartColumn() != 3 || b.GetEndColumn() != 9 {
		t.Errorf("single-line annotation lost its columns: %v", b)
	}
	if stdout.Len() != 0 {
		t.Errorf("workflow commands printed although the check run worked:\n%s", stdout)
	}
}

// TestFailedBatchLeavesRunCompleted: the second annotation batch meets a
// secondary rate limit too long to wait for, then a server that keeps
// failing: the run is still completed, with its conclusion, and the
// findings go out as workflow commands as well.
func TestFailedBatchLeavesRunCompleted(t *testing.T) {
	for _, fail := range []func(f *fakeGitHub){
		func(f *fakeGitHub) {
			f.secondaryLimited("PATCH /repos/example/peering/check-runs/", http.StatusTooManyRequests, "3600")
		},
		func(f *fakeGitHub) {
			for range DefaultMaxAttempts {
				f.failNext("PATCH /repos/example/peering/check-runs/", http.StatusInternalServerError, nil, `{"message":"Server Error"}`)
			}
		},
	} {
		f := newFakeGitHub(t, newClock())
		fail(f)
		p, stdout, _ := newPublisher(f)
		out := p.Publish(context.Background(), testTarget, report(Fail, "body", findings(120)))
		if out.CheckRunID == 0 || out.Annotations != 50 || !out.Commands || len(out.Problems) != 1 {
			t.Errorf("outcome %+v", out)
		}
		f.checkRunsCompleted(t)
		if run := f.runs[out.CheckRunID]; run == nil || run.Conclusion != "failure" {
			t.Errorf("run = %+v", run)
		}
		if strings.Count(stdout.String(), "::error ") != 120 {
			t.Errorf("workflow commands:\n%s", stdout)
		}
	}
}

// TestRateLimits: the primary limit is waited out until its reset; the
// secondary one as Retry-After says, 403 or 429 alike, else a minute,
// doubling. The clock is the fake's: nothing waits for real.
func TestRateLimits(t *testing.T) {
	// The reset lies in the real past, so go-github's own "don't call
	// before the reset" memory (which reads the wall clock) lets the
	// retry through; the injected clock says the reset is 90 s away.
	reset := time.Now().Add(-time.Hour).Truncate(time.Second)
	clock := &fakeClock{now: reset.Add(-90 * time.Second)}
	f := newFakeGitHub(t, clock)
	f.rateLimited("POST /repos/example/peering/issues/7/comments", reset)
	f.secondaryLimited("POST /repos/example/peering/check-runs", http.StatusForbidden, "30")
	f.secondaryLimited("POST /repos/example/peering/check-runs", http.StatusTooManyRequests, "20")
	f.secondaryLimited("POST /repos/example/peering/check-runs", http.StatusForbidden, "")
	f.secondaryLimited("POST /repos/example/peering/check-runs", http.StatusTooManyRequests, "")
	p, _, summary := newPublisher(f)
	p.MaxWait = 10 * time.Minute
	out := p.Publish(context.Background(), testTarget, report(Pass, "body", findings(1)))
	if len(out.Problems) > 0 || !out.CommentCreated || out.CheckRunID == 0 || out.Summary {
		t.Fatalf("outcome %+v", out)
	}
	// 90 s to the reset plus a second; the gap of a second between two
	// writes; then the check run: 30 s, 20 s, then no header on the third
	// and fourth try: 4 and 8 minutes.
	if want := []time.Duration{91 * time.Second, time.Second, 30 * time.Second, 20 * time.Second, 4 * time.Minute, 8 * time.Minute}; !reflect.DeepEqual(clock.sleeps, want) {
		t.Errorf("slept %v, want %v", clock.sleeps, want)
	}
	if n := len(f.seen("POST /repos/example/peering/check-runs")); n != 5 {
		t.Errorf("check-run POSTs = %d, want 5 (four limited, then the one that worked)", n)
	}
	if len(f.runs) != 1 || len(f.ours()) != 1 {
		t.Errorf("%d check runs, %d comments; want one of each", len(f.runs), len(f.ours()))
	}
	if _, err := os.Stat(summary); err == nil {
		t.Error("job summary written although the comment was posted")
	}
}

func TestRateLimitTooFarAwayFallsBack(t *testing.T) {
	reset := time.Now().Add(-time.Hour).Truncate(time.Second)
	clock := &fakeClock{now: reset.Add(-50 * time.Minute)}
	f := newFakeGitHub(t, clock)
	f.rateLimited("GET /repos/example/peering/issues/7/comments", reset)
	p, _, summary := newPublisher(f)
	out := p.Publish(context.Background(), testTarget, report(Pass, "the report", nil))
	for _, d := range clock.sleeps {
		if d > time.Second {
			t.Errorf("waited %v for a reset 50 minutes away; the limit is %v", d, DefaultMaxWait)
		}
	}
	if !out.Summary || len(out.Problems) != 1 || !strings.Contains(out.Problems[0], "rate limit") {
		t.Errorf("outcome %+v", out)
	}
	if b, _ := os.ReadFile(summary); !strings.Contains(string(b), "the report") {
		t.Errorf("summary = %q", b)
	}
	f.checkRunsCompleted(t)
}

func TestRetryAfterHeaders(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	p := &Publisher{Clock: &fakeClock{now: now}}
	header := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name    string
		h       http.Header
		attempt int
		want    time.Duration
	}{
		{"retry-after", header("Retry-After", "30"), 1, 30 * time.Second},
		{"retry-after-date", header("Retry-After", now.Add(2*time.Minute).Format(http.TimeFormat)), 1, 2 * time.Minute},
		{"reset", header("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", fmt.Sprint(now.Add(2*time.Minute).Unix())), 1, 2*time.Minute + time.Second},
		{"reset-past", header("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", fmt.Sprint(now.Add(-time.Minute).Unix())), 1, time.Second},
		{"reset-not-exhausted", header("X-RateLimit-Remaining", "12", "X-RateLimit-Reset", fmt.Sprint(now.Unix())), 2, 2 * time.Minute},
		{"nothing", header(), 3, 4 * time.Minute},
	} {
		if got := p.rateLimitWait(tc.h, tc.attempt); got != tc.want {
			t.Errorf("%s: wait %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBadGatewayAfterCreate: GitHub carries out the POST, a proxy answers
// 502. The retry looks first and finds what it made: one comment, one
// check run, both with the right content.
func TestBadGatewayAfterCreate(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	f.failAfterDoing("POST /repos/example/peering/issues/7/comments")
	f.failAfterDoing("POST /repos/example/peering/check-runs")
	p, _, summary := newPublisher(f)
	out := p.Publish(context.Background(), testTarget, report(Warn, "the review", findings(2)))
	if len(out.Problems) > 0 || out.CommentID == 0 || out.CheckRunID == 0 {
		t.Fatalf("outcome %+v", out)
	}
	if ours := f.ours(); len(ours) != 1 || !strings.Contains(ours[0].GetBody(), "the review") {
		t.Errorf("%d comments of ours, want exactly 1", len(ours))
	}
	if len(f.runs) != 1 {
		t.Errorf("%d check runs, want exactly 1", len(f.runs))
	}
	if n := len(f.seen("POST /repos/example/peering/issues/7/comments")); n != 1 {
		t.Errorf("the comment was POSTed %d times; the retry must find the first", n)
	}
	f.checkRunsCompleted(t)
	if _, err := os.Stat(summary); err == nil {
		t.Error("job summary written although everything was posted")
	}
}

// TestServerNeverAnswers: a GitHub that accepts connections and never
// answers costs each request its time limit and no more, and the whole
// Publish its deadline; the report goes to the job summary. Later, a
// check-run batch that never gets an answer leaves the run completed all
// the same.
func TestServerNeverAnswers(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	f.hang("GET /", 1000)
	f.hang("POST /", 1000)
	p, stdout, summary := newPublisher(f)
	p.Deadline = 2 * time.Second
	start := time.Now()
	out := p.Publish(context.Background(), testTarget, report(Fail, "the review", findings(1)))
	if took := time.Since(start); took > p.Deadline+time.Second {
		t.Errorf("Publish took %v with a deadline of %v", took, p.Deadline)
	}
	f.mu.Lock()
	for _, d := range f.hung {
		if d > p.CallTimeout+time.Second {
			t.Errorf("a request went unanswered for %v; the limit is %v", d, p.CallTimeout)
		}
	}
	if len(f.hung) < 2 {
		t.Errorf("%d requests were sent", len(f.hung))
	}
	f.mu.Unlock()
	if !out.Summary || !out.Commands || out.CommentID != 0 || out.CheckRunID != 0 {
		t.Errorf("outcome %+v", out)
	}
	if b, _ := os.ReadFile(summary); !strings.Contains(string(b), "the review") {
		t.Errorf("summary = %q", b)
	}
	if !strings.Contains(stdout.String(), "::error file=peers/AS64600.hcl") {
		t.Errorf("stdout = %q", stdout)
	}

	g := newFakeGitHub(t, newClock())
	g.hang("PATCH /repos/example/peering/check-runs/", 1)
	pg, _, _ := newPublisher(g)
	out = pg.Publish(context.Background(), testTarget, report(Fail, "the review", findings(60)))
	if out.CheckRunID == 0 || out.Annotations != 50 {
		t.Errorf("outcome %+v", out)
	}
	g.checkRunsCompleted(t)
}

// TestDeadline: the whole of a Publish is bounded, whatever the limits
// of single requests.
func TestDeadline(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	f.hang("GET /", 1000)
	p, _, _ := newPublisher(f)
	p.CallTimeout, p.Deadline = time.Hour, 300*time.Millisecond
	start := time.Now()
	out := p.Publish(context.Background(), testTarget, report(Pass, "x", nil))
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Publish took %v with a deadline of %v", took, p.Deadline)
	}
	if !out.Summary {
		t.Errorf("outcome %+v", out)
	}
}

// TestWritesPaced: content-creating requests are at least a second apart
// (by the injected clock), as GitHub asks.
func TestWritesPaced(t *testing.T) {
	clock := newClock()
	f := newFakeGitHub(t, clock)
	p, _, _ := newPublisher(f)
	p.Publish(context.Background(), testTarget, report(Fail, "x", findings(170)))
	if len(f.writes) != 5 { // comment, check run, three batches
		t.Fatalf("%d writes, want 5", len(f.writes))
	}
	for i := 1; i < len(f.writes); i++ {
		if gap := f.writes[i].Sub(f.writes[i-1]); gap < time.Second {
			t.Errorf("write %d came %v after the one before", i, gap)
		}
	}
}

// TestLongReport: the strict fake refuses bodies over 65,536 characters;
// Markdown keeps every report under it, multi-byte text included.
func TestLongReport(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	p, _, _ := newPublisher(f)
	diff := strings.Repeat("+ neighbor 192.0.2.1 description ÄÖÜ — ελληνικά\n", 5000)
	r := report(Warn, strings.Repeat("é", 1000), findings(300))
	r.Routers = []RouterDiff{{Router: "r1", Platform: "frr", Diff: diff}, {Router: "r2", Platform: "bird2", Diff: diff}}
	out := p.Publish(context.Background(), testTarget, r)
	if len(out.Problems) > 0 || out.CommentID == 0 {
		t.Fatalf("outcome %+v", out)
	}
	if body := f.ours()[0].GetBody(); utf8.RuneCountInString(body) > MaxCommentChars || len(body) > MaxCommentChars {
		t.Errorf("body of %d bytes", len(body))
	}
}

// TestForkFallsBack: the read-only token of a pull request from a fork
// gets 403 on every write; the report goes to the job summary, saying the
// findings are this workflow run's annotations (there is no check run),
// the findings to workflow commands, and nothing is retried.
func TestForkFallsBack(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	f.readOnly = true
	p, stdout, summary := newPublisher(f)
	os.WriteFile(summary, []byte("# earlier step\n"), 0o644)
	fs := findings(2)
	fs[1].Message = "line one\nline two with ::warning:: inside, 100%"
	out := p.Publish(context.Background(), testTarget, report(Fail, "the review", fs))
	if !out.Summary || !out.Commands || out.CommentID != 0 || out.CheckRunID != 0 {
		t.Fatalf("outcome %+v", out)
	}
	if len(out.Problems) != 2 || !strings.Contains(out.Problems[0], "read-only token") {
		t.Errorf("problems = %q", out.Problems)
	}
	if len(f.clock.sleeps) > 1 { // one write gap, no retry
		t.Errorf("retried a permission error: slept %v", f.clock.sleeps)
	}
	if n := len(f.seen("POST ")); n != 2 {
		t.Errorf("%d writes attempted, want 2 (comment, check run)", n)
	}
	got, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(got), "# earlier step\n"+Marker) || !strings.Contains(string(got), "Its findings are annotations of this workflow run") ||
		strings.Contains(string(got), "the check run has") {
		t.Errorf("summary = %s", got)
	}
	wantCmds := "::error file=peers/AS64600.hcl,line=3,endLine=3,col=3,endColumn=9,title=Unsupported argument::An argument named \"md5\" is not expected here.\n" +
		"::error file=peers/AS64601.hcl,line=3,endLine=3,col=3,endColumn=9,title=Unsupported argument::line one%0Aline two with ::warning:: inside, 100%25\n"
	if stdout.String() != wantCmds {
		t.Errorf("workflow commands:\n%s\nwant:\n%s", stdout, wantCmds)
	}
}

func TestNoTokenFallsBack(t *testing.T) {
	stdout := &bytes.Buffer{}
	summary := filepath.Join(t.TempDir(), "summary.md")
	p := &Publisher{Stdout: stdout, SummaryPath: summary}
	out := p.Publish(context.Background(), testTarget, report(Fail, "report", findings(1)))
	if !out.Summary || !out.Commands || len(out.Problems) != 1 {
		t.Errorf("outcome %+v", out)
	}
	if b, _ := os.ReadFile(summary); !strings.HasPrefix(string(b), Marker) || !strings.Contains(string(b), "no GitHub token") {
		t.Errorf("summary = %q", b)
	}
	if !strings.HasPrefix(stdout.String(), "::error file=peers/AS64600.hcl,") {
		t.Errorf("stdout = %q", stdout)
	}
}

func TestEnterpriseServer(t *testing.T) {
	f := newFakeGitHub(t, newClock())
	p := &Publisher{Clock: f.clock}
	if err := p.Connect("ghes-token", f.srv.URL+"/api/v3", f.srv.Client().Transport); err != nil {
		t.Fatal(err)
	}
	out := p.Publish(context.Background(), testTarget, report(Pass, "body", nil))
	if len(out.Problems) > 0 || !out.CommentCreated {
		t.Fatalf("outcome %+v", out)
	}
	if f.auth[0] != "Bearer ghes-token" {
		t.Errorf("Authorization = %q", f.auth[0])
	}
	for _, bad := range []string{"ftp://x/api/v3", "https://user:pw@ghe/api/v3", "::"} {
		if _, err := NewClient("t", bad, nil); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
	if c, err := NewClient("t", "https://api.github.com", nil); err != nil || c.BaseURL.String() != "https://api.github.com/" {
		t.Errorf("github.com client: %v %v", c.BaseURL, err)
	}
}

func TestPublishDeploy(t *testing.T) {
	const sha = "2e65efe2a145dda7ee51d1741299f848e5bf752e"
	f := newFakeGitHub(t, newClock())
	merged := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	f.pulls = []*github.PullRequest{
		{Number: github.Int(12), State: github.String("open"), MergeCommitSHA: github.String("1111111111111111111111111111111111111111")},
		{Number: github.Int(7), State: github.String("closed"), MergeCommitSHA: github.String(sha), MergedAt: &github.Timestamp{Time: merged}},
	}
	p, _, summary := newPublisher(f)
	out := p.PublishDeploy(context.Background(), "example", "peering", sha, "Deployed 2 routers.")
	if len(out.Problems) > 0 || !out.CommentCreated {
		t.Fatalf("outcome %+v", out)
	}
	if got := f.seen("POST "); !reflect.DeepEqual(got, []string{"POST /repos/example/peering/issues/7/comments"}) {
		t.Errorf("writes = %q, want one comment on #7", got)
	}
	if body := f.comments[0].GetBody(); body != DeployMarker+"\nDeployed 2 routers." {
		t.Errorf("body = %q", body)
	}
	if _, err := os.Stat(summary); err == nil {
		t.Error("summary written although the comment was posted")
	}

	// A commit no pull request merged: the summary only.
	f.pulls = nil
	out = p.PublishDeploy(context.Background(), "example", "peering", sha, "Deployed.")
	if !out.Summary || out.CommentID != 0 {
		t.Errorf("outcome %+v", out)
	}
}
