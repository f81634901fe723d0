package evaluate

import (
	"context"
	"fmt"

	"github.com/peerform/peerform/internal/decide/likelihood"
)

// Method is one way of ranking pairs, measured on the same pairs as the
// others.
type Method struct {
	Name string `json:"name"`
	// Rule says how Recommended was decided for this method.
	Rule    string             `json:"rule"`
	Metrics likelihood.Metrics `json:"metrics"`
}

// Comparison is the side-by-side evaluation of the model, the paper's
// felicity and single-feature baselines.
type Comparison struct {
	// Mode is "cross-validation" (folds of networks), or "held-out" (a
	// model fitted elsewhere, on networks not among these).
	Mode     string   `json:"mode"`
	Folds    int      `json:"folds,omitempty"`
	Networks int      `json:"networks"`
	Methods  []Method `json:"methods"`
}

// PaperTheta is the paper's threshold on felicity.
const PaperTheta = 0.55

// baseline is a score read off a pair; bigger means more likely peers.
type baseline struct {
	name  string
	score func(lp *likelihood.LabelledPair, reversed bool) float64
}

var baselines = []baseline{
	{"common PoPs", func(lp *likelihood.LabelledPair, _ bool) float64 {
		return float64(lp.Pair.SharedIXPs + lp.Pair.SharedFacilities)
	}},
	{"shared IXPs", func(lp *likelihood.LabelledPair, _ bool) float64 { return float64(lp.Pair.SharedIXPs) }},
	{"affinity A", func(lp *likelihood.LabelledPair, _ bool) float64 { return lp.Pair.A }},
	{"willingness W (exchange model)", func(lp *likelihood.LabelledPair, reversed bool) float64 {
		if reversed {
			return lp.Pair.WReverse
		}
		return lp.Pair.W
	}},
}

// row is one ordered pair of a Labelled set: Dataset row 2i is pair i as
// A asks B, row 2i+1 as B asks A.
func row(l *likelihood.Labelled, i int) (*likelihood.LabelledPair, bool) {
	return &l.Pairs[i/2], i%2 == 1
}

// compare measures the model's predictions (scores per row, with their
// decisions) next to the paper's felicity and the baselines on the same
// rows.
func compare(l *likelihood.Labelled, rows []int, model []likelihood.Scored, paper bool) []Method {
	out := []Method{{Name: "likelihood model", Rule: "the model's threshold (chosen for 85% recall on held-out training networks)",
		Metrics: likelihood.Measure(model, true)}}
	scoredBy := func(f func(lp *likelihood.LabelledPair, reversed bool) float64) []likelihood.Scored {
		xs := make([]likelihood.Scored, len(rows))
		for k, i := range rows {
			lp, rev := row(l, i)
			xs[k] = likelihood.Scored{Score: f(lp, rev), Label: lp.Label, Requester: requester(lp, rev)}
		}
		return xs
	}
	if paper {
		xs := scoredBy(func(lp *likelihood.LabelledPair, rev bool) float64 {
			if rev {
				return lp.PaperBA
			}
			return lp.PaperAB
		})
		for k := range xs {
			xs[k].Recommended = xs[k].Score >= PaperTheta
		}
		out = append(out, Method{Name: "paper felicity", Rule: fmt.Sprintf("F ≥ %.2f", PaperTheta), Metrics: likelihood.Measure(xs, false)})
	}
	for _, b := range baselines {
		xs := scoredBy(b.score)
		t := likelihood.ThresholdForRecall(xs, 0.85)
		for k := range xs {
			xs[k].Recommended = xs[k].Score >= t
		}
		out = append(out, Method{Name: b.name, Rule: "85% recall on these pairs (chosen on the test pairs: optimistic)",
			Metrics: likelihood.Measure(xs, false)})
	}
	return out
}

func requester(lp *likelihood.LabelledPair, reversed bool) int {
	if reversed {
		return lp.B
	}
	return lp.A
}

// CrossValidate fits a model per fold of networks and measures it on the
// pairs whose networks are all in the fold, next to the baselines. No
// network is on both sides of a split; a pair straddling two folds is
// neither trained nor tested on in that round.
func CrossValidate(ctx context.Context, l *likelihood.Labelled, topology bool, folds int, opts likelihood.FitOptions) (Comparison, error) {
	d := l.Dataset(topology)
	rows, model, err := likelihood.CrossValidate(ctx, d, folds, opts.Seed+1, opts)
	if err != nil {
		return Comparison{}, err
	}
	paper := len(l.Pairs) > 0 && l.Pairs[0].PaperAB != likelihood.NotScored
	return Comparison{Mode: "cross-validation", Folds: folds, Networks: len(l.Networks), Methods: compare(l, rows, model, paper)}, nil
}

// HeldOut measures a model fitted elsewhere on every ordered pair of l.
// A pair without a common PoP scores 0: the model covers pairs that can
// meet somewhere.
func HeldOut(l *likelihood.Labelled, m *likelihood.Model) Comparison {
	d := l.Dataset(m.Topology)
	rows := make([]int, d.Len())
	model := make([]likelihood.Scored, d.Len())
	for i := range rows {
		rows[i] = i
		lp, _ := row(l, i)
		if lp.Pair.SharedIXPs+lp.Pair.SharedFacilities > 0 {
			model[i] = m.ScoreRow(d, i)
		} else {
			model[i] = likelihood.Scored{Label: d.Y[i], Requester: d.R[i], Recommended: m.Threshold <= 0}
		}
	}
	paper := len(l.Pairs) > 0 && l.Pairs[0].PaperAB != likelihood.NotScored
	return Comparison{Mode: "held-out", Networks: len(l.Networks), Methods: compare(l, rows, model, paper)}
}
