package likelihood

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestMeasureKnownValues(t *testing.T) {
	// Scores 0.9 (peer), 0.8 (not), 0.7 (peer), 0.1 (not): of the four
	// peer/non-peer pairs, three are ordered right → AUC 0.75.
	// AP = (1/1 + 2/3)/2; at threshold 0.7 both peers are recommended and
	// one of two non-peers.
	xs := []Scored{{0.9, true, 1, true, 0}, {0.8, false, 1, true, 0}, {0.7, true, 2, true, 0}, {0.1, false, 2, false, 0}}
	m := Measure(xs, true)
	if math.Abs(m.AUC-0.75) > 1e-12 {
		t.Errorf("AUC %v, want 0.75", m.AUC)
	}
	if want := (1 + 2.0/3) / 2; math.Abs(m.AP-want) > 1e-12 {
		t.Errorf("AP %v, want %v", m.AP, want)
	}
	if m.Recall != 1 || m.FalseRecRate != 0.5 || m.Precision != 2.0/3 || m.FalseRecAt85 != 0.5 {
		t.Errorf("recall %v false rate %v precision %v at 85%% %v", m.Recall, m.FalseRecRate, m.Precision, m.FalseRecAt85)
	}
	// Requester 1: top 2 hold one peer → 0.5; requester 2: 0.5; random 0.5.
	if m.PrecisionAt10 != 0.5 || m.RandomAt10 != 0.5 || m.Requesters != 2 {
		t.Errorf("P@10 %v random %v requesters %d", m.PrecisionAt10, m.RandomAt10, m.Requesters)
	}
	wantBrier := (0.01 + 0.64 + 0.09 + 0.01) / 4
	if math.Abs(m.Brier-wantBrier) > 1e-12 {
		t.Errorf("Brier %v, want %v", m.Brier, wantBrier)
	}
	// Ties give no credit for a lucky order: all equal → AUC 0.5.
	tied := []Scored{{0.5, true, 1, false, 0}, {0.5, false, 1, false, 0}, {0.5, false, 1, false, 0}, {0.5, true, 1, false, 0}}
	if m := Measure(tied, false); math.Abs(m.AUC-0.5) > 1e-12 || math.Abs(m.AP-0.5) > 1e-12 {
		t.Errorf("tied: AUC %v AP %v, want 0.5 and the base rate", m.AUC, m.AP)
	}
	if got := ThresholdForRecall(xs, 0.85); got != 0.7 {
		t.Errorf("threshold for 85%% recall = %v, want 0.7 (keeps both peers)", got)
	}
}

// synthetic builds pairs over n networks whose label depends on shared
// IXPs and the candidate's policy, with noise.
func synthetic(n int, seed uint64) *Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	policies := []string{"Open", "Selective", "Restrictive"}
	sides := make([]Side, n)
	for i := range sides {
		sides[i] = Side{Policy: policies[rng.IntN(3)], IXPs: 1 + rng.IntN(30), Facilities: rng.IntN(20), Ratio: "Balanced"}
	}
	d := NewDataset(false)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if a == b || rng.IntN(4) != 0 {
				continue
			}
			p := Pair{R: sides[a], C: sides[b], SharedIXPs: rng.IntN(1 + min(sides[a].IXPs, sides[b].IXPs))}
			z := -4 + 1.2*math.Log1p(float64(p.SharedIXPs))
			if p.C.Policy == "Restrictive" {
				z -= 2
			}
			d.Add(&p, rng.Float64() < sigmoid(z), a, b)
		}
	}
	return d
}

func TestFitLearnsAndCalibrates(t *testing.T) {
	d := synthetic(160, 1)
	m, err := Fit(d, nil, DefaultFitOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Check(); err != nil {
		t.Fatalf("fitted model fails its own check: %v", err)
	}
	idx := func(name string) int {
		for i, f := range m.Features {
			if f == name {
				return i
			}
		}
		t.Fatalf("no feature %s", name)
		return -1
	}
	if m.Coef[idx("log_shared_ixps")] <= 0 || m.Coef[idx("c_policy_restrictive")] >= 0 {
		t.Errorf("coefficients point the wrong way: shared IXPs %v, restrictive %v",
			m.Coef[idx("log_shared_ixps")], m.Coef[idx("c_policy_restrictive")])
	}
	h := m.Provenance.HeldOut
	if h.AUC < 0.7 || h.Recall < 0.85 || h.Positives == 0 {
		t.Errorf("held out: AUC %v recall %v positives %d", h.AUC, h.Recall, h.Positives)
	}
	// Calibration on fresh networks: predicted and observed rates agree.
	fresh := synthetic(160, 2)
	var pred, obs float64
	for i := 0; i < fresh.Len(); i++ {
		pred += m.PredictRow(fresh, i)
		obs += b2f(fresh.Y[i])
	}
	if rel := math.Abs(pred-obs) / obs; rel > 0.2 {
		t.Errorf("mean predicted %v vs observed %v on fresh networks", pred/float64(fresh.Len()), obs/float64(fresh.Len()))
	}
	// Round trip through JSON.
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	p := Pair{R: Side{Policy: "Open", IXPs: 5}, C: Side{Policy: "Restrictive", IXPs: 5}, SharedIXPs: 4}
	a, b := m.Predict(&p), back.Predict(&p)
	if a.Probability != b.Probability || len(a.Against) == 0 {
		t.Errorf("predictions differ after a round trip, or no factor against: %+v / %+v", a, b)
	}
	found := false
	for _, f := range a.Against {
		found = found || strings.Contains(f.Text, "Restrictive")
	}
	if !found {
		t.Errorf("a restrictive candidate should be a factor against: %+v", a.Against)
	}
}

func TestSplitKeepsNetworksApart(t *testing.T) {
	d := synthetic(60, 3)
	fold := Folds(60, 5, 9)
	all := make([]int, d.Len())
	for i := range all {
		all[i] = i
	}
	for f := 0; f < 5; f++ {
		train, test := d.Split(all, fold, f)
		inTest := map[int]bool{}
		for _, i := range test {
			inTest[d.R[i]], inTest[d.C[i]] = true, true
		}
		for _, i := range train {
			if inTest[d.R[i]] || inTest[d.C[i]] {
				t.Fatalf("fold %d: network in both train and test", f)
			}
		}
		if len(test) == 0 || len(train) == 0 {
			t.Fatalf("fold %d: train %d test %d", f, len(train), len(test))
		}
	}
}

func TestIsotonicIsMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	raw := make([]float64, 2000)
	lab := make([]bool, 2000)
	for i := range raw {
		raw[i] = rng.Float64()
		lab[i] = rng.Float64() < raw[i]*raw[i]
	}
	c := isotonic(raw, lab)
	for i := 1; i < len(c.X); i++ {
		if c.X[i] <= c.X[i-1] || c.Y[i] < c.Y[i-1] {
			t.Fatalf("not monotone at %d: %v→%v, %v→%v", i, c.X[i-1], c.X[i], c.Y[i-1], c.Y[i])
		}
	}
	if got := c.Calibrate(0.9); math.Abs(got-0.81) > 0.12 {
		t.Errorf("calibrate(0.9) = %v, want ≈ 0.81", got)
	}
}

func TestReadRejectsBadModels(t *testing.T) {
	good := Default(false)
	var buf bytes.Buffer
	good.Write(&buf)
	for name, mutate := range map[string]func(m *Model){
		"format":      func(m *Model) { m.Format = 99 },
		"features":    func(m *Model) { m.Features = m.Features[1:] },
		"coef length": func(m *Model) { m.Coef = m.Coef[1:] },
		"scale zero":  func(m *Model) { m.Scale[0] = 0 },
		"range":       func(m *Model) { m.Low[0], m.High[0] = 1, 0 },
		"threshold":   func(m *Model) { m.Threshold = 2 },
		"calibration": func(m *Model) { m.Calibration.Y = []float64{0.5, 0.1}; m.Calibration.X = []float64{0, 1} },
	} {
		m, _ := Read(bytes.NewReader(buf.Bytes()))
		mutate(m)
		var b bytes.Buffer
		m.Write(&b)
		if _, err := Read(&b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Read(strings.NewReader(`{"format_version":1,"extra":1}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := Read(strings.NewReader(strings.Repeat(" ", MaxModelBytes+1))); err == nil {
		t.Error("oversized model accepted")
	}
}

func TestDefaultModelsHaveProvenance(t *testing.T) {
	for _, topo := range []bool{false, true} {
		m := Default(topo)
		p := m.Provenance
		if p.Data == "" || p.Labels == "" || p.Created.IsZero() || p.HeldOut.AUC < 0.85 || len(p.Excluded) == 0 {
			t.Errorf("topology %v: provenance incomplete: %+v", topo, p)
		}
		if topo && p.Topology == "" {
			t.Error("topology model without its relationships file in the provenance")
		}
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Default(false).Write(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte(`{"format_version":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		p := Pair{R: Side{Policy: "Open"}, C: Side{Policy: "No"}, SharedIXPs: 2}
		pr := m.Predict(&p)
		if math.IsNaN(pr.Probability) || pr.Probability < 0 || pr.Probability > 1 {
			t.Fatalf("probability %v from an accepted model", pr.Probability)
		}
	})
}

// BenchmarkFit fits a calibrated model (five inner folds and the final
// fit) on about 6,000 ordered pairs of 160 synthetic networks.
func BenchmarkFit(b *testing.B) {
	d := synthetic(160, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(d, nil, DefaultFitOptions()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEveryFactorIsDescribed: each factor the model can name has words
// for it, beyond its bare name.
func TestEveryFactorIsDescribed(t *testing.T) {
	p := Pair{R: Side{Policy: "Open", Topology: &Topology{Known: true}}, C: Side{Policy: "No"}}
	for _, f := range featureSet(true) {
		if got := describe(f.factor, &p); got == f.factor || got == "" {
			t.Errorf("factor %q of %s has no description", f.factor, f.name)
		}
	}
}

// TestFitChoosesThePenaltyByHeldOutLoss: a penalty so strong it flattens
// every coefficient loses to a mild one on the inner folds' log loss,
// wherever it stands in the list.
func TestFitChoosesThePenaltyByHeldOutLoss(t *testing.T) {
	d := synthetic(80, 5)
	opts := DefaultFitOptions()
	opts.Folds = 3
	opts.L2 = []float64{50, 1e-3}
	m, err := Fit(d, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	if m.Provenance.L2 != 1e-3 || len(m.Provenance.L2Tried) != 2 {
		t.Errorf("chose λ %v of %v, want 0.001", m.Provenance.L2, m.Provenance.L2Tried)
	}
	opts.L2 = []float64{1e-3, 50}
	if m, err = Fit(d, nil, opts); err != nil || m.Provenance.L2 != 1e-3 {
		t.Errorf("chose λ %v (%v), want 0.001 whatever the order", m.Provenance.L2, err)
	}
	opts.L2 = nil
	if _, err := Fit(d, nil, opts); err == nil {
		t.Error("a fit with no penalty to try should fail")
	}
}

// TestSolveReachesTheSameOptimumFromAnyStart: warm starts only save
// steps; the regularised loss has one minimum.
func TestSolveReachesTheSameOptimumFromAnyStart(t *testing.T) {
	d := synthetic(80, 6)
	rows := make([]int, d.Len())
	for i := range rows {
		rows[i] = i
	}
	st, err := standardise(d, rows)
	if err != nil {
		t.Fatal(err)
	}
	cold, err := st.solve(rows, 1e-3, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := make([]float64, len(cold))
	for j := range start {
		start[j] = 0.5 - float64(j%3)
	}
	warm, err := st.solve(rows, 1e-3, start)
	if err != nil {
		t.Fatal(err)
	}
	for j := range cold {
		if math.Abs(cold[j]-warm[j]) > 1e-2 {
			t.Fatalf("coefficient %d: %v from zeros, %v from elsewhere", j, cold[j], warm[j])
		}
	}
	// weights maps a model back into a standardisation exactly.
	m := st.model(d, cold)
	for j, w := range st.weights(m) {
		if math.Abs(w-cold[j]) > 1e-9 {
			t.Fatalf("weights(model(w))[%d] = %v, want %v", j, w, cold[j])
		}
	}
}

// TestCrossValidateHoldsOutEveryNetworkOnce: each test row is scored
// once, by a model that never saw either of its networks (the fold
// assignment is the one Split uses), and ranks peers above the rest.
func TestCrossValidateHoldsOutEveryNetworkOnce(t *testing.T) {
	d := synthetic(100, 7)
	opts := DefaultFitOptions()
	opts.Folds, opts.L2 = 2, []float64{1e-3}
	rows, xs, err := CrossValidate(t.Context(), d, 4, 11, opts)
	if err != nil {
		t.Fatal(err)
	}
	fold := Folds(100, 4, 11)
	seen := map[int]bool{}
	for k, i := range rows {
		if seen[i] {
			t.Fatalf("row %d tested twice", i)
		}
		seen[i] = true
		if fold[d.R[i]] != fold[d.C[i]] {
			t.Fatalf("row %d spans folds %d and %d", i, fold[d.R[i]], fold[d.C[i]])
		}
		if xs[k].Label != d.Y[i] || xs[k].Requester != d.R[i] || !(xs[k].Score >= 0 && xs[k].Score <= 1) || !(xs[k].Raw > 0 && xs[k].Raw < 1) {
			t.Fatalf("row %d scored as %+v (the raw score orders calibration ties)", i, xs[k])
		}
	}
	if m := Measure(xs, true); m.AUC < 0.7 {
		t.Errorf("held-out AUC %v", m.AUC)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := CrossValidate(ctx, d, 4, 11, opts); err == nil {
		t.Error("a cancelled cross-validation should fail")
	}
}

// TestMeasureIgnoresInputOrder: permuting the pairs changes no metric,
// with many ties in both the probability and the raw score.
func TestMeasureIgnoresInputOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	xs := make([]Scored, 600)
	for i := range xs {
		p := float64(rng.IntN(6)) / 10
		xs[i] = Scored{Score: p, Raw: p + float64(rng.IntN(3))/100, Requester: rng.IntN(12), Recommended: p >= 0.3,
			Label: rng.Float64() < p}
	}
	want := Measure(xs, true)
	for range 20 {
		ys := slices.Clone(xs)
		rng.Shuffle(len(ys), func(i, j int) { ys[i], ys[j] = ys[j], ys[i] })
		got := Measure(ys, true)
		if !sameMetrics(got, want) {
			t.Fatalf("metrics depend on the input order:\n%+v\n%+v", got, want)
		}
	}
}

// sameMetrics compares metrics up to the rounding of sums taken in
// another order.
func sameMetrics(a, b Metrics) bool {
	near := func(x, y float64) bool { return math.Abs(x-y) <= 1e-12 }
	if a.Pairs != b.Pairs || a.Positives != b.Positives || a.Requesters != b.Requesters || len(a.Reliability) != len(b.Reliability) {
		return false
	}
	for i, x := range a.Reliability {
		y := b.Reliability[i]
		if x.Count != y.Count || x.Low != y.Low || x.High != y.High || !near(x.MeanPredicted, y.MeanPredicted) || !near(x.Observed, y.Observed) {
			return false
		}
	}
	return near(a.AUC, b.AUC) && near(a.AP, b.AP) && near(a.PrecisionAt10, b.PrecisionAt10) && near(a.RandomAt10, b.RandomAt10) &&
		near(a.Recall, b.Recall) && near(a.FalseRecRate, b.FalseRecRate) && near(a.Precision, b.Precision) &&
		near(a.FalseRecAt85, b.FalseRecAt85) && near(a.Brier, b.Brier)
}

// TestRawScoreBreaksCalibrationTies: pairs the calibration maps to one
// probability rank by their raw score; pairs tied in both get the
// average over their orders.
func TestRawScoreBreaksCalibrationTies(t *testing.T) {
	// One requester, 12 candidates at probability 0.4; the 3 peers have
	// the highest raw scores.
	var xs []Scored
	for i := range 12 {
		xs = append(xs, Scored{Score: 0.4, Raw: 0.5 + float64(i)/100, Label: i >= 9})
	}
	m := Measure(xs, true)
	if m.AUC != 1 || m.AP != 1 || m.FalseRecAt85 != 0 {
		t.Errorf("raw order ignored: AUC %v AP %v non-peers at 85%% recall %v", m.AUC, m.AP, m.FalseRecAt85)
	}
	if m.PrecisionAt10 != 0.3 {
		t.Errorf("P@10 %v, want 3 peers in the top 10", m.PrecisionAt10)
	}
	// The same without raw scores: a genuine tie, 10 places of 12 each
	// holding a peer with chance 3/12.
	for i := range xs {
		xs[i].Raw = 0
	}
	m = Measure(xs, true)
	if m.AUC != 0.5 || m.AP != 0.25 || m.PrecisionAt10 != 0.25 || m.FalseRecAt85 != 1 {
		t.Errorf("tie: AUC %v AP %v P@10 %v non-peers at 85%% recall %v, want 0.5, 0.25, 0.25, 1", m.AUC, m.AP, m.PrecisionAt10, m.FalseRecAt85)
	}
	// A prediction carries the raw score its probability comes from.
	model := Default(false)
	var p Pair
	p.R.IXPs, p.C.IXPs, p.SharedIXPs = 3, 3, 1
	if pr := model.Predict(&p); pr.RawScore <= 0 || pr.RawScore >= 1 || pr.Probability != model.Calibration.Calibrate(pr.RawScore) {
		t.Errorf("prediction raw score %v, probability %v", pr.RawScore, pr.Probability)
	}
}

// TestCount: explanations read as sentences, "1 IXP", "2 facilities".
func TestCount(t *testing.T) {
	for _, c := range []struct {
		n    int
		noun string
		want string
	}{{1, "IXP", "1 IXP"}, {0, "IXP", "0 IXPs"}, {4, "IXP", "4 IXPs"}, {1, "facility", "1 facility"}, {2, "facility", "2 facilities"}, {3, "metro", "3 metros"}} {
		if got := count(c.n, c.noun); got != c.want {
			t.Errorf("count(%d, %q) = %q, want %q", c.n, c.noun, got, c.want)
		}
	}
}

// TestYearsAgo: record ages read as spans, not "0.0 years".
func TestYearsAgo(t *testing.T) {
	for y, want := range map[float64]string{0: "under a month", 0.03: "under a month", 1.0 / 12: "1 month", 0.25: "3 months", 0.99: "1.0 years", 1: "1.0 years", 2.26: "2.3 years"} {
		if got := yearsAgo(y); got != want {
			t.Errorf("yearsAgo(%v) = %q, want %q", y, got, want)
		}
	}
}
