package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/candidates"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/pipeline"
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
		Long: `Score rates a peering. Under the likelihood profile (the default) the
headline is the calibrated probability that the candidate agrees, from a
model fitted on known peerings of networks it was not tested on, with the
factors that weigh most for and against. Under the paper profile it is the
Meta-Peering felicity F = (W^β·A^γ)^(1/(β+γ)).

Both profiles show where to peer: every subset of the PoPs both networks
share is a possible contract; each side keeps the contracts its
traffic-ratio policy accepts and ranks them by its own criterion.
Willingness (W) says how well the two rankings agree, affinity (A) how much
population each side's coverage gains; the best three contracts (APC*) come
with the traffic each moves. A side that accepts no contract says why.

From the economics block (policies/), the best contract's traffic is
priced three ways per month: staying on transit (95th percentile, commit,
burst, per GB, per provider), settlement-free peering (ports,
cross-connects, IXP fees) and the candidate's paid offer if it made one,
at half, the measured (traffic store) or modelled, and one and a half
times its traffic, with the break-even volume. The headline verdict is one
rule over likelihood and money: unlikely to agree; likely to agree and
saves $X/month; or likely to agree but costs $Y/month more than transit,
to consider only for resilience or latency (docs/scoring.md, "Economics").
Without an economics block no money figure is shown.

The requester is our network from policies/ unless --requester is given.
Parameters come from the policy's scoring block; flags override them.`,
		Example: `  # Score a candidate against our network
  peerform score AS64502

  # Another requester, the "diff" criterion, from a PeeringDB snapshot
  peerform score AS6939 --requester AS174 --criterion diff --peeringdb ../snapshot

  # Everything as JSON (felicity, likelihood, willingness, affinity, apc, …)
  peerform score AS64502 --json

  # The paper's method, with W and F under each requester criterion
  peerform score AS64502 --profile paper --by-criterion`,
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
	cmd.Flags().BoolVar(&opts.flags.byCriterion, "by-criterion", false, "also score under each requester criterion (three more rankings)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

func scoreRun(ctx context.Context, opts *scoreOptions) error {
	a := opts.app
	env, err := a.loadScoring(ctx, opts.flags)
	if err != nil {
		return err
	}
	reqASN, traffic := env.Ours, env.TrafficMbps
	if opts.requester != "" {
		reqASN, _ = bgp.ParseASN(opts.requester)
		if reqASN != env.Ours {
			traffic = 0 // measured traffic is ours only
		}
	}
	if reqASN == 0 {
		return usageErrorf("no requester: run inside a peering repository (see --repo) or give --requester")
	}
	r, err := env.Scorer.Profile(reqASN, traffic)
	if err != nil {
		return notFound("requester", err)
	}
	c, err := env.Scorer.Profile(opts.candidate, 0)
	if err != nil {
		return notFound("candidate", err)
	}
	env.Scorer.Params.AllCriteria = opts.flags.byCriterion
	res := env.Scorer.Score(r, c)
	if reqASN == env.Ours {
		moves, err := pipeline.MeasuredMoves(a.pipeline(), env.Repo, []bgp.ASN{opts.candidate})
		if err != nil {
			return err
		}
		pipeline.ApplyMeasured(&res, moves, env.Scorer.Econ)
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		// The verdict (score.Verdict) is computed, not stored: add it.
		return enc.Encode(struct {
			score.Result
			Verdict     score.Verdict `json:"verdict"`
			VerdictText string        `json:"verdict_text"`
		}{res, res.Verdict(), verdictText(res.Verdict())})
	}
	printScore(a.io.Out, res)
	return nil
}

// notFound makes a network missing from PeeringDB a finding (exit 1, as
// peeringdb show), and anything else the failure it is.
func notFound(role string, err error) error {
	if errors.Is(err, candidates.ErrNotInPeeringDB) {
		return findingsf("%s: %v", role, err)
	}
	return fmt.Errorf("%s: %w", role, err)
}
