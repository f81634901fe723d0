// Package plan compares two renderings of a peering repository — before
// and after a change — router by router: what happens to each router's
// configuration (create, update, delete, nothing), which BGP sessions are
// added, removed or changed, and the unified diff of the config text.
//
// A Plan is data first: the human and the JSON output are printed from the
// same value, so they cannot disagree, and review builds its pull request
// comment from it too. The package does no I/O beyond writing the output it
// is asked for.
package plan

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/change/linediff"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/render"
)

// Action is what applying the change does to a router's configuration.
type Action int

const (
	NoOp   Action = iota // the rendered config is byte for byte the same
	Create               // the router is new
	Update               // the config changes
	Delete               // the router is gone
)

func (a Action) String() string {
	switch a {
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	default:
		return "no-op"
	}
}

// Symbol is the one-character marker of the human output.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Delete:
		return "-"
	default:
		return "="
	}
}

// MarshalText writes the action as its name in JSON.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Session identifies a BGP session the way plans compare them: by peer,
// IXP, family and neighbor address.
type Session struct {
	Name     string     `json:"name"` // the session's name in the config
	PeerASN  bgp.ASN    `json:"peer_asn"`
	Peer     string     `json:"peer"` // "AS64501 Name"
	IXP      string     `json:"ixp"`
	Family   string     `json:"family"` // "ipv4" or "ipv6"
	Neighbor netip.Addr `json:"neighbor"`
	// Changes says what changed, for a session present before and after:
	// "max-prefix 100 -> 200", "prefix list 2 -> 3 entries".
	Changes []string `json:"changes,omitempty"`
}

type sessionKey struct {
	asn      bgp.ASN
	ixp      string
	family   int
	neighbor netip.Addr
}

// Router is the plan for one router.
type Router struct {
	Router   string        `json:"router"`
	Platform platform.Name `json:"platform"`
	Action   Action        `json:"action"`
	Added    []Session     `json:"sessions_added"`
	Removed  []Session     `json:"sessions_removed"`
	Changed  []Session     `json:"sessions_changed"`
	// Diff is the unified diff from the old config to the new one; empty
	// for NoOp.
	Diff string `json:"diff"`
}

// Summary is the router's line in the plan: "2 sessions added, 1 changed".
func (r Router) Summary() string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	sessions := func(n int) string {
		if n == 1 {
			return "session"
		}
		return "sessions"
	}
	add(len(r.Added), sessions(len(r.Added))+" added")
	add(len(r.Removed), sessions(len(r.Removed))+" removed")
	add(len(r.Changed), sessions(len(r.Changed))+" changed")
	switch {
	case r.Action == NoOp:
		return "no changes"
	case len(parts) == 0:
		return "policy changed, no session changed"
	}
	return strings.Join(parts, ", ")
}

// Plan is the change between two renderings, router by router.
type Plan struct {
	Base    string   `json:"base"` // what the old state is, e.g. "HEAD~1 (3f2a9c1)"
	Head    string   `json:"head"` // e.g. "working tree"
	Routers []Router `json:"routers"`
	// BaseData and Data name the outside data each state was rendered
	// from (the base's and the head's), so that the plan can be
	// reproduced.
	BaseData []Source `json:"data_base"`
	Data     []Source `json:"data"`
	// DataChanges are the differences between the two, each with the
	// peers it affects.
	DataChanges []DataChange `json:"data_changes"`
	// Management lists the routers whose management settings change;
	// DeployPolicy the changes of the deploy block.
	Management   []RouterSettings `json:"management"`
	DeployPolicy []Setting        `json:"deploy_policy"`
	// Statuses are the lifecycle changes of peers, routers and IXPs.
	Statuses []StatusChange `json:"statuses"`
}

// Source is one outside data source and the version of it used.
type Source struct {
	Name    string `json:"name"`    // "PeeringDB", "IRR", "RPKI"
	Version string `json:"version"` // where from and how fresh
}

// Counts returns how many routers get each action.
func (p *Plan) Counts() map[Action]int {
	c := map[Action]int{}
	for _, r := range p.Routers {
		c[r.Action]++
	}
	return c
}

// Changed reports whether anything a deploy does changes: a router's
// config, how a router is reached, or the deploy policy.
func (p *Plan) Changed() bool {
	for _, r := range p.Routers {
		if r.Action != NoOp {
			return true
		}
	}
	return len(p.Management) > 0 || len(p.DeployPolicy) > 0
}

// Compute compares the rendered configs of the old state (base) with the
// new one (head). Routers are matched by name and listed in name order.
func Compute(base, head []render.Output, baseLabel, headLabel string) *Plan {
	p := &Plan{Base: baseLabel, Head: headLabel, Routers: []Router{}}
	old := map[string]render.Output{}
	for _, o := range base {
		old[o.Router] = o
	}
	var names []string
	seen := map[string]bool{}
	for _, o := range append(slices.Clone(base), head...) {
		if !seen[o.Router] {
			seen[o.Router] = true
			names = append(names, o.Router)
		}
	}
	sort.Strings(names)
	now := map[string]render.Output{}
	for _, o := range head {
		now[o.Router] = o
	}
	for _, name := range names {
		b, inBase := old[name]
		h, inHead := now[name]
		r := Router{Router: name, Added: []Session{}, Removed: []Session{}, Changed: []Session{}}
		switch {
		case !inBase:
			r.Action, r.Platform = Create, h.Platform
		case !inHead:
			r.Action, r.Platform = Delete, b.Platform
		case bytes.Equal(b.Config, h.Config):
			r.Action, r.Platform = NoOp, h.Platform
		default:
			r.Action, r.Platform = Update, h.Platform
		}
		// A rendering without its view (read back from elsewhere) has
		// no sessions to compare; the diff still shows everything.
		if r.Action != NoOp && (!inBase || b.View != nil) && (!inHead || h.View != nil) {
			r.Added, r.Removed, r.Changed = compareSessions(b.View, h.View)
		}
		if r.Action != NoOp {
			r.Diff = linediff.Unified("a/"+name+".conf", "b/"+name+".conf", string(b.Config), string(h.Config))
		}
		p.Routers = append(p.Routers, r)
	}
	return p
}

func sessionsOf(v *render.View) map[sessionKey]*render.Session {
	out := map[sessionKey]*render.Session{}
	if v == nil {
		return out
	}
	for _, s := range v.Sessions {
		out[sessionKey{bgp.ASN(s.Peer.ASN), s.IXP, s.Family, s.Neighbor}] = s
	}
	return out
}

func describe(s *render.Session) Session {
	return Session{Name: s.Name, PeerASN: bgp.ASN(s.Peer.ASN), Peer: s.Peer.Label, IXP: s.IXP, Family: s.AFI, Neighbor: s.Neighbor}
}

func compareSessions(base, head *render.View) (added, removed, changed []Session) {
	added, removed, changed = []Session{}, []Session{}, []Session{}
	old, now := sessionsOf(base), sessionsOf(head)
	for k, s := range now {
		o, ok := old[k]
		switch {
		case !ok:
			added = append(added, describe(s))
		default:
			if diffs := sessionChanges(o, s); len(diffs) > 0 {
				d := describe(s)
				d.Changes = diffs
				changed = append(changed, d)
			}
		}
	}
	for k, s := range old {
		if _, ok := now[k]; !ok {
			removed = append(removed, describe(s))
		}
	}
	for _, l := range [][]Session{added, removed, changed} {
		sort.Slice(l, func(i, j int) bool { return sessionLess(l[i], l[j]) })
	}
	return added, removed, changed
}

func sessionLess(a, b Session) bool {
	switch {
	case a.PeerASN != b.PeerASN:
		return a.PeerASN < b.PeerASN
	case a.IXP != b.IXP:
		return a.IXP < b.IXP
	case a.Family != b.Family:
		return a.Family < b.Family
	}
	return a.Neighbor.Less(b.Neighbor)
}

// sessionChanges lists what differs between the old and the new version
// of one session, in words a reviewer checks quickly.
func sessionChanges(o, n *render.Session) []string {
	var out []string
	diff := func(what string, a, b any) {
		if a != b {
			out = append(out, fmt.Sprintf("%s %v -> %v", what, a, b))
		}
	}
	toggle := func(what string, a, b bool) {
		if a != b {
			state := "off"
			if b {
				state = "on"
			}
			out = append(out, what+" "+state)
		}
	}
	diff("name", o.Name, n.Name)
	diff("peer name", o.Peer.Name, n.Peer.Name)
	diff("max-prefix", o.MaxPrefix, n.MaxPrefix)
	diff("local-pref", o.LocalPref, n.LocalPref)
	diff("local address", o.Local, n.Local)
	diff("IXP community", o.Community, n.Community)
	diff("import", o.Peer.Import, n.Peer.Import)
	toggle("GTSM", o.Peer.GTSM, n.Peer.GTSM)
	toggle("BFD", o.Peer.BFD, n.Peer.BFD)
	toggle("graceful shutdown", o.Drain, n.Drain)
	toggle("administrative shutdown", o.Disabled, n.Disabled)
	toggle("route server", o.Peer.RouteServer, n.Peer.RouteServer)
	switch {
	case o.Peer.Password == "" && n.Peer.Password != "":
		out = append(out, "MD5 password added")
	case o.Peer.Password != "" && n.Peer.Password == "":
		out = append(out, "MD5 password removed")
	case o.Peer.Password != n.Peer.Password:
		out = append(out, "MD5 password from another secret")
	}
	switch of, nf := o.Filter, n.Filter; {
	case !of.DenyAll && nf.DenyAll:
		out = append(out, fmt.Sprintf("deny-all: no IRR prefixes (IRR %s)", n.Peer.IRR))
	case of.DenyAll && !nf.DenyAll:
		out = append(out, fmt.Sprintf("IRR prefixes again: %d entries", len(nf.Ranges)))
	case !slices.Equal(of.Ranges, nf.Ranges):
		out = append(out, fmt.Sprintf("prefix list %d -> %d entries", len(of.Ranges), len(nf.Ranges)))
	}
	return out
}
