package model

import (
	"net/netip"
	"time"

	"github.com/peerform/peerform/internal/change/secret"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/platform"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// Model is the resolved configuration of every router. Slices are sorted
// (routers by name, peers by ASN, sessions by peer, IXP, family, address)
// so that rendering is deterministic.
type Model struct {
	Network intent.Network
	Filters intent.Filters
	Routers []*Router
	Peers   []*Peer
	// Data records the versions of the outside data used, so that a plan
	// can be reproduced and reviewers see how fresh it was.
	Data DataVersions
	// NeverViaRouteServers are the networks PeeringDB flags as reachable
	// over direct sessions only (info_never_via_route_servers), sorted:
	// a route from a route server with one of them in its AS path is
	// rejected.
	NeverViaRouteServers []bgp.ASN
	// ASPAs are the RPKI ASPAs the model was built with (nil: none); no
	// template uses them yet, check verifies accepted paths with them.
	ASPAs *rpki.ASPAs
}

// Router returns the router named name, or nil.
func (m *Model) Router(name string) *Router {
	for _, r := range m.Routers {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// Peer returns the resolved peer with the given ASN, or nil.
func (m *Model) Peer(asn bgp.ASN) *Peer {
	for _, p := range m.Peers {
		if p.ASN == asn {
			return p
		}
	}
	return nil
}

// DataVersions says which outside data a model was built from.
type DataVersions struct {
	PeeringDB, IRR, RPKI DataSource
	// IXF is the IXPs' IX-F member exports the policies name, together.
	IXF DataSource
}

// Sources lists the sources in a fixed order: PeeringDB, IRR, RPKI, IX-F.
func (d DataVersions) Sources() []DataSource {
	return []DataSource{d.PeeringDB, d.IRR, d.RPKI, d.IXF}
}

// DataSource describes one outside data source as a model used it.
type DataSource struct {
	// Kind is "PeeringDB", "IRR", "RPKI" or "IX-F".
	Kind string
	// Name says where the data came from ("snapshot
	// data/irr/example.rpsl (RIPE,ARIN)", "rr.ntt.net:43", "none
	// (offline)"); empty when there was none.
	Name   string
	Time   time.Time // when the data was produced; zero if unknown
	Serial uint32    // RPKI serial, when known
	// Files are the repository files the data was read from; empty for
	// live data.
	Files []string
	// Digest identifies the data together with the settings that shape
	// it: two models whose sources have equal digests used the same data.
	// Empty when unknown.
	Digest string
	// Live is set for data fetched from outside the repository (an API,
	// IRR servers, a cache), which a plan fetches once for both states.
	Live bool
	// Counts says how much the data held, e.g. {"route objects", 43}.
	Counts []Count
}

// Count is a number of things in a data source.
type Count struct {
	What string
	N    int
}

// Provenance says where a value came from (intent, PeeringDB, policy,
// default), precisely enough for a reviewer to check it.
type Provenance = peeringdb.Provenance

// Router is one of our routers with everything it must be configured with.
type Router struct {
	Name        string
	Platform    platform.Name
	Environment string
	RouterID    netip.Addr // zero: the platform picks
	Ports       []Port
	Sessions    []*Session
	// RTR lists the RPKI caches (host:port) the router itself validates
	// against; empty when policy gives none.
	RTR []string
	// Intent is the router as written, for its management settings.
	Intent *intent.Router
}

// Port is a router's connection to an IXP LAN.
type Port struct {
	IXP       string
	Community int // informational large community id of the IXP (0: none)
	IPv4      netip.Addr
	IPv6      netip.Addr
}

// Session is one BGP session of one of our routers with one peer address.
type Session struct {
	Peer     *Peer
	IXP      string
	Family   bgp.Family
	Neighbor netip.Addr
	Local    netip.Addr // our address on the IXP LAN
	// MaxPrefix is the limit for the session's family.
	MaxPrefix int
	// Provenance says whether the address was written in the peer file
	// or derived from PeeringDB (and from which netixlan row) or from the
	// exchange's IX-F export (which file, line and export time).
	Provenance Provenance
	// Drain is RFC 8326 graceful shutdown of this session: the peer,
	// the router or the IXP is in maintenance (or the peer file says
	// shutdown = true).
	Drain bool
	// Disabled is an administrative shutdown: the peer is being
	// decommissioned and the session is meant to be down.
	Disabled bool
}

// IRRState says what the IRR expansion of a peer's import yielded.
type IRRState string

const (
	IRROK      IRRState = "ok"
	IRREmpty   IRRState = "empty"   // the expansion was empty: deny-all
	IRRFailed  IRRState = "failed"  // the expansion failed: deny-all
	IRRMissing IRRState = "missing" // no IRR data was provided: deny-all
)

// Prefix is one prefix a peer may announce, with its RPKI state.
type Prefix struct {
	Prefix netip.Prefix
	// Origin is the AS that registered the route object (when known).
	Origin bgp.ASN
	// RPKI is its origin validation state; NotFound when no VRPs were
	// available (Data.RPKI says whether they were).
	RPKI rpki.State
}

// Peer is a peer with everything resolved: its filters and limits.
type Peer struct {
	ASN         bgp.ASN
	Name        string
	Description string
	Import      bgp.ObjectRef
	Export      bgp.ObjectRef

	// IRR is the state of the import expansion; when it is not IRROK the
	// prefix lists are empty and the peer is denied everything (never
	// accepted everything).
	IRR      IRRState
	IRRWhy   string
	Prefixes map[bgp.Family][]Prefix // sorted, aggregated
	ASNs     []bgp.ASN               // member ASNs of the import set

	MaxPrefix   map[bgp.Family]peeringdb.MaxPrefixLimit
	LocalPref   int
	GTSM        bool
	BFD         bool
	Shutdown    bool // graceful shutdown everywhere: shutdown = true or status maintenance
	RouteServer bool
	// Status is the peer file's lifecycle status; requested and declined
	// peers have no sessions.
	Status intent.Status
	// Role is our BGP role on the sessions (RFC 9234, intent.Roles);
	// RoleStrict refuses a neighbor that announces none.
	Role       string
	RoleStrict bool
	// MD5 names the secret holding the session password; the value is
	// never part of the model (see SecretPlaceholder).
	MD5 *intent.SecretRef

	Intent *intent.Peer
}

// SecretPlaceholder is what a rendered config holds in place of a secret.
// deploy replaces it with the value from the environment right before a
// push, so secrets never appear in plans, diffs or review comments. The
// token is plain letters, digits and '-', which every platform accepts
// unquoted and quoted alike.
func SecretPlaceholder(s intent.SecretRef) string {
	return secret.Placeholder(s.Name)
}
