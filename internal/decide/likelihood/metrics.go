package likelihood

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// Metrics describe how well scores rank and how well probabilities are
// calibrated on a set of labelled ordered pairs.
type Metrics struct {
	Pairs     int `json:"pairs"`
	Positives int `json:"positives"`
	// AUC is the ROC area (0.5 = coin toss); AP the average precision
	// (the base rate = no skill).
	AUC float64 `json:"roc_auc"`
	AP  float64 `json:"average_precision"`
	// PrecisionAt10 is the mean, over requesters with at least one peer
	// among their candidates, of the share of peers in their top 10;
	// RandomAt10 the same for a random order (each requester's base rate).
	PrecisionAt10 float64 `json:"precision_at_10"`
	RandomAt10    float64 `json:"random_at_10"`
	Requesters    int     `json:"requesters"`
	// Under the decision rule (each pair's Recommended flag): the share
	// of peers recommended (recall), the share of non-peers recommended
	// (false recommendation rate) and the share of recommendations that
	// are peers (precision).
	Recall       float64 `json:"recall"`
	FalseRecRate float64 `json:"false_recommendation_rate"`
	Precision    float64 `json:"precision"`
	// FalseRecAt85 is the false recommendation rate at the highest score
	// that keeps 85% of peers: comparable across scores of any scale.
	FalseRecAt85 float64 `json:"false_recommendation_rate_at_85_recall"`
	// Brier is the mean squared error of the probabilities (NaN-free only
	// for scores that are probabilities); Reliability bins them.
	Brier       float64 `json:"brier"`
	Reliability []Bin   `json:"reliability"`
}

// Bin is one bin of a reliability diagram: predicted against observed.
type Bin struct {
	Low, High     float64
	Count         int     `json:"count"`
	MeanPredicted float64 `json:"mean_predicted"`
	Observed      float64 `json:"observed"`
}

// Scored is one labelled prediction; Requester groups pairs for
// precision@k; Recommended is the decision rule's verdict.
//
// Pairs rank by Score, then by Raw: a model's calibration is flat beyond
// its first and last block (and a probability shown to a person should
// stay the calibrated one), so the uncalibrated score orders the pairs
// the calibration ties. Methods without a finer score leave Raw 0. Pairs
// equal in both are genuinely tied: every metric averages over their
// possible orders, so the order of the input never matters.
type Scored struct {
	Score       float64
	Label       bool
	Requester   int
	Recommended bool
	Raw         float64
}

// compareScored orders by Score, then Raw (ascending).
func compareScored(a, b Scored) int {
	if c := cmp.Compare(a.Score, b.Score); c != 0 {
		return c
	}
	return cmp.Compare(a.Raw, b.Raw)
}

// tieEnd is the end of the run of pairs tied with s[i] in s, sorted by
// compareScored either way.
func tieEnd(s []Scored, i int) int {
	j := i + 1
	for j < len(s) && compareScored(s[j], s[i]) == 0 {
		j++
	}
	return j
}

// Measure computes the metrics of scores. probabilities says the scores
// are calibrated probabilities (Brier and reliability are computed only
// then).
func Measure(xs []Scored, probabilities bool) Metrics {
	m := Metrics{Pairs: len(xs), Reliability: []Bin{}}
	if len(xs) == 0 {
		return m
	}
	s := slices.Clone(xs)
	slices.SortFunc(s, compareScored)
	// ROC over the rank of each tie group (Score and Raw together): a
	// group is one cutoff, so its pairs share one point and the area
	// averages over their orders.
	y := make([]float64, len(s))
	cls := make([]bool, len(s))
	rank := 0
	for i := 0; i < len(s); {
		j := tieEnd(s, i)
		for k := i; k < j; k++ {
			y[k], cls[k] = float64(rank), s[k].Label
			if s[k].Label {
				m.Positives++
			}
		}
		rank++
		i = j
	}
	neg := len(s) - m.Positives
	if m.Positives > 0 && neg > 0 {
		// ROC's points run from the highest cutoff down, so the false
		// positive rates ascend.
		tpr, fpr, _ := stat.ROC(nil, y, cls, nil)
		m.AUC = integrate.Trapezoidal(fpr, tpr)
		m.AP = averagePrecision(s, m.Positives)
	}
	var rec, falseRec int
	for _, x := range s {
		if x.Recommended {
			if x.Label {
				rec++
			} else {
				falseRec++
			}
		}
	}
	m.Recall = ratio(rec, m.Positives)
	m.FalseRecRate = ratio(falseRec, neg)
	m.Precision = ratio(rec, rec+falseRec)
	m.FalseRecAt85 = ratio(nonPeersAtRecall(s, m.Positives, 0.85), neg)
	m.PrecisionAt10, m.RandomAt10, m.Requesters = precisionAtK(xs, 10)
	if probabilities {
		var sq float64
		for _, x := range s {
			d := x.Score - b2f(x.Label)
			sq += d * d
		}
		m.Brier = sq / float64(len(s))
		m.Reliability = reliability(s, 10)
	}
	return m
}

// averagePrecision over pairs sorted ascending: the mean, over
// positives, of the precision among everything ranked at least as high.
// Tied pairs are one cutoff, each of their positives credited with the
// precision of the whole group (no credit for a lucky order; scikit-learn
// counts ties the same way).
func averagePrecision(asc []Scored, positives int) float64 {
	var ap float64
	seen, hits := 0, 0
	for j := len(asc); j > 0; {
		i := lowestTied(asc, j-1)
		groupHits := 0
		for _, x := range asc[i:j] {
			if x.Label {
				groupHits++
			}
		}
		seen += j - i
		hits += groupHits
		ap += float64(groupHits) * float64(hits) / float64(seen)
		j = i
	}
	return ap / float64(positives)
}

// nonPeersAtRecall counts the non-peers ranked at or above the highest
// rank that keeps the given share of positives (pairs sorted ascending).
func nonPeersAtRecall(asc []Scored, positives int, recall float64) int {
	if positives == 0 {
		return 0
	}
	need := max(1, min(positives, int(math.Ceil(recall*float64(positives)))))
	hits := 0
	for i := len(asc) - 1; i >= 0; i-- {
		if asc[i].Label {
			if hits++; hits == need {
				// Everything tied with the cutoff pair counts too.
				n := 0
				for _, x := range asc[lowestTied(asc, i):] {
					if !x.Label {
						n++
					}
				}
				return n
			}
		}
	}
	return 0
}

// lowestTied is the first index of the run of pairs tied with asc[i].
func lowestTied(asc []Scored, i int) int {
	for i > 0 && compareScored(asc[i-1], asc[i]) == 0 {
		i--
	}
	return i
}

// precisionAtK averages, over requesters with at least one positive, the
// share of positives among their k best-ranked candidates (fewer when
// they have fewer), and the same share for a random order. When the k-th
// place falls inside a group of tied candidates, the places left are
// credited with the group's share of positives: the expectation over the
// group's orders.
func precisionAtK(xs []Scored, k int) (prec, random float64, n int) {
	by := map[int][]Scored{}
	for _, x := range xs {
		by[x.Requester] = append(by[x.Requester], x)
	}
	// Requesters in a fixed order: sums in map order would differ in the
	// last bits from run to run.
	for _, r := range slices.Sorted(maps.Keys(by)) {
		list := by[r]
		pos := 0
		for _, x := range list {
			if x.Label {
				pos++
			}
		}
		if pos == 0 {
			continue
		}
		slices.SortFunc(list, func(a, b Scored) int { return compareScored(b, a) })
		top := min(k, len(list))
		var hits float64
		for i := 0; i < top; {
			j := tieEnd(list, i)
			groupHits := 0
			for _, x := range list[i:j] {
				if x.Label {
					groupHits++
				}
			}
			taken := min(j, top) - i
			hits += float64(groupHits) * float64(taken) / float64(j-i)
			i = j
		}
		prec += hits / float64(top)
		random += float64(pos) / float64(len(list))
		n++
	}
	if n == 0 {
		return 0, 0, 0
	}
	return prec / float64(n), random / float64(n), n
}

// reliability bins probabilities into equal-count bins (equal widths
// would leave the top bins empty at a 2% base rate); a bin ends after
// the pairs tied with its last one, so no tie is split by input order.
func reliability(asc []Scored, bins int) []Bin {
	out := []Bin{}
	n := len(asc)
	lo := 0
	for b := 0; b < bins && lo < n; b++ {
		hi := max(lo+1, (b+1)*n/bins)
		hi = tieEnd(asc, hi-1)
		bin := Bin{Low: asc[lo].Score, High: asc[hi-1].Score, Count: hi - lo}
		var sum, pos float64
		for _, x := range asc[lo:hi] {
			sum += x.Score
			pos += b2f(x.Label)
		}
		bin.MeanPredicted, bin.Observed = sum/float64(bin.Count), pos/float64(bin.Count)
		out = append(out, bin)
		lo = hi
	}
	return out
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ThresholdForRecall returns the highest score at which at least the
// given share of positives scores at or above it (0 without positives).
func ThresholdForRecall(xs []Scored, recall float64) float64 {
	var pos []float64
	for _, x := range xs {
		if x.Label {
			pos = append(pos, x.Score)
		}
	}
	if len(pos) == 0 {
		return 0
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(pos)))
	need := int(math.Ceil(recall*float64(len(pos)))) - 1
	need = max(0, min(need, len(pos)-1))
	return pos[need]
}
