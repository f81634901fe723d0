package candidates

import (
	"context"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/evaluate"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/sources/asrel"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/population"
	"github.com/peerform/peerform/internal/testutil"
)

func TestDeclaredTrafficMbps(t *testing.T) {
	for in, want := range map[string]float64{
		"": 0, "Not a range": 0, "0-20Mbps": 10, "1-5Gbps": 2236.06797749979, "100-1000Mbps": 316.22776601683796,
		"100+Tbps": 1e8, "10-20Tbps": 1.4142135623730951e7,
	} {
		if got := DeclaredTrafficMbps(in); got != want {
			t.Errorf("DeclaredTrafficMbps(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestParams(t *testing.T) {
	beta, th, maxPoPs := 0.2, 0.4, 18
	p, err := Params(intent.Scoring{Beta: &beta, Threshold: &th, MaxCommonPoPs: &maxPoPs, Criterion: score.ByDiff,
		AssumeRatio: map[bgp.ASN]score.Ratio{174: score.Balanced}, FacilityCapacityMbps: 400,
		RatioBounds: map[string]float64{"balanced": 4}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Beta != 0.2 || p.Gamma != 0.85 || p.Threshold != 0.4 || p.MaxCommonPoPs != 18 || p.CriterionR != score.ByDiff ||
		p.CriterionC != score.ByOwn || p.AssumeRatio[174] != score.Balanced || p.FacilityCapacityMbps != 400 || p.Holistic ||
		p.Bounds[score.Balanced] != (score.Bound{MaxOutIn: 4, MaxInOut: 4}) || p.Bounds[score.HeavyInbound] != (score.Bound{MaxInOut: 9}) {
		t.Errorf("params %+v", p)
	}
	h, err := Params(intent.Scoring{Holistic: true})
	if err != nil || !h.Holistic || h.Beta != 0.1 || h.Threshold != 0.3 {
		t.Errorf("holistic params %+v, %v", h, err)
	}
}

func defaultScorer(t testing.TB, store *peeringdb.Store) *Scorer {
	t.Helper()
	set, err := population.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &Scorer{Store: store, Pop: Population{Set: set}, Params: score.DefaultParams()}
}

// TestDemoSnapshot scores the example repository's own peers.
func TestDemoSnapshot(t *testing.T) {
	store, err := peeringdb.LoadDir(testutil.Path(t, "data/peeringdb"))
	if err != nil {
		t.Fatal(err)
	}
	s := defaultScorer(t, store)
	r, err := s.Profile(64500, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Profile(64502, 0)
	if err != nil {
		t.Fatal(err)
	}
	res := score.Score(r, c, s.Params, s.Econ)
	if len(res.CommonPoPs) < 3 || res.Willingness < 0 || res.Willingness > 1 || res.Affinity < 0 || res.Felicity < 0 {
		t.Errorf("AS64500→AS64502: K %d, W %v, A %v, F %v, notes %q", len(res.CommonPoPs), res.Willingness, res.Affinity, res.Felicity, res.Notes)
	}
	if r.CoveragePopulation < 1e6 {
		t.Errorf("our coverage (Amsterdam, Frankfurt, London) holds only %.0f people", r.CoveragePopulation)
	}
	sug, err := s.Suggest(context.Background(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sug) < 4 {
		t.Fatalf("suggest found %d candidates", len(sug))
	}
	for i := 1; i < len(sug); i++ {
		if sug[i].Felicity > sug[i-1].Felicity {
			t.Errorf("suggest out of order at %d", i)
		}
	}
	if _, err := s.Profile(4242424242, 0); err == nil {
		t.Error("a network missing from PeeringDB was profiled")
	}
}

// PaperISPs are the 22 networks of the paper's evaluation.
var PaperISPs = []bgp.ASN{11492, 209, 7843, 7922, 22773, 4181, 7029, 20940, 16509, 62955, 32934,
	15169, 8075, 2906, 23520, 174, 6939, 2914, 3491, 1239, 701, 6461}

// TestPaperEvaluation scores every ordered pair of the paper's ISPs on the
// 2021-03 US snapshot and compares with CAIDA's 2025-09 relationships.
func TestPaperEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("scores 462 pairs; skipped with -short")
	}
	store, err := peeringdb.LoadDir(testutil.Shared(t, "peeringdb/us-2021-03"))
	if err != nil {
		t.Fatal(err)
	}
	rels, err := asrel.Load(testutil.Shared(t, "asrel/20250901.as-rel2.txt.bz2"))
	if err != nil {
		t.Fatal(err)
	}
	s := defaultScorer(t, store)
	// The paper treats Cogent, which does not disclose its ratio, as Balanced.
	s.Params.AssumeRatio = map[bgp.ASN]score.Ratio{174: score.Balanced}
	results, missing, err := s.Pairs(context.Background(), PaperISPs, nil)
	if err != nil {
		t.Fatal(err)
	}
	// AS209 (CenturyLink) is not in the rebuilt snapshot: 21 × 20 pairs.
	if len(missing) != 1 || missing[0] != 209 || len(results) != 420 {
		t.Fatalf("%d pairs, missing %v", len(results), missing)
	}
	rep := evaluate.Evaluate(results, rels, 0.55, false, evaluate.Thresholds(0.05))
	t.Logf("default view: %d pairs, %d known peer pairs, %d recommended (recall %.1f%%), %d of %d others recommended, %d unscored",
		rep.Pairs, rep.P2PPairs, rep.P2PRecommended, 100*rep.Recall, rep.OtherRecommended, rep.OtherPairs, rep.Unscored)
	// CAIDA lists 150 of the 420 ordered pairs as peers. What the method
	// recommends is reported, not asserted: docs/scoring.md ("What the
	// authors' code does differently", "Measured") explains why the paper's
	// 85% is not a number to reproduce.
	if rep.P2PPairs != 150 || rep.OtherPairs != 270 || rep.Recall < 0 || rep.Recall > 1 || len(rep.Sweep) != 21 {
		t.Errorf("implausible evaluation: %+v", rep)
	}
	if rep.Sweep[0].P2PRecommended < rep.P2PRecommended {
		t.Error("recall must not grow with the threshold")
	}
	s.Params = score.HolisticParams()
	s.Params.AssumeRatio = map[bgp.ASN]score.Ratio{174: score.Balanced}
	hres, _, err := s.Pairs(context.Background(), PaperISPs, nil)
	if err != nil {
		t.Fatal(err)
	}
	hol := evaluate.Evaluate(hres, rels, 0.3, true, nil)
	t.Logf("holistic view: recall %.1f%% (%d of %d), %d of %d others recommended",
		100*hol.Recall, hol.P2PRecommended, hol.P2PPairs, hol.OtherRecommended, hol.OtherPairs)
}

// BenchmarkSuggestUS ranks every network of the 2021-03 US snapshot that
// shares a PoP with Hurricane Electric (AS6939), the widest-present one.
func BenchmarkSuggestUS(b *testing.B) { benchSuggestUS(b, defaultScorer) }

func benchSuggestUS(b *testing.B, scorer func(testing.TB, *peeringdb.Store) *Scorer) {
	store, err := peeringdb.LoadDir(testutil.Shared(b, "peeringdb/us-2021-03"))
	if err != nil {
		b.Fatal(err)
	}
	s := scorer(b, store)
	r, err := s.Profile(6939, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.Suggest(context.Background(), r, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(res)), "candidates")
	}
}

// TestLargestPair scores the snapshot's largest pair without the cap:
// Cogent (AS174) and Hurricane Electric (AS6939) share 50 US PoPs (the
// paper's largest, Google–HE, had 51), past exact enumeration, so W comes
// from the estimator with its interval. Cogent is assumed Balanced, as in
// the paper.
func TestLargestPair(t *testing.T) {
	store, err := peeringdb.LoadDir(testutil.Shared(t, "peeringdb/us-2021-03"))
	if err != nil {
		t.Fatal(err)
	}
	s, r, c := largestPair(t, store)
	balanced := s.Params
	balanced.AssumeRatio = map[bgp.ASN]score.Ratio{174: score.Balanced}
	if res := score.Score(score.Prepare(r.Network, s.Pop, balanced), c, balanced, s.Econ); res.Willingness != -1 || res.APCRequester != 0 {
		t.Errorf("Cogent as Balanced: W %v, N_R %v; the 7.6 traffic ratio should reject every contract", res.Willingness, res.APCRequester)
	}
	res := score.Score(r, c, s.Params, s.Econ)
	t.Logf("|K| = %d: W %.4f %+v, N_R %.3g, N_C %.3g, A %.4f, F %.4f, top %v, notes %q", len(res.CommonPoPs), res.Willingness,
		res.WillingnessInterval, res.APCRequester, res.APCCandidate, res.Affinity, res.Felicity, res.Economics.PoPs, res.Notes)
	if res.Exact || len(res.CommonPoPs) != 50 || len(res.DroppedPoPs) != 0 || res.Samples == 0 {
		t.Errorf("exact %v, K %d, dropped %d", res.Exact, len(res.CommonPoPs), len(res.DroppedPoPs))
	}
	if res.Willingness < 0 || len(res.APC) == 0 || res.WillingnessInterval == nil || res.WillingnessInterval.High-res.WillingnessInterval.Low > 0.05 {
		t.Fatalf("no usable estimate: W %v, interval %+v, %d APC* entries", res.Willingness, res.WillingnessInterval, len(res.APC))
	}
	if res.WillingnessInterval == nil || res.WillingnessInterval.Low > res.Willingness || res.WillingnessInterval.High < res.Willingness {
		t.Errorf("W %v outside its interval %+v", res.Willingness, res.WillingnessInterval)
	}
}

func largestPair(t testing.TB, store *peeringdb.Store) (*Scorer, *score.Profile, *score.Profile) {
	t.Helper()
	s := defaultScorer(t, store)
	s.Params.MaxCommonPoPs = 0
	// Cogent does not disclose its ratio; the paper took it as Balanced.
	// With the gravity estimate Cogent's traffic is 7.6 times HE's, which
	// no Balanced filter accepts, so the benchmark (and the second half of
	// the test) takes Cogent as Heavy Outbound and HE as Heavy Inbound to
	// give the estimator acceptable contracts to count.
	s.Params.AssumeRatio = map[bgp.ASN]score.Ratio{174: score.HeavyOutbound, 6939: score.HeavyInbound}
	r, err := s.Profile(174, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Profile(6939, 0)
	if err != nil {
		t.Fatal(err)
	}
	return s, r, c
}

// BenchmarkLargestPair is one uncapped pair with |K| = 50.
func BenchmarkLargestPair(b *testing.B) {
	store, err := peeringdb.LoadDir(testutil.Shared(b, "peeringdb/us-2021-03"))
	if err != nil {
		b.Fatal(err)
	}
	s, r, c := largestPair(b, store)
	b.ReportAllocs()
	for b.Loop() {
		score.Score(r, c, s.Params, s.Econ)
	}
}
