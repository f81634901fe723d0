package candidates

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"sync"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
)

// Scorer scores pairs of PeeringDB networks with one population data set,
// one parameter set and one price list. It is safe for concurrent use.
type Scorer struct {
	Store  Store
	Pop    score.Population
	Params score.Params
	Econ   billing.Prices
	// Model, when set, is the likelihood profile: a pair's felicity is
	// the model's probability that the candidate agrees, from inputs
	// Features builds. Nil is the paper profile.
	Model    *likelihood.Model
	Features *Features
	// OwnThreshold recommends at Params.Threshold instead of the model's
	// threshold (the policy or a flag set one).
	OwnThreshold bool
}

// Score scores one ordered pair. Under a model, felicity becomes the
// probability, with the reasons for and against; the paper's felicity
// stays in PaperFelicity. A pair without a common PoP cannot peer and
// keeps felicity −1.
func (s *Scorer) Score(r, c *score.Profile) score.Result {
	p := s.Params
	if s.Model != nil {
		p.BothWays = true
	}
	res := score.Score(r, c, p, s.Econ)
	if s.Model == nil || len(res.CommonPoPs) == 0 {
		return res
	}
	pair := s.Features.Pair(&res)
	pred := s.Model.Predict(&pair)
	if s.OwnThreshold {
		pred.Threshold = s.Params.Threshold
		pred.Recommended = pred.Probability >= pred.Threshold
	}
	res.Likelihood = &pred
	res.Felicity, res.Recommended, res.Threshold = pred.Probability, pred.Recommended, pred.Threshold
	return res
}

// Profile prepares asn for scoring. trafficMbps is a measured total (the
// requester's, from policy); 0 means estimate.
func (s *Scorer) Profile(asn bgp.ASN, trafficMbps float64) (*score.Profile, error) {
	n, err := Lookup(s.Store, asn)
	if err != nil {
		return nil, err
	}
	n.TrafficMbps = trafficMbps
	return score.Prepare(n, s.Pop, s.Params), nil
}

// Progress is told how many of total items are done.
type Progress func(done, total int)

// Suggest scores every PeeringDB network that shares at least one PoP with
// the requester r, best first (felicity, then the model's raw score, then
// willingness, then ASN).
func (s *Scorer) Suggest(ctx context.Context, r *score.Profile, progress Progress) ([]score.Result, error) {
	ours := make(map[string]bool, len(r.Network.PoPs))
	for _, p := range r.Network.PoPs {
		ours[p.Key] = true
	}
	var asns []bgp.ASN
	for _, n := range s.Store.Nets() {
		if n.ASN == r.Network.ASN {
			continue
		}
		for _, p := range s.Store.PoPs(n.ASN) {
			if ours[p.Key()] {
				asns = append(asns, n.ASN)
				break
			}
		}
	}
	results := make([]score.Result, len(asns))
	err := parallel(ctx, len(asns), progress, func(i int) {
		c, err := s.Profile(asns[i], 0)
		if err != nil {
			return // cannot happen: the ASN came from the store
		}
		results[i] = s.Score(r, c)
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(results, func(a, b score.Result) int {
		if c := cmp.Compare(b.Felicity, a.Felicity); c != 0 {
			return c
		}
		// The calibration ties the likeliest candidates (it is flat past
		// its last block); the model's raw score still orders them.
		if a.Likelihood != nil && b.Likelihood != nil {
			if c := cmp.Compare(b.Likelihood.RawScore, a.Likelihood.RawScore); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(b.Willingness, a.Willingness); c != 0 {
			return c
		}
		return cmp.Compare(a.Candidate.ASN, b.Candidate.ASN)
	})
	return results, nil
}

// Pairs scores every ordered pair (a, b), a ≠ b, of the networks in asns
// that are in the store, in the order a-major, b-minor. Networks missing
// from the store are returned in missing and left out.
func (s *Scorer) Pairs(ctx context.Context, asns []bgp.ASN, progress Progress) (results []score.Result, missing []bgp.ASN, err error) {
	var profiles []*score.Profile
	for _, asn := range asns {
		p, err := s.Profile(asn, 0)
		if err != nil {
			missing = append(missing, asn)
			continue
		}
		profiles = append(profiles, p)
	}
	type pair struct{ a, b int }
	var pairs []pair
	for a := range profiles {
		for b := range profiles {
			if a != b {
				pairs = append(pairs, pair{a, b})
			}
		}
	}
	results = make([]score.Result, len(pairs))
	err = parallel(ctx, len(pairs), progress, func(i int) {
		results[i] = s.Score(profiles[pairs[i].a], profiles[pairs[i].b])
	})
	return results, missing, err
}

// parallel runs f(0..n-1) on one worker per CPU, reporting progress from
// one goroutine at a time, and stops early when ctx is cancelled.
func parallel(ctx context.Context, n int, progress Progress, f func(i int)) error {
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
				if progress != nil {
					mu.Lock()
					done++
					progress(done, n)
					mu.Unlock()
				}
			}
		}()
	}
	var err error
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return err
}
