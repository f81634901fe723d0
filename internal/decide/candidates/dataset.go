package candidates

import (
	"context"
	"slices"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
)

// PairFilter decides which pairs to keep and their labels: keep false
// drops the pair (a temporal evaluation drops pairs already linked).
type PairFilter func(a, b bgp.ASN) (label, keep bool)

// LabelOptions select the pairs of a Labelled set.
type LabelOptions struct {
	// Only, when set, restricts to networks in this list (every pair of
	// them, sharing a PoP or not); otherwise every pair of networks in
	// the store that shares at least one PoP.
	Only []bgp.ASN
	// Exclude drops every pair with either side in it.
	Exclude map[bgp.ASN]bool
	Filter  PairFilter
	// Paper also scores every pair with the paper profile's parameters.
	Paper *score.Params
}

// Label scores the selected pairs with s (both directions, exchange model
// features) and labels them. Scoring runs on every CPU.
func (s *Scorer) Label(ctx context.Context, f *Features, opts LabelOptions, progress Progress) (*likelihood.Labelled, error) {
	out := &likelihood.Labelled{}
	index := map[bgp.ASN]int{}
	add := func(asn bgp.ASN) int {
		if i, ok := index[asn]; ok {
			return i
		}
		index[asn] = len(out.Networks)
		out.Networks = append(out.Networks, asn)
		return index[asn]
	}
	type todo struct{ a, b bgp.ASN }
	var pairs []todo
	keep := func(a, b bgp.ASN) {
		if opts.Exclude[a] || opts.Exclude[b] {
			return
		}
		pairs = append(pairs, todo{a, b})
	}
	if opts.Only != nil {
		var present []bgp.ASN
		for _, a := range opts.Only {
			if _, ok := s.Store.Net(a); ok && !slices.Contains(present, a) {
				present = append(present, a)
			}
		}
		for i, a := range present {
			for _, b := range present[i+1:] {
				keep(a, b)
			}
		}
	} else {
		for _, n := range s.Store.Nets() {
			for _, b := range f.Neighbours(n.ASN) {
				if n.ASN < b {
					keep(n.ASN, b)
				}
			}
		}
	}
	labels := make([]bool, len(pairs))
	kept := make([]bool, len(pairs))
	for i, p := range pairs {
		labels[i], kept[i] = opts.Filter(p.a, p.b)
	}
	// Profiles once per network and profile: preparing one (its coverage
	// above all) costs more than scoring a small pair.
	var asns []bgp.ASN
	for i, p := range pairs {
		if kept[i] {
			asns = append(asns, p.a, p.b)
		}
	}
	slices.Sort(asns)
	asns = slices.Compact(asns)
	params := s.Params
	params.BothWays = true
	profiles, err := s.profiles(ctx, asns, params)
	if err != nil {
		return nil, err
	}
	var paperProfiles map[bgp.ASN]*score.Profile
	var pp score.Params
	if opts.Paper != nil {
		pp = *opts.Paper
		pp.BothWays = true
		if paperProfiles, err = s.profiles(ctx, asns, pp); err != nil {
			return nil, err
		}
	}
	results := make([]likelihood.LabelledPair, len(pairs))
	err = parallel(ctx, len(pairs), progress, func(i int) {
		a, b := profiles[pairs[i].a], profiles[pairs[i].b]
		if !kept[i] || a == nil || b == nil {
			kept[i] = false
			return
		}
		res := score.Score(a, b, params, s.Econ)
		lp := likelihood.LabelledPair{Pair: f.Pair(&res), Label: labels[i], PaperAB: likelihood.NotScored, PaperBA: likelihood.NotScored}
		if opts.Paper != nil {
			paper := score.Score(paperProfiles[pairs[i].a], paperProfiles[pairs[i].b], pp, billing.Prices{})
			lp.PaperAB, lp.PaperBA = paper.PaperFelicity, -1
			if paper.Reverse != nil {
				lp.PaperBA = paper.Reverse.Felicity
			}
		}
		results[i] = lp
	})
	if err != nil {
		return nil, err
	}
	for i, lp := range results {
		if !kept[i] {
			continue
		}
		lp.A, lp.B = add(pairs[i].a), add(pairs[i].b)
		out.Pairs = append(out.Pairs, lp)
	}
	return out, nil
}

// profiles prepares each network once with params (nil for networks not
// in the store).
func (s *Scorer) profiles(ctx context.Context, asns []bgp.ASN, params score.Params) (map[bgp.ASN]*score.Profile, error) {
	list := make([]*score.Profile, len(asns))
	err := parallel(ctx, len(asns), nil, func(i int) {
		if n, err := Lookup(s.Store, asns[i]); err == nil {
			list[i] = score.Prepare(n, s.Pop, params)
		}
	})
	out := make(map[bgp.ASN]*score.Profile, len(asns))
	for i, a := range asns {
		out[a] = list[i]
	}
	return out, err
}
