package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/peerctl/peerctl/bgp"
	"github.com/peerctl/peerctl/score"
)

type suggestOptions struct {
	app   *app
	top   int
	flags scoringFlags
	json  bool
}

func newCmdSuggest(a *app, runF func(*suggestOptions) error) *cobra.Command {
	opts := &suggestOptions{app: a}
	cmd := &cobra.Command{
		Use:     "suggest",
		GroupID: "data",
		Short:   "Rank every PeeringDB network we could peer with",
		Long: `Suggest scores every PeeringDB network that shares at least one facility
or IXP with our network (policies/) and ranks them by felicity, best first,
with where to peer. It answers "who should we peer with next?". A progress
bar shows on a terminal. See 'peerctl score --help' for the method.`,
		Example: `  # The 20 best candidates
  peerctl suggest

  # The 5 best in the holistic view (both directions must be willing)
  peerctl suggest --top 5 --holistic

  # Every candidate as JSON
  peerctl suggest --top 0 --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.top < 0 {
				return usageErrorf("--top must be 0 (all) or more, got %d", opts.top)
			}
			if err := opts.flags.resolve(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return suggestRun(cmd.Context(), opts)
		},
	}
	opts.flags.add(cmd)
	cmd.Flags().IntVar(&opts.top, "top", 20, "show the best `N` candidates (0: all)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

// suggestion is one ranked candidate, and the --json shape.
type suggestion struct {
	Rank        int      `json:"rank"`
	ASN         bgp.ASN  `json:"asn"`
	Name        string   `json:"name"`
	Felicity    float64  `json:"felicity"`
	Willingness float64  `json:"willingness"`
	Affinity    float64  `json:"affinity"`
	Recommended bool     `json:"recommended"`
	CommonPoPs  int      `json:"common_pops"`
	Where       []string `json:"where"` // PoP keys of the best contract
	Notes       []string `json:"notes"`
}

func suggestRun(ctx context.Context, opts *suggestOptions) error {
	a := opts.app
	env, err := a.loadScoring(ctx, opts.flags)
	if err != nil {
		return err
	}
	if env.ours == 0 {
		return usageErrorf("suggest needs our network: run it inside a peering repository (see --repo)")
	}
	r, err := env.scorer.Profile(env.ours, env.trafficMbps)
	if err != nil {
		return fmt.Errorf("our network: %w", err)
	}
	results, err := env.scorer.Suggest(ctx, r, a.progressBar("scoring"))
	if err != nil {
		return err
	}
	if opts.top > 0 && len(results) > opts.top {
		results = results[:opts.top]
	}
	out := make([]suggestion, 0, len(results))
	for i, res := range results {
		out = append(out, toSuggestion(i+1, res))
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"requester": r.Network.ASN, "threshold": env.scorer.Params.Threshold,
			"holistic": env.scorer.Params.Holistic, "candidates": out})
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tASN\tNAME\tFELICITY\tW\tA\tPOPS\tWHERE")
	for _, s := range out {
		mark := ""
		if s.Recommended {
			mark = " *"
		}
		fmt.Fprintf(tw, "%d\t%v\t%s\t%s%s\t%s\t%s\t%d\t%s\n", s.Rank, s.ASN, truncate(s.Name, 32), num(s.Felicity), mark,
			num(s.Willingness), num(s.Affinity), s.CommonPoPs, shortList(s.Where, 4))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.io.ErrOut, "* recommended (felicity ≥ %.2f%s)\n", env.scorer.Params.Threshold,
		map[bool]string{true: " both ways", false: ""}[env.scorer.Params.Holistic])
	return nil
}

func toSuggestion(rank int, r score.Result) suggestion {
	s := suggestion{Rank: rank, ASN: r.Candidate.ASN, Name: r.Candidate.Name, Felicity: r.Felicity,
		Willingness: r.Willingness, Affinity: r.Affinity, Recommended: r.Recommended,
		CommonPoPs: len(r.CommonPoPs) + len(r.DroppedPoPs), Where: []string{}, Notes: r.Notes}
	if r.Economics != nil {
		s.Where = r.Economics.PoPs
	}
	return s
}

// shortList joins the first n items and counts the rest.
func shortList(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, " ")
	}
	return fmt.Sprintf("%s (+%d)", strings.Join(items[:n], " "), len(items)-n)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
