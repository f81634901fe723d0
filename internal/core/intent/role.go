package intent

import (
	"slices"
	"strings"

	"github.com/peerform/peerform/internal/core/platform"
)

// BGP roles (RFC 9234 §3.1), written as our own role on a peer's
// sessions. The router announces it in the BGP Role capability, refuses a
// neighbor whose role does not pair with it, and sets and checks the
// Only-to-Customer attribute by it.
const (
	RolePeer     = "peer"      // a lateral peer: the default for bilateral sessions
	RoleRSClient = "rs-client" // we are a client of the neighbor, a route server
	RoleCustomer = "customer"  // the neighbor is our transit provider
	RoleProvider = "provider"  // the neighbor is our customer
)

// Roles are the values a peer file may give role. "rs" (we are a route
// server) is not one: peerform runs the edge of a network, not a route
// server.
var Roles = []string{RolePeer, RoleRSClient, RoleCustomer, RoleProvider}

// RolePlatforms are the platforms peerform renders BGP roles on: BIRD
// (`local role`, since 2.0.11) and FRR (`neighbor … local-role`, since
// 8.4). Junos has roles from 25.2R1 only and IOS-XR, EOS, SR OS and the
// OpenConfig model behind the netconf platform have none: a role written
// for a peer with sessions on such a router is an error, and the default
// role is not rendered there.
var RolePlatforms = []platform.Name{platform.BIRD2, platform.FRR}

// role sets the peer's BGP role from its file, or the default that
// follows from route_server.
func (v *validator) role(r *rawPeer, p *Peer) {
	p.Role = RolePeer
	if p.RouteServer {
		p.Role = RoleRSClient
	}
	if r.RoleStrict != nil {
		p.RoleStrict = *r.RoleStrict
	}
	if r.Role == nil {
		return
	}
	switch role := *r.Role; {
	case !contains(Roles, role):
		v.errorf(r.RoleRange, "Invalid role", "role is our BGP role towards this peer (RFC 9234), one of %s.%s", strings.Join(Roles, ", "), didYouMean(role, Roles))
	case p.RouteServer && role != RoleRSClient:
		v.errorf(r.RoleRange, "Role does not fit a route server", "This peer is a route server (route_server = true), towards which we are an %q; role %q would make the route server refuse the session or drop our routes.", RoleRSClient, role)
	case !p.RouteServer && role == RoleRSClient:
		v.errorf(r.RoleRange, "Role needs a route server", "role %q says the neighbor is a route server; set route_server = true as well, so that its routes are filtered as a route server's.", role)
	default:
		p.Role = role
	}
}

// checkRolePlatforms reports peers whose file sets role or role_strict
// and which may have a session on a router whose platform cannot
// negotiate roles: the setting would be silently lost there.
func (v *validator) checkRolePlatforms(repo *Repo) {
	for _, p := range repo.Peers {
		rng := p.ranges["role"]
		if !written(rng) {
			rng = p.ranges["role_strict"]
		}
		if !written(rng) {
			continue
		}
		for _, rt := range repo.Routers {
			if slices.Contains(RolePlatforms, rt.Platform) || !mayHaveSession(p, rt) {
				continue
			}
			v.errorf(rng, "BGP role not supported",
				"Router %q (platform %s) may have a session with %s, but peerform renders BGP roles (RFC 9234) only for %s; limit the peer's ixps or sessions to other routers, or remove role and role_strict.",
				rt.Name, rt.Platform, p.ASN, strings.Join(names(RolePlatforms), " and "))
			break
		}
	}
}

// mayHaveSession reports whether rt can carry a session with p: a
// session block puts one there, or rt has a port at an IXP where the
// peer's sessions are derived (its ixps, or every IXP when it has none,
// less the IXPs its session blocks settle).
func mayHaveSession(p *Peer, rt *Router) bool {
	explicit := map[string]bool{}
	for _, s := range p.Sessions {
		explicit[s.IXP] = true
		if _, at := rt.PortAt(s.IXP); at && (s.Router == "" || s.Router == rt.Name) {
			return true
		}
	}
	for _, port := range rt.Ports {
		if !explicit[port.IXP] && (len(p.IXPs) == 0 || contains(p.IXPs, port.IXP)) {
			return true
		}
	}
	return false
}
