// Package evaluate measures peer selection against known relationships
// (docs/scoring.md, "Beyond the paper"): given scored ordered pairs and an
// AS-relationship set, how many known peer pairs are recommended (recall), how
// many other pairs are recommended too, and how both change over the threshold
// θ. It writes the sweep as CSV and as an SVG plot. It does no scoring and no
// I/O beyond the writers it is given.
package evaluate

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/sources/asrel"
)

// Point is the evaluation at one threshold.
type Point struct {
	Threshold        float64 `json:"threshold"`
	P2PRecommended   int     `json:"p2p_recommended"`
	Recall           float64 `json:"recall"`
	OtherRecommended int     `json:"other_recommended"`
	// OtherRate is OtherRecommended / OtherPairs.
	OtherRate float64 `json:"other_rate"`
}

// Report is the evaluation of a set of ordered pairs.
type Report struct {
	Threshold float64 `json:"threshold"`
	Holistic  bool    `json:"holistic"`
	// Pairs counts the ordered pairs scored.
	Pairs int `json:"pairs"`
	// P2PPairs are the pairs the relationships call peers (rel 0).
	P2PPairs       int     `json:"p2p_pairs"`
	P2PRecommended int     `json:"p2p_recommended"`
	Recall         float64 `json:"recall"`
	// OtherPairs are all the others: transit, siblings, and pairs with no
	// known relationship.
	OtherPairs       int     `json:"other_pairs"`
	OtherRecommended int     `json:"other_recommended"`
	OtherRate        float64 `json:"other_rate"`
	// Unscored counts pairs whose felicity is −1 (no common PoP, no
	// acceptable contract); they are never recommended.
	Unscored int     `json:"unscored"`
	Sweep    []Point `json:"sweep"`
}

// Thresholds returns 0, step, 2·step, … up to 1.
func Thresholds(step float64) []float64 {
	if !(step > 0) {
		step = 0.05
	}
	var out []float64
	for i := 0; float64(i)*step <= 1+1e-9; i++ {
		out = append(out, math.Round(float64(i)*step*1e6)/1e6)
	}
	return out
}

// recommendedAt applies the decision rule of docs/scoring.md (paper profile,
// step 9) at θ.
func recommendedAt(r score.Result, theta float64, holistic bool) bool {
	if r.Felicity < 0 || r.Felicity < theta {
		return false
	}
	if holistic {
		return r.Reverse != nil && r.Reverse.Felicity >= 0 && r.Reverse.Felicity >= theta
	}
	return true
}

// Evaluate counts the results at theta and over the sweep.
func Evaluate(results []score.Result, rels *asrel.Set, theta float64, holistic bool, sweep []float64) Report {
	rep := Report{Threshold: theta, Holistic: holistic, Pairs: len(results), Sweep: []Point{}}
	peer := make([]bool, len(results))
	for i, r := range results {
		rel, ok := rels.Lookup(r.Requester.ASN, r.Candidate.ASN)
		peer[i] = ok && rel == asrel.PeerToPeer
		if peer[i] {
			rep.P2PPairs++
		} else {
			rep.OtherPairs++
		}
		if r.Felicity < 0 {
			rep.Unscored++
		}
	}
	at := func(t float64) Point {
		p := Point{Threshold: t}
		for i, r := range results {
			if !recommendedAt(r, t, holistic) {
				continue
			}
			if peer[i] {
				p.P2PRecommended++
			} else {
				p.OtherRecommended++
			}
		}
		p.Recall = ratio(p.P2PRecommended, rep.P2PPairs)
		p.OtherRate = ratio(p.OtherRecommended, rep.OtherPairs)
		return p
	}
	main := at(theta)
	rep.P2PRecommended, rep.Recall = main.P2PRecommended, main.Recall
	rep.OtherRecommended, rep.OtherRate = main.OtherRecommended, main.OtherRate
	for _, t := range sweep {
		rep.Sweep = append(rep.Sweep, at(t))
	}
	return rep
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// WriteCSV writes the sweep with a header row.
func WriteCSV(w io.Writer, rep Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"threshold", "p2p_recommended", "p2p_pairs", "recall", "other_recommended", "other_pairs", "other_rate"})
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	for _, p := range rep.Sweep {
		cw.Write([]string{f(p.Threshold), strconv.Itoa(p.P2PRecommended), strconv.Itoa(rep.P2PPairs), f(p.Recall),
			strconv.Itoa(p.OtherRecommended), strconv.Itoa(rep.OtherPairs), f(p.OtherRate)})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}
