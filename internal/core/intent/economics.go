package intent

import (
	"math"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
)

// The economics block (docs/scoring.md, "Economics"): transit providers,
// ports, cross-connects and IXP fees, and paid-peering offers. Offers sit
// here rather than in peers/: they are made by candidates, which have no
// peer file yet.
type rawEconomics struct {
	DefRange hcl.Range `hcl:",def_range"`
	// TransitUSDPerMbps is the older spelling of one transit block.
	TransitUSDPerMbps       *float64            `hcl:"transit_usd_per_mbps,optional"`
	PortUSDPerMonth         *map[string]float64 `hcl:"port_usd_per_month,optional"`
	DefaultPortUSDPerMonth  *float64            `hcl:"default_port_usd_per_month,optional"`
	CrossConnectUSDPerMonth *float64            `hcl:"cross_connect_usd_per_month,optional"`
	IXPFeeUSDPerMonth       *map[string]float64 `hcl:"ixp_fee_usd_per_month,optional"`
	Transit                 []*rawTransit       `hcl:"transit,block"`
	Paid                    []*rawPaid          `hcl:"paid_peering,block"`

	TransitRange      hcl.Range `hcl:"transit_usd_per_mbps,attr_range"`
	PortRange         hcl.Range `hcl:"port_usd_per_month,attr_range"`
	DefaultPortRange  hcl.Range `hcl:"default_port_usd_per_month,attr_range"`
	CrossConnectRange hcl.Range `hcl:"cross_connect_usd_per_month,attr_range"`
	IXPFeeRange       hcl.Range `hcl:"ixp_fee_usd_per_month,attr_range"`
}

type rawTransit struct {
	Name            string    `hcl:"name,label"`
	DefRange        hcl.Range `hcl:",def_range"`
	ASN             *int64    `hcl:"asn,optional"`
	USDPerMbps      *float64  `hcl:"usd_per_mbps,optional"`
	CommitMbps      *float64  `hcl:"commit_mbps,optional"`
	BurstUSDPerMbps *float64  `hcl:"burst_usd_per_mbps,optional"`
	Billed          *string   `hcl:"billed,optional"`
	EgressUSDPerGB  *float64  `hcl:"egress_usd_per_gb,optional"`
	IngressUSDPerGB *float64  `hcl:"ingress_usd_per_gb,optional"`

	ASNRange     hcl.Range `hcl:"asn,attr_range"`
	USDRange     hcl.Range `hcl:"usd_per_mbps,attr_range"`
	CommitRange  hcl.Range `hcl:"commit_mbps,attr_range"`
	BurstRange   hcl.Range `hcl:"burst_usd_per_mbps,attr_range"`
	BilledRange  hcl.Range `hcl:"billed,attr_range"`
	EgressRange  hcl.Range `hcl:"egress_usd_per_gb,attr_range"`
	IngressRange hcl.Range `hcl:"ingress_usd_per_gb,attr_range"`
}

type rawPaid struct {
	Peer        string    `hcl:"peer,label"`
	LabelRange  hcl.Range `hcl:"peer,label_range"`
	DefRange    hcl.Range `hcl:",def_range"`
	Payer       *string   `hcl:"payer,optional"`
	USDPerMbps  *float64  `hcl:"usd_per_mbps,optional"`
	USDPerGB    *float64  `hcl:"usd_per_gb,optional"`
	FlatUSD     *float64  `hcl:"flat_usd_per_month,optional"`
	Billed      *string   `hcl:"billed,optional"`
	PayerRange  hcl.Range `hcl:"payer,attr_range"`
	USDRange    hcl.Range `hcl:"usd_per_mbps,attr_range"`
	GBRange     hcl.Range `hcl:"usd_per_gb,attr_range"`
	FlatRange   hcl.Range `hcl:"flat_usd_per_month,attr_range"`
	BilledRange hcl.Range `hcl:"billed,attr_range"`
}

// Bounds on what the economics block may say: beyond them a figure is a
// typo (or hostile), and the arithmetic stays finite.
const (
	maxPrice        = 1e9 // USD, per month, Mbps or GB
	maxCommitMbps   = 1e9 // a petabit
	maxEconBlocks   = 1024
	defaultBilledBy = billing.Max
)

// amount checks an optional price or volume: finite, not negative, below
// the bound; nil reads as 0.
func (v *validator) amount(f *float64, rng hcl.Range, attr string, bound float64) float64 {
	if f == nil {
		return 0
	}
	if math.IsNaN(*f) || *f < 0 || *f > bound {
		v.errorf(rng, "Invalid "+attr, "%s is between 0 and %g.", attr, bound)
		return 0
	}
	return *f
}

func (v *validator) billed(s *string, rng hcl.Range) billing.Direction {
	if s == nil {
		return defaultBilledBy
	}
	d, err := billing.ParseDirection(*s)
	if err != nil {
		all := names(billing.Directions)
		v.errorf(rng, "Unknown billed direction", "billed is one of %s: max bills the larger direction's 95th percentile, sum adds the two.%s",
			strings.Join(all, ", "), didYouMean(*s, all))
		return defaultBilledBy
	}
	return d
}

// pricesByPoP checks a map of monthly prices keyed by PoP; only
// exchanges when ixOnly.
func (v *validator) pricesByPoP(m *map[string]float64, rng hcl.Range, attr string, ixOnly bool) map[string]float64 {
	if m == nil {
		return nil
	}
	out := map[string]float64{}
	for k, price := range *m {
		kind, _, err := ParsePoPKey(k)
		switch {
		case err != nil:
			v.errorf(rng, "Invalid PoP key", "%s: %s.", attr, err)
		case ixOnly && kind != "ix":
			v.errorf(rng, "Not an exchange", "%s is keyed by exchange (\"ix:26\"); %q is a facility.", attr, k)
		default:
			out[k] = v.amount(&price, rng, attr, maxPrice)
		}
	}
	return out
}

func (v *validator) economics(r *rawEconomics) billing.Prices {
	var out billing.Prices
	if r == nil {
		return out
	}
	out.DefaultPortUSDPerMonth = v.amount(r.DefaultPortUSDPerMonth, r.DefaultPortRange, "default_port_usd_per_month", maxPrice)
	out.CrossConnectUSDPerMonth = v.amount(r.CrossConnectUSDPerMonth, r.CrossConnectRange, "cross_connect_usd_per_month", maxPrice)
	out.PortUSDPerMonth = v.pricesByPoP(r.PortUSDPerMonth, r.PortRange, "port_usd_per_month", false)
	out.IXPFeeUSDPerMonth = v.pricesByPoP(r.IXPFeeUSDPerMonth, r.IXPFeeRange, "ixp_fee_usd_per_month", true)
	if len(r.Transit)+len(r.Paid) > maxEconBlocks {
		v.errorf(r.DefRange, "Too many blocks", "economics holds at most %d transit and paid_peering blocks.", maxEconBlocks)
		return out
	}
	if r.TransitUSDPerMbps != nil {
		if len(r.Transit) > 0 {
			v.errorf(r.TransitRange, "Two ways to price transit",
				"transit_usd_per_mbps is the older spelling of a transit block; with transit blocks, move its price into one of them (usd_per_mbps).")
		} else {
			v.warnf(r.TransitRange, "Older spelling",
				"transit_usd_per_mbps is read as transit \"transit\" { usd_per_mbps = %g }: no commit, billed on the larger direction's 95th percentile. Write the transit block to give the provider's AS, commit and burst price.", *r.TransitUSDPerMbps)
			price := v.amount(r.TransitUSDPerMbps, r.TransitRange, "transit_usd_per_mbps", maxPrice)
			out.Transit = append(out.Transit, billing.Transit{Name: "transit", USDPerMbps: price, BurstUSDPerMbps: price, Billed: defaultBilledBy})
		}
	}
	seen := map[string]hcl.Range{}
	asns := map[bgp.ASN]hcl.Range{}
	catchAll := hcl.Range{}
	for _, t := range r.Transit {
		if msg := CheckIdentifier(t.Name); msg != "" {
			v.errorf(t.DefRange, "Invalid transit name", "transit %q: %s.", t.Name, msg)
		}
		if prev, dup := seen[t.Name]; dup {
			v.errorf(t.DefRange, "Duplicate transit provider", "transit %q is already defined at %s.", t.Name, prev)
			continue
		}
		seen[t.Name] = t.DefRange
		p := billing.Transit{Name: t.Name, Billed: v.billed(t.Billed, t.BilledRange)}
		switch {
		case t.ASN == nil && written(catchAll):
			v.errorf(t.DefRange, "Two transit providers without asn",
				"A transit block without asn carries the measured transit traffic no other block names; %s already does. Give this one its AS.", catchAll)
		case t.ASN == nil:
			catchAll = t.DefRange
		case *t.ASN < 1 || *t.ASN > math.MaxUint32:
			v.errorf(t.ASNRange, "Invalid AS number", "asn must be between 1 and 4294967295.")
		default:
			p.ASN = bgp.ASN(*t.ASN)
			if prev, dup := asns[p.ASN]; dup {
				v.errorf(t.ASNRange, "Duplicate transit provider", "AS%d is already priced at %s.", p.ASN, prev)
			}
			asns[p.ASN] = t.ASNRange
		}
		p.USDPerMbps = v.amount(t.USDPerMbps, t.USDRange, "usd_per_mbps", maxPrice)
		p.CommitMbps = v.amount(t.CommitMbps, t.CommitRange, "commit_mbps", maxCommitMbps)
		p.BurstUSDPerMbps = p.USDPerMbps // the default: above the commit at the same price
		if t.BurstUSDPerMbps != nil {
			p.BurstUSDPerMbps = v.amount(t.BurstUSDPerMbps, t.BurstRange, "burst_usd_per_mbps", maxPrice)
		}
		p.EgressUSDPerGB = v.amount(t.EgressUSDPerGB, t.EgressRange, "egress_usd_per_gb", maxPrice)
		p.IngressUSDPerGB = v.amount(t.IngressUSDPerGB, t.IngressRange, "ingress_usd_per_gb", maxPrice)
		if p.CommitMbps > 0 && t.USDPerMbps == nil {
			v.warnf(t.CommitRange, "Commit without a price", "transit %q commits %g Mbps but gives no usd_per_mbps: the commit costs nothing.", t.Name, p.CommitMbps)
		}
		if t.USDPerMbps == nil && t.EgressUSDPerGB == nil && t.IngressUSDPerGB == nil && t.BurstUSDPerMbps == nil {
			v.warnf(t.DefRange, "Transit without a price", "transit %q gives no usd_per_mbps, burst_usd_per_mbps, egress_usd_per_gb or ingress_usd_per_gb: it is free, and no peering can save on it.", t.Name)
		}
		out.Transit = append(out.Transit, p)
	}
	for _, b := range r.Paid {
		asn, err := bgp.ParseASN(b.Peer)
		if err != nil {
			v.errorf(b.LabelRange, "Invalid AS number", "paid_peering is labelled with the offering network, e.g. paid_peering \"AS64504\": %s.", err)
			continue
		}
		if out.Paid == nil {
			out.Paid = map[bgp.ASN]billing.Paid{}
		}
		if _, dup := out.Paid[asn]; dup {
			v.errorf(b.DefRange, "Duplicate paid-peering offer", "%v already has a paid_peering block; one offer per network.", asn)
			continue
		}
		p := billing.Paid{WePay: true, Billed: v.billed(b.Billed, b.BilledRange)}
		if b.Payer != nil {
			switch *b.Payer {
			case "us":
			case "them":
				p.WePay = false
			default:
				v.errorf(b.PayerRange, "Unknown payer", "payer is \"us\" (we pay %v) or \"them\" (%v pays us).%s", asn, asn, didYouMean(*b.Payer, []string{"us", "them"}))
			}
		}
		p.USDPerMbps = v.amount(b.USDPerMbps, b.USDRange, "usd_per_mbps", maxPrice)
		p.USDPerGB = v.amount(b.USDPerGB, b.GBRange, "usd_per_gb", maxPrice)
		p.FlatUSDPerMonth = v.amount(b.FlatUSD, b.FlatRange, "flat_usd_per_month", maxPrice)
		out.Paid[asn] = p
	}
	return out
}
