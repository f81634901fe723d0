package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/pipeline"
)

// addRolloutFlags adds the flags deploy and check share.
func addRolloutFlags(f *pflag.FlagSet, q *pipeline.RolloutQuery) {
	f.StringArrayVar(&q.Routers, "router", nil, "only this router (repeatable)")
	f.StringVar(&q.Env, "env", "production", "routers of this `environment` (the router blocks' environment)")
	f.StringVar(&q.KnownHosts, "known-hosts", "", "SSH known hosts `file` (default ~/.ssh/known_hosts)")
}

// progressPrinter writes one line per rollout step: "router  step  message".
func progressPrinter(w io.Writer) func(deploy.Event) {
	return func(e deploy.Event) {
		fmt.Fprintf(w, "%s  %-13s %-9s %s\n", e.Time.Format("15:04:05"), e.Router, e.Step, e.Message)
	}
}

// rolloutFunc builds a rollout; tests replace repoRollout with one that
// points at a lab.
type rolloutFunc func(ctx context.Context, a *app, q pipeline.RolloutQuery) (pipeline.Rollout, error)

// repoRollout is the rollout of the repository itself (pipeline.RepoRollout),
// with the repository's diagnostics printed as validate prints them.
func repoRollout(ctx context.Context, a *app, q pipeline.RolloutQuery) (pipeline.Rollout, error) {
	return pipeline.RepoRollout(ctx, a.pipeline(), q, func(diags hcl.Diagnostics, repo *intent.Repo) {
		printDiagnostics(a, diags, repo)
	})
}
