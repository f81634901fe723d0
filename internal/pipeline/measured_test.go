package pipeline

import (
	"math"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/decide/traffic"
)

// TestMeasuredBillsEachProvider: measured traffic is billed per transit
// provider, with and without the candidate, from the 5-minute samples: a
// commit the other traffic does not fill absorbs part of the candidate's.
func TestMeasuredBillsEachProvider(t *testing.T) {
	dir := t.TempDir()
	store := &traffic.Store{Dir: dir + "/store"}
	day := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	d := traffic.NewDay(day, 100)
	per := func(mbps float64) uint64 { return uint64(mbps * 1e6 / 8 * traffic.Bucket.Seconds()) }
	for b := range traffic.BucketsPerDay {
		d.Add(traffic.Key{Dir: traffic.Out, Class: traffic.Transit, Neighbor: 64496, Remote: 64504}, b, per(50))
		d.Add(traffic.Key{Dir: traffic.Out, Class: traffic.Transit, Neighbor: 64496, Remote: 64999}, b, per(80))
		d.Add(traffic.Key{Dir: traffic.In, Class: traffic.Transit, Neighbor: 64497, Remote: 64504}, b, per(20))
		d.Add(traffic.Key{Dir: traffic.In, Class: traffic.PNI, Neighbor: 64504, Remote: 64504}, b, per(1000))
	}
	d.SetPath(64504, []bgp.ASN{64496, 64504})
	d.SetPath(64999, []bgp.ASN{64496, 64999})
	if err := store.Write(d); err != nil {
		t.Fatal(err)
	}
	prices := billing.Prices{DefaultPortUSDPerMonth: 30, Transit: []billing.Transit{
		{Name: "a", ASN: 64496, USDPerMbps: 1, CommitMbps: 100, BurstUSDPerMbps: 2, Billed: billing.Max},
		{Name: "rest", USDPerMbps: 0.5, BurstUSDPerMbps: 0.5, Billed: billing.Max}, // every other transit neighbor
	}}
	repo := &intent.Repo{Traffic: intent.Traffic{Store: "store"}, Economics: prices}
	m, err := MeasuredMoves(Options{Dir: dir}, repo, []bgp.ASN{64504, 64511})
	if err != nil || m == nil || m.Days != 1 {
		t.Fatalf("measured %+v, %v", m, err)
	}
	priced := func(asn bgp.ASN) *score.Outcome {
		res := score.Result{Candidate: score.Party{ASN: asn}, Economics: &score.Outcome{PoPs: []string{"ix:1"}, Priced: true, PeeringUSD: 30}}
		ApplyMeasured(&res, m, prices)
		return res.Economics
	}
	// AS64504 over AS64496: the other 80 Mbps bill the 100 Mbps commit
	// (100); with its 50 on top, 130: 100 + 2 × 30 = 160, so it costs 60
	// (not 2 × 50). Over AS64497 (the provider without asn): 0.5 × 20 =
	// 10. Transit 70 against 30 of ports: peering saves 40. The PNI
	// traffic moves nothing.
	e := priced(64504)
	if e.TrafficSource != "flows" || math.Abs(e.MovedOutMbps-50) > 1e-6 || math.Abs(e.MovedInMbps-20) > 1e-6 || e.Comparison == nil {
		t.Fatalf("AS64504 economics %+v", e)
	}
	if c := e.Comparison; math.Abs(c.TransitUSD-70) > 1e-6 || c.SettlementFreeUSD != 30 || c.Cheapest != billing.SettlementFree || math.Abs(c.SavingUSD-40) > 1e-6 {
		t.Errorf("AS64504 comparison %+v", c.Costs)
	}
	// A candidate without measured traffic moves nothing: peering only
	// costs; its break-even is priced with the main provider at the
	// margin (30 / 2 = 15 Mbps).
	e = priced(64511)
	if c := e.Comparison; e.MovedMbps != 0 || c.TransitUSD != 0 || c.Cheapest != billing.StayOnTransit || !c.BreakEven || math.Abs(c.BreakEvenMbps-15) > 1e-6 {
		t.Errorf("AS64511 economics %+v, comparison %+v", e, c)
	}
}
