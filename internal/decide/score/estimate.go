package score

import (
	"container/heap"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
)

// The estimator (docs/scoring.md, "Beyond the paper": past the cap).
//
// A contract's rank in APC_X, divided by N_X, is its quantile under X's
// ordering, so W = E[ω_RC(S)] for S uniform over APC_R. Each batch draws
// contracts uniformly from all 2^n − 1 (with replacement), ranks the drawn
// ones on each side, and estimates ω_X(S) as 1 − (drawn contracts strictly
// ahead of S)/(drawn accepted by X − 1), which is unbiased for the true ω_X.
// The batch estimate of W is the mean of √(ω_R·ω_C) over the drawn
// contracts R accepts, corrected for the O(1/m) bias of the root by
// Richardson extrapolation (each half of the batch ranked on its own).
// Batches are independent, so the interval is the Student-t 95% interval of
// the batch means, widened by the size of the bias correction.
//
// The top of APC* cannot be found by sampling; a best-first search starts
// from the whole of K, every single PoP and the best drawn contracts, moves
// by adding or removing one PoP, and scores each contract it meets by the
// estimated quantiles of its exact sort keys against all drawn contracts.
// It is a heuristic: it returns good contracts, not a proof of the best.

// sample is one drawn contract with both sides' judgement.
type sample struct {
	mask       uint64
	keyR, keyC float64
	okR, okC   bool
	tie        tieKey
}

func (p *problem) draw(mask uint64) sample {
	var sumR, sumC float64
	for m := mask; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		sumR += p.capR[i]
		sumC += p.capC[i]
	}
	o, i := p.flows(sumR, sumC)
	s := sample{mask: mask, tie: makeTie(mask, p.n)}
	s.keyR, s.okR = p.r.judge(o, i)
	s.keyC, s.okC = p.c.judge(o, i)
	return s
}

// estimate returns W with its 95% interval, estimated |APC_R| and |APC_C|,
// and the top topN of APC* found by the search.
func (p *problem) estimate(topN, samples, batches int, seed uint64, expansions int) ranking {
	full := uint64(1)<<uint(p.n) - 1
	if p.n == 64 {
		full = math.MaxUint64
	}
	universe := math.Ldexp(1, p.n) - 1
	rng := rand.New(rand.NewPCG(seed, uint64(p.n)))
	per := samples / batches

	var refR, refC []ranked // every drawn contract each side accepts
	var means, corrections []float64
	var accR, accC int
	batch := make([]sample, per)
	omR := make([]float64, per)
	omC := make([]float64, per)
	for b := 0; b < batches; b++ {
		for j := range batch {
			m := rng.Uint64() & full
			for m == 0 {
				m = rng.Uint64() & full
			}
			batch[j] = p.draw(m)
		}
		mR := quantiles(batch, omR, true)
		quantiles(batch, omC, false)
		for _, s := range batch {
			if s.okR {
				refR = append(refR, ranked{key: s.keyR, tie: s.tie, mask: s.mask})
				accR++
			}
			if s.okC {
				refC = append(refC, ranked{key: s.keyC, tie: s.tie, mask: s.mask})
				accC++
			}
		}
		if mR == 0 {
			continue // this batch drew nothing R accepts: no estimate from it
		}
		full := batchW(batch, omR, omC)
		// √(ω̂_R·ω̂_C) is biased low by O(1/m) because the root is concave.
		// Ranking each half on its own doubles that bias, so 2·full − half
		// (Richardson extrapolation) cancels it and keeps batches independent.
		h := len(batch) / 2
		quantiles(batch[:h], omR[:h], true)
		quantiles(batch[:h], omC[:h], false)
		quantiles(batch[h:], omR[h:], true)
		quantiles(batch[h:], omC[h:], false)
		w1, ok1 := batchWOK(batch[:h], omR[:h], omC[:h])
		w2, ok2 := batchWOK(batch[h:], omR[h:], omC[h:])
		if !ok1 || !ok2 {
			means = append(means, full)
			continue
		}
		means = append(means, 2*full-(w1+w2)/2)
		corrections = append(corrections, full-(w1+w2)/2)
	}
	drawn := float64(per * batches)
	res := ranking{
		nR: math.Round(universe * float64(accR) / drawn), nC: math.Round(universe * float64(accC) / drawn),
		w: -1, samples: per * batches,
	}
	if accR == 0 || accC == 0 {
		return res
	}
	res.w, res.wLow, res.wHigh = meanInterval(means)
	// What the extrapolation corrected is also roughly what it may have
	// left over (the bias is not exactly 1/m when a root is near zero), so
	// the interval is widened by it: sampling error plus that allowance.
	if len(corrections) > 0 {
		var c float64
		for _, x := range corrections {
			c += x
		}
		c = math.Abs(c / float64(len(corrections)))
		res.wLow, res.wHigh = math.Max(0, res.wLow-c), math.Min(1, res.wHigh+c)
	}
	slices.SortFunc(refR, cmpRanked)
	slices.SortFunc(refC, cmpRanked)
	res.top = p.search(refR, refC, res, topN, expansions)
	return res
}

// batchW is the batch's estimate of W: the mean of √(ω̂_R·ω̂_C) over the
// drawn contracts R accepts.
func batchW(batch []sample, omR, omC []float64) float64 {
	w, _ := batchWOK(batch, omR, omC)
	return w
}

func batchWOK(batch []sample, omR, omC []float64) (float64, bool) {
	var sum float64
	var n int
	for j, s := range batch {
		if s.okR {
			sum += math.Sqrt(omR[j] * omC[j])
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// quantiles fills om[j] with the estimated ω of batch[j] on one side (0
// when the side rejects it) and returns how many the side accepts.
func quantiles(batch []sample, om []float64, requester bool) int {
	type item struct {
		ranked
		j int
	}
	items := make([]item, 0, len(batch))
	for j, s := range batch {
		om[j] = 0
		switch {
		case requester && s.okR:
			items = append(items, item{ranked{key: s.keyR, tie: s.tie, mask: s.mask}, j})
		case !requester && s.okC:
			items = append(items, item{ranked{key: s.keyC, tie: s.tie, mask: s.mask}, j})
		}
	}
	slices.SortFunc(items, func(a, b item) int { return cmpRanked(a.ranked, b.ranked) })
	m := len(items)
	ahead := 0
	for pos, it := range items {
		// Copies of one contract are adjacent and none is ahead of another.
		if pos > 0 && items[pos-1].mask != it.mask {
			ahead = pos
		}
		if m == 1 {
			om[it.j] = 1
		} else {
			om[it.j] = 1 - float64(ahead)/float64(m-1)
		}
	}
	return m
}

// meanInterval is the mean of xs and its two-sided 95% Student-t interval.
func meanInterval(xs []float64) (mean, lo, hi float64) {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	n := float64(len(xs))
	mean = sum / n
	if len(xs) < 2 {
		return mean, 0, 1
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	half := studentT975(len(xs)-1) * math.Sqrt(ss/(n-1)/n)
	return mean, math.Max(0, mean-half), math.Min(1, mean+half)
}

// studentT975 is the 97.5% quantile of Student's t with df degrees of freedom.
func studentT975(df int) float64 {
	table := [...]float64{0, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
		2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
		2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}
	if df < len(table) {
		return table[df]
	}
	// Cornish–Fisher expansion around the normal quantile.
	z, d := 1.959964, float64(df)
	return z + (z*z*z+z)/(4*d) + (5*math.Pow(z, 5)+16*z*z*z+3*z)/(96*d*d)
}

// quantileOmega estimates ω of a contract with sort entry e from the sorted
// drawn contracts ref: 1 − (drawn strictly ahead)/(drawn).
func quantileOmega(ref []ranked, e ranked) float64 {
	ahead, _ := slices.BinarySearchFunc(ref, e, cmpRanked)
	return 1 - float64(ahead)/float64(len(ref))
}

// search runs the best-first search for the top of APC*.
func (p *problem) search(refR, refC []ranked, res ranking, topN, expansions int) []Contract {
	eval := func(mask uint64) (star, bool) {
		s := p.draw(mask)
		if !s.okR || !s.okC {
			return star{}, false
		}
		oR := quantileOmega(refR, ranked{key: s.keyR, tie: s.tie})
		oC := quantileOmega(refC, ranked{key: s.keyC, tie: s.tie})
		oRC := math.Sqrt(oR * oC)
		return star{primary: oRC * oR, omegaRC: oRC, tie: s.tie, mask: mask}, true
	}
	seen := make(map[uint64]bool)
	frontier := &starHeap{}
	push := func(mask uint64) {
		if mask == 0 || seen[mask] {
			return
		}
		seen[mask] = true
		if st, ok := eval(mask); ok {
			heap.Push(frontier, st)
		}
	}
	full := uint64(1)<<uint(p.n) - 1
	if p.n == 64 {
		full = math.MaxUint64
	}
	push(full)
	for i := 0; i < p.n; i++ {
		push(1 << uint(i))
	}
	// The best drawn contracts are good starting points too; a few
	// thousand of them, evenly spread over R's order, are enough.
	seeds := topList{k: 32}
	for i := 0; i < len(refR); i += max(1, len(refR)/4000) {
		if st, ok := eval(refR[i].mask); ok {
			seeds.offer(st)
		}
	}
	for _, st := range seeds.items {
		push(st.mask)
	}
	top := topList{k: topN}
	for e := 0; e < expansions && frontier.Len() > 0; e++ {
		st := heap.Pop(frontier).(star)
		top.offer(st)
		for i := 0; i < p.n; i++ {
			push(st.mask ^ 1<<uint(i))
		}
	}
	out := make([]Contract, 0, len(top.items))
	for _, st := range top.items {
		s := p.draw(st.mask)
		var sumR, sumC float64
		for m := st.mask; m != 0; m &= m - 1 {
			i := bits.TrailingZeros64(m)
			sumR += p.capR[i]
			sumC += p.capC[i]
		}
		o, in := p.flows(sumR, sumC)
		oR := quantileOmega(refR, ranked{key: s.keyR, tie: s.tie})
		oC := quantileOmega(refC, ranked{key: s.keyC, tie: s.tie})
		out = append(out, Contract{
			Positions: positions(st.mask), Out: o, In: in,
			RankR: 1 + (1-oR)*res.nR, RankC: 1 + (1-oC)*res.nC,
			OmegaR: oR, OmegaC: oC, OmegaRC: st.omegaRC,
		})
	}
	return out
}

// starHeap is a max-heap of APC* entries (best first).
type starHeap []star

func (h starHeap) Len() int           { return len(h) }
func (h starHeap) Less(i, j int) bool { return h[i].before(h[j]) }
func (h starHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *starHeap) Push(x any)        { *h = append(*h, x.(star)) }
func (h *starHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
