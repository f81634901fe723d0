package main

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/peerctl/peerctl/gitfs"
	"github.com/peerctl/peerctl/plan"
	"github.com/peerctl/peerctl/repofs"
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
config. Both states are rendered from the same PeeringDB, IRR and RPKI data,
so the plan shows what the change to the intents does.

It needs the base commit in the clone: in CI check out with fetch-depth: 0
(a shallow clone is reported as such). Repositories go-git cannot read
(sparse checkout, worktree extensions) are read through the git command.

Exit status: 0 when the plan was made, 1 when the working tree (or --head)
has errors, 2 on a usage or internal error. With --detailed-exitcode: 0 when
no router changes, 1 when some do (or on errors in the intents), 2 on error.`,
		Example: `  # What the uncommitted changes do
  peerctl plan

  # What the last commit did, without the config text
  peerctl plan --base HEAD~1 --no-diff

  # A pull request in CI, for scripts
  peerctl plan --base origin/main --json | jq '.routers[] | select(.action != "no-op")'`,
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
	tm, err := loadTemplates(opts.templates)
	if err != nil {
		return err
	}
	repo, err := gitfs.Open(ctx, a.repoDir, &gitfs.Options{Logger: a.logger()})
	if err != nil {
		return err
	}
	baseFS, baseLabel, err := revisionFS(ctx, a, repo, opts.base)
	if err != nil {
		return fmt.Errorf("--base: %w", err)
	}
	headFS, headLabel := repofs.Dir(a.repoDir), "working tree"
	if opts.head != "" {
		if headFS, headLabel, err = revisionFS(ctx, a, repo, opts.head); err != nil {
			return fmt.Errorf("--head: %w", err)
		}
	}
	res, err := planTrees(ctx, a, baseFS, headFS, tm, baseLabel, headLabel, routerSelection{names: opts.routers, env: opts.env})
	if res != nil {
		printDiagnostics(a, res.Diagnostics, res.HeadRepo)
	}
	if err != nil {
		return err
	}
	if res.Plan == nil {
		return findingsf("%s has errors; run peerctl validate", headLabel)
	}
	if opts.json {
		err = res.Plan.WriteJSON(a.io.Out)
	} else {
		err = res.Plan.WriteText(a.io.Out, plan.TextOptions{NoDiff: opts.noDiff, Color: a.io.OutTTY})
	}
	switch {
	case err != nil:
		return err
	case res.RenderErr != nil:
		return findingsf("%v", res.RenderErr)
	case opts.detailedExitCode && res.Plan.Changed():
		return errFindings
	}
	return nil
}

// revisionFS returns the peering repository as it is in a commit: the
// commit's tree, or the subdirectory of it that --repo points into.
func revisionFS(ctx context.Context, a *app, repo *gitfs.Repo, rev string) (fs.FS, string, error) {
	h, err := repo.Resolve(ctx, rev)
	if err != nil {
		return nil, "", err
	}
	tree, err := repo.FS(ctx, h)
	if err != nil {
		return nil, "", err
	}
	label := fmt.Sprintf("%s (%s)", rev, h.Short())
	rel, err := relativeTo(repo.Root(), a.repoDir)
	if err != nil || rel == "." {
		return tree, label, err
	}
	sub, err := fs.Sub(tree, rel)
	return sub, label, err
}

// relativeTo returns dir relative to root, slash-separated, for fs.Sub.
func relativeTo(root, dir string) (string, error) {
	absRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if absDir, err = filepath.EvalSymlinks(absDir); err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absRoot, absDir)
	if err != nil || rel == ".." || filepath.IsAbs(rel) || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
		return "", fmt.Errorf("%s is not inside the git repository %s", dir, root)
	}
	return filepath.ToSlash(rel), nil
}
