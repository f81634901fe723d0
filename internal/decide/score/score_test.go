package score

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
)

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// TestPaperTable3 is the first test vector of docs/scoring.md (the paper's
// Table 3).
func TestPaperTable3(t *testing.T) {
	rR := []float64{5, 6, 2, 7, 3, 4, 1}
	rC := []float64{1, 2, 4, 3, 5, 6, 7}
	wantR := []float64{0.4286, 0.2857, 0.8571, 0.1429, 0.7143, 0.5714, 1.0000}
	wantC := []float64{1.0000, 0.8571, 0.5714, 0.7143, 0.4286, 0.2857, 0.1429}
	wantRC := []float64{0.6547, 0.4949, 0.6999, 0.3194, 0.5533, 0.4041, 0.3780}
	wantKey := []float64{0.2806, 0.1414, 0.5999, 0.0456, 0.3952, 0.2309, 0.3780}
	wantJ := []int{4, 6, 1, 7, 2, 5, 3}
	const n = 7
	var stars []star
	var wsum float64
	for i := range rR {
		oR, oC := omega(rR[i], n), omega(rC[i], n)
		oRC := math.Sqrt(oR * oC)
		wsum += oRC
		if round4(oR) != wantR[i] || round4(oC) != wantC[i] || round4(oRC) != wantRC[i] || round4(oRC*oR) != wantKey[i] {
			t.Errorf("APC %d: ω_R %.4f ω_C %.4f ω_RC %.4f key %.4f; want %v %v %v %v",
				i+1, oR, oC, oRC, oRC*oR, wantR[i], wantC[i], wantRC[i], wantKey[i])
		}
		stars = append(stars, star{primary: oRC * oR, omegaRC: oRC, tie: makeTie(uint64(1)<<uint(i), n), mask: uint64(i)})
	}
	slices.SortFunc(stars, func(a, b star) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
	for j, s := range stars {
		if got := j + 1; wantJ[s.mask] != got {
			t.Errorf("APC %d: J* = %d, want %d", s.mask+1, got, wantJ[s.mask])
		}
	}
	if w := wsum / n; round4(w) != 0.5006 || math.Abs(wsum-3.50413) > 5e-5 {
		t.Errorf("W = %.5f/7 = %.4f, want 3.50413/7 = 0.5006", wsum, w)
	}
}

// vector2 is the second test vector of docs/scoring.md.
func vector2() *problem {
	return &problem{
		n:    3,
		capR: []float64{10, 30, 60}, capC: []float64{50, 25, 25},
		totR: 100, totC: 100, tR: 100, tC: 200,
		r: side{crit: ByOwn, open: true, bound: DefaultBounds()[Balanced]},
		c: side{crit: ByOwn, open: true, bound: DefaultBounds()[Balanced], mirror: true},
	}
}

// order returns the side's APC as position lists, best first.
func (p *problem) order(s side) [][]int {
	size := 1 << p.n
	sumR, sumC := make([]float64, size), make([]float64, size)
	for m := 1; m < size; m++ {
		for i := 0; i < p.n; i++ {
			if m&(1<<i) != 0 {
				sumR[m] += p.capR[i]
				sumC[m] += p.capC[i]
			}
		}
	}
	rank := make([]int32, size)
	n := p.rankSide(s, sumR, sumC, rank, enumeration(p.n), new([2][]keyed))
	out := make([][]int, n)
	for m := 1; m < size; m++ {
		if rank[m] > 0 {
			out[rank[m]-1] = positions(uint64(m))
		}
	}
	return out
}

func TestSecondVector(t *testing.T) {
	p := vector2()
	want := map[string][][]int{
		"R": {{0, 1, 2}, {1, 2}, {0, 2}, {2}, {1}},
		"C": {{0, 1, 2}, {0, 2}, {1, 2}, {1}, {2}},
	}
	if got := p.order(p.r); !slices.EqualFunc(got, want["R"], slices.Equal) {
		t.Errorf("APC_R = %v, want %v", got, want["R"])
	}
	if got := p.order(p.c); !slices.EqualFunc(got, want["C"], slices.Equal) {
		t.Errorf("APC_C = %v, want %v", got, want["C"])
	}
	res := p.exact(10)
	if round4(res.w) != 0.5903 || res.nR != 5 || res.nC != 5 {
		t.Errorf("W = %.5f (N_R %v, N_C %v), want 0.5903 (5, 5)", res.w, res.nR, res.nC)
	}
	wantStar := [][]int{{0, 1, 2}, {1, 2}, {0, 2}, {2}, {1}}
	wantRC := []float64{1, 0.6928, 0.6928, 0.2828, 0.2828}
	if len(res.top) != len(wantStar) {
		t.Fatalf("APC* has %d entries, want %d", len(res.top), len(wantStar))
	}
	for i, c := range res.top {
		if !slices.Equal(c.Positions, wantStar[i]) || round4(c.OmegaRC) != wantRC[i] {
			t.Errorf("APC*[%d] = %v ω_RC %.4f, want %v %.4f", i, c.Positions, c.OmegaRC, wantStar[i], wantRC[i])
		}
	}
	wantFlows := map[string][2]float64{"[0 1 2]": {100, 200}, "[1 2]": {90, 100}, "[0 2]": {70, 150}, "[2]": {60, 50}, "[1]": {30, 50}}
	for _, c := range res.top {
		f := wantFlows[sprint(c.Positions)]
		if math.Abs(c.Out-f[0]) > 1e-9 || math.Abs(c.In-f[1]) > 1e-9 {
			t.Errorf("contract %v moves O=%v I=%v, want %v", c.Positions, c.Out, c.In, f)
		}
	}
}

func sprint(xs []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(byte('0' + x))
	}
	b.WriteByte(']')
	return b.String()
}

func TestEnumerationOrder(t *testing.T) {
	for n := 1; n <= 12; n++ {
		order := enumeration(n)
		if len(order) != 1<<n-1 {
			t.Fatalf("n=%d: %d contracts, want %d", n, len(order), 1<<n-1)
		}
		for i := 1; i < len(order); i++ {
			if !makeTie(uint64(order[i-1]), n).before(makeTie(uint64(order[i]), n)) {
				t.Fatalf("n=%d: %v listed before %v", n, positions(uint64(order[i-1])), positions(uint64(order[i])))
			}
		}
	}
}

func TestTieRule(t *testing.T) {
	// {P0,P2} before {P1,P2}, {P1} before {P2}, bigger sets first.
	for _, tc := range []struct{ a, b uint64 }{{0b101, 0b110}, {0b010, 0b100}, {0b011, 0b001}, {0b110, 0b001}} {
		if !makeTie(tc.a, 3).before(makeTie(tc.b, 3)) || makeTie(tc.b, 3).before(makeTie(tc.a, 3)) {
			t.Errorf("%v should come before %v", positions(tc.a), positions(tc.b))
		}
	}
}

func TestFilters(t *testing.T) {
	b := DefaultBounds()
	tests := []struct {
		r      Ratio
		out    float64
		in     float64
		accept bool
	}{
		{Balanced, 1, 3, false},     // ρ = 0.333… rounds to 0.33, below 1/3
		{Balanced, 100, 299, false}, // 0.3344 rounds to 0.33
		{Balanced, 34, 100, true},   // 0.34
		{Balanced, 3, 1, true},      // ρ = 3
		{Balanced, 3.01, 1, false},  // ρ = 3.01
		{Balanced, 27, 100, false},  // 0.27
		{HeavyInbound, 1, 9, false}, // 0.111 rounds to 0.11; 1/0.11 = 9.09 > 9
		{HeavyInbound, 12, 100, true},
		{HeavyInbound, 1, 100, false},
		{MostlyInbound, 17, 100, true},  // 1/0.17 = 5.88
		{MostlyInbound, 16, 100, false}, // 1/0.16 = 6.25
		{MostlyOutbound, 6, 1, true},
		{MostlyOutbound, 6.1, 1, false},
		{HeavyOutbound, 9, 1, true},
		{HeavyOutbound, 9.01, 1, false},
		{HeavyOutbound, 0.01, 1, true}, // no lower bound
	}
	for _, tc := range tests {
		s := side{open: true, bound: b[tc.r]}
		if _, ok := s.judge(tc.out, tc.in); ok != tc.accept {
			t.Errorf("%v out %v in %v: accepted %v, want %v", tc.r, tc.out, tc.in, ok, tc.accept)
		}
	}
	if _, ok := (side{open: false}).judge(1, 1); ok {
		t.Error("a closed side (Not Disclosed) accepted a contract")
	}
	if _, ok := (side{open: true, bound: b[Balanced]}).judge(0, 1); ok {
		t.Error("a contract with O = 0 was accepted")
	}
}

func TestParseRatioAndCriterion(t *testing.T) {
	for in, want := range map[string]Ratio{
		"": NotDisclosed, "Not Disclosed": NotDisclosed, "Heavy Inbound": HeavyInbound,
		"mostly-outbound": MostlyOutbound, "BALANCED": Balanced, "heavy_outbound": HeavyOutbound,
	} {
		if got, err := ParseRatio(in); err != nil || got != want {
			t.Errorf("ParseRatio(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseRatio("sideways"); err == nil {
		t.Error("ParseRatio accepted nonsense")
	}
	for _, c := range Criteria {
		if got, err := ParseCriterion(c.String()); err != nil || got != c {
			t.Errorf("ParseCriterion(%q) = %v, %v", c.String(), got, err)
		}
	}
	if _, err := ParseCriterion("best"); err == nil {
		t.Error("ParseCriterion accepted nonsense")
	}
}

// randomProblem draws a pair with n common PoPs and random policies.
func randomProblem(rng *rand.Rand, n int) *problem {
	p := &problem{n: n}
	for i := 0; i < n; i++ {
		cr := float64(rng.IntN(10)+1) * 1000
		cc := float64(rng.IntN(10)+1) * 1000
		p.capR, p.capC = append(p.capR, cr), append(p.capC, cc)
		p.totR += cr
		p.totC += cc
	}
	p.tR = 1 + rng.Float64()*100
	p.tC = p.tR * math.Exp(rng.NormFloat64())
	ratios := []Ratio{HeavyInbound, MostlyInbound, Balanced, MostlyOutbound, HeavyOutbound}
	b := DefaultBounds()
	p.r = side{crit: Criteria[rng.IntN(3)], open: true, bound: b[ratios[rng.IntN(5)]]}
	p.c = side{crit: Criteria[rng.IntN(3)], open: true, bound: b[ratios[rng.IntN(5)]], mirror: true}
	return p
}

func TestRankingProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for iter := 0; iter < 300; iter++ {
		p := randomProblem(rng, 1+rng.IntN(9))
		res := p.exact(1 << p.n)
		if res.w != -1 && (res.w < 0 || res.w > 1) {
			t.Fatalf("W = %v outside [0,1]", res.w)
		}
		if (res.nR == 0 || res.nC == 0) != (res.w == -1) {
			t.Fatalf("W = %v with N_R %v N_C %v", res.w, res.nR, res.nC)
		}
		var wsum float64
		for i, c := range res.top {
			for _, o := range []float64{c.OmegaR, c.OmegaC, c.OmegaRC} {
				if o < 0 || o > 1 || math.IsNaN(o) {
					t.Fatalf("ω = %v outside [0,1]", o)
				}
			}
			if c.RankR > 0 {
				wsum += c.OmegaRC
			}
			if i > 0 && c.OmegaRC*c.OmegaR > res.top[i-1].OmegaRC*res.top[i-1].OmegaR {
				t.Fatalf("APC* out of order at %d", i)
			}
		}
		// The whole APC* (top holds all of it here) gives W back.
		if res.w >= 0 && math.Abs(wsum/res.nR-res.w) > 1e-12 {
			t.Fatalf("W from APC* %v != W %v", wsum/res.nR, res.w)
		}
		// Identical rankings give W = (N+1)/2N.
		q := *p
		q.c = side{crit: ByOwn, open: true}
		q.r = side{crit: ByOwn, open: true}
		q.tC, q.capC, q.totC = q.tR, q.capR, q.totR
		q.c.mirror = false
		if r := q.exact(1); math.Abs(r.w-(r.nR+1)/(2*r.nR)) > 1e-12 {
			t.Fatalf("identical rankings: W = %v, want %v", r.w, (r.nR+1)/(2*r.nR))
		}
	}
}

// TestEstimatorAgreesWithExact checks the sampling estimator against exact
// enumeration: the exact W must fall inside the stated 95% interval. With
// a true 95% interval a few misses among many cases are expected, so the
// test allows up to 10% and no miss by more than twice the half-width.
func TestEstimatorAgreesWithExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 3))
	cases, misses := 0, 0
	for cases < 40 {
		// Mostly mid-sized K, where exact enumeration is cheap, and every
		// tenth case at the exact limit.
		n := 8 + rng.IntN(9)
		if cases%10 == 9 {
			n = ExactLimit - rng.IntN(2)
		}
		p := randomProblem(rng, n)
		ex := p.exact(5)
		if ex.w < 0 || ex.nR < 20 || ex.nC < 20 {
			continue
		}
		cases++
		est := p.estimate(5, 20000, 20, uint64(cases), 500)
		half := (est.wHigh - est.wLow) / 2
		if ex.w < est.wLow || ex.w > est.wHigh {
			misses++
			t.Logf("n=%d: exact W %.6f outside [%.6f, %.6f] (N_R %v N_C %v, est %v %v)", n, ex.w, est.wLow, est.wHigh, ex.nR, ex.nC, est.nR, est.nC)
			if math.Abs(ex.w-est.w) > 2*half {
				t.Errorf("n=%d: exact W %.4f far outside the interval [%.4f, %.4f]", n, ex.w, est.wLow, est.wHigh)
			}
		}
		if half > 0.05 {
			t.Errorf("n=%d: interval half-width %.4f is too wide to be useful", n, half)
		}
		if rel := math.Abs(est.nR-ex.nR) / ex.nR; rel > 0.25 && ex.nR > 200 {
			t.Errorf("n=%d: |APC_R| estimated %v, exact %v", n, est.nR, ex.nR)
		}
		// The search's best contract must be near the top of the exact APC*.
		if len(est.top) > 0 && len(ex.top) > 0 {
			got := exactStarKey(p, est.top[0].Positions)
			best := ex.top[0].OmegaRC * ex.top[0].OmegaR
			if got < best-0.05 {
				t.Errorf("n=%d: search's best has exact APC* key %.4f, best is %.4f", n, got, best)
			}
		}
	}
	if misses > cases/10 {
		t.Errorf("%d of %d exact values outside the 95%% interval", misses, cases)
	}
}

// exactStarKey is the exact ω_RC·ω_R of a contract.
func exactStarKey(p *problem, pos []int) float64 {
	var mask uint64
	for _, i := range pos {
		mask |= 1 << uint(i)
	}
	size := 1 << p.n
	sumR, sumC := make([]float64, size), make([]float64, size)
	for m := 1; m < size; m++ {
		i := bits.TrailingZeros(uint(m))
		sumR[m] = sumR[m&(m-1)] + p.capR[i]
		sumC[m] = sumC[m&(m-1)] + p.capC[i]
	}
	rankR, rankC := make([]int32, size), make([]int32, size)
	nR := p.rankSide(p.r, sumR, sumC, rankR, enumeration(p.n), new([2][]keyed))
	nC := p.rankSide(p.c, sumR, sumC, rankC, enumeration(p.n), new([2][]keyed))
	oR := omega(float64(rankR[mask]), float64(nR))
	oC := omega(float64(rankC[mask]), float64(nC))
	return math.Sqrt(oR*oC) * oR
}

// gridPop is a synthetic population: one point of weight 1000 every 0.1°
// between the given bounds. Cover is discs only, which is enough for the
// properties tested here (population has the real hull).
type gridPop struct {
	pts []LatLon
}

func newGridPop(lat0, lat1, lon0, lon1 float64) *gridPop {
	g := &gridPop{}
	for la := lat0; la <= lat1; la += 0.1 {
		for lo := lon0; lo <= lon1; lo += 0.1 {
			g.pts = append(g.pts, LatLon{la, lo})
		}
	}
	return g
}

func (g *gridPop) Near(lat, lon, km float64) float64 {
	var s float64
	for _, p := range g.pts {
		if DistanceKm(lat, lon, p.Lat, p.Lon) <= km {
			s += 1000
		}
	}
	return s
}

type discArea struct {
	in map[int]bool
}

func (g *gridPop) Cover(sites []LatLon, km float64) Area {
	a := discArea{in: map[int]bool{}}
	for i, p := range g.pts {
		for _, s := range sites {
			if DistanceKm(s.Lat, s.Lon, p.Lat, p.Lon) <= km {
				a.in[i] = true
				break
			}
		}
	}
	return a
}

func (a discArea) Population() float64 { return float64(len(a.in)) * 1000 }
func (a discArea) Overlap(o Area) float64 {
	var n int
	for i := range a.in {
		if o.(discArea).in[i] {
			n++
		}
	}
	return float64(n) * 1000
}

// zeroPop has nobody anywhere.
type zeroPop struct{}

func (zeroPop) Near(_, _, _ float64) float64     { return 0 }
func (zeroPop) Cover(_ []LatLon, _ float64) Area { return zeroArea{} }

type zeroArea struct{}

func (zeroArea) Population() float64  { return 0 }
func (zeroArea) Overlap(Area) float64 { return 0 }

func pop(key string, lat, lon, capMbps float64) PoP {
	return PoP{Key: key, Name: key, City: "c-" + key, Lat: lat, Lon: lon, HasLocation: true, CapacityMbps: capMbps}
}

func testNets() (Network, Network) {
	r := Network{ASN: 64500, Name: "R", Ratio: Balanced, PoPs: []PoP{
		pop("ix:1", 52.0, 4.0, 10000), pop("ix:2", 52.5, 5.0, 20000), pop("fac:3", 51.0, 4.5, 0), pop("fac:9", 50.5, 3.5, 0),
	}}
	c := Network{ASN: 64501, Name: "C", Ratio: MostlyOutbound, PoPs: []PoP{
		pop("ix:1", 52.0, 4.0, 10000), pop("ix:2", 52.5, 5.0, 10000), pop("fac:3", 51.0, 4.5, 0), pop("fac:7", 51.8, 5.6, 0),
	}}
	return r, c
}

func TestScoreSymmetricAffinity(t *testing.T) {
	g := newGridPop(50, 53, 3, 6)
	p := DefaultParams()
	r, c := testNets()
	pr, pc := Prepare(r, g, p), Prepare(c, g, p)
	a, b := Score(pr, pc, p, billing.Prices{}), Score(pc, pr, p, billing.Prices{})
	if a.Affinity != b.Affinity || a.AlphaRequester != b.AlphaCandidate || a.AlphaCandidate != b.AlphaRequester {
		t.Errorf("affinity not symmetric: %v/%v/%v vs %v/%v/%v", a.Affinity, a.AlphaRequester, a.AlphaCandidate, b.Affinity, b.AlphaRequester, b.AlphaCandidate)
	}
	if a.Affinity <= 0 || a.Affinity > 1 {
		t.Errorf("A = %v, want in (0,1]", a.Affinity)
	}
	if a.Willingness < 0 || a.Willingness > 1 || a.Felicity < 0 || a.Felicity > 1 {
		t.Errorf("W = %v F = %v", a.Willingness, a.Felicity)
	}
	if len(a.CommonPoPs) != 3 || a.CommonPoPs[2].Key != "fac:3" || a.CommonPoPs[2].RequesterCapacityMbps != 1000 {
		t.Errorf("common PoPs = %+v", a.CommonPoPs)
	}
	if want := felicity(a.Willingness, a.Affinity, p); a.Felicity != want || a.Recommended != (want >= 0.55) {
		t.Errorf("F = %v recommended %v, want %v", a.Felicity, a.Recommended, want)
	}
	// Identical networks: symmetric inputs, nothing to gain, A = 0.
	same := Score(pr, Prepare(r, g, p), p, billing.Prices{})
	if same.Affinity != 0 || same.Felicity != 0 {
		t.Errorf("identical networks: A = %v F = %v, want 0", same.Affinity, same.Felicity)
	}
}

func TestScoreEdgeCases(t *testing.T) {
	g := newGridPop(50, 53, 3, 6)
	p := DefaultParams()
	r, c := testNets()

	t.Run("no common PoP", func(t *testing.T) {
		far := Network{ASN: 64502, Ratio: Balanced, PoPs: []PoP{pop("ix:50", 52, 4, 1000), pop("ix:51", 51, 5, 1000)}}
		res := Score(Prepare(r, g, p), Prepare(far, g, p), p, billing.Prices{})
		if res.Willingness != -1 || res.Affinity != -1 || res.Felicity != -1 || res.Recommended || !hasNote(res, "no common PoP") {
			t.Errorf("W %v A %v F %v notes %q", res.Willingness, res.Affinity, res.Felicity, res.Notes)
		}
	})
	t.Run("not disclosed", func(t *testing.T) {
		nd := c
		nd.Ratio = NotDisclosed
		res := Score(Prepare(r, g, p), Prepare(nd, g, p), p, billing.Prices{})
		if res.Willingness != -1 || res.Felicity != -1 || res.APCCandidate != 0 || !hasNote(res, "does not disclose") {
			t.Errorf("W %v F %v N_C %v notes %q", res.Willingness, res.Felicity, res.APCCandidate, res.Notes)
		}
		q := p
		q.AssumeRatio = map[bgp.ASN]Ratio{nd.ASN: Balanced}
		res = Score(Prepare(r, g, q), Prepare(nd, g, q), q, billing.Prices{})
		if res.Willingness < 0 || !res.Candidate.RatioAssumed || !hasNote(res, "assumed Balanced") {
			t.Errorf("assume_ratio ignored: W %v notes %q", res.Willingness, res.Notes)
		}
	})
	t.Run("one side without APC", func(t *testing.T) {
		// A Balanced requester whose bound nothing can meet.
		q := p
		q.Bounds = DefaultBounds()
		q.Bounds[Balanced] = Bound{MaxOutIn: 0.001}
		res := Score(Prepare(r, g, q), Prepare(c, g, q), q, billing.Prices{})
		if res.Willingness != -1 || res.Felicity != -1 || res.APCRequester != 0 || res.APCCandidate == 0 || !hasNote(res, "accepts no contract") {
			t.Errorf("W %v F %v N_R %v N_C %v notes %q", res.Willingness, res.Felicity, res.APCRequester, res.APCCandidate, res.Notes)
		}
		if len(res.APC) == 0 || res.APC[0].OmegaRC != 0 || res.Economics == nil || len(res.Economics.PoPs) != 0 {
			t.Errorf("APC* should list the candidate's contracts with ω_RC = 0 and no economics: %+v", res.APC)
		}
	})
	t.Run("fewer than three PoPs", func(t *testing.T) {
		one := Network{ASN: 64503, Ratio: Balanced, PoPs: []PoP{pop("ix:1", 52.0, 4.0, 1000), pop("ix:60", 52.3, 4.9, 1000)}}
		res := Score(Prepare(r, g, p), Prepare(one, g, p), p, billing.Prices{})
		if len(res.CommonPoPs) != 1 || res.APCRequester > 1 || res.Affinity < 0 {
			t.Errorf("K %v N_R %v A %v", res.CommonPoPs, res.APCRequester, res.Affinity)
		}
		if res.Willingness != -1 && res.Willingness != 1 {
			t.Errorf("a single contract gives W = 1 or −1, got %v", res.Willingness)
		}
		single := Network{ASN: 64504, Ratio: Balanced, PoPs: []PoP{pop("ix:1", 52.0, 4.0, 1000)}}
		res = Score(Prepare(r, g, p), Prepare(single, g, p), p, billing.Prices{})
		if res.Candidate.Traffic != 0 || res.Willingness != -1 || !hasNote(res, "traffic estimate is zero") {
			t.Errorf("single-PoP candidate: T_C %v W %v notes %q", res.Candidate.Traffic, res.Willingness, res.Notes)
		}
	})
	t.Run("zero population", func(t *testing.T) {
		res := Score(Prepare(r, zeroPop{}, p), Prepare(c, zeroPop{}, p), p, billing.Prices{})
		if res.Affinity != 0 || res.Willingness != -1 || res.Felicity != -1 || res.UnionPopulation != 0 {
			t.Errorf("A %v W %v F %v", res.Affinity, res.Willingness, res.Felicity)
		}
	})
}

func hasNote(r Result, s string) bool {
	for _, n := range r.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func TestCap(t *testing.T) {
	g := zeroPop{}
	p := DefaultParams()
	p.MaxCommonPoPs = 3
	var r, c Network
	r.Ratio, c.Ratio = Balanced, Balanced
	// κ_R: ix:5 2000, ix:1 1000, ix:2 1000, ix:3 3000, ix:4 500 → keep 3, 5, then 1 (id tie).
	for i, k := range []float64{1000, 1000, 3000, 500, 2000} {
		key := "ix:" + string(rune('1'+i))
		r.PoPs = append(r.PoPs, pop(key, 0, 0, k))
		c.PoPs = append(c.PoPs, pop(key, 0, 0, 100))
	}
	res := Score(Prepare(r, g, p), Prepare(c, g, p), p, billing.Prices{})
	var kept, dropped []string
	for _, q := range res.CommonPoPs {
		kept = append(kept, q.Key)
	}
	for _, q := range res.DroppedPoPs {
		dropped = append(dropped, q.Key)
	}
	if !slices.Equal(kept, []string{"ix:1", "ix:3", "ix:5"}) || !slices.Equal(dropped, []string{"ix:2", "ix:4"}) {
		t.Errorf("kept %v dropped %v", kept, dropped)
	}
	if !hasNote(res, "exceed the cap of 3") {
		t.Errorf("notes %q", res.Notes)
	}
}

func TestEconomics(t *testing.T) {
	g := newGridPop(50, 53, 3, 6)
	p := DefaultParams()
	r, c := testNets()
	r.TrafficMbps = 10000
	e := billing.Prices{Transit: []billing.Transit{{Name: "a", USDPerMbps: 0.5, BurstUSDPerMbps: 0.5, Billed: billing.Max}},
		PortUSDPerMonth: map[string]float64{"ix:1": 1200}, DefaultPortUSDPerMonth: 800, CrossConnectUSDPerMonth: 300,
		IXPFeeUSDPerMonth: map[string]float64{"ix:2": 100}}
	res := Score(Prepare(r, g, p), Prepare(c, g, p), p, e)
	if res.TrafficUnit != "Mbps" || res.Requester.Traffic != 10000 {
		t.Fatalf("unit %q T_R %v", res.TrafficUnit, res.Requester.Traffic)
	}
	ec := res.Economics
	if len(ec.PoPs) == 0 || ec.TrafficSource != "measured" || ec.Comparison == nil {
		t.Fatalf("economics %+v", ec)
	}
	var cost float64
	for _, k := range ec.PoPs {
		cost += map[string]float64{"ix:1": 1200, "ix:2": 800 + 100, "fac:3": 300}[k]
	}
	// Modelled traffic is flat and priced at the margin of the first
	// provider: 0.5 × the larger direction.
	top := res.APC[0]
	cmp := ec.Comparison
	if ec.PeeringUSD != cost || math.Abs(ec.MovedMbps-math.Max(top.Out, top.In)) > 1e-9 ||
		math.Abs(cmp.TransitUSD-ec.MovedMbps*0.5) > 1e-9 || cmp.SettlementFreeUSD != cost ||
		math.Abs(cmp.BreakEvenMbps-cost/0.5) > 1e-5*cost/0.5 || !cmp.BreakEven {
		t.Errorf("economics %+v, comparison %+v for contract %+v", ec, cmp, top.Contract)
	}
	// Without prices there is no money figure at all.
	if res := Score(Prepare(r, g, p), Prepare(c, g, p), p, billing.Prices{}); res.Economics.Priced || res.Economics.Comparison != nil {
		t.Errorf("unpriced economics %+v", res.Economics)
	}
}

func TestHolistic(t *testing.T) {
	g := newGridPop(50, 53, 3, 6)
	p := HolisticParams()
	r, c := testNets()
	res := Score(Prepare(r, g, p), Prepare(c, g, p), p, billing.Prices{})
	if res.Reverse == nil {
		t.Fatal("holistic result has no reverse direction")
	}
	back := Score(Prepare(c, g, p), Prepare(r, g, p), p, billing.Prices{})
	if res.Reverse.Willingness != back.Willingness || res.Reverse.Felicity != back.Felicity {
		t.Errorf("reverse W/F %v/%v, scoring C→R gives %v/%v", res.Reverse.Willingness, res.Reverse.Felicity, back.Willingness, back.Felicity)
	}
	if res.Recommended != (res.Felicity >= 0.3 && res.Reverse.Felicity >= 0.3) {
		t.Errorf("recommended %v with F %v and reverse F %v", res.Recommended, res.Felicity, res.Reverse.Felicity)
	}
}

func TestLargeKUsesEstimator(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1))
	p := randomProblem(rng, 51)
	p.r.bound, p.c.bound = DefaultBounds()[Balanced], DefaultBounds()[Balanced]
	p.tC = p.tR
	res := p.estimate(3, 40000, 20, 1, 2000)
	if res.exact || res.w < 0 || res.w > 1 || res.wLow > res.w || res.wHigh < res.w || len(res.top) != 3 {
		t.Fatalf("estimate %+v", res)
	}
}

func BenchmarkExact15(b *testing.B) { benchExact(b, 15) }
func BenchmarkExact20(b *testing.B) { benchExact(b, 20) }

func benchExact(b *testing.B, n int) {
	p := randomProblem(rand.New(rand.NewPCG(1, 2)), n)
	p.r.bound, p.c.bound = Bound{}, Bound{}
	b.ReportAllocs()
	for b.Loop() {
		p.exact(10)
	}
}

// BenchmarkEstimate51 is the paper's Google–HE size, |K| = 51.
func BenchmarkEstimate51(b *testing.B) {
	p := randomProblem(rand.New(rand.NewPCG(1, 2)), 51)
	p.r.bound, p.c.bound = DefaultBounds()[Balanced], DefaultBounds()[Balanced]
	p.tC = p.tR
	b.ReportAllocs()
	for b.Loop() {
		p.estimate(10, 40000, 20, 1, 2000)
	}
}

// TestScoreProperties scores random pairs of networks drawn from a pool of
// PoPs: every score is in [0,1] or −1 with a note saying why, affinity is
// symmetric, and F follows from W and A.
func TestScoreProperties(t *testing.T) {
	g := newGridPop(50, 53, 3, 6)
	rng := rand.New(rand.NewPCG(21, 4))
	var pool []PoP
	for i := 0; i < 12; i++ {
		kind := "ix:"
		if i%3 == 0 {
			kind = "fac:"
		}
		pool = append(pool, pop(kind+string(rune('a'+i)), 50+rng.Float64()*3, 3+rng.Float64()*3, float64(rng.IntN(4))*1000))
	}
	ratios := []Ratio{NotDisclosed, HeavyInbound, MostlyInbound, Balanced, MostlyOutbound, HeavyOutbound}
	network := func(asn bgp.ASN) Network {
		n := Network{ASN: asn, Ratio: ratios[rng.IntN(len(ratios))]}
		for _, q := range pool {
			if rng.IntN(3) == 0 {
				q.CapacityMbps = float64(rng.IntN(4)) * 1000
				n.PoPs = append(n.PoPs, q)
			}
		}
		return n
	}
	p := DefaultParams()
	inRange := func(x float64) bool { return x == -1 || (x >= 0 && x <= 1) }
	for iter := 0; iter < 150; iter++ {
		p.CriterionR, p.CriterionC = Criteria[rng.IntN(3)], Criteria[rng.IntN(3)]
		r, c := Prepare(network(64500), g, p), Prepare(network(64501), g, p)
		a, b := Score(r, c, p, billing.Prices{}), Score(c, r, p, billing.Prices{})
		for _, x := range []float64{a.Willingness, a.Affinity, a.Felicity, a.AlphaRequester, a.AlphaCandidate} {
			if !inRange(x) || math.IsNaN(x) {
				t.Fatalf("score %v out of range: %+v", x, a)
			}
		}
		if (a.Willingness == -1 || a.Affinity == -1) && len(a.Notes) == 0 {
			t.Fatalf("W %v A %v without a reason", a.Willingness, a.Affinity)
		}
		if a.Affinity != b.Affinity || a.AlphaRequester != b.AlphaCandidate {
			t.Fatalf("affinity not symmetric: %v vs %v", a.Affinity, b.Affinity)
		}
		if want := felicity(a.Willingness, a.Affinity, p); a.Felicity != want {
			t.Fatalf("F = %v, want %v", a.Felicity, want)
		}
		if len(a.CommonPoPs) != len(b.CommonPoPs) {
			t.Fatalf("K differs by direction: %d vs %d", len(a.CommonPoPs), len(b.CommonPoPs))
		}
	}
}
