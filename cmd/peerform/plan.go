package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/pipeline"
	"github.com/peerform/peerform/internal/repo/gitfs"
)

type planOptions struct {
	app              *app
	base, head       string
	routers          []string
	env              string
	templates        string
	json             bool
	noDiff           bool
	detailedExitCode bool
}

func newCmdPlan(a *app, runF func(*planOptions) error) *cobra.Command {
	opts := &planOptions{app: a}
	cmd := &cobra.Command{
		Use:     "plan",
		GroupID: "intent",
		Short:   "Show what a change does to each router's configuration",
		Long: `Plan renders the repository as it was at --base (read from git, no
checkout) and as it is now (the working tree, or --head), and shows per
router whether its configuration is created, updated, deleted or unchanged,
the BGP sessions added, removed or changed, and the unified diff of the
config.

Each state is rendered from its own files: its intents, the data files its
policies name (PeeringDB, IRR and RPKI snapshots) and its templates/ folder.
Live data — the PeeringDB API or cache, IRR servers — is fetched once and
used for both. So a change of data, or of the settings that choose it,
shows in the diffs, and is listed under "Data changed" with the peers it
affects. Changes of how routers are reached and deployed (host, port, user,
credential names, transport, environment, the deploy block) are listed
under "Management"; no config shows them.

It needs the base commit in the clone: in CI check out with fetch-depth: 0
(a shallow clone is reported as such). Repositories go-git cannot read
(sparse checkout, worktree extensions) are read through the git command.

Exit status: 0 when the plan was made, 1 when the working tree (or --head)
has errors or something of either state could not be read or rendered, 2 on
a usage or internal error. With --detailed-exitcode: 0 when nothing changes,
1 when a router config, a management setting or the deploy policy does (or
on errors), 2 on error.`,
		Example: `  # What the uncommitted changes do
  peerform plan

  # What the last commit did, without the config text
  peerform plan --base HEAD~1 --no-diff

  # A pull request in CI, for scripts
  peerform plan --base origin/main --json | jq '.routers[] | select(.action != "no-op")'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return planRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.base, "base", "HEAD", "git `revision` the plan starts from")
	f.StringVar(&opts.head, "head", "", "git `revision` the plan goes to (default: the working tree)")
	f.StringArrayVar(&opts.routers, "router", nil, "plan only this router (repeatable)")
	f.StringVar(&opts.env, "env", "production", "plan the routers of this `environment`; \"\" for every router")
	f.StringVar(&opts.templates, "templates", "", "load templates from `dir`/<platform>/*.tmpl instead of the built-in ones")
	f.BoolVar(&opts.json, "json", false, "print the plan as JSON")
	f.BoolVar(&opts.noDiff, "no-diff", false, "leave the config diffs out of the text output")
	f.BoolVar(&opts.detailedExitCode, "detailed-exitcode", false, "exit 1 when any router changes, 0 when none does")
	return cmd
}

func planRun(ctx context.Context, opts *planOptions) error {
	a := opts.app
	if ctx == nil {
		ctx = context.Background()
	}
	if opts.templates != "" {
		if _, err := pipeline.LoadTemplates(opts.templates); err != nil {
			return err
		}
	}
	repo, err := gitfs.Open(ctx, a.repoDir, &gitfs.Options{Logger: a.logger()})
	if err != nil {
		return err
	}
	base, err := pipeline.RevisionState(ctx, a.pipeline(), repo, opts.base)
	if err != nil {
		return fmt.Errorf("--base: %w", err)
	}
	defer base.Close()
	head := pipeline.WorktreeState(a.pipeline())
	if opts.head != "" {
		if head, err = pipeline.RevisionState(ctx, a.pipeline(), repo, opts.head); err != nil {
			return fmt.Errorf("--head: %w", err)
		}
		defer head.Close()
	}
	res, err := pipeline.PlanStates(ctx, a.pipeline(), base, head, opts.templates, pipeline.RouterSelection{Names: opts.routers, Env: opts.env})
	if res != nil {
		printDiagnostics(a, res.Diagnostics, res.HeadRepo)
	}
	if err != nil {
		return err
	}
	if res.Plan == nil {
		return findingsf("%s has errors; run peerform validate", head.Label())
	}
	if opts.json {
		err = res.Plan.WriteJSON(a.io.Out)
	} else {
		err = res.Plan.WriteText(a.io.Out, plan.TextOptions{NoDiff: opts.noDiff, Color: a.io.OutTTY})
	}
	switch {
	case err != nil:
		return err
	case res.Diagnostics.HasErrors():
		return findingsf("the plan is incomplete: see the errors above")
	case opts.detailedExitCode && res.Plan.Changed():
		return errFindings
	}
	return nil
}
