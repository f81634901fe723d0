package score

import (
	"cmp"
	"math"
	"math/bits"
	"slices"
	"sync"
)

// exact enumerates all 2^n − 1 contracts (n ≤ ExactLimit) and returns W,
// |APC_R|, |APC_C| and the top topN entries of APC*.
//
// Memory is a few arrays indexed by mask: two subset sums of κ (built by
// dynamic programming, one addition per mask), two rank tables, and one
// sort buffer pair per side. Nothing is allocated per contract.
func (p *problem) exact(topN int) ranking {
	size := 1 << p.n
	sumR := make([]float64, size)
	sumC := make([]float64, size)
	for m := 1; m < size; m++ {
		i := bits.TrailingZeros(uint(m))
		prev := m & (m - 1)
		sumR[m] = sumR[prev] + p.capR[i]
		sumC[m] = sumC[prev] + p.capC[i]
	}
	order := enumeration(p.n)
	rankR := make([]int32, size)
	rankC := make([]int32, size)
	// The two sides are independent: rank them on two cores.
	var nR, nC int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var scratch [2][]keyed
		nC = p.rankSide(p.c, sumR, sumC, rankC, order, &scratch)
	}()
	var scratch [2][]keyed
	nR = p.rankSide(p.r, sumR, sumC, rankR, order, &scratch)
	wg.Wait()

	res := ranking{nR: float64(nR), nC: float64(nC), exact: true, w: -1}
	top := topList{k: topN}
	var wsum float64
	for m := 1; m < size; m++ {
		rr, rc := rankR[m], rankC[m]
		if rr == 0 && rc == 0 {
			continue
		}
		oR := omega(float64(rr), res.nR)
		oC := omega(float64(rc), res.nC)
		oRC := math.Sqrt(oR * oC)
		if rr > 0 {
			wsum += oRC
		}
		top.offer(star{primary: oRC * oR, omegaRC: oRC, tie: makeTie(uint64(m), p.n), mask: uint64(m)})
	}
	if nR > 0 && nC > 0 {
		res.w = wsum / res.nR
		res.wLow, res.wHigh = res.w, res.w
	}
	for _, s := range top.items {
		o, i := p.flows(sumR[s.mask], sumC[s.mask])
		rr, rc := float64(rankR[s.mask]), float64(rankC[s.mask])
		oR, oC := omega(rr, res.nR), omega(rc, res.nC)
		res.top = append(res.top, Contract{
			Positions: positions(s.mask), Out: o, In: i,
			RankR: rr, RankC: rc, OmegaR: oR, OmegaC: oC, OmegaRC: s.omegaRC,
		})
	}
	return res
}

// rankSide fills rank[mask] with the 1-based position of each contract the
// side accepts (0 for the others) and returns how many it accepts.
//
// Contracts are visited in enumeration order (the tie rule), so a stable
// sort on the criterion key alone gives the full §5 order. The key is a
// float64 mapped to an order-preserving uint64 and sorted by LSD radix,
// which is several times faster than a comparison sort at 2^20 entries.
func (p *problem) rankSide(s side, sumR, sumC []float64, rank []int32, order []uint32, scratch *[2][]keyed) int {
	if !s.open {
		return 0
	}
	if cap(scratch[0]) < len(order) {
		scratch[0], scratch[1] = make([]keyed, len(order)), make([]keyed, len(order))
	}
	buf := scratch[0][:0]
	for _, m := range order {
		o, i := p.flows(sumR[m], sumC[m])
		if key, ok := s.judge(o, i); ok {
			buf = append(buf, keyed{k: orderedBits(key), m: m})
		}
	}
	buf = radixSort(buf, scratch[1][:len(buf)])
	for i, r := range buf {
		rank[r.m] = int32(i + 1)
	}
	return len(buf)
}

// keyed is a contract with its sort key as ordered bits.
type keyed struct {
	k uint64
	m uint32
}

// orderedBits maps a float64 to a uint64 with the same order (no NaNs).
func orderedBits(f float64) uint64 {
	if f == 0 {
		f = 0 // −0 and +0 are equal keys
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// radixSort sorts a by k, stably, using tmp (same length) as scratch, and
// returns whichever of the two holds the result. Below radixMin entries a
// comparison sort is faster than four passes over 2^16 counters (most
// pairs share a handful of PoPs).
func radixSort(a, tmp []keyed) []keyed {
	if len(a) < radixMin {
		slices.SortStableFunc(a, func(x, y keyed) int { return cmp.Compare(x.k, y.k) })
		return a
	}
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		clear(count[:])
		for _, x := range a {
			count[(x.k>>shift)&0xffff]++
		}
		if len(a) == 0 || count[(a[0].k>>shift)&0xffff] == len(a) {
			continue // every key has the same digit here
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, x := range a {
			d := (x.k >> shift) & 0xffff
			tmp[count[d]] = x
			count[d]++
		}
		a, tmp = tmp, a
	}
	return a
}

// radixMin is the size from which radixSort counts digits.
const radixMin = 1 << 12

// enumeration lists every non-empty contract of n PoPs in enumeration
// order: more PoPs first, then by sorted positions, lexicographically.
func enumeration(n int) []uint32 {
	out := make([]uint32, 0, 1<<n-1)
	pos := make([]int, n)
	for size := n; size >= 1; size-- {
		for i := 0; i < size; i++ {
			pos[i] = i
		}
		for {
			var m uint32
			for _, q := range pos[:size] {
				m |= 1 << uint(q)
			}
			out = append(out, m)
			// Next combination in lexicographic order.
			i := size - 1
			for i >= 0 && pos[i] == n-size+i {
				i--
			}
			if i < 0 {
				break
			}
			pos[i]++
			for j := i + 1; j < size; j++ {
				pos[j] = pos[j-1] + 1
			}
		}
	}
	return out
}
