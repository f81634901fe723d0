package score

import (
	"fmt"

	"github.com/peerform/peerform/internal/decide/billing"
)

// VerdictKind is the recommendation's class.
type VerdictKind string

// The kinds of verdict. Only Recommend earns the recommendation mark.
const (
	// Recommend: likely to agree, and peering saves money (or no prices
	// are set, or the traffic is unknown: money cannot argue against).
	Recommend VerdictKind = "recommended"
	// LikelyButCosts: likely to agree, but staying on transit is cheaper.
	LikelyButCosts VerdictKind = "likely-but-costs"
	// Unlikely: below the threshold, or no contract both sides accept.
	Unlikely VerdictKind = "unlikely"
)

// Verdict is the one recommendation score, suggest and the review give,
// from the rule in docs/scoring.md ("Economics"):
//
//  1. below the threshold (the model's probability, or the paper's
//     felicity): unlikely to agree, whatever the money;
//  2. at or above it, without prices or a contract to price: likely to
//     agree, no money figure;
//  3. at or above it, with prices but no traffic volume: likely to agree,
//     worth it above the break-even volume;
//  4. at or above it, and a peering arrangement is the cheapest: likely
//     to agree and saves that much a month over transit;
//  5. at or above it, and transit is the cheapest: likely to agree but
//     costs more than transit: consider only for resilience or latency.
type Verdict struct {
	Kind VerdictKind `json:"kind"`
	// Via is the cheapest arrangement when money was weighed.
	Via billing.Arrangement `json:"via,omitempty"`
	// USD is the monthly saving (Recommend) or extra cost
	// (LikelyButCosts); 0 when money was not weighed.
	USD float64 `json:"usd_per_month,omitempty"`
	// Weighed says whether money entered the verdict.
	Weighed bool `json:"money_weighed"`
	// BreakEvenMbps is set when the traffic is unknown (rule 3).
	BreakEvenMbps float64 `json:"break_even_mbps,omitempty"`
	// NoContract is set when no contract is acceptable to both sides.
	NoContract bool `json:"no_contract,omitempty"`
}

// Verdict applies the rule to a scored pair.
func (r Result) Verdict() Verdict {
	e := r.Economics
	if r.Felicity < 0 || (e != nil && len(e.PoPs) == 0) {
		return Verdict{Kind: Unlikely, NoContract: true}
	}
	if !r.Recommended {
		return Verdict{Kind: Unlikely}
	}
	if e == nil || e.Comparison == nil {
		return Verdict{Kind: Recommend}
	}
	net, known := e.NetUSD()
	if !known {
		if c := e.Comparison; c.BreakEven {
			return Verdict{Kind: Recommend, BreakEvenMbps: c.BreakEvenMbps}
		}
		return Verdict{Kind: Recommend}
	}
	if net < 0 {
		return Verdict{Kind: LikelyButCosts, Via: billing.StayOnTransit, USD: -net, Weighed: true}
	}
	return Verdict{Kind: Recommend, Via: e.Comparison.Cheapest, USD: net, Weighed: true}
}

// Sentence says the verdict in words, with money written by usd.
func (v Verdict) Sentence(usd func(float64) string) string {
	switch {
	case v.NoContract:
		return "unlikely to agree: no contract both sides accept"
	case v.Kind == Unlikely:
		return "unlikely to agree"
	case v.Kind == LikelyButCosts:
		return fmt.Sprintf("likely to agree but costs %s/month more than transit: consider only for resilience or latency", usd(v.USD))
	case v.Weighed && v.Via == billing.PaidPeering:
		return fmt.Sprintf("likely to agree and the paid offer saves %s/month", usd(v.USD))
	case v.Weighed && v.USD > 0:
		return fmt.Sprintf("likely to agree and saves %s/month", usd(v.USD))
	case v.Weighed:
		return "likely to agree; costs the same as transit"
	case v.BreakEvenMbps > 0:
		return fmt.Sprintf("likely to agree; pays off above %.0f Mbps (traffic unknown)", v.BreakEvenMbps)
	}
	return "likely to agree"
}
