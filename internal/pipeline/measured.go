package pipeline

import (
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/decide/traffic"
)

// MeasuredDays is the window of measured traffic score, suggest and
// review use: a month, as transit is billed.
const MeasuredDays = 30

// Measured is the transit traffic of the store's last MeasuredDays days
// that would move to each candidate, as 5-minute samples: over all transit
// links, and per priced transit provider with that provider's other
// traffic, for its bill with and without the candidate.
type Measured struct {
	Days int
	// Moved is each candidate's transit traffic that would move (its own
	// and that of the networks behind it); Rows its per-direction 95th
	// percentiles.
	Moved  map[bgp.ASN]billing.Traffic
	Rows   map[bgp.ASN]traffic.Row
	routes map[bgp.ASN][]billing.Route
}

// MeasuredMoves reads the repository's traffic store for the candidates.
// Nil when the store holds no traffic: the figures stay modelled.
func MeasuredMoves(o Options, repo *intent.Repo, candidates []bgp.ASN) (*Measured, error) {
	if repo == nil {
		return nil, nil
	}
	store := traffic.StoreOf(repo.Traffic, o.Dir)
	end, err := StoreEnd(store)
	if err != nil {
		return nil, err
	}
	period := traffic.Period{From: end.AddDate(0, 0, -MeasuredDays), To: end}
	transit := []traffic.Class{traffic.Transit}
	all, err := store.Moved(period, traffic.Filter{Classes: transit}, candidates)
	if err != nil || all.Days == 0 {
		return nil, err
	}
	m := &Measured{Days: all.Days, Moved: map[bgp.ASN]billing.Traffic{}, Rows: map[bgp.ASN]traffic.Row{}, routes: map[bgp.ASN][]billing.Route{}}
	moving := make([]bgp.ASN, 0, len(all.Rows))
	for _, r := range all.Rows {
		m.Moved[r.AS], m.Rows[r.AS] = samples(r), r
		moving = append(moving, r.AS)
	}
	if len(moving) == 0 {
		return m, nil
	}
	// A provider with an AS bills the transit links to it; the one
	// without bills the transit links to every AS no other names.
	var named []bgp.ASN
	for _, p := range repo.Economics.Transit {
		if p.ASN != 0 {
			named = append(named, p.ASN)
		}
	}
	for _, p := range repo.Economics.Transit {
		flt := traffic.Filter{Classes: transit, ExceptNeighbors: named}
		if p.ASN != 0 {
			flt = traffic.Filter{Classes: transit, Neighbors: []bgp.ASN{p.ASN}}
		}
		total, err := store.Total(period, flt)
		if err != nil {
			return nil, err
		}
		if len(total.Rows) == 0 {
			continue // nothing crossed this provider
		}
		sum := samples(total.Rows[0])
		moved, err := store.Moved(period, flt, moving)
		if err != nil {
			return nil, err
		}
		for _, r := range moved.Rows {
			mv := samples(r)
			m.routes[r.AS] = append(m.routes[r.AS], billing.Route{Provider: p, Moved: mv, Rest: sum.Add(mv, -1)})
		}
	}
	return m, nil
}

func samples(r traffic.Row) billing.Traffic {
	return billing.Traffic{In: r.In.Samples, Out: r.Out.Samples}
}

// ApplyMeasured puts the measured figures of m into a result's
// economics; a candidate without traffic moves nothing that was measured,
// and its break-even is priced with the main provider.
func ApplyMeasured(res *score.Result, m *Measured, prices billing.Prices) {
	if m == nil || res.Economics == nil {
		return
	}
	asn := res.Candidate.ASN
	routes := m.routes[asn]
	if len(routes) == 0 && len(prices.Transit) > 0 {
		routes = []billing.Route{{Provider: prices.Transit[0], Moved: billing.Flat(0, 0)}}
	}
	res.Economics.UseMeasured(routes, m.Moved[asn], m.Days, prices, asn)
}
