package peeringdb

import (
	"fmt"
	"math"

	"github.com/peerform/peerform/internal/core/bgp"
)

// MaxPrefixPolicy is the policy's max-prefix arithmetic.
type MaxPrefixPolicy struct {
	// HeadroomPercent and HeadroomAbsolute give the limit
	// (count + absolute) × (1 + percent/100), rounded up. Negative values
	// count as 0.
	HeadroomPercent  int
	HeadroomAbsolute int
	// Floor4 and Floor6: a computed limit is never lower (0 = no floor).
	Floor4, Floor6 int
	// Default4 and Default6 are used when PeeringDB has no count.
	Default4, Default6 int
}

// MaxPrefixOverride carries limits written by hand (the peer file's
// max_prefix block); a value > 0 is used as is, without headroom or floor.
type MaxPrefixOverride struct {
	IPv4, IPv6 int
	// Provenance says where the override was written.
	Provenance Provenance
}

// MaxPrefixLimit is one family's limit and where it came from.
type MaxPrefixLimit struct {
	Limit      int        `json:"limit"`
	Provenance Provenance `json:"provenance"`
}

// MaxPrefixResult holds both families' limits and any warnings (a missing
// PeeringDB count that fell back to the default).
type MaxPrefixResult struct {
	IPv4     MaxPrefixLimit `json:"ipv4"`
	IPv6     MaxPrefixLimit `json:"ipv6"`
	Warnings []string       `json:"warnings"`
}

// maxPrefixCeiling keeps limits within what every router platform takes
// (32-bit counters).
const maxPrefixCeiling = math.MaxInt32

// MaxPrefixes computes a peer's max-prefix limits per family: the override
// if there is one; else PeeringDB's info_prefixes4/6 with headroom, raised
// to the floor; else, when the count is zero or the network is not in
// PeeringDB (net == nil), the policy default with a warning.
func MaxPrefixes(asn bgp.ASN, net *Net, pol MaxPrefixPolicy, ov MaxPrefixOverride) MaxPrefixResult {
	res := MaxPrefixResult{Warnings: []string{}}
	for _, fam := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
		override, count, floor, def, field := ov.IPv4, 0, pol.Floor4, pol.Default4, "info_prefixes4"
		if fam == bgp.IPv6 {
			override, floor, def, field = ov.IPv6, pol.Floor6, pol.Default6, "info_prefixes6"
		}
		if net != nil {
			count = net.InfoPrefixes4
			if fam == bgp.IPv6 {
				count = net.InfoPrefixes6
			}
		}
		var lim MaxPrefixLimit
		switch {
		case override > 0:
			lim = MaxPrefixLimit{Limit: min(override, maxPrefixCeiling), Provenance: ov.Provenance}
			if lim.Provenance.Origin == "" {
				lim.Provenance = Provenance{Origin: FromIntent, Detail: "max_prefix in the peer file"}
			}
		case count > 0:
			lim = withHeadroom(count, pol, field)
			if lim.Limit < floor {
				lim.Limit = floor
				lim.Provenance.Detail += fmt.Sprintf(", raised to the policy floor %d", floor)
			}
		default:
			why := fmt.Sprintf("PeeringDB has no %s count for %s", fam, asn)
			if net == nil {
				why = fmt.Sprintf("%s is not in PeeringDB", asn)
			}
			def = max(def, floor, 0)
			lim = MaxPrefixLimit{Limit: def, Provenance: Provenance{Origin: FromDefault, Detail: fmt.Sprintf("policy default %d (%s)", def, why)}}
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s; using the policy's default %s max-prefix %d", why, fam, def))
		}
		if fam == bgp.IPv6 {
			res.IPv6 = lim
		} else {
			res.IPv4 = lim
		}
	}
	return res
}

// withHeadroom computes ⌈(count + absolute) × (100 + percent) / 100⌉ in
// integers: in floating point 1000 × 1.1 is 1100.0000000000002, which
// would round up to 1101.
func withHeadroom(count int, pol MaxPrefixPolicy, field string) MaxPrefixLimit {
	abs, pct := int64(max(pol.HeadroomAbsolute, 0)), int64(max(pol.HeadroomPercent, 0))
	pct = min(pct, 100_000) // keeps the product far from overflow
	base := min(int64(count)+abs, maxPrefixCeiling)
	v := min((base*(100+pct)+99)/100, maxPrefixCeiling)
	return MaxPrefixLimit{Limit: int(v), Provenance: Provenance{Origin: FromPeeringDB,
		Detail: fmt.Sprintf("%s %d + %d, +%d%% headroom", field, count, abs, pct)}}
}
