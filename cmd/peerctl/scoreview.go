package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/peerctl/peerctl/score"
)

// printScore writes the human report of one scored pair.
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
