package billing

import "math"

// Arrangement is a way to carry a candidate's traffic.
type Arrangement string

// The arrangements Compare prices.
const (
	StayOnTransit  Arrangement = "transit"
	SettlementFree Arrangement = "settlement-free"
	PaidPeering    Arrangement = "paid"
)

// Route is the part of a candidate's traffic one transit provider
// carries today.
type Route struct {
	Provider Transit
	// Moved is the candidate's traffic on this provider: what peering
	// would take off it.
	Moved Traffic
	// Rest is the provider's other traffic, sample by sample aligned
	// with Moved. Empty when unknown (modelled traffic): Moved is then
	// priced at the margin, as if all of it were above the commit.
	Rest Traffic
}

// Case is one candidate's traffic and what peering with it would cost.
type Case struct {
	Routes []Route
	// PeeringUSD is the monthly cost of the ports, cross-connects and
	// IXP fees of the contract (Prices.PeeringUSD).
	PeeringUSD float64
	// Paid is the candidate's paid-peering offer, if it made one.
	Paid *Paid
	// MonthDays is the length of the month (28 to 31); 0 is MonthDays.
	MonthDays int
}

// Costs are the monthly costs of each arrangement at one traffic level.
type Costs struct {
	// Scale is the traffic level: 1 as measured or modelled, 0.5 and 1.5
	// for the sensitivity.
	Scale float64 `json:"scale"`
	// MovedMbps is the candidate's traffic at this level: the larger
	// direction's 95th percentile.
	MovedMbps float64 `json:"moved_mbps"`
	// TransitUSD is what its traffic adds to the transit bills:
	// Bill(rest + moved) − Bill(rest), summed over providers.
	TransitUSD float64 `json:"transit_usd"`
	// SettlementFreeUSD is the peering cost (ports, cross-connects, IXP
	// fees); the transit cost disappears.
	SettlementFreeUSD float64 `json:"settlement_free_usd"`
	// PaidUSD is the peering cost plus the offer's charge when we pay,
	// minus it when we are paid; nil without an offer.
	PaidUSD *float64 `json:"paid_usd,omitempty"`
	// Cheapest is the arrangement with the lowest cost (ties go to
	// transit, then settlement-free: the least change), SavingUSD how
	// much it saves over staying on transit and MarginUSD how much
	// cheaper it is than the next best arrangement.
	Cheapest  Arrangement `json:"cheapest"`
	SavingUSD float64     `json:"saving_usd"`
	MarginUSD float64     `json:"margin_usd"`
}

// Comparison is Compare's answer.
type Comparison struct {
	Costs
	// BreakEvenMbps is the candidate's traffic (larger direction's 95th
	// percentile, in the shape measured) at which settlement-free
	// peering costs what transit does; meaningful only when BreakEven.
	BreakEvenMbps float64 `json:"break_even_mbps"`
	// BreakEven is false when no volume makes peering pay (transit is
	// free, or its price never catches up with the ports).
	BreakEven bool `json:"break_even"`
	// Sensitivity is the same comparison at half and one and a half
	// times the candidate's traffic.
	Sensitivity []Costs `json:"sensitivity"`
	// Offer is the paid-peering offer priced, if any.
	Offer *Paid `json:"offer,omitempty"`
}

// Compare prices the three arrangements for the case's traffic, at ±50 %
// of it, and finds the break-even volume.
func Compare(c Case) Comparison {
	if c.MonthDays == 0 {
		c.MonthDays = MonthDays
	}
	moved, base := c.moved(), c.restBills()
	out := Comparison{Costs: c.costs(1, moved, base), Offer: c.Paid}
	for _, f := range []float64{0.5, 1.5} {
		out.Sensitivity = append(out.Sensitivity, c.costs(f, moved, base))
	}
	out.BreakEvenMbps, out.BreakEven = c.breakEven(moved)
	return out
}

// moved is the candidate's traffic over every provider.
func (c Case) moved() Traffic {
	var sum Traffic
	for _, r := range c.Routes {
		switch {
		case sum.Len() == 0:
			sum = r.Moved.Scale(1)
		case r.Moved.Len() > sum.Len():
			sum = r.Moved.Add(sum, 1)
		default:
			sum = sum.Add(r.Moved, 1)
		}
	}
	return sum
}

// transitUSD is what f times the candidate's traffic adds to the bills;
// base holds each route's bill without it (restBills).
func (c Case) transitUSD(f float64, base []float64) float64 {
	var sum float64
	for i, r := range c.Routes {
		if r.Rest.Len() == 0 {
			sum += r.Provider.variable(r.Moved.Scale(f), c.MonthDays, 0)
			continue
		}
		sum += r.Provider.Bill(r.Rest.Add(r.Moved, f), c.MonthDays) - base[i]
	}
	return sum
}

// restBills is each route's bill without the candidate.
func (c Case) restBills() []float64 {
	out := make([]float64, len(c.Routes))
	for i, r := range c.Routes {
		out[i] = r.Provider.Bill(r.Rest, c.MonthDays)
	}
	return out
}

func (c Case) costs(f float64, moved Traffic, base []float64) Costs {
	k := Costs{Scale: f, MovedMbps: f * moved.P95(Max), TransitUSD: c.transitUSD(f, base), SettlementFreeUSD: c.PeeringUSD}
	type option struct {
		a    Arrangement
		cost float64
	}
	options := []option{{StayOnTransit, k.TransitUSD}, {SettlementFree, k.SettlementFreeUSD}}
	if c.Paid != nil {
		charge := c.Paid.Charge(moved.Scale(f), c.MonthDays)
		if !c.Paid.WePay {
			charge = -charge
		}
		paid := c.PeeringUSD + charge
		k.PaidUSD = &paid
		options = append(options, option{PaidPeering, paid})
	}
	best := 0
	for i, o := range options {
		if o.cost < options[best].cost {
			best = i
		}
	}
	k.Cheapest, k.SavingUSD = options[best].a, k.TransitUSD-options[best].cost
	k.MarginUSD = math.Inf(1)
	for i, o := range options {
		if i != best {
			k.MarginUSD = min(k.MarginUSD, o.cost-options[best].cost)
		}
	}
	return k
}

// breakEven finds the traffic at which transit costs what the ports do,
// by bisection on the traffic level: the transit cost grows with it. A
// case without measured or modelled volume uses a flat rate on the first
// provider as the shape.
func (c Case) breakEven(moved Traffic) (float64, bool) {
	unit := moved.P95(Max)
	if unit == 0 {
		if len(c.Routes) == 0 {
			return 0, false
		}
		c.Routes = append([]Route{{Provider: c.Routes[0].Provider, Moved: Flat(1, 1), Rest: c.Routes[0].Rest}}, c.Routes[1:]...)
		for i := 1; i < len(c.Routes); i++ {
			c.Routes[i].Moved = c.Routes[i].Moved.Scale(0)
		}
		unit = 1
	}
	if c.PeeringUSD <= 0 {
		return 0, true
	}
	base := c.restBills()
	const ceiling = 1 << 40 // far beyond any traffic: transit never pays for the ports
	hi := 1.0
	for c.transitUSD(hi, base) < c.PeeringUSD {
		if hi *= 2; hi > ceiling {
			return 0, false
		}
	}
	// Halve [lo, hi] until it is a millionth of hi: a break-even good to
	// six digits.
	lo := 0.0
	for hi-lo > hi*1e-6 {
		mid := (lo + hi) / 2
		if c.transitUSD(mid, base) < c.PeeringUSD {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi * unit, true
}
