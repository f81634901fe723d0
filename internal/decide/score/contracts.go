package score

import (
	"math"
	"math/bits"
)

// problem is one pair reduced to what contract ranking needs: the retained
// common PoPs K (in K order) with each side's capacity there, each side's
// total traffic, and each side's filter and criterion.
type problem struct {
	n          int
	capR, capC []float64 // κ_R(k), κ_C(k) for k in K
	totR, totC float64   // Σκ over K
	tR, tC     float64   // T_R, T_C
	r, c       side
}

// side is one network's policy: its filter and its sorting criterion.
// mirror marks the candidate, whose outbound is the requester's inbound.
type side struct {
	crit Criterion
	// open is false when the side accepts nothing (ratio not disclosed).
	open   bool
	bound  Bound
	mirror bool
}

// flows returns O(S) and I(S) from the two subset sums of κ.
func (p *problem) flows(sumR, sumC float64) (o, i float64) {
	return p.tR * sumR / p.totR, p.tC * sumC / p.totC
}

// judge applies the side's filter to a contract with requester outbound o
// and inbound i, and returns its sort key (smaller is better).
func (s side) judge(o, i float64) (key float64, ok bool) {
	out, in := o, i
	if s.mirror {
		out, in = i, o
	}
	if !s.open || !(out > 0) || !(in > 0) || math.IsInf(out, 0) || math.IsInf(in, 0) {
		return 0, false
	}
	rho := math.Round(out/in*100) / 100
	if s.bound.MaxOutIn > 0 && rho > s.bound.MaxOutIn {
		return 0, false
	}
	if s.bound.MaxInOut > 0 && (rho == 0 || 1/rho > s.bound.MaxInOut) {
		return 0, false
	}
	switch s.crit {
	case ByDiff:
		return math.Abs(out - in), true
	case ByRatio:
		return in / out, true
	default:
		return -out, true
	}
}

// tieKey orders contracts with equal sort keys (docs/scoring.md, "Ties"):
// more PoPs first, then the sorted PoP positions compared lexicographically.
// For equal sizes that is the bit-reversed mask (position 0 as the top
// bit), larger first. Larger tieKey = earlier.
type tieKey struct {
	size uint8
	rev  uint64
}

func makeTie(mask uint64, n int) tieKey {
	return tieKey{size: uint8(bits.OnesCount64(mask)), rev: bits.Reverse64(mask) >> (64 - uint(n))}
}

// before reports whether tie a comes before tie b in enumeration order.
func (a tieKey) before(b tieKey) bool {
	if a.size != b.size {
		return a.size > b.size
	}
	return a.rev > b.rev
}

// ranked is a contract with its sort key on one side.
type ranked struct {
	key  float64
	tie  tieKey
	mask uint64
}

func cmpRanked(a, b ranked) int {
	switch {
	case a.key != b.key:
		if a.key < b.key {
			return -1
		}
		return 1
	case a.tie.size != b.tie.size:
		if a.tie.size > b.tie.size {
			return -1
		}
		return 1
	case a.tie.rev != b.tie.rev:
		if a.tie.rev > b.tie.rev {
			return -1
		}
		return 1
	}
	return 0
}

// Contract is one possible peering contract with both sides' view of it.
type Contract struct {
	// Positions are the contract's PoPs as positions in K, ascending.
	Positions []int `json:"positions"`
	// Out is the requester's outbound moved (O), In its inbound (I), in the
	// traffic unit of the result (model units, or Mbps when measured).
	Out float64 `json:"out"`
	In  float64 `json:"in"`
	// RankR and RankC are 1-based positions in APC_R and APC_C, 0 when the
	// side does not accept the contract. Estimated (fractional) past
	// ExactLimit.
	RankR float64 `json:"rank_requester"`
	RankC float64 `json:"rank_candidate"`
	// OmegaR, OmegaC and OmegaRC are the willingness values ω_R, ω_C, ω_RC.
	OmegaR  float64 `json:"omega_requester"`
	OmegaC  float64 `json:"omega_candidate"`
	OmegaRC float64 `json:"omega_rc"`
}

// ranking is what contract enumeration produces for one ordered pair.
type ranking struct {
	nR, nC float64 // |APC_R|, |APC_C| (estimated past ExactLimit)
	w      float64 // W, or −1 when either APC is empty
	exact  bool
	// wLow, wHigh bound W at 95% when it was estimated.
	wLow, wHigh float64
	samples     int
	top         []Contract // the top of APC*
}

// omega is ω = 1 − (r−1)/N for a 1-based rank r among N.
func omega(r, n float64) float64 {
	if r <= 0 || n <= 0 {
		return 0
	}
	return 1 - (r-1)/n
}

// star is a contract's place in APC*: ω_RC·ω_R descending, then ω_RC
// descending, then enumeration order.
type star struct {
	primary, omegaRC float64
	tie              tieKey
	mask             uint64
}

func (a star) before(b star) bool {
	if a.primary != b.primary {
		return a.primary > b.primary
	}
	if a.omegaRC != b.omegaRC {
		return a.omegaRC > b.omegaRC
	}
	return a.tie.before(b.tie)
}

// topList keeps the best k entries of APC* seen so far. k is small (tens),
// so insertion into a sorted slice beats a heap, and the common case (not
// good enough) is one comparison without allocation.
type topList struct {
	k     int
	items []star
}

func (t *topList) offer(s star) {
	if t.k <= 0 || (len(t.items) == t.k && !s.before(t.items[t.k-1])) {
		return
	}
	i := len(t.items)
	for i > 0 && s.before(t.items[i-1]) {
		i--
	}
	if len(t.items) < t.k {
		t.items = append(t.items, star{})
	}
	copy(t.items[i+1:], t.items[i:len(t.items)-1])
	t.items[i] = s
}

func positions(mask uint64) []int {
	out := make([]int, 0, bits.OnesCount64(mask))
	for m := mask; m != 0; m &= m - 1 {
		out = append(out, bits.TrailingZeros64(m))
	}
	return out
}
