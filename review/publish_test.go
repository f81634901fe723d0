package review

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

var testTarget = Target{Owner: "example", Repo: "peering", Number: 7, HeadSHA: "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d"}

func newPublisher(f *fakeGitHub, clock *fakeClock) (*Publisher, *bytes.Buffer, string) {
	stdout := &bytes.Buffer{}
	summary := filepath.Join(f.t.TempDir(), "step_summary.md")
	return &Publisher{
		Client: f.client(), BotLogin: "github-actions[bot]", Clock: clock,
		Stdout: stdout, SummaryPath: summary,
	}, stdout, summary
}

func findings(n int) []Finding {
	out := make([]Finding, n)
	for i := range out {
		out[i] = Finding{Severity: SeverityError, File: fmt.Sprintf("peers/AS%d.hcl", 64600+i), Line: 3, Col: 3, EndLine: 3, EndCol: 9,
			Title: "Unsupported argument", Message: `An argument named "md5" is not expected here.`}
	}
	return out
}

// TestStickyComment: the first run creates the comment, the second run
// finds it among 150 others (two pages of 100) and edits it.
func TestStickyComment(t *testing.T) {
	f := newFakeGitHub(t)
	f.addComments(120, "octocat", func(i int) string {
		if i == 10 {
			// A person quoting our marker must not be taken for us.
			return Marker + "\nquoted by a human"
		}
		return fmt.Sprintf("looks good %d; mentions %s in passing", i, Marker)
	})
	f.addComments(30, "github-actions[bot]", func(i int) string { return "another bot message" })
	clock := &fakeClock{now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	p, _, _ := newPublisher(f, clock)

	first := Marker + "\nfirst review"
	out := p.Publish(context.Background(), testTarget, first, Pass, nil)
	if len(out.Problems) > 0 || !out.CommentCreated || out.CommentID == 0 {
		t.Fatalf("first run: %+v", out)
	}
	if got := f.seen("GET /repos/example/peering/issues/7/comments"); !reflect.DeepEqual(got, []string{
		"GET /repos/example/peering/issues/7/comments?per_page=100",
		"GET /repos/example/peering/issues/7/comments?page=2&per_page=100",
	}) {
		t.Errorf("first run listed %q, want two pages of 100", got)
	}
	if n := len(f.seen("POST /repos/example/peering/issues/7/comments")); n != 1 {
		t.Errorf("first run created %d comments, want 1", n)
	}

	// A second push: the comment is the 151st, on the second page.
	p2, _, _ := newPublisher(f, clock)
	second := Marker + "\nsecond review"
	out2 := p2.Publish(context.Background(), testTarget, second, Fail, nil)
	if len(out2.Problems) > 0 || out2.CommentCreated || out2.CommentID != out.CommentID {
		t.Fatalf("second run: %+v, want an edit of comment %d", out2, out.CommentID)
	}
	if n := len(f.seen("POST /repos/example/peering/issues/7/comments")); n != 1 {
		t.Errorf("%d comments created in total, want 1", n)
	}
	if got := f.seen("PATCH /repos/example/peering/issues/comments/"); !reflect.DeepEqual(got,
		[]string{fmt.Sprintf("PATCH /repos/example/peering/issues/comments/%d", out.CommentID)}) {
		t.Errorf("edits = %q", got)
	}
	if len(f.comments) != 151 || f.comments[150].GetBody() != second {
		t.Errorf("comments: %d, last = %q", len(f.comments), f.comments[150].GetBody())
	}
	if f.comments[10].GetBody() != Marker+"\nquoted by a human" {
		t.Error("a human's comment quoting the marker was edited")
	}
	for _, a := range f.auth {
		if a != "Bearer test-token" {
			t.Fatalf("Authorization = %q", a)
		}
	}
}

// TestAnnotationBatches: 120 located findings go out as 50 + 50 + 20, the
// run completes with the last request only; findings without a file are
// not annotated.
func TestAnnotationBatches(t *testing.T) {
	f := newFakeGitHub(t)
	p, stdout, _ := newPublisher(f, &fakeClock{now: time.Now()})
	fs := append(findings(120), Finding{Severity: SeverityWarning, Title: "IRR server whois.radb.net did not answer"})
	fs[0].EndLine = 5 // multi-line: no columns allowed
	out := p.Publish(context.Background(), testTarget, Marker+"\nbody", Fail, fs)
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
	if want := []string{"in_progress", "in_progress", "completed"}; !reflect.DeepEqual(run.StatusesByRequest, want) {
		t.Errorf("statuses = %v, want %v", run.StatusesByRequest, want)
	}
	if run.Conclusion != "failure" || run.HeadSHA != testTarget.HeadSHA || run.Name != DefaultCheckName {
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

	// Few findings: one request, completed at once.
	f2 := newFakeGitHub(t)
	p2, _, _ := newPublisher(f2, &fakeClock{now: time.Now()})
	out2 := p2.Publish(context.Background(), testTarget, Marker+"\nbody", Warn, findings(3))
	run2 := f2.runs[out2.CheckRunID]
	if run2 == nil || !reflect.DeepEqual(run2.Batches, []int{3}) || run2.Conclusion != "neutral" {
		t.Errorf("small run = %+v", run2)
	}
}

// TestPrimaryRateLimitRetriedAfterReset: a 403 with X-RateLimit-Remaining 0
// is retried once the reset time has passed, by the injected clock.
func TestPrimaryRateLimitRetriedAfterReset(t *testing.T) {
	f := newFakeGitHub(t)
	// The reset lies in the real past, so go-github's own "don't call
	// before the reset" memory (which reads the wall clock) lets the
	// retry through; the injected clock says the reset is 90 s away.
	reset := time.Now().Add(-time.Hour).Truncate(time.Second)
	clock := &fakeClock{now: reset.Add(-90 * time.Second)}
	f.rateLimited("POST /repos/example/peering/issues/7/comments", reset)
	f.rateLimited("POST /repos/example/peering/check-runs", reset.Add(30*time.Second))
	p, _, summary := newPublisher(f, clock)
	out := p.Publish(context.Background(), testTarget, Marker+"\nbody", Pass, findings(1))
	if len(out.Problems) > 0 || !out.CommentCreated || out.CheckRunID == 0 || out.Summary {
		t.Fatalf("outcome %+v", out)
	}
	// 90 s to the comment's reset plus a second; the check run's reset is
	// 30 s after that one, so 29 s after the clock moved on, plus a second.
	if want := []time.Duration{91 * time.Second, 30 * time.Second}; !reflect.DeepEqual(clock.sleeps, want) {
		t.Errorf("slept %v, want %v", clock.sleeps, want)
	}
	if n := len(f.seen("POST /repos/example/peering/issues/7/comments")); n != 2 {
		t.Errorf("comment POSTs = %d, want 2 (limited, then retried)", n)
	}
	if _, err := os.Stat(summary); err == nil {
		t.Error("job summary written although the comment was posted")
	}
}

func TestRateLimitTooFarAwayFallsBack(t *testing.T) {
	f := newFakeGitHub(t)
	reset := time.Now().Add(-time.Hour).Truncate(time.Second)
	clock := &fakeClock{now: reset.Add(-50 * time.Minute)}
	f.rateLimited("GET /repos/example/peering/issues/7/comments", reset)
	p, _, summary := newPublisher(f, clock)
	out := p.Publish(context.Background(), testTarget, Marker+"\nthe report", Pass, nil)
	if len(clock.sleeps) != 0 {
		t.Errorf("waited %v for a reset 50 minutes away; the limit is %v", clock.sleeps, DefaultMaxWait)
	}
	if !out.Summary || len(out.Problems) != 1 || !strings.Contains(out.Problems[0], "rate limit") {
		t.Errorf("outcome %+v", out)
	}
	if b, _ := os.ReadFile(summary); !strings.Contains(string(b), "the report") {
		t.Errorf("summary = %q", b)
	}
}

func TestSecondaryRateLimitBacksOff(t *testing.T) {
	f := newFakeGitHub(t)
	f.secondaryLimited("POST /repos/example/peering/issues/7/comments")
	f.secondaryLimited("POST /repos/example/peering/issues/7/comments")
	clock := &fakeClock{now: time.Now()}
	p, _, _ := newPublisher(f, clock)
	out := p.Publish(context.Background(), testTarget, Marker+"\nbody", Pass, nil)
	if len(out.Problems) > 0 || !out.CommentCreated {
		t.Fatalf("outcome %+v", out)
	}
	if want := []time.Duration{time.Minute, 2 * time.Minute}; !reflect.DeepEqual(clock.sleeps, want) {
		t.Errorf("slept %v, want %v (a minute, doubling)", clock.sleeps, want)
	}
}

func TestBackoff(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	p := &Publisher{Clock: &fakeClock{now: now}}
	thirty := 30 * time.Second
	for _, tc := range []struct {
		name    string
		err     error
		attempt int
		want    time.Duration
		retry   bool
	}{
		{"primary", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(2 * time.Minute)}}}, 1, 2*time.Minute + time.Second, true},
		{"primary-past", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(-time.Minute)}}}, 1, time.Second, true},
		{"primary-too-late", &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(time.Hour)}}}, 1, 0, false},
		{"secondary-retry-after", &github.AbuseRateLimitError{RetryAfter: &thirty}, 1, thirty, true},
		{"secondary-third", &github.AbuseRateLimitError{}, 3, 4 * time.Minute, true},
		{"secondary-too-many", &github.AbuseRateLimitError{}, 4, 0, false},
		{"server-error", &github.ErrorResponse{Response: &http.Response{StatusCode: 502}}, 2, 2 * time.Second, true},
		{"forbidden", &github.ErrorResponse{Response: &http.Response{StatusCode: 403}}, 1, 0, false},
		{"other", errors.New("connection refused"), 1, 0, false},
	} {
		got, retry := p.backoff(fmt.Errorf("wrapped: %w", tc.err), tc.attempt)
		if got != tc.want || retry != tc.retry {
			t.Errorf("%s: backoff = %v, %v; want %v, %v", tc.name, got, retry, tc.want, tc.retry)
		}
	}
}

// TestForkFallsBack: the read-only token of a pull request from a fork
// gets 403 on every write; the report goes to the job summary, the
// findings to workflow commands, and nothing is retried.
func TestForkFallsBack(t *testing.T) {
	f := newFakeGitHub(t)
	f.readOnly = true
	clock := &fakeClock{now: time.Now()}
	p, stdout, summary := newPublisher(f, clock)
	os.WriteFile(summary, []byte("# earlier step\n"), 0o644)
	body := Marker + "\n### ❌ Not ready to merge"
	fs := findings(2)
	fs[1].Message = "line one\nline two with ::warning:: inside, 100%"
	out := p.Publish(context.Background(), testTarget, body, Fail, fs)
	if !out.Summary || !out.Commands || out.CommentID != 0 || out.CheckRunID != 0 {
		t.Fatalf("outcome %+v", out)
	}
	if len(out.Problems) != 2 || !strings.Contains(out.Problems[0], "read-only token") {
		t.Errorf("problems = %q", out.Problems)
	}
	if len(clock.sleeps) != 0 {
		t.Errorf("retried a permission error: slept %v", clock.sleeps)
	}
	if n := len(f.seen("POST ")); n != 2 {
		t.Errorf("%d writes attempted, want 2 (comment, check run)", n)
	}
	got, _ := os.ReadFile(summary)
	if want := "# earlier step\n" + body + "\n"; string(got) != want {
		t.Errorf("summary = %q, want %q", got, want)
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
	out := p.Publish(context.Background(), testTarget, Marker+"\nreport", Fail, findings(1))
	if !out.Summary || !out.Commands || len(out.Problems) != 1 {
		t.Errorf("outcome %+v", out)
	}
	if b, _ := os.ReadFile(summary); string(b) != Marker+"\nreport\n" {
		t.Errorf("summary = %q", b)
	}
	if !strings.HasPrefix(stdout.String(), "::error file=peers/AS64600.hcl,") {
		t.Errorf("stdout = %q", stdout)
	}
}

func TestEnterpriseServer(t *testing.T) {
	f := newFakeGitHub(t)
	c, err := NewClient("ghes-token", f.srv.URL+"/api/v3", f.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	p := &Publisher{Client: c, Clock: &fakeClock{now: time.Now()}}
	out := p.Publish(context.Background(), testTarget, Marker+"\nbody", Pass, nil)
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
	f := newFakeGitHub(t)
	merged := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	f.pulls = []*github.PullRequest{
		{Number: github.Int(12), State: github.String("open"), MergeCommitSHA: github.String("1111111111111111111111111111111111111111")},
		{Number: github.Int(7), State: github.String("closed"), MergeCommitSHA: github.String(sha), MergedAt: &github.Timestamp{Time: merged}},
	}
	p, _, summary := newPublisher(f, &fakeClock{now: time.Now()})
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
