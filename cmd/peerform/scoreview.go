package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
)

// printScore writes the human report of one scored pair.
func printScore(w io.Writer, r score.Result) {
	who := func(p score.Party) string { return strings.TrimSpace(p.ASN.String() + " " + p.Name) }
	verdict := "not recommended"
	if r.Recommended {
		verdict = "RECOMMENDED"
	}
	if l := r.Likelihood; l != nil {
		fmt.Fprintf(w, "%s → %s: %s (probability %.3f that they agree, threshold %.3f)\n", who(r.Requester), who(r.Candidate),
			verdict, l.Probability, l.Threshold)
		printFactors(w, "for", l.For)
		printFactors(w, "against", l.Against)
		fmt.Fprintf(w, "  components: willingness %s, affinity %s (gain for %v %s, for %v %s), paper felicity %s\n",
			num(r.Willingness), num(r.Affinity), r.Requester.ASN, num(r.AlphaRequester), r.Candidate.ASN, num(r.AlphaCandidate), num(r.PaperFelicity))
	} else {
		fmt.Fprintf(w, "%s → %s: %s (felicity %s, threshold %.2f%s)\n", who(r.Requester), who(r.Candidate),
			verdict, num(r.Felicity), r.Threshold, map[bool]string{true: ", holistic", false: ""}[r.Holistic])
		fmt.Fprintf(w, "  willingness %s   affinity %s (gain for %v %s, for %v %s)\n", num(r.Willingness), num(r.Affinity),
			r.Requester.ASN, num(r.AlphaRequester), r.Candidate.ASN, num(r.AlphaCandidate))
	}
	if r.Reverse != nil {
		fmt.Fprintf(w, "  reverse (%v asks %v): willingness %s, felicity %s\n", r.Candidate.ASN, r.Requester.ASN, num(r.Reverse.Willingness), num(r.Reverse.Felicity))
	}
	fmt.Fprintf(w, "  ratio types %s / %s; criteria %s / %s; %d common PoPs, %d dropped; acceptable contracts %.6g / %.6g (%s)\n",
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
		approx := map[bool]string{true: "", false: "≈"}[r.Exact]
		fmt.Fprintf(w, "  %d. %s\n     moves out %.3g, in %.3g (%s); ω_RC %.3f (ranks %s%.0f / %s%.0f)\n", shown,
			describeContract(c.PoPs, r.CommonPoPs), c.Out, c.In, r.TrafficUnit, c.OmegaRC, approx, c.RankR, approx, c.RankC)
	}
	if r.UnionPopulation > 0 {
		fmt.Fprintf(w, "Coverage: %v reaches %.3g people, %v %.3g, both %.3g; peering adds %.3g people to %v's reach\n",
			r.Requester.ASN, r.Requester.CoveragePopulation, r.Candidate.ASN, r.Candidate.CoveragePopulation,
			r.OverlapPopulation, r.Candidate.CoveragePopulation-r.OverlapPopulation, r.Requester.ASN)
	}
	if e := r.Economics; e != nil && len(e.PoPs) > 0 && !e.Priced {
		fmt.Fprintln(w, "Economics: not estimated; give transit and port prices in an economics block (policies/)")
	} else if e != nil && len(e.PoPs) > 0 {
		fmt.Fprintf(w, "Economics (%s): ports $%.0f/month, break-even at %.0f Mbps", strings.Join(e.PoPs, " "), e.PortCostUSD, e.BreakEvenMbps)
		if e.TrafficSource != "" {
			fmt.Fprintf(w, "; moves %.0f Mbps (%s, %s), saving $%.0f/month, net $%.0f/month", e.MovedMbps, e.BilledDirection, volumeSource(e), e.TransitSavingUSD, e.NetSavingUSD)
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

// printFactors lists a prediction's reasons one way, e.g.
// "  for:     their peering policy is Open (+0.41); shares 3 IXPs … (+0.30)".
func printFactors(w io.Writer, label string, fs []likelihood.Factor) {
	if len(fs) == 0 {
		return
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%s (%+.2f)", f.Text, f.Weight)
	}
	fmt.Fprintf(w, "  %-8s %s\n", label+":", strings.Join(parts, "; "))
}

// describeContract names a contract's PoPs with their cities; a contract
// holding most of many common PoPs is described by what it leaves out.
func describeContract(pops, all []score.CommonPoP) string {
	name := func(p score.CommonPoP) string { return fmt.Sprintf("%s (%s)", p.Name, p.City) }
	const most = 6
	if len(all) > most && len(pops) > len(all)/2 {
		in := make(map[string]bool, len(pops))
		for _, p := range pops {
			in[p.Key] = true
		}
		var out []string
		for _, p := range all {
			if !in[p.Key] {
				out = append(out, name(p))
			}
		}
		if len(out) == 0 {
			return fmt.Sprintf("all %d common PoPs", len(all))
		}
		if len(out) <= most {
			return fmt.Sprintf("all %d common PoPs except %s", len(all), strings.Join(out, ", "))
		}
	}
	var names []string
	for i, p := range pops {
		if i == most {
			names = append(names, fmt.Sprintf("and %d more", len(pops)-most))
			break
		}
		names = append(names, name(p))
	}
	return strings.Join(names, ", ")
}

// num prints a score, or "n/a" for −1.
func num(x float64) string {
	if x < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", x)
}

// volumeSource says whether an outcome's volume was measured or modelled.
func volumeSource(e *score.Outcome) string {
	if e.TrafficSource == "flows" {
		return fmt.Sprintf("measured over %s: 95th percentile of transit traffic to and from it", plural(e.MeasuredDays, "day"))
	}
	return "modelled from " + e.TrafficSource
}
