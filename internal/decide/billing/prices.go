package billing

import (
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
)

// MonthDays is the month figures are given for: the 30 days of measured
// traffic score and review read (a 30-day month has 8,640 samples).
const MonthDays = 30

// Transit is one transit provider's contract.
type Transit struct {
	Name string `json:"name"`
	// ASN is the provider's AS, the neighbor AS of its transit links in
	// measured traffic; 0 for a provider that carries the transit
	// traffic no other provider names.
	ASN bgp.ASN `json:"asn,omitempty"`
	// USDPerMbps is the monthly price per Mbps of the commit.
	USDPerMbps float64 `json:"usd_per_mbps"`
	// CommitMbps is billed even when unused.
	CommitMbps float64 `json:"commit_mbps"`
	// BurstUSDPerMbps is the monthly price per Mbps billed above the
	// commit (policies/ default it to USDPerMbps; 0 here means free).
	BurstUSDPerMbps float64 `json:"burst_usd_per_mbps"`
	// Billed is the direction the 95th percentile is taken on.
	Billed Direction `json:"billed"`
	// EgressUSDPerGB and IngressUSDPerGB price volume (cloud egress):
	// what we send and what we receive, per decimal GB.
	EgressUSDPerGB  float64 `json:"egress_usd_per_gb"`
	IngressUSDPerGB float64 `json:"ingress_usd_per_gb"`
}

// Bill is the monthly bill for a month of traffic t:
//
//	USDPerMbps × CommitMbps + BurstUSDPerMbps × max(0, P95 − CommitMbps)
//	+ EgressUSDPerGB × GB out + IngressUSDPerGB × GB in
//
// where P95 is t's 95th percentile in the Billed direction.
func (p Transit) Bill(t Traffic, monthDays int) float64 {
	return p.USDPerMbps*p.CommitMbps + p.variable(t, monthDays, p.CommitMbps)
}

// variable is the part of the bill that grows with traffic above commit.
func (p Transit) variable(t Traffic, monthDays int, commit float64) float64 {
	in, out := t.GB(monthDays)
	return p.BurstUSDPerMbps*max(0, t.P95(p.Billed)-commit) + p.EgressUSDPerGB*out + p.IngressUSDPerGB*in
}

// Paid is a paid-peering offer from one network.
type Paid struct {
	// WePay is true when we pay the peer, false when the peer pays us.
	WePay bool `json:"we_pay"`
	// USDPerMbps prices the 95th percentile of the traffic exchanged
	// with the peer, in the Billed direction.
	USDPerMbps float64 `json:"usd_per_mbps"`
	// USDPerGB prices its volume in the Billed direction (max: the
	// larger direction's volume; sum: both).
	USDPerGB float64 `json:"usd_per_gb"`
	// FlatUSDPerMonth is due whatever the traffic.
	FlatUSDPerMonth float64   `json:"flat_usd_per_month"`
	Billed          Direction `json:"billed"`
}

// Charge is the monthly amount the offer moves for traffic t, before its
// sign (who pays):
//
//	FlatUSDPerMonth + USDPerMbps × P95 + USDPerGB × GB
func (p Paid) Charge(t Traffic, monthDays int) float64 {
	in, out := t.GB(monthDays)
	var gb float64
	switch p.Billed {
	case In:
		gb = in
	case Out:
		gb = out
	case Sum:
		gb = in + out
	default:
		gb = max(in, out)
	}
	return p.FlatUSDPerMonth + p.USDPerMbps*t.P95(p.Billed) + p.USDPerGB*gb
}

// Prices are everything the economics block of policies/ says.
type Prices struct {
	// Transit lists the providers, the main one first: modelled traffic
	// is priced with the first.
	Transit []Transit `json:"transit"`
	// PortUSDPerMonth is the monthly cost of a port or cross-connect at
	// a PoP, by PoP key ("ix:26", "fac:1").
	PortUSDPerMonth map[string]float64 `json:"port_usd_per_month"`
	// DefaultPortUSDPerMonth applies to IXP PoPs not in PortUSDPerMonth,
	// CrossConnectUSDPerMonth to facility PoPs (a private interconnect)
	// not in it.
	DefaultPortUSDPerMonth  float64 `json:"default_port_usd_per_month"`
	CrossConnectUSDPerMonth float64 `json:"cross_connect_usd_per_month"`
	// IXPFeeUSDPerMonth is an exchange's monthly membership fee, by PoP
	// key, on top of its port.
	IXPFeeUSDPerMonth map[string]float64 `json:"ixp_fee_usd_per_month"`
	// Paid holds the paid-peering offers, by the offering network.
	Paid map[bgp.ASN]Paid `json:"paid_peering"`
}

// Priced reports whether any price is set: without, no money figure is
// shown at all.
func (p Prices) Priced() bool {
	return len(p.Transit) > 0 || len(p.PortUSDPerMonth) > 0 || p.DefaultPortUSDPerMonth > 0 ||
		p.CrossConnectUSDPerMonth > 0 || len(p.IXPFeeUSDPerMonth) > 0 || len(p.Paid) > 0
}

// PeeringUSD is the monthly cost of peering at the PoPs with the given
// keys: a port (or cross-connect at a facility) at each, plus each
// exchange's fee.
func (p Prices) PeeringUSD(pops []string) float64 {
	var sum float64
	for _, k := range pops {
		switch c, ok := p.PortUSDPerMonth[k]; {
		case ok:
			sum += c
		case strings.HasPrefix(k, "fac:"):
			sum += p.CrossConnectUSDPerMonth
		default:
			sum += p.DefaultPortUSDPerMonth
		}
		sum += p.IXPFeeUSDPerMonth[k]
	}
	return sum
}
