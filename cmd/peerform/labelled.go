package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/candidates"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/pipeline"
	"github.com/peerform/peerform/internal/sources/asrel"
)

// checkPenalties validates --l2: the ridge penalties a fit chooses from.
func checkPenalties(l2 []float64) error {
	if len(l2) == 0 || len(l2) > 20 {
		return usageErrorf("--l2 needs 1 to 20 penalties, got %d", len(l2))
	}
	for _, v := range l2 {
		if !(v >= 0 && v < 100) {
			return usageErrorf("--l2 penalties must be in [0, 100), got %g", v)
		}
	}
	return nil
}

// parseASNList reads "AS174,6939 AS2914" into AS numbers.
func parseASNList(flag, list string) ([]bgp.ASN, error) {
	var out []bgp.ASN
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
		asn, err := bgp.ParseASN(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		out = append(out, asn)
	}
	return out, nil
}

// pairSource says which pairs to score and how to label them.
type pairSource struct {
	labels *asrel.Set // peers (rel 0) are the positives
	// older, when set, makes the set temporal: only pairs not linked in
	// it, labelled by whether they are peers in labels.
	older   *asrel.Set
	only    []bgp.ASN
	exclude []bgp.ASN
	paper   bool // also score with the paper profile
}

// labelledPairs scores and labels the pairs of src with the environment's
// scorer; features use graph for topology (nil: none).
func (a *app) labelledPairs(ctx context.Context, env *pipeline.ScoringEnv, graph *asrel.Graph, src pairSource) (*likelihood.Labelled, error) {
	ex := map[bgp.ASN]bool{}
	for _, asn := range src.exclude {
		ex[asn] = true
	}
	opts := candidates.LabelOptions{Only: src.only, Exclude: ex, Filter: func(x, y bgp.ASN) (bool, bool) {
		if src.older != nil {
			if _, linked := src.older.Lookup(x, y); linked {
				return false, false
			}
		}
		rel, ok := src.labels.Lookup(x, y)
		return ok && rel == asrel.PeerToPeer, true
	}}
	if src.paper {
		p := score.DefaultParams()
		p.AssumeRatio, p.MaxCommonPoPs = env.Scorer.Params.AssumeRatio, env.Scorer.Params.MaxCommonPoPs
		opts.Paper = &p
	}
	sc := *env.Scorer
	sc.Params.Traffic = score.ExchangeTraffic
	l, err := sc.Label(ctx, candidates.NewFeatures(env.Store, graph), opts, a.progressBar("scoring pairs"))
	if err != nil {
		return nil, err
	}
	if len(l.Pairs) == 0 {
		return nil, fmt.Errorf("no pairs to evaluate: check the networks and the PeeringDB data")
	}
	return l, nil
}
