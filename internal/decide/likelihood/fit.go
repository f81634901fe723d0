package likelihood

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
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
	n := len(d.X)
	d.X = slices.Grow(d.X, d.D)[:n+d.D]
	Vector(p, d.Topology, d.X[n:])
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
	train, test = d.splitAt(rows, fold, f)
	for k, p := range train {
		train[k] = rows[p]
	}
	for k, p := range test {
		test[k] = rows[p]
	}
	return train, test
}

// splitAt is Split by positions in rows rather than row numbers.
func (d *Dataset) splitAt(rows []int, fold []int, f int) (train, test []int) {
	for k, i := range rows {
		inR, inC := fold[d.R[i]] == f, fold[d.C[i]] == f
		switch {
		case inR && inC:
			test = append(test, k)
		case !inR && !inC:
			train = append(train, k)
		}
	}
	return train, test
}

// FitOptions are the knobs of Fit.
type FitOptions struct {
	// L2 are the ridge penalties on standardised coefficients to choose
	// from: the one whose held-out predictions have the lowest log loss
	// in the inner folds is used.
	L2 []float64
	// Folds is the number of network-disjoint folds whose held-out
	// predictions fit the calibration and choose the threshold.
	Folds int
	Seed  uint64
	// Recall is the share of held-out peers the threshold must keep.
	Recall float64
}

// DefaultFitOptions are the settings of the embedded models.
func DefaultFitOptions() FitOptions {
	return FitOptions{L2: []float64{3e-2, 1e-2, 3e-3, 1e-3, 3e-4}, Folds: 5, Seed: 1, Recall: 0.85}
}

// Fit fits a calibrated model on the given rows of d (all rows when rows
// is nil): network-disjoint cross-validation inside rows gives held-out
// raw scores, on which the isotonic calibration is fitted, the threshold
// chosen (the highest that keeps opts.Recall of peers) and the held-out
// metrics measured; the logistic regression is fitted on all rows.
//
// The rows are standardised once (mean and scale of all of them: no label
// enters that) and every fit reads the one standardised copy; the inner
// folds start from the full fit's coefficients and run in parallel.
func Fit(d *Dataset, rows []int, opts FitOptions) (*Model, error) {
	return fit(d, rows, opts, nil)
}

// fit is Fit with the full fit started from the model near (nil: zeros),
// a fit of similar rows: any start reaches the same optimum, a near one
// in fewer steps.
func fit(d *Dataset, rows []int, opts FitOptions, near *Model) (*Model, error) {
	if rows == nil {
		rows = make([]int, d.Len())
		for i := range rows {
			rows[i] = i
		}
	}
	if opts.Folds < 2 {
		return nil, errors.New("fit needs at least 2 folds")
	}
	if len(opts.L2) == 0 {
		return nil, errors.New("fit needs at least one L2 penalty to try")
	}
	nets := 0
	for _, i := range rows {
		nets = max(nets, d.R[i]+1, d.C[i]+1)
	}
	st, err := standardise(d, rows)
	if err != nil {
		return nil, err
	}
	all := make([]int, len(rows))
	for k := range all {
		all[k] = k
	}
	full, err := st.solve(all, opts.L2[0], st.weights(near))
	if err != nil {
		return nil, err
	}
	// Inner folds by positions in rows (the standardised copy's order).
	fold := Folds(nets, opts.Folds, opts.Seed)
	type heldOut struct {
		raw [][]float64 // by penalty
		xs  []Scored
		err error
	}
	res := make([]heldOut, opts.Folds)
	forEach(opts.Folds, func(f int) {
		train, test := d.splitAt(rows, fold, f)
		if len(test) == 0 {
			return
		}
		// Each penalty starts from the last one's fit.
		w := full
		res[f].raw = make([][]float64, len(opts.L2))
		for l, l2 := range opts.L2 {
			var err error
			if w, err = st.solve(train, l2, w); err != nil {
				res[f].err = fmt.Errorf("fold %d: %w", f+1, err)
				return
			}
			for _, k := range test {
				res[f].raw[l] = append(res[f].raw[l], sigmoid(st.logit(w, k)))
			}
		}
		for _, k := range test {
			res[f].xs = append(res[f].xs, Scored{Label: d.Y[rows[k]], Requester: d.R[rows[k]]})
		}
	})
	var held []Scored
	heldRaw := make([][]float64, len(opts.L2))
	for _, r := range res {
		if r.err != nil {
			return nil, r.err
		}
		held = append(held, r.xs...)
		for l := range r.raw {
			heldRaw[l] = append(heldRaw[l], r.raw[l]...)
		}
	}
	if len(held) == 0 {
		return nil, errors.New("no held-out pairs: too few networks for the folds")
	}
	best := 0
	for l := range opts.L2 {
		if logLossOf(heldRaw[l], held) < logLossOf(heldRaw[best], held) {
			best = l
		}
	}
	l2 := opts.L2[best]
	if best != 0 {
		if full, err = st.solve(all, l2, full); err != nil {
			return nil, err
		}
	}
	m := st.model(d, full)
	labels := make([]bool, len(held))
	for i, h := range held {
		labels[i] = h.Label
	}
	m.Calibration = isotonic(heldRaw[best], labels)
	for i := range held {
		held[i].Raw = heldRaw[best][i]
		held[i].Score = m.Calibration.Calibrate(held[i].Raw)
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
		Pairs: len(rows), Positives: pos, Networks: nets, Folds: opts.Folds, L2: l2, L2Tried: opts.L2,
		ThresholdRule: fmt.Sprintf("highest probability that keeps %.0f%% of held-out peers", 100*opts.Recall),
		HeldOut:       Measure(held, true),
	}
	return m, nil
}

// logLossOf is the mean log loss of probabilities p for the labels of xs.
func logLossOf(p []float64, xs []Scored) float64 {
	var sum float64
	for i, x := range xs {
		q := min(max(p[i], 1e-12), 1-1e-12)
		if x.Label {
			sum -= math.Log(q)
		} else {
			sum -= math.Log1p(-q)
		}
	}
	return sum / float64(len(xs))
}

// forEach runs f(0..n-1) on up to GOMAXPROCS goroutines.
func forEach(n int, f func(i int)) {
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i)
		}()
	}
	wg.Wait()
}

// standardised is a set of rows scaled to mean 0 and variance 1 per
// feature, with their labels.
type standardised struct {
	d                      int
	z, y                   []float64
	mean, scale, low, high []float64
}

func standardise(d *Dataset, rows []int) (*standardised, error) {
	if len(rows) == 0 {
		return nil, errors.New("no training pairs")
	}
	st := &standardised{d: d.D, mean: make([]float64, d.D), scale: make([]float64, d.D),
		low: make([]float64, d.D), high: make([]float64, d.D)}
	// Row by row (the matrix is row-major): two passes, sums then
	// squared deviations.
	copy(st.low, d.row(rows[0]))
	copy(st.high, d.row(rows[0]))
	for _, i := range rows {
		r := d.row(i)
		floats.Add(st.mean, r)
		for j, v := range r {
			st.low[j], st.high[j] = min(st.low[j], v), max(st.high[j], v)
		}
	}
	floats.Scale(1/float64(len(rows)), st.mean)
	for _, i := range rows {
		for j, v := range d.row(i) {
			st.scale[j] += (v - st.mean[j]) * (v - st.mean[j])
		}
	}
	for j, ss := range st.scale {
		sd := math.Sqrt(ss / float64(max(1, len(rows)-1)))
		if !(sd > 1e-9) {
			sd = 1 // a constant feature: its coefficient stays 0
		}
		st.scale[j] = sd
	}
	st.z = make([]float64, len(rows)*d.D)
	st.y = make([]float64, len(rows))
	for k, i := range rows {
		for j, v := range d.row(i) {
			st.z[k*d.D+j] = (v - st.mean[j]) / st.scale[j]
		}
		st.y[k] = b2f(d.Y[i])
	}
	return st, nil
}

// logit is the linear score of standardised row k under weights w (the
// last one the intercept).
func (st *standardised) logit(w []float64, k int) float64 {
	t := w[st.d]
	for j, v := range st.z[k*st.d : (k+1)*st.d] {
		t += w[j] * v
	}
	return t
}

// solve fits an L2-regularised logistic regression on the standardised
// rows idx with gonum's L-BFGS and the analytic gradient, from start (nil:
// zeros).
func (st *standardised) solve(idx []int, l2 float64, start []float64) ([]float64, error) {
	if len(idx) == 0 {
		return nil, errors.New("no training pairs")
	}
	obj := &logLoss{st: st, idx: idx, l2: l2}
	problem := optimize.Problem{Func: obj.value, Grad: obj.gradient}
	settings := &optimize.Settings{
		MajorIterations: 500,
		Converger:       &optimize.FunctionConverge{Absolute: 1e-8, Relative: 1e-7, Iterations: 10},
	}
	x0 := make([]float64, st.d+1)
	copy(x0, start)
	res, err := optimize.Minimize(problem, x0, settings, &optimize.LBFGS{})
	if err != nil && res == nil {
		return nil, fmt.Errorf("logistic regression: %w", err)
	}
	// The loss is convex and L-BFGS only moves downhill, so a line search
	// that cannot improve further, or the iteration limit, still leaves
	// the optimum when the gradient there is flat; anything else fails.
	if err != nil {
		g := make([]float64, st.d+1)
		obj.gradient(g, res.X)
		if math.IsNaN(res.F) || floats.Norm(g, math.Inf(1)) > 1e-4 {
			return nil, fmt.Errorf("logistic regression did not converge: %w", err)
		}
	}
	return res.X, nil
}

// weights expresses a model's coefficients in st's standardisation (nil
// for a nil model): the same linear function of the raw features.
func (st *standardised) weights(m *Model) []float64 {
	if m == nil {
		return nil
	}
	w := make([]float64, st.d+1)
	w[st.d] = m.Intercept
	for j := range st.d {
		w[j] = m.Coef[j] / m.Scale[j] * st.scale[j]
		w[st.d] += m.Coef[j] * (st.mean[j] - m.Mean[j]) / m.Scale[j]
	}
	return w
}

// model is the fitted model of weights w (without calibration).
func (st *standardised) model(d *Dataset, w []float64) *Model {
	return &Model{Format: FormatVersion, Topology: d.Topology, Features: FeatureNames(d.Topology),
		Mean: st.mean, Scale: st.scale, Low: st.low, High: st.high,
		Coef: slices.Clone(w[:st.d]), Intercept: w[st.d]}
}

// logLoss is the mean log loss plus l2/2·|w|² over the standardised rows
// idx; the last parameter is the intercept (not penalised). Rows are split
// across CPUs.
type logLoss struct {
	st  *standardised
	idx []int
	l2  float64
	// The line search asks for the loss and the gradient at the same
	// points: one pass computes both and keeps them for the next call.
	lastX, lastGrad []float64
	lastLoss        float64
}

// at returns the loss and gradient at x, from the last pass when it was
// at x.
func (o *logLoss) at(x []float64) (float64, []float64) {
	if o.lastX == nil || !floats.Equal(x, o.lastX) {
		o.lastX = append(o.lastX[:0], x...)
		o.lastGrad = make([]float64, len(x))
		o.lastLoss = o.parts(x, o.lastGrad)
	}
	return o.lastLoss, o.lastGrad
}

func (o *logLoss) parts(x []float64, grad []float64) float64 {
	n, d := len(o.idx), o.st.d
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
				g = make([]float64, d+1)
			}
			var loss float64
			for _, k := range o.idx[w*n/workers : (w+1)*n/workers] {
				t := o.st.logit(x, k)
				y := o.st.y[k]
				// log(1+e^t) − y·t, computed stably.
				loss += softplus(t) - y*t
				if g != nil {
					r := sigmoid(t) - y
					floats.AddScaled(g[:d], r, o.st.z[k*d:(k+1)*d])
					g[d] += r
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
	for j := 0; j < d; j++ {
		loss += o.l2 / 2 * x[j] * x[j]
	}
	for j := range grad { // grad is nil when only the loss is wanted
		grad[j] = 0
		for _, g := range grads {
			grad[j] += g[j]
		}
		grad[j] /= float64(n)
		if j < d {
			grad[j] += o.l2 * x[j]
		}
	}
	return loss
}

func (o *logLoss) value(x []float64) float64 {
	loss, _ := o.at(x)
	return loss
}

func (o *logLoss) gradient(grad, x []float64) {
	_, g := o.at(x)
	copy(grad, g)
}

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
	return m.ScoreRow(d, i).Score
}

// ScoreRow is the model's answer for row i of d, labelled: the
// probability, the raw score that orders its ties, and the decision.
func (m *Model) ScoreRow(d *Dataset, i int) Scored {
	raw, _ := m.raw(d.row(i))
	p := m.Calibration.Calibrate(raw)
	return Scored{Score: p, Raw: raw, Label: d.Y[i], Requester: d.R[i], Recommended: p >= m.Threshold}
}

// CrossValidate fits a calibrated model per fold of networks (opts.Folds
// inside each training set calibrate it) and predicts the fold's test
// rows: those with both networks in the fold, for a model fitted on rows
// with neither. It returns the test rows and their probabilities and
// decisions (Requester is the row's R). Folds run in parallel; the
// feature matrix is shared, never copied per fold beyond its
// standardisation.
func CrossValidate(ctx context.Context, d *Dataset, folds int, seed uint64, opts FitOptions) ([]int, []Scored, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	nets := 0
	for i := range d.R {
		nets = max(nets, d.R[i]+1, d.C[i]+1)
	}
	fold := Folds(nets, folds, seed)
	all := make([]int, d.Len())
	for i := range all {
		all[i] = i
	}
	// One fit on every row starts each fold's: they are fits of most of
	// the same rows. Only the starting point: the regularised loss is
	// strictly convex, so each fold reaches its own optimum, whatever the
	// start, to the solver's tolerance.
	st, err := standardise(d, all)
	if err != nil {
		return nil, nil, err
	}
	w, err := st.solve(all, opts.L2[0], nil)
	if err != nil {
		return nil, nil, err
	}
	near := st.model(d, w)
	type result struct {
		rows []int
		xs   []Scored
		err  error
	}
	res := make([]result, folds)
	forEach(folds, func(f int) {
		if err := ctx.Err(); err != nil {
			res[f].err = err
			return
		}
		train, test := d.Split(all, fold, f)
		if len(test) == 0 {
			return
		}
		m, err := fit(d, train, opts, near)
		if err != nil {
			res[f].err = fmt.Errorf("fold %d: %w", f+1, err)
			return
		}
		for _, i := range test {
			res[f].xs = append(res[f].xs, m.ScoreRow(d, i))
		}
		res[f].rows = test
	})
	var rows []int
	var xs []Scored
	for _, r := range res {
		if r.err != nil {
			return nil, nil, r.err
		}
		rows, xs = append(rows, r.rows...), append(xs, r.xs...)
	}
	return rows, xs, nil
}
