package main

import (
	"context"

	"github.com/peerctl/peerctl/gitfs"
)

// reviewPlan renders every router's configuration at the merge base and at
// head — each tree read with repo.FS, never checked out — and returns the
// routers whose config changes as unified diffs, with the findings and the
// IRR/RPKI data versions that resolving the intents produced.
//
// It is the one step of the review that waits for the plan package: until
// plan is wired in here, the review says in its notes that router diffs
// are not part of it, and everything else (validation, scores) is complete.
func (a *app) reviewPlan(ctx context.Context, repo *gitfs.Repo, base, head gitfs.Hash) (reviewPlanResult, error) {
	return reviewPlanResult{Notes: []string{
		"Router config diffs are not part of this review yet: the plan step is not wired into peerctl review in this build.",
	}}, nil
}
