package candidates

import (
	"context"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/sources/asrel"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/testutil"
)

// likelihoodScorer is the product's default: exchange traffic, the
// embedded model, PeeringDB features.
func likelihoodScorer(t testing.TB, store *peeringdb.Store) *Scorer {
	s := defaultScorer(t, store)
	s.Params = score.ExchangeParams()
	s.Params.InboundMbps = InboundMbps(store, s.Params)
	s.Model, s.Features = likelihood.Default(false), NewFeatures(store, nil)
	return s
}

func peerLabels(rels *asrel.Set) PairFilter {
	return func(a, b bgp.ASN) (bool, bool) {
		r, ok := rels.Lookup(a, b)
		return ok && r == asrel.PeerToPeer, true
	}
}

// TestSuggestCoversEveryCandidate: for Hurricane Electric on the 2021-03
// US snapshot every network sharing a PoP gets a probability (no −1 row),
// ranked by it, and a side without an acceptable contract is explained.
func TestSuggestCoversEveryCandidate(t *testing.T) {
	store, err := peeringdb.LoadDir(testutil.Shared(t, "peeringdb/us-2021-03"))
	if err != nil {
		t.Fatal(err)
	}
	s := likelihoodScorer(t, store)
	r, err := s.Profile(6939, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Suggest(context.Background(), r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(s.Features.Neighbours(6939)); len(res) != want {
		t.Fatalf("%d candidates scored, %d share a PoP", len(res), want)
	}
	var rejected int
	for i, x := range res {
		if x.Likelihood == nil || x.Felicity < 0 || x.Felicity > 1 || x.Willingness < 0 {
			t.Fatalf("candidate %v: felicity %v W %v likelihood %v", x.Candidate.ASN, x.Felicity, x.Willingness, x.Likelihood)
		}
		if i > 0 && x.Felicity > res[i-1].Felicity {
			t.Fatalf("not ranked by probability at %d", i)
		}
		if i > 0 && x.Felicity == res[i-1].Felicity && x.Likelihood.RawScore > res[i-1].Likelihood.RawScore {
			t.Fatalf("a probability tie at %d is not ordered by the raw score", i)
		}
		if (x.APCRequester == 0 || x.APCCandidate == 0) != (len(x.Rejections) > 0) {
			t.Fatalf("candidate %v: N_R %v N_C %v but rejections %+v", x.Candidate.ASN, x.APCRequester, x.APCCandidate, x.Rejections)
		}
		if len(x.Rejections) > 0 {
			rejected++
		}
	}
	t.Logf("%d candidates, %d with a side that accepts no contract", len(res), rejected)
}

// TestModelOnPaperNetworks: the embedded models never saw the paper's 22
// networks; on the pairs among them they must rank peers above non-peers
// far better than the paper profile's felicity, and the topology model
// must reach the AUC of 0.75 aimed for.
func TestModelOnPaperNetworks(t *testing.T) {
	store, err := peeringdb.LoadDir(testutil.Shared(t, "peeringdb/us-2021-03"))
	if err != nil {
		t.Fatal(err)
	}
	rels, err := asrel.Load(testutil.Shared(t, "asrel/20250901.as-rel2.txt.bz2"))
	if err != nil {
		t.Fatal(err)
	}
	m := likelihood.Default(false)
	for _, ex := range m.Provenance.Excluded {
		asn, err := bgp.ParseASN(ex)
		if err != nil {
			t.Fatal(err)
		}
		if asn == 6939 {
			goto excluded
		}
	}
	t.Fatal("the embedded model's provenance does not exclude the paper's networks")
excluded:
	older, err := asrel.Load(testutil.Shared(t, "asrel/toposcope_asrel_201806.txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	s := likelihoodScorer(t, store)
	pp := score.DefaultParams()
	// Topology features are built alongside: the pairs are the same.
	s.Features = NewFeatures(store, older.Graph())
	l, err := s.Label(context.Background(), s.Features, LabelOptions{Only: PaperISPs, Filter: peerLabels(rels), Paper: &pp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Networks) != 21 || len(l.Pairs) != 210 {
		t.Fatalf("%d networks, %d pairs; want 21 and 210 (AS209 is not in the snapshot)", len(l.Networks), len(l.Pairs))
	}
	var paper []likelihood.Scored
	for i := 0; i < 2*len(l.Pairs); i++ {
		lp := &l.Pairs[i/2]
		f := lp.PaperAB
		if i%2 == 1 {
			f = lp.PaperBA
		}
		paper = append(paper, likelihood.Scored{Score: f, Label: lp.Label})
	}
	pm := likelihood.Measure(paper, false)
	// The PeeringDB model stays above the paper's felicity here (0.62
	// against 0.53: docs/scoring.md says what the record features cost
	// these networks); the topology model meets the 0.75 aimed for.
	for _, tc := range []struct {
		topology bool
		floor    float64
	}{{false, 0.6}, {true, 0.75}} {
		m := likelihood.Default(tc.topology)
		d := l.Dataset(tc.topology)
		var model []likelihood.Scored
		for i := 0; i < d.Len(); i++ {
			model = append(model, m.ScoreRow(d, i))
		}
		mm := likelihood.Measure(model, true)
		t.Logf("paper's networks, topology %v: model AUC %.3f (non-peers recommended at 85%% recall: %.3f), paper felicity AUC %.3f (%.3f)",
			tc.topology, mm.AUC, mm.FalseRecAt85, pm.AUC, pm.FalseRecAt85)
		if mm.Positives != 150 || mm.AUC < tc.floor || mm.AUC < pm.AUC+0.05 {
			t.Errorf("topology %v: model AUC %.3f over %d peer rows; paper felicity %.3f", tc.topology, mm.AUC, mm.Positives, pm.AUC)
		}
	}
}

// BenchmarkSuggestUSLikelihood is `suggest --requester AS6939` under the
// product's default profile: every candidate scored both ways and through
// the embedded model.
func BenchmarkSuggestUSLikelihood(b *testing.B) { benchSuggestUS(b, likelihoodScorer) }
