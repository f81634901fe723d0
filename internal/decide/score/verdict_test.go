package score

import (
	"fmt"
	"testing"

	"github.com/peerform/peerform/internal/decide/billing"
)

// TestVerdict: the one rule combining likelihood and money, case by case.
func TestVerdict(t *testing.T) {
	money := func(source string, c billing.Case) *Outcome {
		cmp := billing.Compare(c)
		return &Outcome{PoPs: []string{"ix:1"}, Priced: true, TrafficSource: source, Comparison: &cmp}
	}
	provider := billing.Transit{USDPerMbps: 0.4, BurstUSDPerMbps: 0.4, Billed: billing.Max}
	// 0.40 × 1,000 Mbps = 400 of transit.
	moved := []billing.Route{{Provider: provider, Moved: billing.Flat(1000, 200)}}
	they := &billing.Paid{WePay: false, FlatUSDPerMonth: 300}
	usd := func(v float64) string { return fmt.Sprintf("$%.0f", v) }
	for _, c := range []struct {
		name        string
		recommended bool
		felicity    float64
		econ        *Outcome
		kind        VerdictKind
		words       string
	}{
		{"unlikely, even if it saves", false, 0.01, money("flows", billing.Case{Routes: moved, PeeringUSD: 100}), Unlikely, "unlikely to agree"},
		{"no contract", true, -1, &Outcome{PoPs: []string{}}, Unlikely, "unlikely to agree: no contract both sides accept"},
		{"likely, no prices", true, 0.5, &Outcome{PoPs: []string{"ix:1"}}, Recommend, "likely to agree"},
		// Ports 100 against 400 of transit.
		{"likely and saves", true, 0.5, money("flows", billing.Case{Routes: moved, PeeringUSD: 100}), Recommend, "likely to agree and saves $300/month"},
		// Ports 1,000 against 400: costs 600 more than transit.
		{"likely but costs", true, 0.5, money("peeringdb", billing.Case{Routes: moved, PeeringUSD: 1000}), LikelyButCosts,
			"likely to agree but costs $600/month more than transit: consider only for resilience or latency"},
		// They pay 300: 1,000 − 300 = 700 still costs 300 more than transit.
		{"paid offer not enough", true, 0.5, money("flows", billing.Case{Routes: moved, PeeringUSD: 1000, Paid: they}), LikelyButCosts,
			"likely to agree but costs $300/month more than transit: consider only for resilience or latency"},
		// Ports 200, they pay 300: −100 against 400: saves 500.
		{"paid offer cheapest", true, 0.5, money("flows", billing.Case{Routes: moved, PeeringUSD: 200, Paid: they}), Recommend,
			"likely to agree and the paid offer saves $500/month"},
		// No volume: break-even 1,000 / 0.40 = 2,500 Mbps.
		{"likely, volume unknown", true, 0.5, money("", billing.Case{Routes: []billing.Route{{Provider: provider, Moved: billing.Flat(0, 0)}}, PeeringUSD: 1000}), Recommend,
			"likely to agree; pays off above 2500 Mbps (traffic unknown)"},
	} {
		r := Result{Recommended: c.recommended, Felicity: c.felicity, Economics: c.econ}
		v := r.Verdict()
		if v.Kind != c.kind || v.Sentence(usd) != c.words {
			t.Errorf("%s: %s %q, want %s %q", c.name, v.Kind, v.Sentence(usd), c.kind, c.words)
		}
	}
}
