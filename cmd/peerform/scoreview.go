package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
)

// printScore writes the human report of one scored pair.
func printScore(w io.Writer, r score.Result) {
	who := func(p score.Party) string { return strings.TrimSpace(p.ASN.String() + " " + p.Name) }
	verdict := verdictText(r.Verdict())
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
	printEconomics(w, r.Economics)
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

// verdictText is the verdict as score and suggest print it: the mark,
// then the rule's words.
func verdictText(v score.Verdict) string {
	words := v.Sentence(func(usd float64) string { return fmt.Sprintf("$%.0f", usd) })
	if v.Kind == score.Recommend {
		return "RECOMMENDED: " + words
	}
	return "not recommended: " + words
}

// printEconomics writes the business case of the best contract: the
// monthly cost of each arrangement at half, the measured (or modelled)
// and one and a half times the candidate's traffic, and the break-even.
// Without prices there is no money figure at all.
func printEconomics(w io.Writer, e *score.Outcome) {
	switch {
	case e == nil || len(e.PoPs) == 0:
		return
	case !e.Priced:
		fmt.Fprintln(w, "Economics: not estimated; give transit and port prices in an economics block (policies/)")
		return
	case e.Comparison == nil:
		return
	}
	c := e.Comparison
	breakEven := "no volume makes settlement-free peering pay (transit costs nothing more)"
	if c.BreakEven {
		breakEven = fmt.Sprintf("settlement-free peering pays for itself above %.0f Mbps", c.BreakEvenMbps)
	}
	fmt.Fprintf(w, "Economics (%s), per month: ports, cross-connects and IXP fees $%.0f", strings.Join(e.PoPs, " "), e.PeeringUSD)
	if e.TrafficSource == "" {
		fmt.Fprintf(w, "; %s; no traffic volume known (set scoring { traffic_mbps } or collect traffic)\n", breakEven)
		return
	}
	fmt.Fprintf(w, "; traffic %s\n", volumeSource(e))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	paid := ""
	if c.Offer != nil {
		paid = map[bool]string{true: "paid (we pay)\t", false: "paid (they pay)\t"}[c.Offer.WePay]
	}
	fmt.Fprintf(tw, "  its traffic\ttransit\tsettlement-free\t%scheapest\n", paid)
	label := map[bool]string{true: "as measured", false: "as modelled"}[e.TrafficSource == "flows"]
	for i, k := range []billing.Costs{c.Sensitivity[0], c.Costs, c.Sensitivity[1]} {
		paid := ""
		if k.PaidUSD != nil {
			paid = fmt.Sprintf("$%.0f\t", *k.PaidUSD)
		}
		fmt.Fprintf(tw, "  %s %.0f Mbps\t$%.0f\t$%.0f\t%s%s\n", []string{"half:", label + ":", "1.5×:"}[i], k.MovedMbps, k.TransitUSD, k.SettlementFreeUSD, paid, cheapestText(k))
	}
	tw.Flush()
	fmt.Fprintf(w, "  break-even: %s\n", breakEven)
}

// cheapestText names the cheapest arrangement and by how much.
func cheapestText(k billing.Costs) string {
	switch {
	case k.Cheapest != billing.StayOnTransit:
		return fmt.Sprintf("%s, saves $%.0f", k.Cheapest, k.SavingUSD)
	case k.MarginUSD > 0:
		return fmt.Sprintf("transit, by $%.0f", k.MarginUSD)
	}
	return "transit (a tie)"
}

// volumeSource says whether an outcome's volume was measured or modelled.
func volumeSource(e *score.Outcome) string {
	if e.TrafficSource == "flows" {
		return fmt.Sprintf("measured over %s: 95th percentile of transit traffic to and from it", plural(e.MeasuredDays, "day"))
	}
	return "modelled from " + e.TrafficSource
}
