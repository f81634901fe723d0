package pipeline

import (
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/decide/traffic"
)

// MeasuredDays is the window of measured traffic score, suggest and
// review use: a month, as transit is billed.
const MeasuredDays = 30

// MeasuredMoves is, per candidate, the transit traffic of the store's
// last MeasuredDays days that would move to a session with it (its own
// and that of the networks behind it). Nil when the repository's store
// holds no traffic: the figures stay modelled.
func MeasuredMoves(o Options, repo *intent.Repo, candidates []bgp.ASN) (*traffic.Report, error) {
	if repo == nil {
		return nil, nil
	}
	store := traffic.StoreOf(repo.Traffic, o.Dir)
	end, err := StoreEnd(store)
	if err != nil {
		return nil, err
	}
	rep, err := store.Moved(traffic.Period{From: end.AddDate(0, 0, -MeasuredDays), To: end}, []traffic.Class{traffic.Transit}, candidates)
	if err != nil || rep.Days == 0 {
		return nil, err
	}
	return &rep, nil
}

// ApplyMeasured puts the measured figures of rep into a result's
// economics; a candidate without a row moves nothing that was measured.
func ApplyMeasured(res *score.Result, rep *traffic.Report, econ score.Economics) {
	if rep == nil || res.Economics == nil {
		return
	}
	var row traffic.Row
	for _, r := range rep.Rows {
		if r.AS == res.Candidate.ASN {
			row = r
		}
	}
	res.Economics.UseMeasured(row.In.P95Mbps, row.Out.P95Mbps, rep.Days, econ)
}
