package score

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Ratio is a network's declared traffic-ratio type (PeeringDB net.info_ratio).
type Ratio int

// The ratio types PeeringDB offers, from the network's own point of view.
const (
	NotDisclosed Ratio = iota
	HeavyInbound
	MostlyInbound
	Balanced
	MostlyOutbound
	HeavyOutbound
)

var ratioNames = [...]string{
	NotDisclosed:   "Not Disclosed",
	HeavyInbound:   "Heavy Inbound",
	MostlyInbound:  "Mostly Inbound",
	Balanced:       "Balanced",
	MostlyOutbound: "Mostly Outbound",
	HeavyOutbound:  "Heavy Outbound",
}

// Ratios lists the ratio types a network can declare, Not Disclosed aside.
var Ratios = []Ratio{HeavyInbound, MostlyInbound, Balanced, MostlyOutbound, HeavyOutbound}

// String returns PeeringDB's spelling, e.g. "Mostly Inbound".
func (r Ratio) String() string {
	if r < 0 || int(r) >= len(ratioNames) {
		return "Ratio(" + strconv.Itoa(int(r)) + ")"
	}
	return ratioNames[r]
}

// ParseRatio reads PeeringDB's info_ratio. It is lenient about case,
// spaces, dashes and underscores ("mostly-inbound" works, as policy files
// may write it); the empty string is Not Disclosed.
func ParseRatio(s string) (Ratio, error) {
	norm := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
	if norm == "" {
		return NotDisclosed, nil
	}
	for i, name := range ratioNames {
		if strings.ReplaceAll(strings.ToLower(name), " ", "") == norm {
			return Ratio(i), nil
		}
	}
	return NotDisclosed, fmt.Errorf("unknown traffic ratio %q: want one of Heavy Inbound, Mostly Inbound, Balanced, Mostly Outbound, Heavy Outbound, Not Disclosed", s)
}

// Criterion is how one side sorts the contracts it accepts (docs/scoring.md,
// paper profile step 5).
type Criterion int

const (
	// ByOwn prefers the contracts that offload the most of the side's own
	// outbound traffic: O_X(S) descending.
	ByOwn Criterion = iota
	// ByDiff prefers balanced exchanges: |O_X(S) − I_X(S)| ascending.
	ByDiff
	// ByRatio prefers a low inbound/outbound ratio: I_X(S)/O_X(S) ascending.
	ByRatio
)

// Criteria lists every criterion, in a stable order.
var Criteria = []Criterion{ByOwn, ByDiff, ByRatio}

func (c Criterion) String() string {
	switch c {
	case ByOwn:
		return "own"
	case ByDiff:
		return "diff"
	case ByRatio:
		return "ratio"
	}
	return "Criterion(" + strconv.Itoa(int(c)) + ")"
}

// ParseCriterion accepts "own", "diff" and "ratio".
func ParseCriterion(s string) (Criterion, error) {
	for _, c := range Criteria {
		if strings.EqualFold(strings.TrimSpace(s), c.String()) {
			return c, nil
		}
	}
	return ByOwn, fmt.Errorf("unknown sorting criterion %q: want own, diff or ratio", s)
}

// PoP is a point of presence of one network: a PeeringDB facility or IXP.
type PoP struct {
	// Key identifies the place across networks: "fac:<id>" or "ix:<id>".
	Key  string
	Name string
	City string
	// Lat and Lon are degrees; they count only when HasLocation is set.
	Lat, Lon    float64
	HasLocation bool
	// CapacityMbps is the network's port capacity there (κ). Zero or less
	// means unknown and Params.FacilityCapacityMbps is used.
	CapacityMbps float64
}

// Network is one side of a pair, as scoring sees it.
type Network struct {
	ASN   bgp.ASN
	Name  string
	Ratio Ratio
	// PoPs in a stable order; for common PoPs the requester's order is the
	// order of K (the "positions" of the tie rule).
	PoPs []PoP
	// TrafficMbps is measured total traffic; 0 means "estimate it with the
	// gravity model". Only the requester's is used (docs/scoring.md, paper
	// profile step 3).
	TrafficMbps float64
	// DeclaredTrafficMbps is a rough volume the network publishes (PeeringDB
	// info_traffic). It converts model traffic into Mbps for the cost and
	// benefit figures only; it never changes a ratio or a rank.
	DeclaredTrafficMbps float64
}

// Bound is the acceptance rule of one ratio type: with ρ = outbound/inbound
// from the side's own view (rounded to two decimals), a contract passes
// when ρ ≤ MaxOutIn and 1/ρ ≤ MaxInOut. Zero disables a limit.
type Bound struct {
	MaxOutIn float64
	MaxInOut float64
}

// String describes the rule, e.g. "in/out ≤ 3 and out/in ≤ 3".
func (b Bound) String() string {
	var parts []string
	if b.MaxInOut > 0 {
		parts = append(parts, "in/out ≤ "+strconv.FormatFloat(b.MaxInOut, 'g', -1, 64))
	}
	if b.MaxOutIn > 0 {
		parts = append(parts, "out/in ≤ "+strconv.FormatFloat(b.MaxOutIn, 'g', -1, 64))
	}
	if len(parts) == 0 {
		return "any ratio"
	}
	return strings.Join(parts, " and ")
}

// DefaultBounds are the filters of docs/scoring.md, paper profile step 4.
func DefaultBounds() map[Ratio]Bound {
	return map[Ratio]Bound{
		HeavyInbound:   {MaxInOut: 9},
		MostlyInbound:  {MaxInOut: 6},
		Balanced:       {MaxOutIn: 3, MaxInOut: 3},
		MostlyOutbound: {MaxOutIn: 6},
		HeavyOutbound:  {MaxOutIn: 9},
	}
}

// Limits of the engine.
const (
	// ExactLimit is the largest number of common PoPs enumerated exactly.
	ExactLimit = 20
	// MaxPoPs bounds the common PoPs the estimator works with (bit masks
	// are 64 bits wide); more are dropped by the cap rule and reported.
	MaxPoPs = 64
)

// Params are the knobs of the method. Start from DefaultParams or
// HolisticParams and change fields.
type Params struct {
	// Beta and Gamma weigh W and A in F = (W^β·A^γ)^(1/(β+γ)).
	Beta, Gamma float64
	// Threshold θ: a pair is recommended when F ≥ θ.
	Threshold float64
	// Holistic requires F(R→C) ≥ θ and F(C→R) ≥ θ (paper §4.3).
	Holistic bool
	// BothWays also ranks the reverse direction (C asks R) without
	// changing the decision, for models that use both.
	BothWays bool
	// MaxCommonPoPs is the cap on |K| (docs/scoring.md, paper profile step
	// 2). 0 means no cap: up to ExactLimit PoPs are enumerated exactly and
	// more are estimated.
	MaxCommonPoPs int
	// CriterionR and CriterionC are the requester's and the candidate's
	// sorting criteria.
	CriterionR, CriterionC Criterion
	// AssumeRatio overrides (or fills in) a network's ratio type by ASN.
	AssumeRatio map[bgp.ASN]Ratio
	// Bounds per ratio type; nil means DefaultBounds.
	Bounds map[Ratio]Bound
	// FacilityCapacityMbps is κ where a PoP has no capacity (facilities).
	FacilityCapacityMbps float64
	// RadiusKm is both the gravity model's population radius and minimum
	// distance, and the disc around each PoP added to coverage.
	RadiusKm float64
	// TopN is how many APC* entries a result carries.
	TopN int
	// Samples is the estimator's sample size (spread over Batches
	// independent batches); Seed makes it reproducible.
	Samples, Batches int
	Seed             uint64
	// SearchExpansions bounds the best-first search past ExactLimit.
	SearchExpansions int
	// AllCriteria also scores the pair under every requester criterion
	// (three more rankings: opt-in, it triples the cost of a pair).
	AllCriteria bool
	// Traffic is how contract traffic is estimated: the paper's gravity
	// totals (the zero value) or the exchange model.
	Traffic TrafficModel
	// InboundMbps is what every network R could send to receives (see
	// InboundMbps): under the exchange model R sends C its outbound times
	// C's share of that. Scorers set it to the sum over their PeeringDB
	// data; below the two networks' own inbound (or unset) the pair is
	// taken as the whole world. It sets the Mbps figures only; ratios and
	// ranks do not depend on it.
	InboundMbps float64
	// PortUtilisation converts port capacity into traffic for networks
	// that declare no volume (exchange model only).
	PortUtilisation float64
}

// TrafficModel selects the traffic estimate behind contracts.
type TrafficModel int

const (
	// GravityTraffic is docs/scoring.md's paper profile step 3: each side's
	// total from a gravity model over its PoPs' populations, split by
	// capacity share. Two networks of different sizes always look
	// unbalanced to each other.
	GravityTraffic TrafficModel = iota
	// ExchangeTraffic estimates what the two networks send each other:
	// R→C grows with R's outbound volume and C's inbound volume (from the
	// declared ratio type and traffic level), so sizes cancel in the
	// ratio and the filter judges the exchange. Each direction is split
	// across the common PoPs by capacity × population near the PoP.
	ExchangeTraffic
)

func (t TrafficModel) String() string {
	if t == ExchangeTraffic {
		return "exchange"
	}
	return "gravity"
}

// MarshalText writes "gravity" or "exchange".
func (t TrafficModel) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// ExchangeParams are the product's settings: the paper's method with the
// exchange traffic model, which reports W = 0 (not −1) when a side
// accepts no contract.
func ExchangeParams() Params {
	p := DefaultParams()
	p.Traffic = ExchangeTraffic
	return p
}

// DefaultParams are the paper's settings (docs/scoring.md, paper profile step 9).
func DefaultParams() Params {
	return Params{
		Beta: 0.15, Gamma: 0.85, Threshold: 0.55,
		MaxCommonPoPs:        15,
		CriterionR:           ByOwn,
		CriterionC:           ByOwn,
		FacilityCapacityMbps: 1000,
		RadiusKm:             50,
		TopN:                 10,
		Samples:              40000,
		Batches:              20,
		Seed:                 1,
		SearchExpansions:     2000,
		PortUtilisation:      0.3,
	}
}

// HolisticParams are the paper's holistic-view settings: β 0.1, γ 0.85,
// θ 0.3, and both directions must pass.
func HolisticParams() Params {
	p := DefaultParams()
	p.Beta, p.Gamma, p.Threshold, p.Holistic = 0.1, 0.85, 0.3, true
	return p
}

// Validate reports parameters the method cannot use.
func (p Params) Validate() error {
	switch {
	case p.Beta < 0 || p.Gamma < 0 || p.Beta+p.Gamma <= 0:
		return fmt.Errorf("beta and gamma must be non-negative and not both zero (got %g, %g)", p.Beta, p.Gamma)
	case p.MaxCommonPoPs < 0:
		return fmt.Errorf("max_common_pops must be 0 (no cap) or positive, got %d", p.MaxCommonPoPs)
	case p.RadiusKm <= 0:
		return fmt.Errorf("radius must be positive, got %g km", p.RadiusKm)
	case p.Traffic == ExchangeTraffic && !(p.InboundMbps >= 0 && !math.IsInf(p.InboundMbps, 0) && p.PortUtilisation > 0 && p.PortUtilisation <= 1):
		return fmt.Errorf("exchange traffic needs a finite inbound total and a port utilisation in (0, 1] (got %g, %g)", p.InboundMbps, p.PortUtilisation)
	case p.Samples < 100 || p.Batches < 2 || p.Samples/p.Batches < 50:
		return fmt.Errorf("estimator needs at least 100 samples in 2 or more batches of 50 (got %d in %d)", p.Samples, p.Batches)
	}
	for r, b := range p.Bounds {
		if b.MaxOutIn < 0 || b.MaxInOut < 0 {
			return fmt.Errorf("bounds for %v must not be negative", r)
		}
	}
	return nil
}

// MarshalText writes PeeringDB's spelling.
func (r Ratio) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText accepts what ParseRatio accepts.
func (r *Ratio) UnmarshalText(b []byte) error {
	v, err := ParseRatio(string(b))
	*r = v
	return err
}

// MarshalText writes "own", "diff" or "ratio".
func (c Criterion) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText accepts what ParseCriterion accepts.
func (c *Criterion) UnmarshalText(b []byte) error {
	v, err := ParseCriterion(string(b))
	*c = v
	return err
}
