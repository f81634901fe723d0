package score

import "math"

// Outcome is the business case of the best contract (docs/scoring.md, "Beyond
// the paper").
type Outcome struct {
	// PoPs are the keys of the contract the figures are for: the first
	// APC* entry both sides accept. Empty when there is none.
	PoPs []string `json:"pops"`
	// Priced is false when the policy gives no price at all (no
	// economics block): the money figures are then zeros, not estimates,
	// and are not to be shown.
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
	// BilledDirection is the direction transit is assumed to bill on:
	// "inbound" for inbound-heavy requesters, "outbound" for
	// outbound-heavy ones, "max" (the larger) otherwise.
	BilledDirection string `json:"billed_direction"`
	// MovedMbps is the billed-direction traffic the contract takes off
	// transit.
	MovedMbps float64 `json:"moved_mbps"`
	// TransitSavingUSD is MovedMbps × the transit price, per month.
	TransitSavingUSD float64 `json:"transit_saving_usd_per_month"`
	// PortCostUSD is the monthly cost of peering at the contract's PoPs.
	PortCostUSD float64 `json:"port_cost_usd_per_month"`
	// NetSavingUSD is the saving minus the port costs.
	NetSavingUSD float64 `json:"net_saving_usd_per_month"`
	// BreakEvenMbps is the billed traffic at which the contract pays for
	// its ports; 0 when transit is free or not priced.
	BreakEvenMbps float64 `json:"break_even_mbps"`
}

// economics prices the first jointly acceptable contract of APC*.
func economics(res Result, r *Profile, e Economics, p Params) *Outcome {
	out := &Outcome{PoPs: []string{}, Priced: e.priced()}
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
		out.PortCostUSD += e.costAt(q.Key)
	}
	if e.TransitUSDPerMbps > 0 {
		out.BreakEvenMbps = out.PortCostUSD / e.TransitUSDPerMbps
	}
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
	o, in := best.Out*scale, best.In*scale
	switch r.Ratio {
	case HeavyInbound, MostlyInbound:
		out.BilledDirection, out.MovedMbps = "inbound", in
	case HeavyOutbound, MostlyOutbound:
		out.BilledDirection, out.MovedMbps = "outbound", o
	default:
		out.BilledDirection, out.MovedMbps = "max", math.Max(o, in)
	}
	out.TransitSavingUSD = out.MovedMbps * e.TransitUSDPerMbps
	out.NetSavingUSD = out.TransitSavingUSD - out.PortCostUSD
	return out
}

// UseMeasured replaces the modelled volume with measured traffic: the
// 95th percentiles per direction of the transit traffic that would move
// to the candidate, measured over days. Transit bills the larger of the
// two.
func (o *Outcome) UseMeasured(inMbps, outMbps float64, days int, e Economics) {
	o.TrafficSource, o.MeasuredDays = "flows", days
	o.BilledDirection, o.MovedMbps = "max", math.Max(inMbps, outMbps)
	o.TransitSavingUSD = o.MovedMbps * e.TransitUSDPerMbps
	o.NetSavingUSD = o.TransitSavingUSD - o.PortCostUSD
}

// priced reports whether any price is set.
func (e Economics) priced() bool {
	return e.TransitUSDPerMbps > 0 || e.DefaultPortUSDPerMonth > 0 || e.CrossConnectUSDPerMonth > 0 || len(e.PortUSDPerMonth) > 0
}
