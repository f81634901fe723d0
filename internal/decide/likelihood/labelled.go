package likelihood

import "github.com/peerform/peerform/internal/core/bgp"

// LabelledPair is one unordered pair of networks with what evaluation and
// fitting need: the model's inputs (with R the first network; Swap gives
// the other direction), the label, and the paper profile's felicity in
// both directions when it was asked for.
type LabelledPair struct {
	A, B  int // indexes into Labelled.Networks
	Pair  Pair
	Label bool
	// PaperAB and PaperBA are the paper's F for A asking B and B asking A
	// (−1 when it cannot be computed; NotScored when not asked for).
	PaperAB, PaperBA float64
}

// NotScored marks a paper felicity that was not computed.
const NotScored = -2

// Labelled is a set of pairs over a list of networks.
type Labelled struct {
	Networks []bgp.ASN
	Pairs    []LabelledPair
}

// Dataset turns the pairs into model rows, both directions of each: row
// 2i is pair i as A asks B, row 2i+1 as B asks A.
func (l *Labelled) Dataset(topology bool) *Dataset {
	d := NewDataset(topology)
	d.X = make([]float64, 0, 2*len(l.Pairs)*d.D)
	for i := range l.Pairs {
		lp := &l.Pairs[i]
		d.Add(&lp.Pair, lp.Label, lp.A, lp.B)
		rev := lp.Pair.Swap()
		d.Add(&rev, lp.Label, lp.B, lp.A)
	}
	return d
}
