package review

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
)

// Clock is the time source of the rate-limit backoff; tests pass a fake
// one that records sleeps instead of waiting.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, whichever comes first.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d unless ctx ends first.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Defaults for Publisher's zero fields.
const (
	DefaultCheckName   = "peerctl review"
	DefaultMaxWait     = 5 * time.Minute
	DefaultMaxAttempts = 5
	// AnnotationsPerRequest is GitHub's limit on annotations in one
	// create or update of a check run.
	AnnotationsPerRequest = 50
	// MaxAnnotations bounds what one review sends (20 requests).
	MaxAnnotations = 1000
)

// Publisher posts reviews to GitHub. Its methods never fail the caller for
// a posting problem: they log it, fall back to workflow commands on Stdout
// and the job summary file, and say in the returned Outcome what happened.
type Publisher struct {
	// Client is the API client with its token; nil means there is no
	// token and everything goes to the fallbacks.
	Client *github.Client
	// BotLogin, when set, is the only author whose comments are taken as
	// our earlier sticky comment ("github-actions[bot]" in Actions), so a
	// person quoting the marker is never overwritten.
	BotLogin  string
	CheckName string // default DefaultCheckName

	Clock       Clock         // default SystemClock
	MaxWait     time.Duration // longest single wait for a rate limit; default DefaultMaxWait
	MaxAttempts int           // tries per API call; default DefaultMaxAttempts

	// Stdout receives workflow commands (::error file=…::) when the check
	// run cannot be created; nil discards them.
	Stdout io.Writer
	// SummaryPath is $GITHUB_STEP_SUMMARY; the report is appended there
	// when the comment cannot be posted. Empty: no summary file.
	SummaryPath string
	Logger      *slog.Logger
}

// Target is the pull request a review is about.
type Target struct {
	Owner, Repo string
	Number      int
	// HeadSHA is the pull request's head commit (pull_request.head.sha),
	// where the check run shows; not GITHUB_SHA, which is a merge commit.
	HeadSHA string
}

// Outcome says where a review ended up.
type Outcome struct {
	CommentID      int64
	CommentCreated bool // false: an earlier comment was edited
	CheckRunID     int64
	Annotations    int // sent with the check run
	// Summary and Commands are true when the fallbacks were used: the
	// report went to the job summary, the findings to workflow commands.
	Summary, Commands bool
	// Problems are the posting failures, as logged.
	Problems []string
}

// Publish posts the report body as the sticky comment and the findings as
// a check run on the head commit. Each part falls back on its own.
func (p *Publisher) Publish(ctx context.Context, t Target, body string, verdict Verdict, findings []Finding) Outcome {
	var out Outcome
	if p.Client == nil {
		out.Problems = append(out.Problems, "no GitHub token: nothing is posted; see the job summary and the annotations")
		p.log().Warn("no GitHub token; writing the report to the job summary and findings as workflow commands")
		p.fallbackSummary(body, &out)
		p.fallbackCommands(findings, &out)
		return out
	}
	id, created, err := p.upsertComment(ctx, t.Owner, t.Repo, t.Number, Marker, body)
	if err != nil {
		p.problem(&out, "posting the review comment", err)
		p.fallbackSummary(body, &out)
	} else {
		out.CommentID, out.CommentCreated = id, created
	}
	checkID, sent, err := p.checkRun(ctx, t, verdict, findings, body)
	out.CheckRunID, out.Annotations = checkID, sent
	if err != nil {
		p.problem(&out, "creating the check run", err)
		p.fallbackCommands(findings, &out)
	}
	return out
}

// PublishDeploy posts a deploy outcome on the pull requests that brought
// commit sha into the branch (normally the one merged PR), as a sticky
// comment of its own.
func (p *Publisher) PublishDeploy(ctx context.Context, owner, repo, sha, body string) Outcome {
	var out Outcome
	if !strings.HasPrefix(body, DeployMarker) {
		body = DeployMarker + "\n" + body
	}
	if p.Client == nil {
		out.Problems = append(out.Problems, "no GitHub token: the deploy outcome goes to the job summary only")
		p.fallbackSummary(body, &out)
		return out
	}
	var prs []*github.PullRequest
	err := p.call(ctx, "listing pull requests of "+shortRev(sha, "?"), func(ctx context.Context) (*github.Response, error) {
		var resp *github.Response
		var err error
		prs, resp, err = p.Client.PullRequests.ListPullRequestsWithCommit(ctx, owner, repo, sha, &github.ListOptions{PerPage: 100})
		return resp, err
	})
	if err != nil {
		p.problem(&out, "finding the merged pull request", err)
		p.fallbackSummary(body, &out)
		return out
	}
	// Only the pull request this commit merged, not every open one that
	// happens to contain it: the one whose merge commit it is, else any
	// merged one (a rebase merge records its last commit).
	var merged []*github.PullRequest
	for _, pr := range prs {
		if pr.GetMergeCommitSHA() == sha {
			merged = append(merged, pr)
		}
	}
	if len(merged) == 0 {
		for _, pr := range prs {
			if pr.MergedAt != nil {
				merged = append(merged, pr)
			}
		}
	}
	posted := false
	for _, pr := range merged {
		id, created, err := p.upsertComment(ctx, owner, repo, pr.GetNumber(), DeployMarker, body)
		if err != nil {
			p.problem(&out, fmt.Sprintf("commenting on pull request #%d", pr.GetNumber()), err)
			continue
		}
		out.CommentID, out.CommentCreated, posted = id, created, true
	}
	if !posted {
		if len(merged) == 0 {
			p.log().Info("no merged pull request contains this commit; the outcome goes to the job summary", "sha", sha)
		}
		p.fallbackSummary(body, &out)
	}
	return out
}

// upsertComment edits our earlier comment carrying marker, or creates one.
// Comments are listed 100 per page, oldest first; the first match wins.
func (p *Publisher) upsertComment(ctx context.Context, owner, repo string, number int, marker, body string) (int64, bool, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	var found int64
	for found == 0 {
		var page []*github.IssueComment
		var next int
		err := p.call(ctx, "listing comments", func(ctx context.Context) (*github.Response, error) {
			var resp *github.Response
			var err error
			page, resp, err = p.Client.Issues.ListComments(ctx, owner, repo, number, opts)
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return 0, false, err
		}
		for _, c := range page {
			if strings.HasPrefix(strings.TrimSpace(c.GetBody()), marker) &&
				(p.BotLogin == "" || strings.EqualFold(c.GetUser().GetLogin(), p.BotLogin)) {
				found = c.GetID()
				break
			}
		}
		if next == 0 {
			break
		}
		opts.Page = next
	}
	comment := &github.IssueComment{Body: github.String(body)}
	if found != 0 {
		err := p.call(ctx, "editing the comment", func(ctx context.Context) (*github.Response, error) {
			_, resp, err := p.Client.Issues.EditComment(ctx, owner, repo, found, comment)
			return resp, err
		})
		return found, false, err
	}
	var created *github.IssueComment
	err := p.call(ctx, "creating the comment", func(ctx context.Context) (*github.Response, error) {
		var resp *github.Response
		var err error
		created, resp, err = p.Client.Issues.CreateComment(ctx, owner, repo, number, comment)
		return resp, err
	})
	if err != nil {
		return 0, false, err
	}
	return created.GetID(), true, nil
}

// checkRun creates a check run on the head commit with the findings as
// annotations: the first 50 with the create call, 50 more with each update
// (GitHub appends them), the conclusion with the last call.
func (p *Publisher) checkRun(ctx context.Context, t Target, verdict Verdict, findings []Finding, body string) (int64, int, error) {
	anns := Annotations(findings)
	if len(anns) > MaxAnnotations {
		anns = anns[:MaxAnnotations]
	}
	batches := [][]*github.CheckRunAnnotation{nil}
	for i := 0; i < len(anns); i += AnnotationsPerRequest {
		batch := anns[i:min(i+AnnotationsPerRequest, len(anns))]
		if i == 0 {
			batches[0] = batch
		} else {
			batches = append(batches, batch)
		}
	}
	name := p.CheckName
	if name == "" {
		name = DefaultCheckName
	}
	title, summary := checkText(verdict, findings, len(anns))
	output := func(batch []*github.CheckRunAnnotation) *github.CheckRunOutput {
		return &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary), Annotations: batch}
	}
	status := func(last bool) (*string, *string) {
		if last {
			return github.String("completed"), github.String(verdict.Conclusion())
		}
		return github.String("in_progress"), nil
	}

	var id int64
	sent := 0
	st, concl := status(len(batches) == 1)
	err := p.call(ctx, "creating the check run", func(ctx context.Context) (*github.Response, error) {
		run, resp, err := p.Client.Checks.CreateCheckRun(ctx, t.Owner, t.Repo, github.CreateCheckRunOptions{
			Name: name, HeadSHA: t.HeadSHA, Status: st, Conclusion: concl, Output: output(batches[0]),
		})
		id = run.GetID()
		return resp, err
	})
	if err != nil {
		return 0, 0, err
	}
	sent += len(batches[0])
	for i, batch := range batches[1:] {
		st, concl := status(i == len(batches)-2)
		err := p.call(ctx, "adding annotations", func(ctx context.Context) (*github.Response, error) {
			_, resp, err := p.Client.Checks.UpdateCheckRun(ctx, t.Owner, t.Repo, id, github.UpdateCheckRunOptions{
				Name: name, Status: st, Conclusion: concl, Output: output(batch),
			})
			return resp, err
		})
		if err != nil {
			return id, sent, err
		}
		sent += len(batch)
	}
	return id, sent, nil
}

// checkText is the check run's title and summary: the verdict and counts;
// the full report is the comment.
func checkText(v Verdict, findings []Finding, annotated int) (string, string) {
	errs, warns := countFindings(findings)
	title := fmt.Sprintf("%s, %s", plural(errs, "error"), plural(warns, "warning"))
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** — %s.\n\n", verdictWord(v), title)
	if annotated < len(findings) {
		fmt.Fprintf(&b, "%d of %d findings are annotated here (the rest have no file, or exceed the limit of %d); the pull request comment lists them.\n",
			annotated, len(findings), MaxAnnotations)
	}
	b.WriteString("The pull request comment has the scores, the router diffs and the data used.\n")
	return title, b.String()
}

func verdictWord(v Verdict) string {
	switch v {
	case Fail:
		return "Not ready to merge"
	case Warn:
		return "Ready to merge, with warnings"
	}
	return "Ready to merge"
}

// Annotations converts findings that have a file into check-run
// annotations. GitHub accepts columns only on single-line annotations.
func Annotations(findings []Finding) []*github.CheckRunAnnotation {
	var out []*github.CheckRunAnnotation
	for _, f := range findings {
		if f.File == "" {
			continue
		}
		start := max(f.Line, 1)
		end := max(f.EndLine, start)
		a := &github.CheckRunAnnotation{
			Path:            github.String(f.File),
			StartLine:       github.Int(start),
			EndLine:         github.Int(end),
			AnnotationLevel: github.String(annotationLevel(f.Severity)),
			Message:         github.String(bounded(firstNonEmpty(f.Message, f.Title), 60000)),
			Title:           github.String(bounded(oneLine(f.Title), 255)),
		}
		if start == end && f.Col > 0 {
			a.StartColumn = github.Int(f.Col)
			a.EndColumn = github.Int(max(f.EndCol, f.Col))
		}
		out = append(out, a)
	}
	return out
}

func annotationLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "failure"
	case SeverityWarning:
		return "warning"
	}
	return "notice"
}

func firstNonEmpty(a, b string) string {
	if strings.TrimSpace(a) != "" {
		return a
	}
	return b
}

func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// call runs one API call, waiting out rate limits: until the reset time for
// the primary limit, Retry-After (or a minute, doubling) for the secondary
// one, a short doubling pause for server errors. A wait longer than MaxWait
// or too many attempts gives up with the last error.
func (p *Publisher) call(ctx context.Context, what string, fn func(context.Context) (*github.Response, error)) error {
	attempts := p.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	for attempt := 1; ; attempt++ {
		_, err := fn(ctx)
		if err == nil {
			return nil
		}
		wait, retry := p.backoff(err, attempt)
		if !retry || attempt >= attempts || ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		p.log().Warn("GitHub asks us to slow down; waiting", "call", what, "wait", wait.String(), "attempt", attempt)
		if err := p.clock().Sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

func (p *Publisher) backoff(err error, attempt int) (time.Duration, bool) {
	maxWait := p.MaxWait
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	var wait time.Duration
	var rle *github.RateLimitError
	var are *github.AbuseRateLimitError
	var ere *github.ErrorResponse
	switch {
	case errors.As(err, &rle):
		// One second past the reset, since the reset time is whole
		// seconds and clocks differ.
		wait = max(rle.Rate.Reset.Time.Sub(p.clock().Now())+time.Second, time.Second)
	case errors.As(err, &are):
		wait = are.GetRetryAfter()
		if wait <= 0 {
			// GitHub's guidance without Retry-After: at least a minute,
			// growing exponentially.
			wait = time.Minute << (attempt - 1)
		}
	case errors.As(err, &ere) && ere.Response != nil && ere.Response.StatusCode >= 500:
		wait = time.Second << (attempt - 1)
	default:
		return 0, false
	}
	if wait > maxWait {
		p.log().Warn("GitHub rate limit resets too late to wait for", "wait", wait.String(), "max_wait", maxWait.String())
		return 0, false
	}
	return wait, true
}

func (p *Publisher) problem(out *Outcome, what string, err error) {
	msg := what + ": " + err.Error()
	var ere *github.ErrorResponse
	if errors.As(err, &ere) && ere.Response != nil && ere.Response.StatusCode == http.StatusForbidden {
		msg = what + ": the token may not write here (a pull request from a fork gets a read-only token): " + ere.Message
	}
	out.Problems = append(out.Problems, msg)
	p.log().Warn("could not post to GitHub; using the fallback", "problem", msg)
}

// fallbackSummary appends the report to the job summary.
func (p *Publisher) fallbackSummary(body string, out *Outcome) {
	if p.SummaryPath == "" {
		p.log().Warn("no job summary file ($GITHUB_STEP_SUMMARY) to write the report to")
		return
	}
	f, err := os.OpenFile(p.SummaryPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, err = io.WriteString(f, body+"\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		out.Problems = append(out.Problems, "writing the job summary: "+err.Error())
		p.log().Warn("could not write the job summary", "err", err)
		return
	}
	out.Summary = true
}

// fallbackCommands prints the findings as workflow commands, which the
// Actions runner turns into annotations without any token.
func (p *Publisher) fallbackCommands(findings []Finding, out *Outcome) {
	if p.Stdout == nil {
		return
	}
	if err := WriteWorkflowCommands(p.Stdout, findings); err != nil {
		out.Problems = append(out.Problems, "writing workflow commands: "+err.Error())
		return
	}
	out.Commands = true
}

func (p *Publisher) clock() Clock {
	if p.Clock == nil {
		return SystemClock{}
	}
	return p.Clock
}

func (p *Publisher) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}
