package likelihood

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat"
)

// Dataset is a set of labelled ordered pairs as feature rows. R and C are
// the networks of each row (indexes the caller chooses), so folds can keep
// networks apart.
type Dataset struct {
	Topology bool
	D        int       // features per row
	X        []float64 // row-major, len = rows × D
	Y        []bool
	R, C     []int
}

// NewDataset starts an empty data set for the feature set.
func NewDataset(topology bool) *Dataset {
	return &Dataset{Topology: topology, D: len(featureSet(topology))}
}

// Add appends one ordered pair.
func (d *Dataset) Add(p *Pair, label bool, r, c int) {
	d.X = append(d.X, Vector(p, d.Topology, nil)...)
	d.Y = append(d.Y, label)
	d.R = append(d.R, r)
	d.C = append(d.C, c)
}

// Len is the number of rows.
func (d *Dataset) Len() int { return len(d.Y) }

func (d *Dataset) row(i int) []float64 { return d.X[i*d.D : (i+1)*d.D] }

// Folds assigns each of networks (indexes 0..n−1) to one of k folds at
// random (reproducibly from seed), in near-equal sizes.
func Folds(n, k int, seed uint64) []int {
	rng := rand.New(rand.NewPCG(seed, 0x70656572))
	fold := make([]int, n)
	for i, j := range rng.Perm(n) {
		fold[j] = i % k
	}
	return fold
}

// Split returns, for fold f, the rows with both networks in f (test) and
// the rows with neither (train). Rows that straddle are in neither: no
// network is on both sides of a split.
func (d *Dataset) Split(rows []int, fold []int, f int) (train, test []int) {
	for _, i := range rows {
		inR, inC := fold[d.R[i]] == f, fold[d.C[i]] == f
		switch {
		case inR && inC:
			test = append(test, i)
		case !inR && !inC:
			train = append(train, i)
		}
	}
	return train, test
}

// FitOptions are the knobs of Fit.
type FitOptions struct {
	// L2 is the ridge penalty on standardised coefficients.
	L2 float64
	// Folds is the number of network-disjoint folds whose held-out
	// predictions fit the calibration and choose the threshold.
	Folds int
	Seed  uint64
	// Recall is the share of held-out peers the threshold must keep.
	Recall float64
}

// DefaultFitOptions are the settings of the embedded models.
func DefaultFitOptions() FitOptions {
	return FitOptions{L2: 1e-3, Folds: 5, Seed: 1, Recall: 0.85}
}

// Fit fits a calibrated model on the given rows of d (all rows when rows
// is nil): network-disjoint cross-validation inside rows gives held-out
// raw scores, on which the isotonic calibration is fitted, the threshold
// chosen (the highest that keeps opts.Recall of peers) and the held-out
// metrics measured; the logistic regression is then refitted on all rows.
func Fit(d *Dataset, rows []int, opts FitOptions) (*Model, error) {
	if rows == nil {
		rows = make([]int, d.Len())
		for i := range rows {
			rows[i] = i
		}
	}
	if opts.Folds < 2 {
		return nil, errors.New("fit needs at least 2 folds")
	}
	nets := 0
	for _, i := range rows {
		nets = max(nets, d.R[i]+1, d.C[i]+1)
	}
	fold := Folds(nets, opts.Folds, opts.Seed)
	var held []Scored
	var heldRaw []float64
	for f := 0; f < opts.Folds; f++ {
		train, test := d.Split(rows, fold, f)
		if len(test) == 0 {
			continue
		}
		m, err := fitLogistic(d, train, opts.L2)
		if err != nil {
			return nil, fmt.Errorf("fold %d: %w", f+1, err)
		}
		for _, i := range test {
			raw, _ := m.raw(d.row(i))
			heldRaw = append(heldRaw, raw)
			held = append(held, Scored{Label: d.Y[i], Requester: d.R[i]})
		}
	}
	if len(held) == 0 {
		return nil, errors.New("no held-out pairs: too few networks for the folds")
	}
	m, err := fitLogistic(d, rows, opts.L2)
	if err != nil {
		return nil, err
	}
	labels := make([]bool, len(held))
	for i, h := range held {
		labels[i] = h.Label
	}
	m.Calibration = isotonic(heldRaw, labels)
	for i := range held {
		held[i].Score = m.Calibration.Calibrate(heldRaw[i])
	}
	m.Threshold = ThresholdForRecall(held, opts.Recall)
	for i := range held {
		held[i].Recommended = held[i].Score >= m.Threshold
	}
	pos := 0
	for _, i := range rows {
		if d.Y[i] {
			pos++
		}
	}
	m.Provenance = Provenance{
		Pairs: len(rows), Positives: pos, Networks: nets, Folds: opts.Folds, L2: opts.L2,
		ThresholdRule: fmt.Sprintf("highest probability that keeps %.0f%% of held-out peers", 100*opts.Recall),
		HeldOut:       Measure(held, true),
	}
	return m, nil
}

// fitLogistic fits an L2-regularised logistic regression on standardised
// features with gonum's L-BFGS and the analytic gradient.
func fitLogistic(d *Dataset, rows []int, l2 float64) (*Model, error) {
	if len(rows) == 0 {
		return nil, errors.New("no training pairs")
	}
	m := &Model{Format: FormatVersion, Topology: d.Topology, Features: FeatureNames(d.Topology),
		Mean: make([]float64, d.D), Scale: make([]float64, d.D), Coef: make([]float64, d.D),
		Low: make([]float64, d.D), High: make([]float64, d.D)}
	col := make([]float64, len(rows))
	for j := 0; j < d.D; j++ {
		for k, i := range rows {
			col[k] = d.X[i*d.D+j]
		}
		m.Low[j], m.High[j] = floats.Min(col), floats.Max(col)
		mean, sd := stat.MeanStdDev(col, nil)
		if !(sd > 1e-9) {
			sd = 1 // a constant feature: its coefficient stays 0
		}
		m.Mean[j], m.Scale[j] = mean, sd
	}
	z := make([]float64, len(rows)*d.D) // standardised copy
	for k, i := range rows {
		for j, v := range d.row(i) {
			z[k*d.D+j] = (v - m.Mean[j]) / m.Scale[j]
		}
	}
	y := make([]float64, len(rows))
	for k, i := range rows {
		y[k] = b2f(d.Y[i])
	}
	obj := &logLoss{z: z, y: y, d: d.D, l2: l2}
	problem := optimize.Problem{Func: obj.value, Grad: obj.gradient}
	settings := &optimize.Settings{
		MajorIterations: 500,
		Converger:       &optimize.FunctionConverge{Absolute: 1e-8, Relative: 1e-7, Iterations: 10},
	}
	res, err := optimize.Minimize(problem, make([]float64, d.D+1), settings, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, fmt.Errorf("logistic regression: %w", err)
	}
	// The loss is convex and L-BFGS only moves downhill, so a line search
	// that cannot improve further, or the iteration limit, still leaves
	// the optimum when the gradient there is flat; anything else fails.
	if err != nil {
		g := make([]float64, d.D+1)
		obj.gradient(g, res.X)
		if math.IsNaN(res.F) || floats.Norm(g, math.Inf(1)) > 1e-4 {
			return nil, fmt.Errorf("logistic regression did not converge: %w", err)
		}
	}
	copy(m.Coef, res.X[:d.D])
	m.Intercept = res.X[d.D]
	return m, nil
}

// logLoss is the mean log loss plus l2/2·|w|² over standardised rows; the
// last parameter is the intercept (not penalised). Rows are split across
// CPUs.
type logLoss struct {
	z  []float64
	y  []float64
	d  int
	l2 float64
}

func (o *logLoss) parts(x []float64, grad []float64) float64 {
	n := len(o.y)
	workers := max(1, min(runtime.GOMAXPROCS(0), n/10000+1))
	losses := make([]float64, workers)
	grads := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var g []float64
			if grad != nil {
				g = make([]float64, o.d+1)
			}
			var loss float64
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				row := o.z[i*o.d : (i+1)*o.d]
				t := x[o.d]
				for j, v := range row {
					t += x[j] * v
				}
				// log(1+e^t) − y·t, computed stably.
				loss += softplus(t) - o.y[i]*t
				if g != nil {
					r := sigmoid(t) - o.y[i]
					for j, v := range row {
						g[j] += r * v
					}
					g[o.d] += r
				}
			}
			losses[w], grads[w] = loss, g
		}(w)
	}
	wg.Wait()
	var loss float64
	for _, l := range losses {
		loss += l
	}
	loss /= float64(n)
	for j := 0; j < o.d; j++ {
		loss += o.l2 / 2 * x[j] * x[j]
	}
	for j := range grad { // grad is nil when only the loss is wanted
		grad[j] = 0
		for _, g := range grads {
			grad[j] += g[j]
		}
		grad[j] /= float64(n)
		if j < o.d {
			grad[j] += o.l2 * x[j]
		}
	}
	return loss
}

func (o *logLoss) value(x []float64) float64  { return o.parts(x, nil) }
func (o *logLoss) gradient(grad, x []float64) { o.parts(x, grad) }

func softplus(t float64) float64 {
	if t > 30 {
		return t
	}
	return math.Log1p(math.Exp(t))
}

// isotonic fits a non-decreasing map from raw scores to the observed rate
// of positives by pool-adjacent-violators, and returns it as the centres
// of its blocks (Calibrate interpolates between them).
func isotonic(raw []float64, label []bool) Calibration {
	idx := make([]int, len(raw))
	for i := range idx {
		idx[i] = i
	}
	sortByScore(idx, raw)
	type block struct{ sumX, sumY, n float64 }
	var st []block
	for _, i := range idx {
		st = append(st, block{raw[i], b2f(label[i]), 1})
		for len(st) > 1 {
			a, b := st[len(st)-2], st[len(st)-1]
			if a.sumY/a.n < b.sumY/b.n {
				break
			}
			st = st[:len(st)-2]
			st = append(st, block{a.sumX + b.sumX, a.sumY + b.sumY, a.n + b.n})
		}
	}
	c := Calibration{}
	for _, b := range st {
		x, y := b.sumX/b.n, b.sumY/b.n
		if n := len(c.X); n > 0 && x <= c.X[n-1] {
			x = math.Nextafter(c.X[n-1], math.Inf(1))
		}
		c.X, c.Y = append(c.X, x), append(c.Y, y)
	}
	return c
}

func sortByScore(idx []int, score []float64) {
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(score[a], score[b]) })
}

// PredictRow is the calibrated probability for row i of d.
func (m *Model) PredictRow(d *Dataset, i int) float64 {
	raw, _ := m.raw(d.row(i))
	return m.Calibration.Calibrate(raw)
}
