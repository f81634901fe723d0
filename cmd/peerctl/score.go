package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/peerctl/peerctl/bgp"
	"github.com/peerctl/peerctl/score"
)

type scoreOptions struct {
	app       *app
	candidate bgp.ASN
	requester string
	flags     scoringFlags
	json      bool
}

func newCmdScore(a *app, runF func(*scoreOptions) error) *cobra.Command {
	opts := &scoreOptions{app: a}
	cmd := &cobra.Command{
		Use:     "score AS<candidate>",
		GroupID: "data",
		Short:   "How likely a peering is to be agreed, and where to peer",
		Long: `Score rates a peering with the Meta-Peering method: every subset of the
PoPs both networks share is a possible contract; each side keeps the
contracts its traffic-ratio policy accepts and ranks them by its own
criterion. Willingness (W) says how well the two rankings agree, affinity
(A) how much population each side's coverage gains, and felicity
F = (W^β·A^γ)^(1/(β+γ)) decides: recommended when F ≥ θ.

The requester is our network from policies/ unless --requester is given.
Parameters come from the policy's scoring block; flags override them.
Output: a verdict, the scores, the best three contracts (APC*) with the
traffic each moves, the coverage gain, the monthly saving from the
economics block, and why. W, A and F are −1 when they cannot be computed
(no common PoP, no acceptable contract); the reasons say which.`,
		Example: `  # Score a candidate against our network
  peerctl score AS64502

  # Another requester, the "diff" criterion, from a PeeringDB snapshot
  peerctl score AS6939 --requester AS174 --criterion diff --peeringdb ../snapshot

  # Everything as JSON (felicity, willingness, affinity, apc, economics, …)
  peerctl score AS64502 --json`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			asn, err := bgp.ParseASN(args[0])
			if err != nil {
				return &usageError{err}
			}
			opts.candidate = asn
			if opts.requester != "" {
				if _, err := bgp.ParseASN(opts.requester); err != nil {
					return &usageError{err}
				}
			}
			if err := opts.flags.resolve(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return scoreRun(cmd.Context(), opts)
		},
	}
	opts.flags.add(cmd)
	cmd.Flags().StringVar(&opts.requester, "requester", "", "requesting network `AS<n>` (default: our network from policies/)")
	cmd.Flags().StringVar(&opts.flags.criterion, "criterion", "", "requester's sorting criterion: own, diff or ratio (default: policy, else own)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

func scoreRun(ctx context.Context, opts *scoreOptions) error {
	a := opts.app
	env, err := a.loadScoring(ctx, opts.flags)
	if err != nil {
		return err
	}
	reqASN, traffic := env.ours, env.trafficMbps
	if opts.requester != "" {
		reqASN, _ = bgp.ParseASN(opts.requester)
		if reqASN != env.ours {
			traffic = 0 // measured traffic is ours only
		}
	}
	if reqASN == 0 {
		return usageErrorf("no requester: run inside a peering repository (see --repo) or give --requester")
	}
	r, err := env.scorer.Profile(reqASN, traffic)
	if err != nil {
		return fmt.Errorf("requester: %w", err)
	}
	c, err := env.scorer.Profile(opts.candidate, 0)
	if err != nil {
		return fmt.Errorf("candidate: %w", err)
	}
	p := env.scorer.Params
	p.AllCriteria = true
	res := score.Score(r, c, p, env.scorer.Econ)
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	printScore(a.io.Out, res)
	return nil
}

func printScore(w io.Writer, r score.Result) {
	who := func(p score.Party) string { return strings.TrimSpace(p.ASN.String() + " " + p.Name) }
	verdict := "not recommended"
	if r.Recommended {
		verdict = "RECOMMENDED"
	}
	fmt.Fprintf(w, "%s → %s: %s (felicity %s, threshold %.2f%s)\n", who(r.Requester), who(r.Candidate),
		verdict, num(r.Felicity), r.Threshold, map[bool]string{true: ", holistic", false: ""}[r.Holistic])
	fmt.Fprintf(w, "  willingness %s   affinity %s (gain for %v %s, for %v %s)\n", num(r.Willingness), num(r.Affinity),
		r.Requester.ASN, num(r.AlphaRequester), r.Candidate.ASN, num(r.AlphaCandidate))
	if r.Reverse != nil {
		fmt.Fprintf(w, "  reverse (%v asks %v): willingness %s, felicity %s\n", r.Candidate.ASN, r.Requester.ASN, num(r.Reverse.Willingness), num(r.Reverse.Felicity))
	}
	fmt.Fprintf(w, "  ratio types %s / %s; criteria %s / %s; %d common PoPs, %d dropped; acceptable contracts %.0f / %.0f (%s)\n",
		r.Requester.Ratio, r.Candidate.Ratio, r.Criterion.Requester, r.Criterion.Candidate, len(r.CommonPoPs), len(r.DroppedPoPs),
		r.APCRequester, r.APCCandidate, map[bool]string{true: "exact", false: "estimated"}[r.Exact])
	for _, c := range r.ByCriterion {
		fmt.Fprintf(w, "    with requester criterion %-5s W %s F %s\n", c.Criterion, num(c.Willingness), num(c.Felicity))
	}
	shown := 0
	for _, c := range r.APC {
		if c.OmegaRC <= 0 || shown == 3 {
			continue
		}
		if shown == 0 {
			fmt.Fprintln(w, "Where to peer (top of APC*):")
		}
		shown++
		var places []string
		for _, p := range c.PoPs {
			places = append(places, fmt.Sprintf("%s (%s)", p.Name, p.City))
		}
		fmt.Fprintf(w, "  %d. %s\n     moves out %.3g, in %.3g (%s); ω_RC %.3f (ranks %.0f / %.0f)\n", shown,
			strings.Join(places, ", "), c.Out, c.In, r.TrafficUnit, c.OmegaRC, c.RankR, c.RankC)
	}
	if r.UnionPopulation > 0 {
		fmt.Fprintf(w, "Coverage: %v reaches %.3g people, %v %.3g, both %.3g; peering adds %.3g people to %v's reach\n",
			r.Requester.ASN, r.Requester.CoveragePopulation, r.Candidate.ASN, r.Candidate.CoveragePopulation,
			r.OverlapPopulation, r.Candidate.CoveragePopulation-r.OverlapPopulation, r.Requester.ASN)
	}
	if e := r.Economics; e != nil && len(e.PoPs) > 0 {
		fmt.Fprintf(w, "Economics (%s): ports $%.0f/month, break-even at %.0f Mbps", strings.Join(e.PoPs, " "), e.PortCostUSD, e.BreakEvenMbps)
		if e.TrafficSource != "" {
			fmt.Fprintf(w, "; moves %.0f Mbps (%s, from %s), saving $%.0f/month, net $%.0f/month", e.MovedMbps, e.BilledDirection, e.TrafficSource, e.TransitSavingUSD, e.NetSavingUSD)
		} else {
			fmt.Fprint(w, "; no traffic volume known (set scoring { traffic_mbps } or PeeringDB info_traffic)")
		}
		fmt.Fprintln(w)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "Why:")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
}

// num prints a score, or "n/a" for −1.
func num(x float64) string {
	if x < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", x)
}
