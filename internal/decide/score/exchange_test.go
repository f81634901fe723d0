package score

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/decide/billing"
)

// TestExchangeSizesCancel: two Balanced networks of very different sizes
// exchange balanced traffic under the exchange model, so every contract
// whose capacity split is balanced passes both filters; the gravity model
// rejects the same pair on size alone.
func TestExchangeSizesCancel(t *testing.T) {
	g := newGridPop(50, 53, 3, 6)
	small := Network{ASN: 64500, Ratio: Balanced, DeclaredTrafficMbps: 1000, PoPs: []PoP{
		pop("ix:1", 52.0, 4.0, 10000), pop("ix:2", 52.5, 5.0, 10000)}}
	big := Network{ASN: 64501, Ratio: Balanced, DeclaredTrafficMbps: 5e6, PoPs: []PoP{
		pop("ix:1", 52.0, 4.0, 10000), pop("ix:2", 52.5, 5.0, 10000), pop("fac:3", 51.0, 4.5, 0),
		pop("fac:4", 50.2, 3.2, 0), pop("fac:5", 50.9, 5.9, 0), pop("fac:6", 52.9, 3.1, 0)}}

	x := ExchangeParams()
	x.InboundMbps = 1e8 // what every network receives: 100 Tbps
	res := Score(Prepare(small, g, x), Prepare(big, g, x), x, billing.Prices{})
	if res.Requester.Traffic != res.Candidate.Traffic || res.Requester.Traffic <= 0 {
		t.Errorf("Balanced–Balanced: R→C %v, C→R %v; want equal and positive", res.Requester.Traffic, res.Candidate.Traffic)
	}
	if res.APCRequester != 3 || res.APCCandidate != 3 || res.Willingness <= 0 || len(res.Rejections) != 0 {
		t.Errorf("N_R %v N_C %v W %v rejections %+v; want every contract accepted", res.APCRequester, res.APCCandidate, res.Willingness, res.Rejections)
	}
	if res.TrafficUnit != "Mbps" || res.Traffic != ExchangeTraffic {
		t.Errorf("unit %q model %v", res.TrafficUnit, res.Traffic)
	}
	// R sends its outbound (500 Mbps) times C's share of the world's
	// inbound (2.5 of 100 Tbps): 12.5 Mbps.
	if want := 1000 * 0.5 * 5e6 * 0.5 / 1e8; math.Abs(res.Requester.Traffic-want) > 1e-9 {
		t.Errorf("R→C = %v Mbps, want %v", res.Requester.Traffic, want)
	}
	// Without a world (or one smaller than the pair), the pair is the
	// world: R sends C its outbound times C's share of the two inbounds,
	// never more than it sends at all.
	x.InboundMbps = 0
	alone := Score(Prepare(small, g, x), Prepare(big, g, x), x, billing.Prices{})
	if want := 500 * 2.5e6 / (500 + 2.5e6); math.Abs(alone.Requester.Traffic-want) > 1e-6 || alone.Requester.Traffic != alone.Candidate.Traffic {
		t.Errorf("pair as the world: R→C %v, C→R %v; want %v both", alone.Requester.Traffic, alone.Candidate.Traffic, want)
	}

	p := DefaultParams()
	paper := Score(Prepare(small, g, p), Prepare(big, g, p), p, billing.Prices{})
	if paper.Willingness != -1 {
		t.Fatalf("gravity model accepted the pair (W %v); the test no longer shows the size effect", paper.Willingness)
	}
	if len(paper.Rejections) == 0 {
		t.Errorf("gravity: no per-side rejection reason: %q", paper.Notes)
	}
}

// TestExchangeRejectionsPerSide: a Balanced requester facing a Heavy
// Outbound candidate receives far more than it sends; it (and only it)
// rejects every contract, W is 0 rather than −1, and the reason gives the
// ratio range and the bound.
func TestExchangeRejectionsPerSide(t *testing.T) {
	g := newGridPop(50, 53, 3, 6)
	r, c := testNets()
	c.Ratio = HeavyOutbound
	x := ExchangeParams()
	res := Score(Prepare(r, g, x), Prepare(c, g, x), x, billing.Prices{})
	if res.Willingness != 0 || res.Felicity != 0 {
		t.Errorf("W %v F %v, want 0 (nobody willing)", res.Willingness, res.Felicity)
	}
	if len(res.Rejections) != 1 || res.Rejections[0].Side != "requester" || res.Rejections[0].ASN != r.ASN {
		t.Fatalf("rejections %+v, want the requester only", res.Rejections)
	}
	why := res.Rejections[0].Reason
	if !strings.Contains(why, "Balanced") || !strings.Contains(why, "in/out ≤ 3") || !strings.Contains(why, "what it receives") {
		t.Errorf("reason %q lacks the ratio type, bound or range", why)
	}
	if res.APCCandidate == 0 {
		t.Errorf("the Heavy Outbound candidate should accept contracts")
	}
}

// TestExchangeNotDisclosed: under the exchange model a network that does
// not disclose its ratio still accepts contracts (within the Heavy bounds).
func TestExchangeNotDisclosed(t *testing.T) {
	g := newGridPop(50, 53, 3, 6)
	r, c := testNets()
	c.Ratio = NotDisclosed
	x := ExchangeParams()
	res := Score(Prepare(r, g, x), Prepare(c, g, x), x, billing.Prices{})
	if res.APCCandidate == 0 || res.Willingness <= 0 || !hasNote(res, "does not disclose") {
		t.Errorf("N_C %v W %v notes %q", res.APCCandidate, res.Willingness, res.Notes)
	}
}

// TestByCriterionReusesMainRanking: the per-criterion table agrees with
// the main result for the policy's own criterion.
func TestByCriterionReusesMainRanking(t *testing.T) {
	g := newGridPop(50, 53, 3, 6)
	r, c := testNets()
	p := DefaultParams()
	p.AllCriteria = true
	res := Score(Prepare(r, g, p), Prepare(c, g, p), p, billing.Prices{})
	if len(res.ByCriterion) != 3 {
		t.Fatalf("by criterion: %+v", res.ByCriterion)
	}
	for _, bc := range res.ByCriterion {
		if bc.Criterion == p.CriterionR && (bc.Willingness != res.Willingness || bc.Felicity != res.Felicity) {
			t.Errorf("%v: W %v F %v, main W %v F %v", bc.Criterion, bc.Willingness, bc.Felicity, res.Willingness, res.Felicity)
		}
	}
	p.AllCriteria = false
	if res := Score(Prepare(r, g, p), Prepare(c, g, p), p, billing.Prices{}); res.ByCriterion != nil {
		t.Errorf("by-criterion table without asking: %+v", res.ByCriterion)
	}
}

// BenchmarkScore15 and BenchmarkScore20 time one whole pair (both
// directions' rankings as the likelihood profile needs them, affinity,
// economics) at 15 and 20 common PoPs with the default cap of 15;
// BenchmarkScore20Uncapped raises the cap to 20 (exact enumeration of
// 2^20 − 1 contracts per side and direction), and BenchmarkScore20ByCriterion
// adds the per-criterion table `score --by-criterion` asks for.
func BenchmarkScore15(b *testing.B) { benchScore(b, 15, bothWays(ExchangeParams())) }
func BenchmarkScore20(b *testing.B) { benchScore(b, 20, bothWays(ExchangeParams())) }
func BenchmarkScore20Uncapped(b *testing.B) {
	p := bothWays(ExchangeParams())
	p.MaxCommonPoPs = 20
	benchScore(b, 20, p)
}
func BenchmarkScore20ByCriterion(b *testing.B) {
	p := DefaultParams()
	p.AllCriteria = true
	benchScore(b, 20, p)
}

func bothWays(p Params) Params { p.BothWays = true; return p }

func benchScore(b *testing.B, n int, p Params) {
	g := newGridPop(40, 60, -10, 20)
	var r, c Network
	r.ASN, c.ASN, r.Ratio, c.Ratio = 64500, 64501, Balanced, MostlyOutbound
	for i := 0; i < n; i++ {
		q := pop("ix:"+string(rune('a'+i)), 40+float64(i), -10+float64(i), float64(1000*(i%4+1)))
		r.PoPs = append(r.PoPs, q)
		q.CapacityMbps = float64(1000 * (i%3 + 1))
		c.PoPs = append(c.PoPs, q)
	}
	pr, pc := Prepare(r, g, p), Prepare(c, g, p)
	b.ReportAllocs()
	for b.Loop() {
		Score(pr, pc, p, billing.Prices{})
	}
}

// TestRadixSortMatchesStableSort on both sides of the size at which the
// digit sort takes over, with many equal keys (stability matters).
func TestRadixSortMatchesStableSort(t *testing.T) {
	for _, n := range []int{0, 1, 7, radixMin - 1, radixMin, 3 * radixMin} {
		a := make([]keyed, n)
		for i := range a {
			a[i] = keyed{k: orderedBits(float64((i * 7919) % 13)), m: uint32(i)}
		}
		want := slices.Clone(a)
		slices.SortStableFunc(want, func(x, y keyed) int { return cmp.Compare(x.k, y.k) })
		if got := radixSort(a, make([]keyed, n)); !slices.Equal(got, want) {
			t.Errorf("n=%d: radix sort differs from a stable sort", n)
		}
	}
}
