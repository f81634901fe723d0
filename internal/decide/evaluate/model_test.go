package evaluate

import (
	"context"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/candidates"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/sources/asrel"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/population"
	"github.com/peerform/peerform/internal/testutil"
)

// TestCrossValidateOnRealNetworks runs the whole evaluation on a third of
// the 2021-03 US networks: 3 folds of networks, the model beside the
// paper's felicity and the baselines, every test pair's networks unseen
// in its fold's training.
func TestCrossValidateOnRealNetworks(t *testing.T) {
	if testing.Short() {
		t.Skip("fits ten models; skipped with -short")
	}
	store, err := peeringdb.LoadDir(testutil.Shared(t, "peeringdb/us-2021-03"))
	if err != nil {
		t.Fatal(err)
	}
	rels, err := asrel.Load(testutil.Shared(t, "asrel/20250901.as-rel2.txt.bz2"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := population.Default()
	if err != nil {
		t.Fatal(err)
	}
	exclude := map[bgp.ASN]bool{}
	for i, n := range store.Nets() {
		if i%3 != 0 {
			exclude[n.ASN] = true
		}
	}
	sc := &candidates.Scorer{Store: store, Pop: candidates.Population{Set: set}, Params: score.ExchangeParams()}
	pp := score.DefaultParams()
	l, err := sc.Label(context.Background(), candidates.NewFeatures(store, nil), candidates.LabelOptions{Exclude: exclude,
		Filter: func(a, b bgp.ASN) (bool, bool) { r, ok := rels.Lookup(a, b); return ok && r == asrel.PeerToPeer, true },
		Paper:  &pp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One penalty and two inner folds keep it to ten small fits; the
	// penalty choice is tested in likelihood.
	opts := likelihood.DefaultFitOptions()
	opts.Folds, opts.L2 = 2, []float64{1e-3}
	c, err := CrossValidate(context.Background(), l, false, 3, opts)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]likelihood.Metrics{}
	for _, m := range c.Methods {
		byName[m.Name] = m.Metrics
		t.Logf("%-32s AUC %.3f AP %.3f P@10 %.3f recall %.3f non-peers %.3f", m.Name, m.Metrics.AUC, m.Metrics.AP,
			m.Metrics.PrecisionAt10, m.Metrics.Recall, m.Metrics.FalseRecRate)
	}
	model, paper := byName["likelihood model"], byName["paper felicity"]
	if model.Positives < 50 || model.AUC < 0.7 || model.AUC <= paper.AUC || model.AP <= byName["common PoPs"].AP {
		t.Errorf("model AUC %.3f AP %.3f over %d peers; paper AUC %.3f; common PoPs AP %.3f",
			model.AUC, model.AP, model.Positives, paper.AUC, byName["common PoPs"].AP)
	}
	if len(model.Reliability) == 0 || model.Brier <= 0 || model.Brier > 0.1 {
		t.Errorf("calibration: Brier %v, %d bins", model.Brier, len(model.Reliability))
	}
}
