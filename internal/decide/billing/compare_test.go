package billing

import (
	"math"
	"testing"
)

func TestCompare(t *testing.T) {
	flatRate := Transit{Name: "a", USDPerMbps: 0.4, BurstUSDPerMbps: 0.4, Billed: Max}
	modelled := []Route{{Provider: flatRate, Moved: Flat(100, 40)}}
	// Measured, with a commit: 20 samples; the provider carries 90 Mbps
	// in besides the candidate, commit 100 at $1, burst $2, billed in.
	// The candidate sends 20 Mbps in, with one spike of 100.
	committed := Transit{Name: "b", USDPerMbps: 1, CommitMbps: 100, BurstUSDPerMbps: 2, Billed: In}
	measured := []Route{{Provider: committed,
		Moved: Traffic{In: append(repeat(20, 19), 100), Out: repeat(0, 20)},
		Rest:  Traffic{In: repeat(90, 20), Out: repeat(0, 20)}}}
	paidUs := &Paid{WePay: true, USDPerMbps: 0.1, FlatUSDPerMonth: 5, Billed: Max}
	paidThem := &Paid{WePay: false, USDPerMbps: 0.1, FlatUSDPerMonth: 5, Billed: Max}
	type costs struct{ transit, sf, paid, saving, margin float64 }
	for _, c := range []struct {
		name      string
		c         Case
		want      costs // at the traffic as given
		cheapest  Arrangement
		breakEven float64 // 0 with noBreak
		noBreak   bool
		half      costs // at 0.5 and 1.5 times the traffic
		halfBest  Arrangement
		more      costs
		moreBest  Arrangement
	}{
		{
			// Transit: 0.40 × max(100, 40) = 40; ports 30: peering saves
			// 10. Break-even 0.40 × x = 30: x = 75 Mbps. At half the
			// traffic transit costs 20 (< 30: stay), at 1.5× 60 (saves 30).
			name: "modelled, settlement-free pays", c: Case{Routes: modelled, PeeringUSD: 30},
			want: costs{40, 30, 0, 10, 10}, cheapest: SettlementFree, breakEven: 75,
			half: costs{20, 30, 0, 0, 10}, halfBest: StayOnTransit, more: costs{60, 30, 0, 30, 30}, moreBest: SettlementFree,
		},
		{
			// Likely to agree but loses money: ports 100 against 40 of
			// transit: transit is cheapest by 60; break-even 250 Mbps.
			name: "modelled, peering costs more", c: Case{Routes: modelled, PeeringUSD: 100},
			want: costs{40, 100, 0, 0, 60}, cheapest: StayOnTransit, breakEven: 250,
			half: costs{20, 100, 0, 0, 80}, halfBest: StayOnTransit, more: costs{60, 100, 0, 0, 40}, moreBest: StayOnTransit,
		},
		{
			// Measured with a commit. With the candidate: 19 samples of
			// 110 and one of 190; the 95th of 20 drops one: 110, billed
			// 100 + 2 × 10 = 120. Without: 90 < commit: 100. Transit
			// cost 20 (the naive 2 × P95(candidate) would say 40). Ports
			// 15: peering saves 5. Break-even: 2 × (90 + 20f − 100) = 15
			// at f = 0.875, the candidate's 95th (20) × 0.875 = 17.5 Mbps.
			// Half: 90 + 10 = 100, at the commit: transit costs nothing
			// more. 1.5×: 90 + 30 = 120: 2 × 20 = 40, peering saves 25.
			name: "measured, commit", c: Case{Routes: measured, PeeringUSD: 15},
			want: costs{20, 15, 0, 5, 5}, cheapest: SettlementFree, breakEven: 17.5,
			half: costs{0, 15, 0, 0, 15}, halfBest: StayOnTransit, more: costs{40, 15, 0, 25, 25}, moreBest: SettlementFree,
		},
		{
			// Paid peering, we pay: 5 + 0.10 × 100 = 15 on top of the
			// ports (30): 45. Settlement-free (30) stays cheapest, by
			// 10 over transit (40). Half: charge 5 + 5 = 10, paid 40.
			name: "we pay", c: Case{Routes: modelled, PeeringUSD: 30, Paid: paidUs},
			want: costs{40, 30, 45, 10, 10}, cheapest: SettlementFree, breakEven: 75,
			half: costs{20, 30, 40, 0, 10}, halfBest: StayOnTransit, more: costs{60, 30, 50, 30, 20}, moreBest: SettlementFree,
		},
		{
			// Paid peering, they pay: ports 30 − 15 = 15, cheapest,
			// saving 25 over transit and 15 over settlement-free.
			name: "they pay", c: Case{Routes: modelled, PeeringUSD: 30, Paid: paidThem},
			want: costs{40, 30, 15, 25, 15}, cheapest: PaidPeering, breakEven: 75,
			half: costs{20, 30, 20, 0, 0}, halfBest: StayOnTransit, more: costs{60, 30, 10, 50, 20}, moreBest: PaidPeering,
		},
		{
			// No transit priced: transit costs nothing and peering can
			// never pay for its ports.
			name: "no transit", c: Case{PeeringUSD: 50},
			want: costs{0, 50, 0, 0, 50}, cheapest: StayOnTransit, noBreak: true,
			half: costs{0, 50, 0, 0, 50}, halfBest: StayOnTransit, more: costs{0, 50, 0, 0, 50}, moreBest: StayOnTransit,
		},
		{
			// Unknown volume: nothing moves, but the break-even still
			// follows from the price: 100 / 0.50 = 200 Mbps.
			name: "no volume", c: Case{Routes: []Route{{Provider: Transit{USDPerMbps: 0.5, BurstUSDPerMbps: 0.5}, Moved: Flat(0, 0)}}, PeeringUSD: 100},
			want: costs{0, 100, 0, 0, 100}, cheapest: StayOnTransit, breakEven: 200,
			half: costs{0, 100, 0, 0, 100}, halfBest: StayOnTransit, more: costs{0, 100, 0, 0, 100}, moreBest: StayOnTransit,
		},
		{
			// Zero prices everywhere: everything costs nothing; the tie
			// goes to transit (no change), and any volume breaks even.
			name: "zero prices", c: Case{Routes: []Route{{Provider: Transit{}, Moved: Flat(10, 10)}}},
			want: costs{}, cheapest: StayOnTransit, breakEven: 0,
			half: costs{}, halfBest: StayOnTransit, more: costs{}, moreBest: StayOnTransit,
		},
		{
			// Per GB (cloud egress) in February: 10 Mbps out is 3,024 GB,
			// at 0.05 151.20; ports 100 save 51.20. Break-even 100/151.2
			// × 10 Mbps = 6.6138 Mbps.
			name: "per GB, 28 days", c: Case{Routes: []Route{{Provider: Transit{EgressUSDPerGB: 0.05}, Moved: Flat(0, 10)}}, PeeringUSD: 100, MonthDays: 28},
			want: costs{151.2, 100, 0, 51.2, 51.2}, cheapest: SettlementFree, breakEven: 1000 / 151.2,
			half: costs{75.6, 100, 0, 0, 24.4}, halfBest: StayOnTransit, more: costs{226.8, 100, 0, 126.8, 126.8}, moreBest: SettlementFree,
		},
	} {
		got := Compare(c.c)
		check := func(label string, k Costs, want costs, best Arrangement) {
			t.Helper()
			paid := 0.0
			if k.PaidUSD != nil {
				paid = *k.PaidUSD
			}
			if !near(k.TransitUSD, want.transit) || !near(k.SettlementFreeUSD, want.sf) || !near(paid, want.paid) ||
				!near(k.SavingUSD, want.saving) || !near(k.MarginUSD, want.margin) || k.Cheapest != best {
				t.Errorf("%s, %s: transit %v, settlement-free %v, paid %v, saving %v, margin %v, cheapest %s; want %+v, %s",
					c.name, label, k.TransitUSD, k.SettlementFreeUSD, paid, k.SavingUSD, k.MarginUSD, k.Cheapest, want, best)
			}
		}
		check("as given", got.Costs, c.want, c.cheapest)
		if len(got.Sensitivity) != 2 || got.Sensitivity[0].Scale != 0.5 || got.Sensitivity[1].Scale != 1.5 {
			t.Fatalf("%s: sensitivity %+v", c.name, got.Sensitivity)
		}
		check("half", got.Sensitivity[0], c.half, c.halfBest)
		check("1.5×", got.Sensitivity[1], c.more, c.moreBest)
		// The bisection stops at a millionth of the traffic level.
		if got.BreakEven == c.noBreak || (!c.noBreak && math.Abs(got.BreakEvenMbps-c.breakEven) > 1e-5*math.Max(1, c.breakEven)) {
			t.Errorf("%s: break-even %v (%v), want %v (%v)", c.name, got.BreakEvenMbps, got.BreakEven, c.breakEven, !c.noBreak)
		}
	}
}

// BenchmarkCompareModelled is one candidate with modelled (flat) traffic,
// as suggest prices every candidate.
func BenchmarkCompareModelled(b *testing.B) {
	c := Case{Routes: []Route{{Provider: Transit{USDPerMbps: 0.4, CommitMbps: 1000, BurstUSDPerMbps: 0.45, Billed: Max}, Moved: Flat(300, 120)}},
		PeeringUSD: 1600, Paid: &Paid{WePay: true, USDPerMbps: 0.05, FlatUSDPerMonth: 250}}
	for b.Loop() {
		Compare(c)
	}
}

// BenchmarkCompareMeasuredMonth is one candidate with a month of
// 5-minute samples on two providers, as score and the review price it.
func BenchmarkCompareMeasuredMonth(b *testing.B) {
	month := func(base float64) Traffic {
		t := Traffic{In: make([]float64, 30*SamplesPerDay), Out: make([]float64, 30*SamplesPerDay)}
		for i := range t.In {
			t.In[i], t.Out[i] = base*(1+float64(i%SamplesPerDay)/SamplesPerDay), base/3
		}
		return t
	}
	p := Transit{USDPerMbps: 0.4, CommitMbps: 1000, BurstUSDPerMbps: 0.45, Billed: Max}
	c := Case{Routes: []Route{{Provider: p, Moved: month(300), Rest: month(2000)}, {Provider: p, Moved: month(50), Rest: month(800)}}, PeeringUSD: 1600}
	for b.Loop() {
		Compare(c)
	}
}
