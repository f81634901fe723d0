package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/pipeline"
)

type suggestOptions struct {
	app       *app
	top       int
	requester bgp.ASN
	bySaving  bool
	traffic   bool
	flags     scoringFlags
	json      bool
	// includePeers keeps the networks we already peer with (marked).
	includePeers bool
}

func newCmdSuggest(a *app, runF func(*suggestOptions) error) *cobra.Command {
	opts := &suggestOptions{app: a}
	var requester string
	cmd := &cobra.Command{
		Use:     "suggest",
		GroupID: "data",
		Short:   "Rank every PeeringDB network we could peer with",
		Long: `Suggest scores every PeeringDB network that shares at least one facility
or IXP with our network (policies/, or --requester) and ranks them, best
first, by the probability that they agree (the paper profile: felicity),
with where to peer and the strongest reason each way. Networks we already
peer with (peers/) are left out; --include-peers lists them too, marked
"(peer)". Networks whose file says status = "declined" are left out until
its retry_after date. --by-saving ranks by the expected monthly
saving instead (probability × net saving), when traffic and prices are
known. It answers "who should we peer with next?". A progress bar shows on
a terminal. See 'peerform score --help' for the method.

The mark is the one verdict score and the review give (docs/scoring.md,
"Economics"): * likely to agree and, where prices are set, peering saves
money; $ likely to agree but peering costs more than transit (consider it
only for resilience or latency). Without an economics block no money
figure is shown.

--traffic puts measured money in: the transit traffic of the last 30 days
in the traffic store that would move to each candidate (its own and that
of the networks behind it by our routes), billed from its 5-minute samples
by each transit provider of the economics block (its bill with and without
the candidate: 95th percentile, commit, burst, per GB), against the ports,
cross-connects and IXP fees of the best contract's PoPs and any paid
offer. It ranks by the net monthly saving of the cheapest arrangement
(negative when transit is cheaper; with --by-saving, weighted by the
probability); candidates nothing measured would move to come last.`,
		Example: `  # The 20 best candidates
  peerform suggest

  # For another network, every candidate, as JSON
  peerform suggest --requester AS6939 --top 0 --json --peeringdb ../snapshot

  # The paper's method, holistic view (both directions must be willing)
  peerform suggest --top 5 --profile paper --holistic`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.top < 0 {
				return usageErrorf("--top must be 0 (all) or more, got %d", opts.top)
			}
			if err := opts.flags.resolve(cmd); err != nil {
				return err
			}
			if requester != "" {
				asn, err := bgp.ParseASN(requester)
				if err != nil {
					return &usageError{err}
				}
				opts.requester = asn
			}
			if runF != nil {
				return runF(opts)
			}
			return suggestRun(cmd.Context(), opts)
		},
	}
	opts.flags.add(cmd)
	cmd.Flags().IntVar(&opts.top, "top", 20, "show the best `N` candidates (0: all)")
	cmd.Flags().StringVar(&requester, "requester", "", "requesting network `AS<n>` (default: our network from policies/)")
	cmd.Flags().BoolVar(&opts.bySaving, "by-saving", false, "rank by expected monthly saving (probability × net saving) where it is known")
	cmd.Flags().BoolVar(&opts.traffic, "traffic", false, "rank by measured transit traffic that would move, net of port costs (traffic store)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	cmd.Flags().BoolVar(&opts.includePeers, "include-peers", false, "also list the networks we already peer with (peers/), marked")
	return cmd
}

// suggestion is one ranked candidate, and the --json shape.
type suggestion struct {
	Rank     int     `json:"rank"`
	ASN      bgp.ASN `json:"asn"`
	Name     string  `json:"name"`
	Felicity float64 `json:"felicity"`
	// Probability is set under the likelihood profile (= felicity).
	Probability   *float64 `json:"probability,omitempty"`
	PaperFelicity float64  `json:"paper_felicity"`
	Willingness   float64  `json:"willingness"`
	Affinity      float64  `json:"affinity"`
	// Recommended is the likelihood half alone (at or above the
	// threshold); Verdict is the recommendation shown.
	Recommended bool `json:"recommended"`
	// AlreadyPeer marks networks with a file in peers/.
	AlreadyPeer bool     `json:"already_peer"`
	CommonPoPs  int      `json:"common_pops"`
	Where       []string `json:"where"` // PoP keys of the best contract
	// Verdict is the recommendation (likelihood and money, one rule),
	// VerdictText the same in words.
	Verdict     score.Verdict `json:"verdict"`
	VerdictText string        `json:"verdict_text"`
	// NetSavingUSD is what the cheapest peering arrangement at the best
	// contract saves a month over transit, negative when transit is
	// cheaper; only when traffic and prices are known.
	NetSavingUSD *float64 `json:"net_saving_usd_per_month,omitempty"`
	// With --traffic: the measured transit traffic that would move (95th
	// percentile, the larger direction) and how many days it covers.
	MovedMbps    *float64            `json:"moved_mbps,omitempty"`
	MeasuredDays int                 `json:"measured_days,omitempty"`
	For          []likelihood.Factor `json:"for"`
	Against      []likelihood.Factor `json:"against"`
	Rejections   []score.Rejection   `json:"rejections"`
	Notes        []string            `json:"notes"`
}

func suggestRun(ctx context.Context, opts *suggestOptions) error {
	a := opts.app
	env, err := a.loadScoring(ctx, opts.flags)
	if err != nil {
		return err
	}
	reqASN, traffic := env.Ours, env.TrafficMbps
	if opts.requester != 0 && opts.requester != env.Ours {
		reqASN, traffic = opts.requester, 0 // measured traffic is ours only
	}
	if reqASN == 0 {
		return usageErrorf("suggest needs a requester: run it inside a peering repository (see --repo) or give --requester")
	}
	r, err := env.Scorer.Profile(reqASN, traffic)
	if err != nil {
		return fmt.Errorf("requester: %w", err)
	}
	results, err := env.Scorer.Suggest(ctx, r, a.progressBar("scoring"))
	if err != nil {
		return err
	}
	if opts.traffic {
		if reqASN != env.Ours {
			return usageErrorf("--traffic uses our measured traffic: it cannot go with another --requester")
		}
		if err := useMeasured(a, env, results); err != nil {
			return err
		}
	}
	peers := map[bgp.ASN]bool{}
	declined := map[bgp.ASN]bool{}
	if env.Repo != nil && reqASN == env.Ours {
		now := time.Now()
		for _, p := range env.Repo.Peers {
			// A network that declined is no peer; once it may be asked
			// again it is a candidate like any other.
			peers[p.ASN] = p.Status != intent.StatusDeclined
			declined[p.ASN] = p.Declined(now)
		}
	}
	out := make([]suggestion, 0, len(results))
	skipped := 0
	for _, res := range results {
		if declined[res.Candidate.ASN] { // they said no; ask again after retry_after
			continue
		}
		peer := peers[res.Candidate.ASN]
		if peer && !opts.includePeers {
			skipped++
			continue
		}
		out = append(out, toSuggestion(res, peer))
	}
	switch {
	case opts.bySaving:
		slices.SortStableFunc(out, func(x, y suggestion) int { return cmp.Compare(expectedSaving(y), expectedSaving(x)) })
	case opts.traffic:
		slices.SortStableFunc(out, func(x, y suggestion) int { return cmp.Compare(netSaving(y), netSaving(x)) })
	}
	for i := range out {
		out[i].Rank = i + 1
	}
	if opts.top > 0 && len(out) > opts.top {
		out = out[:opts.top]
	}
	p := env.Scorer.Params
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"requester": r.Network.ASN, "profile": env.Profile, "scored": len(results), "peers_left_out": skipped,
			"threshold": p.Threshold, "holistic": p.Holistic, "candidates": out})
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 0, 2, ' ', 0)
	head := "FELICITY"
	if env.Profile != "paper" {
		head = "P(AGREE)"
	}
	if opts.traffic {
		fmt.Fprintf(tw, "#\tASN\tNAME\tMOVES (P95)\tNET/MONTH\t%s\tPOPS\tWHERE\tWHY\n", head)
	} else {
		fmt.Fprintf(tw, "#\tASN\tNAME\t%s\tW\tA\tPOPS\tWHERE\tWHY\n", head)
	}
	for _, s := range out {
		mark := ""
		switch s.Verdict.Kind {
		case score.Recommend:
			mark = " *"
		case score.LikelyButCosts:
			mark = " $"
		}
		if s.AlreadyPeer {
			mark += " (peer)"
		}
		if opts.traffic {
			moved, net := "—", "—"
			if s.MovedMbps != nil && s.NetSavingUSD != nil { // signed: minus is a cost
				moved, net = mbps(*s.MovedMbps), fmt.Sprintf("$%.0f", *s.NetSavingUSD)
			}
			fmt.Fprintf(tw, "%d\t%v\t%s\t%s\t%s\t%s%s\t%d\t%s\t%s\n", s.Rank, s.ASN, truncate(s.Name, 32), moved, net, num(s.Felicity), mark,
				s.CommonPoPs, shortList(s.Where, 4), truncate(why(s), 60))
			continue
		}
		fmt.Fprintf(tw, "%d\t%v\t%s\t%s%s\t%s\t%s\t%d\t%s\t%s\n", s.Rank, s.ASN, truncate(s.Name, 32), num(s.Felicity), mark,
			num(s.Willingness), num(s.Affinity), s.CommonPoPs, shortList(s.Where, 4), truncate(why(s), 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.io.ErrOut, "%d candidates scored; * recommended, $ likely to agree but costs more than transit", len(results))
	if skipped > 0 {
		fmt.Fprintf(a.io.ErrOut, "; %s we already peer with left out (--include-peers)", plural(skipped, "network"))
	}
	if env.Profile == "paper" {
		fmt.Fprintf(a.io.ErrOut, " (felicity ≥ %.2f%s)", p.Threshold, map[bool]string{true: " both ways", false: ""}[p.Holistic])
	}
	fmt.Fprintln(a.io.ErrOut)
	return nil
}

func toSuggestion(r score.Result, peer bool) suggestion {
	s := suggestion{ASN: r.Candidate.ASN, Name: r.Candidate.Name, Felicity: r.Felicity, PaperFelicity: r.PaperFelicity,
		Willingness: r.Willingness, Affinity: r.Affinity, Recommended: r.Recommended, AlreadyPeer: peer, Verdict: r.Verdict(),
		CommonPoPs: len(r.CommonPoPs) + len(r.DroppedPoPs), Where: []string{}, For: []likelihood.Factor{},
		Against: []likelihood.Factor{}, Rejections: r.Rejections, Notes: r.Notes}
	if l := r.Likelihood; l != nil {
		s.Probability, s.For, s.Against = &l.Probability, l.For, l.Against
	}
	s.VerdictText = verdictText(s.Verdict)
	if e := r.Economics; e != nil {
		s.Where = e.PoPs
		if net, ok := e.NetUSD(); ok {
			s.NetSavingUSD = &net
		}
		if e.TrafficSource == "flows" {
			s.MovedMbps, s.MeasuredDays = &e.MovedMbps, e.MeasuredDays
		}
	}
	return s
}

// expectedSaving is what a candidate is worth per month: the net saving
// weighted by the chance the peering happens; unknown savings rank last.
func expectedSaving(s suggestion) float64 {
	if s.NetSavingUSD == nil || s.Felicity < 0 {
		return math.Inf(-1)
	}
	return s.Felicity * *s.NetSavingUSD
}

// netSaving is a candidate's measured net monthly saving; candidates
// without one rank last.
func netSaving(s suggestion) float64 {
	if s.NetSavingUSD == nil {
		return math.Inf(-1)
	}
	return *s.NetSavingUSD
}

// useMeasured puts the measured transit traffic that would move into every
// result's economics.
func useMeasured(a *app, env *pipeline.ScoringEnv, results []score.Result) error {
	asns := make([]bgp.ASN, len(results))
	for i, r := range results {
		asns[i] = r.Candidate.ASN
	}
	moves, err := pipeline.MeasuredMoves(a.pipeline(), env.Repo, asns)
	if err != nil {
		return err
	}
	if moves == nil {
		return findingsf("no measured traffic in the last %d days of the traffic store (peerform traffic collect or import)", pipeline.MeasuredDays)
	}
	for i := range results {
		pipeline.ApplyMeasured(&results[i], moves, env.Scorer.Econ)
	}
	return nil
}

// why is the one-line reason shown in the table: why a side accepts no
// contract, else the strongest factor about the candidate or the pair (the
// requester's own factors are the same on every row).
func why(s suggestion) string {
	if len(s.Rejections) > 0 {
		return fmt.Sprintf("%v: %s", s.Rejections[0].ASN, s.Rejections[0].Reason)
	}
	var best *likelihood.Factor
	for _, list := range [][]likelihood.Factor{s.For, s.Against} {
		for i := range list {
			if f := &list[i]; f.About != "requester" && (best == nil || math.Abs(f.Weight) > math.Abs(best.Weight)) {
				best = f
			}
		}
	}
	switch {
	case best == nil:
		return ""
	case best.Weight > 0:
		return best.Text + " (+)"
	}
	return best.Text + " (−)"
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
