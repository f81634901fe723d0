package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/peerctl/peerctl/bgp"
	"github.com/peerctl/peerctl/score"
)

type suggestOptions struct {
	app     *app
	top     int
	flags   scoringFlags
	traffic bool
	json    bool
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
bar shows on a terminal. See 'peerctl score --help' for the method.

With --traffic it ranks by measured money instead: the transit traffic of
the last 30 days in the traffic store that would move to each candidate
(its own and that of the networks behind it by our routes; 95th
percentile, the larger direction, as transit bills), priced with the
economics block, minus the port and cross-connect costs of the best
contract's PoPs (those we share). Candidates nothing measured would move
to come last.`,
		Example: `  # The 20 best candidates
  peerctl suggest

  # The 5 best in the holistic view (both directions must be willing)
  peerctl suggest --top 5 --holistic

  # Ranked by the measured transit traffic each would take, and the money
  peerctl suggest --traffic

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
	cmd.Flags().BoolVar(&opts.traffic, "traffic", false, "rank by measured transit traffic that would move, and net monthly saving")
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
	// With --traffic: the measured transit traffic that would move (95th
	// percentile, the larger direction) and the net monthly saving.
	MovedMbps    *float64 `json:"moved_mbps,omitempty"`
	NetSavingUSD *float64 `json:"net_saving_usd_per_month,omitempty"`
	MeasuredDays int      `json:"measured_days,omitempty"`
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
	if opts.traffic {
		if results, err = rankByTraffic(a, env, results); err != nil {
			return err
		}
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
	if opts.traffic {
		fmt.Fprintln(tw, "#\tASN\tNAME\tMOVES (P95)\tNET/MONTH\tFELICITY\tPOPS\tWHERE")
	} else {
		fmt.Fprintln(tw, "#\tASN\tNAME\tFELICITY\tW\tA\tPOPS\tWHERE")
	}
	for _, s := range out {
		mark := ""
		if s.Recommended {
			mark = " *"
		}
		if opts.traffic {
			moved, net := "—", "—"
			if s.MovedMbps != nil && *s.MovedMbps > 0 {
				moved, net = mbps(*s.MovedMbps), fmt.Sprintf("$%.0f", *s.NetSavingUSD)
			}
			fmt.Fprintf(tw, "%d\t%v\t%s\t%s\t%s\t%s%s\t%d\t%s\n", s.Rank, s.ASN, truncate(s.Name, 32), moved, net, num(s.Felicity), mark,
				s.CommonPoPs, shortList(s.Where, 4))
			continue
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
		if e := r.Economics; e.TrafficSource == "flows" {
			s.MovedMbps, s.NetSavingUSD, s.MeasuredDays = &e.MovedMbps, &e.NetSavingUSD, e.MeasuredDays
		}
	}
	return s
}

// rankByTraffic puts the measured transit traffic that would move into
// every result and ranks them by net monthly saving, then by traffic, then
// as before; candidates without measured traffic keep their order after.
func rankByTraffic(a *app, env *scoringEnv, results []score.Result) ([]score.Result, error) {
	asns := make([]bgp.ASN, len(results))
	for i, r := range results {
		asns[i] = r.Candidate.ASN
	}
	moves, err := a.measuredMoves(env.repo, asns)
	if err != nil {
		return nil, err
	}
	if moves == nil {
		return nil, findingsf("no measured traffic in the last %d days of the traffic store (peerctl traffic collect or import)", measuredDays)
	}
	for i := range results {
		applyMeasured(&results[i], moves, env.scorer.Econ)
	}
	moved := func(r score.Result) float64 {
		if r.Economics == nil {
			return 0
		}
		return r.Economics.MovedMbps
	}
	slices.SortStableFunc(results, func(x, y score.Result) int {
		mx, my := moved(x), moved(y)
		if (mx > 0) != (my > 0) {
			return map[bool]int{true: -1, false: 1}[mx > 0]
		}
		if mx == 0 {
			return 0
		}
		return cmp.Or(cmp.Compare(y.Economics.NetSavingUSD, x.Economics.NetSavingUSD), cmp.Compare(my, mx))
	})
	return results, nil
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
