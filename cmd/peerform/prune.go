package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/ops/history"
	"github.com/peerform/peerform/internal/ops/prune"
	"github.com/peerform/peerform/internal/repo/proposal"
)

type pruneOptions struct {
	app     *app
	downFor time.Duration
	history string
	json    bool
	propose proposeFlags
	now     func() time.Time
}

func newCmdPrune(a *app, runF func(*pruneOptions) error) *cobra.Command {
	opts := &pruneOptions{app: a, now: time.Now}
	var downFor string
	cmd := &cobra.Command{
		Use:     "prune",
		GroupID: "intent",
		Short:   "Propose removing peers whose sessions are long down or who left PeeringDB",
		Long: `Prune finds peer files that outlived their peering and proposes their
removal, with the evidence, as one pull request (or, with --dry-run, one
commit on a new local branch; nothing else in the repository changes):

  - every session of the peer that peerform monitor watched lately has
    been down for at least --down-for (from the session history file,
    --history, that monitor keeps);
  - PeeringDB lists the network at none of our exchanges (the ixp blocks
    with peeringdb_ix, within the peer's ixps);
  - PeeringDB has no record of the network any more (judged only on a
    full copy synced from the API: a snapshot may hold part of PeeringDB).

Requested and declined peers are never proposed. The pull request needs
$GITHUB_TOKEN and --github-repo (or $GITHUB_REPOSITORY); $GITHUB_API_URL
names a GitHub Enterprise Server.

Exit status: 0 when nothing is to be pruned, 1 when peers were found (and
proposed), 2 on usage or internal errors.`,
		Example: `  # What would go, as a local branch to look at
  peerform prune --down-for 40d --dry-run

  # From a scheduled workflow: one pull request
  peerform prune --down-for 40d --github-repo example/peering`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := parseDays(downFor)
			if err != nil {
				return usageErrorf("--down-for: %v", err)
			}
			opts.downFor = d
			if runF != nil {
				return runF(opts)
			}
			return pruneRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&downFor, "down-for", "40d", "propose peers whose every session has been down this `long` (40d, 72h)")
	f.StringVar(&opts.history, "history", history.DefaultPath(), "session history `file` of peerform monitor")
	f.BoolVar(&opts.json, "json", false, "print the candidates as JSON")
	addProposeFlags(f, &opts.propose, "the removal")
	return cmd
}

// parseDays reads a duration that may be given in days ("40d").
func parseDays(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 || days > 3650 {
			return 0, fmt.Errorf("%q: want 1d to 3650d", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, err
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not positive", s)
	}
	return d, nil
}

func pruneRun(ctx context.Context, opts *pruneOptions) error {
	a := opts.app
	repo, diags := intent.LoadDir(a.repoDir)
	if diags.HasErrors() {
		printDiagnostics(a, diags, repo)
		return findingsf("the repository has errors; run peerform validate")
	}
	hist, err := history.Load(opts.history)
	if err != nil {
		return err
	}
	in := prune.Inputs{Repo: repo, History: hist, Now: opts.now(), DownFor: opts.downFor}
	if pdb, err := a.openPeeringDB(ctx, repo.PeeringDB); err != nil {
		fmt.Fprintf(a.io.ErrOut, "Warning: PeeringDB is not available (%v); peers are judged by their sessions only\n", err)
	} else {
		in.PeeringDB, in.Complete = pdb, !pdb.Meta().Synced.IsZero()
	}
	cands := prune.Find(in)
	var where string
	if len(cands) > 0 {
		c := proposal.Change{
			Branch: opts.propose.branch, Body: prune.Body(cands, opts.downFor),
			Title: fmt.Sprintf("Remove %d peer(s) that are gone: %s", len(cands), asnList(cands)),
		}
		if c.Branch == "" {
			c.Branch = "peerform/prune-" + in.Now.UTC().Format("2006-01-02")
		}
		for _, cd := range cands {
			c.Remove = append(c.Remove, cd.File)
		}
		if where, err = propose(ctx, a, opts.propose, c); err != nil {
			return err
		}
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			FormatVersion int               `json:"format_version"`
			Candidates    []prune.Candidate `json:"candidates"`
			Proposed      string            `json:"proposed,omitempty"`
		}{1, append([]prune.Candidate{}, cands...), where}); err != nil {
			return err
		}
	} else {
		for _, c := range cands {
			fmt.Fprintf(a.io.Out, "%s %s (%s): %s\n", c.ASN, c.Name, c.File, joinReasons(c.Reasons))
			for _, e := range c.Evidence {
				fmt.Fprintf(a.io.Out, "    %s\n", e)
			}
		}
		if where != "" {
			fmt.Fprintf(a.io.Out, "Proposed as %s.\n", where)
		}
	}
	if len(cands) > 0 {
		return findingsf("%d peer(s) to prune", len(cands))
	}
	fmt.Fprintln(a.io.ErrOut, "Nothing to prune.")
	return nil
}

// asnList names the candidates for a title: the first five, then a count.
func asnList(cs []prune.Candidate) string {
	var s []string
	for i, c := range cs {
		if i == 5 {
			s = append(s, fmt.Sprintf("and %d more", len(cs)-i))
			break
		}
		s = append(s, c.ASN.String())
	}
	return strings.Join(s, ", ")
}

func joinReasons(rs []prune.Reason) string {
	var s []string
	for _, r := range rs {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}
