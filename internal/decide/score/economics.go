package score

import (
	"math"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
)

// Outcome is the business case of the best contract (docs/scoring.md,
// "Economics"): what carrying the candidate's traffic costs on transit,
// over settlement-free peering and over a paid-peering offer.
type Outcome struct {
	// PoPs are the keys of the contract the figures are for: the first
	// APC* entry both sides accept. Empty when there is none.
	PoPs []string `json:"pops"`
	// Priced is false when the policy gives no price at all (no
	// economics block): there is then no money figure to show, and
	// Comparison is nil.
	Priced bool `json:"priced"`
	// TrafficSource says where the Mbps figures come from: "flows"
	// (measured: transit traffic that would move, UseMeasured), or
	// modelled from "measured" (the policy's total traffic), "peeringdb"
	// (the requester's declared info_traffic) or "ports" (its port
	// capacity, exchange model), or "" when no volume is known and only
	// the break-even can be given.
	TrafficSource string `json:"traffic_source"`
	// MeasuredDays is how many days of flows "flows" figures cover.
	MeasuredDays int `json:"measured_days,omitempty"`
	// MovedInMbps and MovedOutMbps are the 95th percentiles, per
	// direction, of the traffic the contract takes off transit;
	// MovedMbps is the larger.
	MovedInMbps  float64 `json:"moved_in_mbps"`
	MovedOutMbps float64 `json:"moved_out_mbps"`
	MovedMbps    float64 `json:"moved_mbps"`
	// PeeringUSD is the monthly cost of the ports, cross-connects and
	// IXP fees of the contract.
	PeeringUSD float64 `json:"peering_usd_per_month"`
	// Comparison prices transit, settlement-free and paid peering; nil
	// when not Priced or without a contract.
	Comparison *billing.Comparison `json:"comparison,omitempty"`
}

// economics prices the first jointly acceptable contract of APC* with
// the modelled traffic.
func economics(res Result, r *Profile, prices billing.Prices, p Params) *Outcome {
	out := &Outcome{PoPs: []string{}, Priced: prices.Priced()}
	var best *Ranked
	for i := range res.APC {
		if res.APC[i].OmegaRC > 0 {
			best = &res.APC[i]
			break
		}
	}
	if best == nil {
		return out
	}
	for _, q := range best.PoPs {
		out.PoPs = append(out.PoPs, q.Key)
	}
	out.PeeringUSD = prices.PeeringUSD(out.PoPs)
	// Convert the result's traffic unit to Mbps with the requester's own
	// volume: measured traffic is already Mbps; a declared volume scales
	// the gravity estimate.
	scale := 0.0
	switch {
	case p.Traffic == ExchangeTraffic:
		// Contracts are in Mbps already; say where R's volume came from.
		out.TrafficSource, scale = r.VolumeSource, 1
	case r.Network.TrafficMbps > 0:
		out.TrafficSource, scale = "measured", 1
	case r.Network.DeclaredTrafficMbps > 0 && r.Gravity > 0:
		out.TrafficSource, scale = "peeringdb", r.Network.DeclaredTrafficMbps/r.Gravity
	}
	// Out is what R sends into the contract, In what it receives. A
	// modelled volume is flat, and priced with the main provider.
	moved := billing.Flat(best.In*scale, best.Out*scale)
	var routes []billing.Route
	if len(prices.Transit) > 0 {
		routes = []billing.Route{{Provider: prices.Transit[0], Moved: moved}}
	}
	out.price(routes, moved, prices, res.Candidate.ASN)
	return out
}

// UseMeasured replaces the modelled volume with measured traffic: the
// candidate's 5-minute samples per transit provider, with each provider's
// other traffic (billing.Route), over days days. moved is the
// candidate's traffic over all of them.
func (o *Outcome) UseMeasured(routes []billing.Route, moved billing.Traffic, days int, prices billing.Prices, candidate bgp.ASN) {
	o.TrafficSource, o.MeasuredDays = "flows", days
	o.price(routes, moved, prices, candidate)
}

func (o *Outcome) price(routes []billing.Route, moved billing.Traffic, prices billing.Prices, candidate bgp.ASN) {
	o.MovedInMbps, o.MovedOutMbps = moved.P95(billing.In), moved.P95(billing.Out)
	o.MovedMbps = math.Max(o.MovedInMbps, o.MovedOutMbps)
	if !o.Priced || len(o.PoPs) == 0 {
		o.Comparison = nil
		return
	}
	c := billing.Case{Routes: routes, PeeringUSD: o.PeeringUSD}
	if offer, ok := prices.Paid[candidate]; ok {
		c.Paid = &offer
	}
	cmp := billing.Compare(c)
	o.Comparison = &cmp
}

// NetUSD is the monthly money of peering, signed: what the cheapest
// peering arrangement saves over transit, or minus what it costs more
// when transit is the cheapest. False when there is no figure: no prices,
// no contract, or no traffic volume.
func (o *Outcome) NetUSD() (float64, bool) {
	if o == nil || o.Comparison == nil || o.TrafficSource == "" {
		return 0, false
	}
	if c := o.Comparison; c.Cheapest == billing.StayOnTransit {
		return -c.MarginUSD, true
	}
	return o.Comparison.SavingUSD, true
}
