package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/peerform/peerform/internal/change/review"
	"github.com/peerform/peerform/internal/repo/proposal"
)

// proposeFlags say where a command that changes the repository (prune,
// request) proposes its change: a local branch with --dry-run, else a
// pull request on GitHub ($GITHUB_TOKEN, $GITHUB_API_URL).
type proposeFlags struct {
	dryRun bool
	repo   string // owner/name; default $GITHUB_REPOSITORY
	base   string
	branch string
}

func addProposeFlags(f *pflag.FlagSet, p *proposeFlags, what string) {
	f.BoolVar(&p.dryRun, "dry-run", false, "commit "+what+" on a new local branch instead of opening a pull request")
	addProposeTargetFlags(f, p)
}

// addProposeTargetFlags adds the flags that say where a pull request goes.
func addProposeTargetFlags(f *pflag.FlagSet, p *proposeFlags) {
	f.StringVar(&p.repo, "github-repo", "", "GitHub repository `owner/name` of the pull request (default $GITHUB_REPOSITORY)")
	f.StringVar(&p.base, "base", "main", "the `branch` the pull request targets")
	f.StringVar(&p.branch, "branch", "", "name of the new `branch` (default from the command and the date)")
}

// propose commits c locally (--dry-run) or opens it as a pull request, and
// says where it went.
func propose(ctx context.Context, a *app, p proposeFlags, c proposal.Change) (string, error) {
	if p.dryRun {
		h, err := proposal.Local(a.repoDir, c, commitAuthor(time.Now()))
		if err != nil {
			return "", fmt.Errorf("committing on branch %s: %w", c.Branch, err)
		}
		return fmt.Sprintf("branch %s (commit %.12s)", c.Branch, h), nil
	}
	full := p.repo
	if full == "" {
		full = os.Getenv("GITHUB_REPOSITORY")
	}
	owner, name, err := review.ParseRepository(full)
	if err != nil {
		return "", usageErrorf("the pull request needs --github-repo owner/name or $GITHUB_REPOSITORY (or --dry-run for a local branch): %v", err)
	}
	token := os.Getenv("GITHUB_TOKEN")
	if token == "" {
		return "", usageErrorf("the pull request needs $GITHUB_TOKEN (or --dry-run for a local branch)")
	}
	pub := &review.Publisher{Logger: a.logger()}
	if err := pub.Connect(token, os.Getenv("GITHUB_API_URL"), nil); err != nil {
		return "", err
	}
	pr, err := proposal.PullRequest(ctx, pub.Client, proposal.Repo{Owner: owner, Name: name, Base: p.base}, c)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pull request #%d %s", pr.GetNumber(), pr.GetHTMLURL()), nil
}

// commitAuthor signs local commits as git would: $GIT_AUTHOR_NAME and
// $GIT_AUTHOR_EMAIL, else peerform.
func commitAuthor(now time.Time) proposal.Author {
	a := proposal.Author{Name: os.Getenv("GIT_AUTHOR_NAME"), Email: os.Getenv("GIT_AUTHOR_EMAIL"), When: now}
	if a.Name == "" {
		a.Name = "peerform"
	}
	if a.Email == "" {
		a.Email = "peerform@localhost"
	}
	return a
}
