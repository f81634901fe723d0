package score

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/peerctl/peerctl/bgp"
)

// Party describes one side of a scored pair.
type Party struct {
	ASN          bgp.ASN `json:"asn"`
	Name         string  `json:"name"`
	Ratio        Ratio   `json:"ratio"`
	RatioAssumed bool    `json:"ratio_assumed"`
	// Traffic is T in the result's traffic unit.
	Traffic float64 `json:"traffic"`
	PoPs    int     `json:"pops"`
	// CoveragePopulation is the population inside the side's coverage.
	CoveragePopulation float64 `json:"coverage_population"`
}

// CommonPoP is a PoP of K with both sides' capacity there.
type CommonPoP struct {
	Key                   string  `json:"key"`
	Name                  string  `json:"name"`
	City                  string  `json:"city"`
	RequesterCapacityMbps float64 `json:"requester_capacity_mbps"`
	CandidateCapacityMbps float64 `json:"candidate_capacity_mbps"`
}

// Ranked is one APC* entry for output: a contract with its PoPs.
type Ranked struct {
	Contract
	PoPs []CommonPoP `json:"pops"`
}

// CriterionPair names both sides' sorting criteria.
type CriterionPair struct {
	Requester Criterion `json:"requester"`
	Candidate Criterion `json:"candidate"`
}

// Interval is a 95% confidence interval.
type Interval struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Direction is W and F for one direction of the pair.
type Direction struct {
	Willingness  float64   `json:"willingness"`
	Interval     *Interval `json:"willingness_interval,omitempty"`
	Felicity     float64   `json:"felicity"`
	APCRequester float64   `json:"apc_requester"`
	APCCandidate float64   `json:"apc_candidate"`
}

// CriterionScore is the pair scored under one requester criterion.
type CriterionScore struct {
	Criterion   Criterion `json:"criterion"`
	Willingness float64   `json:"willingness"`
	Felicity    float64   `json:"felicity"`
	Recommended bool      `json:"recommended"`
}

// Result is the full answer for one ordered pair (requester R, candidate C).
// W, A and F are −1 when they cannot be computed; Notes say why.
type Result struct {
	Requester Party `json:"requester"`
	Candidate Party `json:"candidate"`

	Felicity    float64 `json:"felicity"`
	Willingness float64 `json:"willingness"`
	// WillingnessInterval is set when W was estimated (|K| > ExactLimit).
	WillingnessInterval *Interval `json:"willingness_interval,omitempty"`
	Affinity            float64   `json:"affinity"`
	AlphaRequester      float64   `json:"alpha_requester"`
	AlphaCandidate      float64   `json:"alpha_candidate"`
	OverlapPopulation   float64   `json:"overlap_population"`
	UnionPopulation     float64   `json:"union_population"`

	Recommended bool    `json:"recommended"`
	Threshold   float64 `json:"threshold"`
	Beta        float64 `json:"beta"`
	Gamma       float64 `json:"gamma"`
	Holistic    bool    `json:"holistic"`
	// Reverse is the pair seen with the roles swapped (C asks R); set in
	// the holistic view, where both directions must reach the threshold.
	Reverse *Direction `json:"reverse,omitempty"`

	CommonPoPs  []CommonPoP   `json:"common_pops"`
	DroppedPoPs []CommonPoP   `json:"dropped_pops"`
	Criterion   CriterionPair `json:"criterion"`
	// APCRequester and APCCandidate are |APC_R| and |APC_C| (estimated
	// past ExactLimit).
	APCRequester float64 `json:"apc_requester"`
	APCCandidate float64 `json:"apc_candidate"`
	Exact        bool    `json:"exact"`
	Samples      int     `json:"samples,omitempty"`
	// APC is the top of APC*, best first.
	APC         []Ranked         `json:"apc"`
	ByCriterion []CriterionScore `json:"by_criterion,omitempty"`
	Economics   *Outcome         `json:"economics"`
	// TrafficUnit is "Mbps" when the requester's traffic was measured,
	// else "model units" (gravity units, meaningful only as ratios).
	TrafficUnit string   `json:"traffic_unit"`
	Notes       []string `json:"notes"`
}

// Score scores the ordered pair (r asks c) and, in the holistic view, the
// reverse direction too.
func Score(r, c *Profile, p Params, econ Economics) Result {
	res := Result{
		Requester: party(r), Candidate: party(c),
		Threshold: p.Threshold, Beta: p.Beta, Gamma: p.Gamma, Holistic: p.Holistic,
		Criterion:   CriterionPair{p.CriterionR, p.CriterionC},
		CommonPoPs:  []CommonPoP{},
		DroppedPoPs: []CommonPoP{},
		APC:         []Ranked{},
		Notes:       []string{},
		Willingness: -1, Felicity: -1,
	}
	note := func(format string, args ...any) { res.Notes = append(res.Notes, fmt.Sprintf(format, args...)) }

	// Traffic (§3): gravity on both sides, or the requester's measurement
	// with the candidate's estimate calibrated by the requester's.
	tR, tC := r.Gravity, c.Gravity
	res.TrafficUnit = "model units"
	if m := r.Network.TrafficMbps; m > 0 {
		res.TrafficUnit = "Mbps"
		if r.Gravity > 0 {
			tC = c.Gravity * m / r.Gravity
		} else {
			tC = 0
			note("the requester's measured traffic cannot calibrate the candidate's estimate: the requester's own gravity estimate is zero")
		}
		tR = m
	}
	res.Requester.Traffic, res.Candidate.Traffic = tR, tC

	// Affinity (§7) does not depend on contracts.
	res.Affinity, res.AlphaRequester, res.AlphaCandidate, res.OverlapPopulation, res.UnionPopulation = affinity(r, c)

	k := commonPoPs(r, c, p)
	res.CommonPoPs, res.DroppedPoPs = k.kept, k.dropped
	if len(k.dropped) > 0 {
		names := make([]string, len(k.dropped))
		for i, d := range k.dropped {
			names[i] = d.Name + " (" + d.Key + ")"
		}
		note("%d common PoPs exceed the cap of %d; dropped the ones where %v has the least capacity: %s",
			len(k.kept)+len(k.dropped), len(k.kept), r.Network.ASN, strings.Join(names, ", "))
	}
	if len(k.kept) == 0 {
		note("no common PoP: %v and %v are not present at the same facility or IXP", r.Network.ASN, c.Network.ASN)
		res.Affinity, res.AlphaRequester, res.AlphaCandidate = -1, -1, -1
		res.Economics = &Outcome{PoPs: []string{}}
		return res
	}
	for _, pr := range []*Profile{r, c} {
		if pr.Ratio == NotDisclosed {
			note("%v does not disclose its traffic ratio, so it accepts no contract (set assume_ratio for it)", pr.Network.ASN)
		} else if pr.RatioAssumed {
			note("%v is assumed %s by policy", pr.Network.ASN, pr.Ratio)
		}
	}
	if tR <= 0 {
		note("%v's traffic estimate is zero (it needs two or more PoPs with coordinates and population)", r.Network.ASN)
	}
	if tC <= 0 {
		note("%v's traffic estimate is zero (it needs two or more PoPs with coordinates and population)", c.Network.ASN)
	}

	fwd := rank(k, tR, tC, r.Ratio, c.Ratio, p.CriterionR, p.CriterionC, p)
	res.Willingness = fwd.w
	res.APCRequester, res.APCCandidate = fwd.nR, fwd.nC
	res.Exact, res.Samples = fwd.exact, fwd.samples
	if !fwd.exact && fwd.w >= 0 {
		res.WillingnessInterval = &Interval{fwd.wLow, fwd.wHigh}
		note("W estimated from %d sampled contracts (|K| = %d > %d): 95%% interval [%.4f, %.4f]",
			fwd.samples, len(k.kept), ExactLimit, fwd.wLow, fwd.wHigh)
	}
	bounds := p.Bounds
	if bounds == nil {
		bounds = DefaultBounds()
	}
	possible := math.Ldexp(1, len(k.kept)) - 1
	for _, x := range []struct {
		pr *Profile
		n  float64
	}{{r, fwd.nR}, {c, fwd.nC}} {
		if x.pr.Ratio != NotDisclosed {
			note("%v (%s: %s, from its own view) accepts %.0f of %.0f possible contracts",
				x.pr.Network.ASN, x.pr.Ratio, bounds[x.pr.Ratio], x.n, possible)
		}
	}
	switch {
	case fwd.nR == 0 && fwd.nC == 0:
		note("neither side accepts any contract under its ratio filter")
	case fwd.nR == 0:
		note("%v (%s) accepts no contract: every split of traffic breaks its ratio filter", r.Network.ASN, r.Ratio)
	case fwd.nC == 0:
		note("%v (%s) accepts no contract: every split of traffic breaks its ratio filter", c.Network.ASN, c.Ratio)
	}
	res.Felicity = felicity(fwd.w, res.Affinity, p)
	res.Recommended = res.Felicity >= 0 && res.Felicity >= p.Threshold
	for _, ct := range fwd.top {
		pops := make([]CommonPoP, len(ct.Positions))
		for i, pos := range ct.Positions {
			pops[i] = k.kept[pos]
		}
		res.APC = append(res.APC, Ranked{Contract: ct, PoPs: pops})
	}

	if p.Holistic {
		// Roles swapped: C is the requester, K in C's order, capped by κ_C.
		kr := commonPoPs(c, r, p)
		rev := rank(kr, tC, tR, c.Ratio, r.Ratio, p.CriterionR, p.CriterionC, p)
		d := &Direction{Willingness: rev.w, Felicity: felicity(rev.w, res.Affinity, p), APCRequester: rev.nR, APCCandidate: rev.nC}
		if !rev.exact && rev.w >= 0 {
			d.Interval = &Interval{rev.wLow, rev.wHigh}
		}
		res.Reverse = d
		res.Recommended = res.Recommended && d.Felicity >= p.Threshold
	}
	if p.AllCriteria {
		for _, crit := range Criteria {
			x := rank(k, tR, tC, r.Ratio, c.Ratio, crit, p.CriterionC, p)
			f := felicity(x.w, res.Affinity, p)
			res.ByCriterion = append(res.ByCriterion, CriterionScore{Criterion: crit, Willingness: x.w, Felicity: f, Recommended: f >= 0 && f >= p.Threshold})
		}
	}
	res.Economics = economics(res, r, econ)
	return res
}

func party(pr *Profile) Party {
	return Party{
		ASN: pr.Network.ASN, Name: pr.Network.Name, Ratio: pr.Ratio, RatioAssumed: pr.RatioAssumed,
		PoPs: len(pr.Network.PoPs), CoveragePopulation: pr.CoveragePopulation,
	}
}

// felicity is F = (W^β·A^γ)^(1/(β+γ)), −1 when W or A is unknown.
func felicity(w, a float64, p Params) float64 {
	if w < 0 || a < 0 {
		return -1
	}
	return math.Pow(math.Pow(w, p.Beta)*math.Pow(a, p.Gamma), 1/(p.Beta+p.Gamma))
}

// affinity returns A, α_R, α_C, P_o and P_∪ (§7). P_∪ = 0 gives A = 0.
func affinity(r, c *Profile) (a, alphaR, alphaC, overlap, union float64) {
	pR, pC := r.CoveragePopulation, c.CoveragePopulation
	if r.Coverage != nil && c.Coverage != nil {
		overlap = math.Min(r.Coverage.Overlap(c.Coverage), math.Min(pR, pC))
	}
	union = pR + pC - overlap
	if union <= 0 {
		return 0, 0, 0, overlap, 0
	}
	alphaR = math.Max(0, (pC-overlap)/union)
	alphaC = math.Max(0, (pR-overlap)/union)
	return math.Sqrt(alphaR * alphaC), alphaR, alphaC, overlap, union
}

// kSet is K after the cap, in the requester's PoP order, with what was
// dropped (in the same order).
type kSet struct {
	kept, dropped []CommonPoP
}

// commonPoPs matches r's and c's PoPs by key (§2) and applies the cap: keep
// the cap-many with the largest κ_R, ties to the smaller PeeringDB id.
func commonPoPs(r, c *Profile, p Params) kSet {
	byKey := make(map[string]PoP, len(c.Network.PoPs))
	for _, q := range c.Network.PoPs {
		if _, dup := byKey[q.Key]; !dup {
			byKey[q.Key] = q
		}
	}
	var all []CommonPoP
	seen := make(map[string]bool)
	for _, q := range r.Network.PoPs {
		cq, ok := byKey[q.Key]
		if !ok || seen[q.Key] {
			continue
		}
		seen[q.Key] = true
		all = append(all, CommonPoP{
			Key: q.Key, Name: q.Name, City: q.City,
			RequesterCapacityMbps: capacity(q, p), CandidateCapacityMbps: capacity(cq, p),
		})
	}
	limit := p.MaxCommonPoPs
	if limit <= 0 || limit > MaxPoPs {
		limit = MaxPoPs
	}
	if len(all) <= limit {
		return kSet{kept: all, dropped: []CommonPoP{}}
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := all[a], all[b]
		if x.RequesterCapacityMbps != y.RequesterCapacityMbps {
			if x.RequesterCapacityMbps > y.RequesterCapacityMbps {
				return -1
			}
			return 1
		}
		if ix, iy := keyID(x.Key), keyID(y.Key); ix != iy {
			return ix - iy
		}
		return strings.Compare(x.Key, y.Key)
	})
	keep := make([]bool, len(all))
	for _, i := range order[:limit] {
		keep[i] = true
	}
	var ks kSet
	for i, q := range all {
		if keep[i] {
			ks.kept = append(ks.kept, q)
		} else {
			ks.dropped = append(ks.dropped, q)
		}
	}
	return ks
}

// keyID is the PeeringDB id of a "kind:id" key (large when not numeric).
func keyID(k string) int {
	_, id, _ := strings.Cut(k, ":")
	n, err := strconv.Atoi(id)
	if err != nil {
		return math.MaxInt32
	}
	return n
}

func capacity(q PoP, p Params) float64 {
	if q.CapacityMbps > 0 && !math.IsInf(q.CapacityMbps, 0) {
		return q.CapacityMbps
	}
	return p.FacilityCapacityMbps
}

// rank builds the contract problem for K and runs the exact enumeration or
// the estimator.
func rank(k kSet, tR, tC float64, ratioR, ratioC Ratio, critR, critC Criterion, p Params) ranking {
	bounds := p.Bounds
	if bounds == nil {
		bounds = DefaultBounds()
	}
	pr := &problem{n: len(k.kept)}
	for _, q := range k.kept {
		pr.capR = append(pr.capR, q.RequesterCapacityMbps)
		pr.capC = append(pr.capC, q.CandidateCapacityMbps)
		pr.totR += q.RequesterCapacityMbps
		pr.totC += q.CandidateCapacityMbps
	}
	pr.tR, pr.tC = tR, tC
	pr.r = side{crit: critR, open: ratioR != NotDisclosed, bound: bounds[ratioR]}
	pr.c = side{crit: critC, open: ratioC != NotDisclosed, bound: bounds[ratioC], mirror: true}
	if pr.n <= ExactLimit {
		return pr.exact(p.TopN)
	}
	// Guard the estimator against unusable settings (Params.Validate
	// reports them; here they fall back to the defaults).
	d := DefaultParams()
	samples, batches := p.Samples, p.Batches
	if samples < 100 || batches < 2 || samples/batches < 50 {
		samples, batches = d.Samples, d.Batches
	}
	return pr.estimate(p.TopN, samples, batches, p.Seed, max(p.SearchExpansions, 0))
}
