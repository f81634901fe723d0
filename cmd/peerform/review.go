package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/change/review"
	"github.com/peerform/peerform/internal/pipeline"
)

type reviewOptions struct {
	app           *app
	eventFile     string
	base, head    string
	dryRun        bool
	json          bool
	commentDeploy string
	botLogin      string
	env           string
	headRendered  string
	// getenv reads the Actions environment; tests replace it, and the
	// clock and time limit of the GitHub client (nil, 0: the defaults).
	getenv      func(string) string
	clock       review.Clock
	callTimeout time.Duration
}

func newCmdReview(a *app, runF func(*reviewOptions) error) *cobra.Command {
	opts := &reviewOptions{app: a, getenv: os.Getenv}
	cmd := &cobra.Command{
		Use:     "review",
		GroupID: "intent",
		Short:   "Review a pull request: one comment with scores, router diffs and findings",
		Long: `Review compares the merge base of --base and --head with --head, as GitHub
shows a pull request, and builds one Markdown report: a verdict, the
felicity, willingness and affinity of every new or changed peer with the
best places to peer (APC*) and what each saves, every finding, the changes
of outside data and of router management, each router's config diff, and
the data each side used. Base and head are each rendered from their own
tree (see peerform plan --help), so what the comment shows is what merging
deploys. The verdict follows the facts: any error — validation, data that
cannot be read, a router either side cannot render — fails it.

A change to peerform itself (Go code, go.mod, embedded files) is flagged at
the top: this build cannot show what the new code renders. In CI the head's
own build renders the head in a job of its own and hands the configs over
(--head-rendered); they are shown apart, marked untrusted. A change to the
CI workflows is flagged too.

In GitHub Actions it reads the pull_request event ($GITHUB_EVENT_PATH) for
the base and head commits and posts the report as one comment, edited on
later pushes, plus a check run with annotations on the HCL lines. The token
comes from $GITHUB_TOKEN and GitHub Enterprise from $GITHUB_API_URL. The
earlier comment is the one with the review's hidden marker written by the
token's own account (GET /user, or the App's bot user). Every request has a
time limit and the posting a deadline; rate limits are waited out as GitHub
asks, writes are paced a second apart, and the check run is created already
completed. Without a token, or with the read-only token of a pull request
from a fork, the report goes to the job summary and the findings become
workflow-command annotations; posting problems never fail the job.

The repository must have full history (actions/checkout with fetch-depth: 0).

Exit status: 0 when the change is mergeable (warnings allowed), 1 when it
has errors, 2 when the review itself cannot run. Posting problems do not
change it.`,
		Example: `  # See the comment a branch would get, without posting anything
  peerform review --base origin/main --dry-run

  # Two explicit revisions
  peerform review --base main --head add-as13335 --dry-run

  # In a workflow (what .github/workflows/pr.yml runs)
  peerform review

  # After a deploy: comment on the pull request a push event merged
  peerform review --comment-deploy outcome.md`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.commentDeploy != "" && (opts.base != "" || opts.head != "" || opts.dryRun || opts.json) {
				return usageErrorf("--comment-deploy posts a deploy outcome; it takes no --base, --head, --dry-run or --json")
			}
			if runF != nil {
				return runF(opts)
			}
			return reviewRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.eventFile, "event", "", "GitHub event payload `file` (default $GITHUB_EVENT_PATH)")
	f.StringVar(&opts.base, "base", "", "base `revision` (default: the pull request's base commit)")
	f.StringVar(&opts.head, "head", "", "head `revision` (default: the pull request's head commit, else HEAD)")
	f.BoolVar(&opts.dryRun, "dry-run", false, "print the Markdown comment to stdout and post nothing")
	f.BoolVar(&opts.json, "json", false, "print the report as JSON to stdout and post nothing")
	f.StringVar(&opts.commentDeploy, "comment-deploy", "", "post the Markdown in `file` on the pull request the push event merged")
	f.StringVar(&opts.env, "env", "production", "show the router diffs of this `environment`; \"\" for every router")
	f.StringVar(&opts.botLogin, "bot-login", "", "only take comments by this `login` as the earlier review (default: the token's own identity)")
	f.StringVar(&opts.headRendered, "head-rendered", "", "`dir` of <router>.conf files that peerform built from the head rendered; shown apart when the change touches peerform itself")
	return cmd
}

func reviewRun(ctx context.Context, opts *reviewOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	a := opts.app
	ev, err := opts.event()
	if err != nil {
		return err
	}
	if opts.commentDeploy != "" {
		return reviewDeploy(ctx, opts, ev)
	}
	base, head := opts.base, opts.head
	if ev != nil && ev.Number > 0 {
		base, head = cmp.Or(base, ev.BaseSHA), cmp.Or(head, ev.HeadSHA)
	}
	if base == "" {
		return usageErrorf("no base revision: give --base (e.g. origin/main) or run on a pull_request event")
	}
	if !opts.dryRun && !opts.json && (ev == nil || ev.Number == 0) {
		return usageErrorf("posting needs a pull_request event ($GITHUB_EVENT_PATH or --event); add --dry-run to print the comment instead")
	}
	in, err := pipeline.ReviewInputs(ctx, a.pipeline(), base, cmp.Or(head, "HEAD"), opts.env, opts.headRendered)
	if err != nil {
		return err
	}
	report := review.Build(in)
	switch {
	case opts.json:
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			FormatVersion int `json:"format_version"`
			review.Report
		}{1, report}); err != nil {
			return err
		}
	case opts.dryRun:
		fmt.Fprint(a.io.Out, review.Markdown(report, 0))
	default:
		pub, target := opts.publisher(ev, review.Target{Number: ev.Number, HeadSHA: in.Head})
		reportOutcome(a, pub.Publish(ctx, target, report))
	}
	if report.Verdict == review.Fail {
		return errFindings
	}
	return nil
}

// reviewDeploy posts a deploy outcome on the pull request the push merged.
func reviewDeploy(ctx context.Context, opts *reviewOptions, ev *review.Event) error {
	if ev == nil || ev.Name != "push" {
		return usageErrorf("--comment-deploy needs a push event ($GITHUB_EVENT_PATH or --event)")
	}
	body, err := readBounded(opts.commentDeploy, review.MaxCommentChars-len(review.DeployMarker)-1)
	if err != nil {
		return err
	}
	pub, target := opts.publisher(ev, review.Target{})
	reportOutcome(opts.app, pub.PublishDeploy(ctx, target.Owner, target.Repo, ev.After, string(body)))
	return nil
}

// event reads --event or $GITHUB_EVENT_PATH; nil when neither is given.
func (o *reviewOptions) event() (*review.Event, error) {
	path, name := o.eventFile, ""
	if path == "" {
		path, name = o.getenv("GITHUB_EVENT_PATH"), o.getenv("GITHUB_EVENT_NAME")
	}
	if path == "" {
		return nil, nil
	}
	return review.ReadEventFile(name, path)
}

// publisher builds the GitHub side from the Actions environment. The
// repository is $GITHUB_REPOSITORY when set (where the workflow runs),
// else the event's.
func (o *reviewOptions) publisher(ev *review.Event, t review.Target) (*review.Publisher, review.Target) {
	a := o.app
	t.Owner, t.Repo = ev.Owner, ev.Repo
	if full := o.getenv("GITHUB_REPOSITORY"); full != "" {
		if owner, repo, err := review.ParseRepository(full); err == nil {
			t.Owner, t.Repo = owner, repo
		} else {
			a.logger().Warn("ignoring GITHUB_REPOSITORY; using the event's repository", "err", err)
		}
	}
	pub := &review.Publisher{BotLogin: o.botLogin, Stdout: a.io.Out, SummaryPath: o.getenv("GITHUB_STEP_SUMMARY"), Logger: a.logger(),
		Clock: o.clock, CallTimeout: o.callTimeout}
	if token := o.getenv("GITHUB_TOKEN"); token != "" {
		if err := pub.Connect(token, o.getenv("GITHUB_API_URL"), nil); err != nil {
			a.logger().Warn("cannot reach GitHub; using the fallbacks", "err", err)
		}
	}
	return pub, t
}

func reportOutcome(a *app, out review.Outcome) {
	switch {
	case out.CommentID != 0 && out.CommentCreated:
		fmt.Fprintf(a.io.ErrOut, "review: posted comment %d\n", out.CommentID)
	case out.CommentID != 0:
		fmt.Fprintf(a.io.ErrOut, "review: updated comment %d\n", out.CommentID)
	}
	if out.CheckRunID != 0 {
		fmt.Fprintf(a.io.ErrOut, "review: check run %d with %d annotations\n", out.CheckRunID, out.Annotations)
	}
	for _, p := range out.Problems {
		fmt.Fprintf(a.io.ErrOut, "review: warning: %s\n", p)
	}
	if out.Summary {
		fmt.Fprintln(a.io.ErrOut, "review: the report is in the job summary")
	}
}

// readBounded reads a file of at most max bytes.
func readBounded(path string, max int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, max+1)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if n > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return buf[:n], nil
}
