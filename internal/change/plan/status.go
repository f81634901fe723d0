package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
)

// StatusChange is a lifecycle status that differs between two states: a
// peer requested, drained, decommissioned, declined or removed, a router
// or an IXP put in or out of maintenance. From is "" for what the base
// does not have, To "" for what the head removes.
type StatusChange struct {
	Kind string        `json:"kind"` // "peer", "router" or "ixp"
	Name string        `json:"name"` // AS64501, the router's or the IXP's name
	From intent.Status `json:"from"`
	To   intent.Status `json:"to"`
	// Effect says what the change does on the routers, in a few words.
	Effect string `json:"effect"`
	// Warning is set when the change skips a step of the lifecycle (a
	// peer removed without being decommissioned first).
	Warning string `json:"warning,omitempty"`
}

// Line is the change in one line of text.
func (c StatusChange) Line() string {
	s := fmt.Sprintf("%s %s: %s -> %s (%s)", c.Kind, c.Name, orNone(c.From), orNone(c.To), c.Effect)
	if c.Warning != "" {
		s += "; " + c.Warning
	}
	return s
}

func orNone(s intent.Status) string {
	if s == "" {
		return "none"
	}
	return string(s)
}

// Statuses lists the lifecycle changes between base and head: peers
// first (by AS number), then routers, then IXPs (by name). A new peer
// file and a removed one count as changes too, so a reviewer sees every
// step; a removal that skipped decommissioning carries a warning.
func Statuses(base, head *intent.Repo) []StatusChange {
	pairs := map[bgp.ASN]*[2]*intent.Peer{}
	pair := func(asn bgp.ASN) *[2]*intent.Peer {
		if pairs[asn] == nil {
			pairs[asn] = &[2]*intent.Peer{}
		}
		return pairs[asn]
	}
	for _, p := range base.Peers {
		pair(p.ASN)[0] = p
	}
	for _, p := range head.Peers {
		pair(p.ASN)[1] = p
	}
	var out []StatusChange
	for _, asn := range slices.Sorted(maps.Keys(pairs)) {
		b, h := pairs[asn][0], pairs[asn][1]
		c := StatusChange{Kind: "peer", Name: asn.String()}
		switch {
		case h == nil:
			c.From, c.Effect = b.Status, "file removed: its configuration is removed"
			if b.Status.Renders() && b.Status != intent.StatusDecommissioning {
				c.Warning = "removed without status = \"decommissioning\" first: live sessions are torn down by the config removal instead of being shut down and checked"
			}
		case b != nil && b.Status == h.Status:
			continue
		default:
			if b != nil {
				c.From = b.Status
			}
			c.To, c.Effect = h.Status, peerEffect(h.Status)
		}
		out = append(out, c)
	}
	out = append(out, siteChanges("router", names(base.Routers, routerStatus), names(head.Routers, routerStatus))...)
	return append(out, siteChanges("ixp", names(base.IXPs, ixpStatus), names(head.IXPs, ixpStatus))...)
}

func routerStatus(r *intent.Router) (string, intent.Status) { return r.Name, r.Status }
func ixpStatus(x *intent.IXP) (string, intent.Status)       { return x.Name, x.Status }

func names[T any](items []T, f func(T) (string, intent.Status)) map[string]intent.Status {
	out := make(map[string]intent.Status, len(items))
	for _, it := range items {
		n, s := f(it)
		out[n] = s
	}
	return out
}

// siteChanges lists routers or IXPs whose maintenance status changes;
// one added or removed counts only when it is in maintenance (the
// management and router sections show the rest).
func siteChanges(kind string, base, head map[string]intent.Status) []StatusChange {
	var out []StatusChange
	for n, to := range head {
		from, ok := base[n]
		if (ok && from != to) || (!ok && to != intent.StatusActive) {
			out = append(out, StatusChange{Kind: kind, Name: n, From: from, To: to, Effect: siteEffect(to)})
		}
	}
	slices.SortFunc(out, func(a, b StatusChange) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func peerEffect(s intent.Status) string {
	switch s {
	case intent.StatusRequested:
		return "tracked and scored, nothing configured yet"
	case intent.StatusMaintenance:
		return "sessions drained: GRACEFUL_SHUTDOWN to the peer, local-pref 0"
	case intent.StatusDecommissioning:
		return "sessions shut down; remove the file once they are down"
	case intent.StatusDeclined:
		return "nothing configured; left out of suggest until retry_after"
	}
	return "sessions configured and expected up"
}

func siteEffect(s intent.Status) string {
	if s == intent.StatusMaintenance {
		return "every session drained: GRACEFUL_SHUTDOWN to the peers, local-pref 0"
	}
	return "sessions back to normal preference"
}
