package review

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
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
	DefaultCheckName   = "peerform review"
	DefaultMaxWait     = 5 * time.Minute
	DefaultMaxAttempts = 5
	// DefaultCallTimeout bounds one request to the API, its answer
	// included; DefaultDeadline everything one Publish does.
	DefaultCallTimeout = 30 * time.Second
	DefaultDeadline    = 5 * time.Minute
	// DefaultWriteGap is the least time between two content-creating
	// requests that GitHub asks integrations to keep.
	DefaultWriteGap = time.Second
	// AnnotationsPerRequest is GitHub's limit on annotations in one
	// create or update of a check run.
	AnnotationsPerRequest = 50
	// MaxAnnotations bounds what one review sends (20 requests).
	MaxAnnotations = 1000
	// maxCommentPages bounds the pages of comments searched for ours.
	maxCommentPages = 50
)

// Publisher posts reviews to GitHub. Its methods never fail the caller for
// a posting problem: they log it, fall back to workflow commands on Stdout
// and the job summary file, and say in the returned Outcome what happened.
//
// Nothing it does can hang or wedge the pull request: every request has a
// time limit and a Publish a deadline; a check run is created already
// completed, with its conclusion, so that lost annotation batches cannot
// leave it in progress; a write that may have been carried out (no
// answer, a server error) is looked for before it is made again; writes
// are paced as GitHub asks.
type Publisher struct {
	// Client is the API client; Connect sets it up. Nil means there is no
	// token and everything goes to the fallbacks.
	Client *github.Client
	// BotLogin, when set, is the author whose comments are taken as our
	// earlier ones. When empty, it is the token's own account: GET /user,
	// or for an App installation token (GitHub Actions' GITHUB_TOKEN) the
	// App's bot user, "<slug>[bot]" from GET /app. A person quoting the
	// marker is never overwritten.
	BotLogin  string
	CheckName string // default DefaultCheckName

	Clock       Clock         // default SystemClock; paces writes and waits out limits
	MaxWait     time.Duration // longest single wait for a rate limit; default DefaultMaxWait
	MaxAttempts int           // tries per request; default DefaultMaxAttempts
	CallTimeout time.Duration // per request; default DefaultCallTimeout
	Deadline    time.Duration // per Publish or PublishDeploy; default DefaultDeadline
	WriteGap    time.Duration // between writes; default DefaultWriteGap

	// Stdout receives workflow commands (::error file=…::) when the check
	// run cannot be created; nil discards them.
	Stdout io.Writer
	// SummaryPath is $GITHUB_STEP_SUMMARY; the report is appended there
	// when the comment cannot be posted. Empty: no summary file.
	SummaryPath string
	Logger      *slog.Logger

	self  string    // the token's login, once known
	until time.Time // the deadline of the current Publish, by Clock
}

// Connect sets up Client for token against apiURL ($GITHUB_API_URL; empty
// for github.com) over base (nil: http.DefaultTransport), with the
// Publisher's time limits, pacing and retries.
func (p *Publisher) Connect(token, apiURL string, base http.RoundTripper) error {
	if base == nil {
		base = http.DefaultTransport
	}
	c, err := NewClient(token, apiURL, &http.Client{Transport: &transport{base: base, p: p}})
	if err != nil {
		return err
	}
	p.Client = c
	return nil
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

// Publish posts the report as the sticky comment and its findings as a
// check run on the head commit. Each part falls back on its own: the
// comment to the job summary, the check run to workflow-command
// annotations; the report then says where its findings are.
func (p *Publisher) Publish(ctx context.Context, t Target, r Report) Outcome {
	var out Outcome
	if p.Client == nil {
		out.Problems = append(out.Problems, "no GitHub token: nothing is posted; see the job summary and the annotations")
		p.log().Warn("no GitHub token; writing the report to the job summary and findings as workflow commands")
		p.fallbackCommands(r.Findings, &out)
		p.fallbackSummary(fallbackReport(r, "there is no GitHub token to post with", p.findingsWhere(out)), &out)
		return out
	}
	ctx, cancel := p.start(ctx)
	defer cancel()
	id, created, commentErr := p.upsertComment(ctx, t.Owner, t.Repo, t.Number, Marker, Markdown(r, 0))
	if commentErr != nil {
		p.problem(&out, "posting the review comment", commentErr)
	} else {
		out.CommentID, out.CommentCreated = id, created
	}
	checkID, sent, err := p.checkRun(ctx, t, r.Verdict, r.Findings, commentErr == nil)
	out.CheckRunID, out.Annotations = checkID, sent
	if err != nil {
		p.problem(&out, "creating the check run", err)
		p.fallbackCommands(r.Findings, &out)
	}
	if commentErr != nil {
		why := "the pull request comment could not be posted (" + bounded(oneLine(commentErr.Error()), 300) + ")"
		p.fallbackSummary(fallbackReport(r, why, p.findingsWhere(out)), &out)
	}
	return out
}

// start bounds one Publish or PublishDeploy by the Deadline: the time
// spent on requests (the context) and the time spent waiting out rate
// limits (the clock, which tests replace).
func (p *Publisher) start(ctx context.Context) (context.Context, context.CancelFunc) {
	p.until = p.clock().Now().Add(p.deadline())
	return context.WithTimeout(ctx, p.deadline())
}

// findingsWhere says where the findings went, once posting is over.
func (p *Publisher) findingsWhere(out Outcome) string {
	switch {
	case out.Commands:
		return "annotations of this workflow run (on the files, in the run's summary)"
	case out.CheckRunID != 0:
		return "annotations of the check run “" + p.checkName() + "”"
	}
	return "not posted anywhere; run `peerform validate` to list them"
}

// fallbackReport is the report for the job summary: it says why it is
// there and where its findings really are.
func fallbackReport(r Report, why, where string) string {
	r.Fallback = "they are " + where
	r.Notes = append([]string{"This report is in the job summary because " + why + ". Its findings are " + where + "."}, r.Notes...)
	return Markdown(r, 0)
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
	ctx, cancel := p.start(ctx)
	defer cancel()
	prs, _, err := p.Client.PullRequests.ListPullRequestsWithCommit(ctx, owner, repo, sha, &github.ListOptions{PerPage: 100})
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

// identity is the login whose comments are ours: BotLogin, else the
// token's own account, else "" when GitHub does not say (then only bot
// accounts' comments are taken, see ours).
func (p *Publisher) identity(ctx context.Context) string {
	if p.BotLogin != "" {
		return p.BotLogin
	}
	if p.self != "" {
		return p.self
	}
	u, _, err := p.Client.Users.Get(ctx, "")
	if err == nil && u.GetLogin() != "" {
		p.self = u.GetLogin()
		return p.self
	}
	// An App installation token (GitHub Actions' GITHUB_TOKEN) has no
	// user (GitHub refuses GET /user); its comments are by the App's bot
	// user. Without an answer at all, asking again is no use.
	var ere *github.ErrorResponse
	if errors.As(err, &ere) && ere.Response != nil && ere.Response.StatusCode < 500 {
		if app, _, err := p.Client.Apps.Get(ctx, ""); err == nil && app.GetSlug() != "" {
			p.self = app.GetSlug() + "[bot]"
			return p.self
		}
	}
	p.log().Warn("GitHub does not say whose token this is; taking a bot account's comment with our marker as ours")
	return ""
}

// ours reports whether a comment is our earlier one: it starts with the
// marker and is by us (by a bot account when we cannot tell who we are).
func ours(c *github.IssueComment, marker, me string) bool {
	body := strings.TrimSpace(c.GetBody())
	if !strings.HasPrefix(body, marker) && (legacyMarkers[marker] == "" || !strings.HasPrefix(body, legacyMarkers[marker])) {
		return false
	}
	if me == "" {
		return c.GetUser().GetType() == "Bot"
	}
	return strings.EqualFold(c.GetUser().GetLogin(), me)
}

// findComment returns the id of our earliest comment carrying marker, or 0.
func (p *Publisher) findComment(ctx context.Context, owner, repo string, number int, marker, me string) (int64, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for range maxCommentPages {
		page, resp, err := p.Client.Issues.ListComments(ctx, owner, repo, number, opts)
		if err != nil {
			return 0, fmt.Errorf("listing comments: %w", err)
		}
		for _, c := range page {
			if ours(c, marker, me) {
				return c.GetID(), nil
			}
		}
		if resp.NextPage == 0 {
			return 0, nil
		}
		opts.Page = resp.NextPage
	}
	return 0, nil
}

// upsertComment edits our earlier comment carrying marker, or creates one.
// A create that may have been carried out (no answer, a server error) is
// looked for before it is tried again, so that a retry never leaves two
// comments.
func (p *Publisher) upsertComment(ctx context.Context, owner, repo string, number int, marker, body string) (int64, bool, error) {
	me := p.identity(ctx)
	found, err := p.findComment(ctx, owner, repo, number, marker, me)
	if err != nil {
		return 0, false, err
	}
	if found != 0 {
		return found, false, p.editComment(ctx, owner, repo, found, body)
	}
	comment := &github.IssueComment{Body: github.String(body)}
	for attempt := 1; ; attempt++ {
		created, _, err := p.Client.Issues.CreateComment(ctx, owner, repo, number, comment)
		if err == nil {
			return created.GetID(), true, nil
		}
		if !uncertain(ctx, err) || attempt >= p.maxAttempts() {
			return 0, false, fmt.Errorf("creating the comment: %w", err)
		}
		p.log().Warn("the comment may or may not have been created; looking for it", "err", err)
		if err := p.clock().Sleep(ctx, time.Second<<(attempt-1)); err != nil {
			return 0, false, err
		}
		if found, ferr := p.findComment(ctx, owner, repo, number, marker, me); ferr == nil && found != 0 {
			return found, true, p.editComment(ctx, owner, repo, found, body)
		}
	}
}

// editComment sets a comment's body; an edit is the same whatever was
// carried out before, so an uncertain one is simply tried again.
func (p *Publisher) editComment(ctx context.Context, owner, repo string, id int64, body string) error {
	for attempt := 1; ; attempt++ {
		_, _, err := p.Client.Issues.EditComment(ctx, owner, repo, id, &github.IssueComment{Body: github.String(body)})
		if err == nil {
			return nil
		}
		if !uncertain(ctx, err) || attempt >= p.maxAttempts() {
			return fmt.Errorf("editing the comment: %w", err)
		}
		if err := p.clock().Sleep(ctx, time.Second<<(attempt-1)); err != nil {
			return err
		}
	}
}

// uncertain reports whether a failed write may have been carried out all
// the same: it got no answer, or a server error. A 4xx answer (rate
// limits included) means it was not.
func uncertain(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false // out of time: nothing more is tried
	}
	var rle *github.RateLimitError
	var are *github.AbuseRateLimitError
	var ere *github.ErrorResponse
	switch {
	case errors.As(err, &rle), errors.As(err, &are):
		return false
	case errors.As(err, &ere):
		return ere.Response != nil && ere.Response.StatusCode >= 500
	}
	return true
}

// checkRun creates a check run on the head commit, completed at once with
// the verdict's conclusion and the first 50 annotations; the rest follow
// 50 per update (GitHub appends them). A run that exists is therefore
// always completed, whatever happens to later batches. A create that may
// have been carried out is found by its external id before it is tried
// again.
func (p *Publisher) checkRun(ctx context.Context, t Target, verdict Verdict, findings []Finding, commented bool) (int64, int, error) {
	anns := Annotations(findings)
	if len(anns) > MaxAnnotations {
		anns = anns[:MaxAnnotations]
	}
	var batches [][]*github.CheckRunAnnotation
	for i := 0; i < len(anns); i += AnnotationsPerRequest {
		batches = append(batches, anns[i:min(i+AnnotationsPerRequest, len(anns))])
	}
	if len(batches) == 0 {
		batches = [][]*github.CheckRunAnnotation{nil}
	}
	title, summary := checkText(verdict, findings, len(anns), commented)
	output := func(batch []*github.CheckRunAnnotation) *github.CheckRunOutput {
		return &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary), Annotations: batch}
	}
	externalID := "peerform-review-" + randomID()
	opts := github.CreateCheckRunOptions{
		Name: p.checkName(), HeadSHA: t.HeadSHA, ExternalID: github.String(externalID),
		Status: github.String("completed"), Conclusion: github.String(verdict.Conclusion()), Output: output(batches[0]),
	}
	var id int64
	for attempt := 1; id == 0; attempt++ {
		run, _, err := p.Client.Checks.CreateCheckRun(ctx, t.Owner, t.Repo, opts)
		if err == nil {
			id = run.GetID()
			break
		}
		if !uncertain(ctx, err) || attempt >= p.maxAttempts() {
			return 0, 0, fmt.Errorf("creating the check run: %w", err)
		}
		p.log().Warn("the check run may or may not have been created; looking for it", "err", err)
		if err := p.clock().Sleep(ctx, time.Second<<(attempt-1)); err != nil {
			return 0, 0, err
		}
		id, _ = p.findCheckRun(ctx, t, externalID)
	}
	sent := len(batches[0])
	for _, batch := range batches[1:] {
		_, _, err := p.Client.Checks.UpdateCheckRun(ctx, t.Owner, t.Repo, id, github.UpdateCheckRunOptions{
			Name: p.checkName(), Output: output(batch),
		})
		if err != nil {
			// An uncertain batch is not sent again: annotations are
			// appended, and a duplicate is worse than a missing one,
			// which the comment lists anyway.
			return id, sent, fmt.Errorf("adding annotations (%d of %d sent): %w", sent, len(anns), err)
		}
		sent += len(batch)
	}
	return id, sent, nil
}

// findCheckRun looks for the check run with our external id on the head
// commit; 0 when there is none.
func (p *Publisher) findCheckRun(ctx context.Context, t Target, externalID string) (int64, error) {
	res, _, err := p.Client.Checks.ListCheckRunsForRef(ctx, t.Owner, t.Repo, t.HeadSHA, &github.ListCheckRunsOptions{
		CheckName: github.String(p.checkName()), Filter: github.String("all"), ListOptions: github.ListOptions{PerPage: 100},
	})
	if err != nil {
		return 0, err
	}
	for _, r := range res.CheckRuns {
		if r.GetExternalID() == externalID {
			return r.GetID(), nil
		}
	}
	return 0, nil
}

// randomID names one publication, for finding its check run again.
func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkText is the check run's title and summary: the verdict and counts;
// the full report is the comment (or the job summary when commenting
// failed).
func checkText(v Verdict, findings []Finding, annotated int, commented bool) (string, string) {
	errs, warns := countFindings(findings)
	title := fmt.Sprintf("%s, %s", plural(errs, "error"), plural(warns, "warning"))
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** — %s.\n\n", verdictWord(v), title)
	if annotated < len(findings) {
		fmt.Fprintf(&b, "%d of %d findings are annotated here (the rest have no file, or exceed the limit of %d); the report lists them.\n",
			annotated, len(findings), MaxAnnotations)
	}
	if commented {
		b.WriteString("The pull request comment has the scores, the router diffs and the data used.\n")
	} else {
		b.WriteString("The pull request comment could not be posted: the job summary of the workflow run has the full report.\n")
	}
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

func (p *Publisher) checkName() string      { return cmp.Or(p.CheckName, DefaultCheckName) }
func (p *Publisher) maxWait() time.Duration { return cmp.Or(p.MaxWait, DefaultMaxWait) }
func (p *Publisher) maxAttempts() int       { return max(cmp.Or(p.MaxAttempts, DefaultMaxAttempts), 1) }
func (p *Publisher) callTimeout() time.Duration {
	return cmp.Or(p.CallTimeout, DefaultCallTimeout)
}
func (p *Publisher) deadline() time.Duration { return cmp.Or(p.Deadline, DefaultDeadline) }
func (p *Publisher) writeGap() time.Duration { return cmp.Or(p.WriteGap, DefaultWriteGap) }
