package score

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/likelihood"
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

	// Felicity is the pair's score: the paper's F, or under a likelihood
	// model the calibrated probability (then Likelihood is set).
	Felicity float64 `json:"felicity"`
	// PaperFelicity is F = (W^β·A^γ)^(1/(β+γ)) whatever the profile.
	PaperFelicity float64                `json:"paper_felicity"`
	Likelihood    *likelihood.Prediction `json:"likelihood,omitempty"`
	Willingness   float64                `json:"willingness"`
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
	// the holistic view, where both directions must reach the threshold,
	// and when Params.BothWays asks for it.
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
	// Rejections say, per side, why it accepts no contract (empty when
	// both accept some).
	Rejections []Rejection `json:"rejections"`
	// Traffic is the traffic model behind the contracts.
	Traffic TrafficModel `json:"traffic_model"`
	// TrafficUnit is "Mbps" when the requester's traffic was measured,
	// else "model units" (gravity units, meaningful only as ratios).
	TrafficUnit string   `json:"traffic_unit"`
	Notes       []string `json:"notes"`
}

// Score scores the ordered pair (r asks c) and, in the holistic view, the
// reverse direction too.
func Score(r, c *Profile, p Params, econ billing.Prices) Result {
	res := Result{
		Requester: party(r), Candidate: party(c),
		Threshold: p.Threshold, Beta: p.Beta, Gamma: p.Gamma, Holistic: p.Holistic,
		Criterion:   CriterionPair{p.CriterionR, p.CriterionC},
		CommonPoPs:  []CommonPoP{},
		DroppedPoPs: []CommonPoP{},
		APC:         []Ranked{},
		Notes:       []string{},
		Rejections:  []Rejection{},
		Traffic:     p.Traffic,
		Willingness: -1, Felicity: -1, PaperFelicity: -1,
	}
	note := func(format string, args ...any) { res.Notes = append(res.Notes, fmt.Sprintf(format, args...)) }

	tR, tC := traffic(r, c, p, note)
	res.TrafficUnit = "model units"
	if p.Traffic == ExchangeTraffic || r.Network.TrafficMbps > 0 {
		res.TrafficUnit = "Mbps"
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
		switch {
		case pr.Ratio == NotDisclosed && p.Traffic == ExchangeTraffic:
			note("%v does not disclose its traffic ratio: taken as Balanced traffic that accepts what a Heavy network accepts either way", pr.Network.ASN)
		case pr.RatioAssumed:
			note("%v is assumed %s by policy", pr.Network.ASN, pr.Ratio)
		}
	}
	if p.Traffic == GravityTraffic {
		for _, x := range []struct {
			pr *Profile
			t  float64
		}{{r, tR}, {c, tC}} {
			if x.t <= 0 {
				note("%v's traffic estimate is zero (it needs two or more PoPs with coordinates and population)", x.pr.Network.ASN)
			}
		}
	}

	weights := geography(r, k, p)
	fwd := rank(k, weights, tR, tC, r.Ratio, c.Ratio, p.CriterionR, p.CriterionC, p)
	res.Willingness = fwd.w
	res.APCRequester, res.APCCandidate = fwd.nR, fwd.nC
	res.Exact, res.Samples = fwd.exact, fwd.samples
	if !fwd.exact && fwd.w >= 0 {
		res.WillingnessInterval = &Interval{fwd.wLow, fwd.wHigh}
		note("W estimated from %d sampled contracts (|K| = %d > %d): 95%% interval [%.4f, %.4f]",
			fwd.samples, len(k.kept), ExactLimit, fwd.wLow, fwd.wHigh)
	}
	possible := math.Ldexp(1, len(k.kept)) - 1
	pr := newProblem(k, weights, tR, tC, r.Ratio, c.Ratio, p.CriterionR, p.CriterionC, p)
	for _, x := range []struct {
		pr *Profile
		s  side
		n  float64
	}{{r, pr.r, fwd.nR}, {c, pr.c, fwd.nC}} {
		if x.s.open {
			note("%v (%s: %s, from its own view) accepts %.0f of %.0f possible contracts",
				x.pr.Network.ASN, x.pr.Ratio, x.s.bound, x.n, possible)
		}
	}
	res.Rejections = rejections(r, c, pr, fwd)
	for _, rj := range res.Rejections {
		note("%v accepts no contract: %s", rj.ASN, rj.Reason)
	}
	res.Felicity = felicity(fwd.w, res.Affinity, p)
	res.PaperFelicity = res.Felicity
	res.Recommended = res.Felicity >= 0 && res.Felicity >= p.Threshold
	for _, ct := range fwd.top {
		pops := make([]CommonPoP, len(ct.Positions))
		for i, pos := range ct.Positions {
			pops[i] = k.kept[pos]
		}
		res.APC = append(res.APC, Ranked{Contract: ct, PoPs: pops})
	}

	if p.Holistic || p.BothWays {
		// Roles swapped: C is the requester, K in C's order, capped by κ_C.
		kr := commonPoPs(c, r, p)
		rev := rank(kr, geography(c, kr, p), tC, tR, c.Ratio, r.Ratio, p.CriterionR, p.CriterionC, p)
		d := &Direction{Willingness: rev.w, Felicity: felicity(rev.w, res.Affinity, p), APCRequester: rev.nR, APCCandidate: rev.nC}
		if !rev.exact && rev.w >= 0 {
			d.Interval = &Interval{rev.wLow, rev.wHigh}
		}
		res.Reverse = d
		if p.Holistic {
			res.Recommended = res.Recommended && d.Felicity >= p.Threshold
		}
	}
	if p.AllCriteria {
		for _, crit := range Criteria {
			x := fwd
			if crit != p.CriterionR {
				x = rank(k, weights, tR, tC, r.Ratio, c.Ratio, crit, p.CriterionC, p)
			}
			f := felicity(x.w, res.Affinity, p)
			res.ByCriterion = append(res.ByCriterion, CriterionScore{Criterion: crit, Willingness: x.w, Felicity: f, Recommended: f >= 0 && f >= p.Threshold})
		}
	}
	res.Economics = economics(res, r, econ, p)
	return res
}

// traffic returns T_R and T_C: what each side sends into the contracts.
//
// Gravity (§3): each side's gravity total, or the requester's measured
// traffic with the candidate's estimate scaled by the same factor.
//
// Exchange: R→C = V_R·o_R · V_C·(1−o_C) / I, with V a side's volume, o
// its outbound share from its ratio type and I the inbound of every
// network R could send to (Params.InboundMbps, at least the pair's own):
// R sends C its outbound times C's share of the world's inbound, in Mbps.
// C→R is the mirror, over the same I. The volumes cancel in the ratio
// (R→C)/(C→R) = odds(o_R)/odds(o_C), so two Balanced networks exchange
// balanced traffic whatever their sizes.
func traffic(r, c *Profile, p Params, note func(string, ...any)) (tR, tC float64) {
	if p.Traffic == ExchangeTraffic {
		oR, oC := outShare(r.Ratio), outShare(c.Ratio)
		world := math.Max(p.InboundMbps, r.Volume*(1-oR)+c.Volume*(1-oC))
		if !(world > 0) {
			return 0, 0
		}
		tR = r.Volume * oR * c.Volume * (1 - oC) / world
		tC = c.Volume * oC * r.Volume * (1 - oR) / world
		for _, x := range []*Profile{r, c} {
			if x.VolumeSource == "ports" {
				note("%v declares no traffic level; its volume is estimated from its port capacity (%.0f Mbps)", x.Network.ASN, x.Volume)
			}
		}
		return tR, tC
	}
	tR, tC = r.Gravity, c.Gravity
	if m := r.Network.TrafficMbps; m > 0 {
		if r.Gravity > 0 {
			tC = c.Gravity * m / r.Gravity
		} else {
			tC = 0
			note("the requester's measured traffic cannot calibrate the candidate's estimate: the requester's own gravity estimate is zero")
		}
		tR = m
	}
	return tR, tC
}

// geography weighs each PoP of K by the population near it, for the
// exchange model (nil for gravity: capacity alone splits traffic). A PoP
// without coordinates or population counts as the mean of the others.
func geography(r *Profile, k kSet, p Params) []float64 {
	if p.Traffic != ExchangeTraffic {
		return nil
	}
	w := make([]float64, len(k.kept))
	var sum float64
	var n int
	for i, q := range k.kept {
		if v := r.near[q.Key]; v > 0 {
			w[i] = v
			sum += v
			n++
		}
	}
	fill := 1.0
	if n > 0 {
		fill = sum / float64(n)
	}
	for i := range w {
		if w[i] == 0 {
			w[i] = fill
		}
	}
	return w
}

// Rejection says why one side accepts no contract.
type Rejection struct {
	ASN bgp.ASN `json:"asn"`
	// Side is "requester" or "candidate".
	Side   string `json:"side"`
	Reason string `json:"reason"`
}

// rejections explains each side that accepts no contract. The ratio of a
// contract's sums lies between the smallest and largest per-PoP ratio, so
// those two bound every contract a side could be offered.
func rejections(r, c *Profile, pr *problem, fwd ranking) []Rejection {
	out := []Rejection{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 0; i < pr.n; i++ {
		o, in := pr.flows(pr.capR[i], pr.capC[i])
		if o > 0 && in > 0 {
			lo, hi = math.Min(lo, o/in), math.Max(hi, o/in)
		}
	}
	for _, x := range []struct {
		pr   *Profile
		side string
		s    side
		n    float64
		view func(float64) float64
	}{
		{r, "requester", pr.r, fwd.nR, func(v float64) float64 { return v }},
		{c, "candidate", pr.c, fwd.nC, func(v float64) float64 { return 1 / v }},
	} {
		if x.n > 0 {
			continue
		}
		var why string
		switch {
		case !x.s.open:
			why = "it does not disclose its traffic ratio (set assume_ratio for it)"
		case pr.tR <= 0 || pr.tC <= 0 || math.IsInf(lo, 0):
			why = "no traffic is estimated between the two (a traffic estimate is zero)"
		default:
			a, b := x.view(lo), x.view(hi)
			if a > b {
				a, b = b, a
			}
			why = fmt.Sprintf("it would send %s–%s× what it receives at every split, and as %s it accepts %s",
				strconv.FormatFloat(a, 'g', 3, 64), strconv.FormatFloat(b, 'g', 3, 64), x.pr.Ratio, x.s.bound)
		}
		out = append(out, Rejection{ASN: x.pr.Network.ASN, Side: x.side, Reason: why})
	}
	return out
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

// newProblem builds the contract problem for K: each side's share of a
// PoP is its capacity there, times the PoP's weight when weights is set.
func newProblem(k kSet, weights []float64, tR, tC float64, ratioR, ratioC Ratio, critR, critC Criterion, p Params) *problem {
	bounds := p.Bounds
	if bounds == nil {
		bounds = DefaultBounds()
	}
	pr := &problem{n: len(k.kept)}
	for i, q := range k.kept {
		wR, wC := q.RequesterCapacityMbps, q.CandidateCapacityMbps
		if weights != nil {
			wR, wC = wR*weights[i], wC*weights[i]
		}
		pr.capR = append(pr.capR, wR)
		pr.capC = append(pr.capC, wC)
		pr.totR += wR
		pr.totC += wC
	}
	pr.tR, pr.tC = tR, tC
	pr.r = filterSide(ratioR, critR, bounds, p, false)
	pr.c = filterSide(ratioC, critC, bounds, p, true)
	return pr
}

// filterSide is one side's filter. Under the exchange model a network that
// does not disclose its ratio is taken to accept what a Heavy network
// accepts in either direction, instead of nothing.
func filterSide(ratio Ratio, crit Criterion, bounds map[Ratio]Bound, p Params, mirror bool) side {
	s := side{crit: crit, open: ratio != NotDisclosed, bound: bounds[ratio], mirror: mirror}
	if ratio == NotDisclosed && p.Traffic == ExchangeTraffic {
		s.open = true
		s.bound = Bound{MaxOutIn: bounds[HeavyOutbound].MaxOutIn, MaxInOut: bounds[HeavyInbound].MaxInOut}
	}
	return s
}

// rank builds the contract problem for K and runs the exact enumeration or
// the estimator. Under the exchange model W is 0, not −1, when a side
// accepts nothing: nobody is willing, and the pair still gets a score.
func rank(k kSet, weights []float64, tR, tC float64, ratioR, ratioC Ratio, critR, critC Criterion, p Params) ranking {
	pr := newProblem(k, weights, tR, tC, ratioR, ratioC, critR, critC, p)
	x := pr.solve(p)
	if x.w < 0 && p.Traffic == ExchangeTraffic {
		x.w, x.wLow, x.wHigh = 0, 0, 0
	}
	return x
}

// solve runs the exact enumeration up to ExactLimit PoPs, else the
// estimator.
func (pr *problem) solve(p Params) ranking {
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
