package lab

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// Topology is what a lab contains: IXP LANs, the routers peerform manages,
// and the peers that announce routes to them. Example builds the one that
// mirrors the example repository, from its data files.
type Topology struct {
	LANs    []LAN
	Routers []Router
	Peers   []Peer
	// ROAs are served by the lab's RPKI cache.
	ROAs []ROA
}

// LAN is one IXP peering LAN, a bridge in the lab's ixp namespace.
type LAN struct {
	Name string // short, [a-z0-9]: used in interface names
	IXP  string // the IXP's name in the peering repository
	IPv4 netip.Prefix
	IPv6 netip.Prefix
	// RPKI is the address of the RPKI cache (stayrtr, port 8282) on this LAN.
	RPKI netip.Addr
}

// Port is a node's interface on a LAN. A zero address means the node does
// not speak that family there.
type Port struct {
	LAN  string
	IPv4 netip.Addr
	IPv6 netip.Addr
}

// Router is one of our routers: managed over SSH by peerform.
type Router struct {
	Name     string        // also the router's hostname
	Platform platform.Name // FRR or BIRD2
	ASN      bgp.ASN
	RouterID netip.Addr
	Ports    []Port
	// Originate are our prefixes; the lab installs a blackhole route for
	// each on FRR routers, so that a rendered `network` statement can
	// announce them (BIRD configs carry their own static protocol).
	Originate []netip.Prefix
}

// Peer is a neighbor network in the lab: it is configured with a session
// to every router that shares a LAN with it, per family, from the start,
// and announces its routes once the session is up.
type Peer struct {
	Name     string // short, [a-z0-9]
	Daemon   string // "bird" or "gobgp"
	ASN      bgp.ASN
	RouterID netip.Addr
	Ports    []Port
	Announce []Announcement
	// Import is the AS-SET (or AS) our routers build the peer's prefix
	// list from, as the peer's file in the peering repository says.
	Import string
	// IRR is what Import expands to in the IRR data: exactly these
	// prefixes (route and route6 objects of its member ASNs). Routes
	// outside it must be filtered by our routers; none at all means the
	// peer has no IRR data and every route from it is rejected.
	IRR []netip.Prefix
	// RouteServer makes the peer a transparent route server (BIRD's
	// `rs client`): it does not put its own ASN in the AS path.
	RouteServer bool
	// GTSM (RFC 5082, TTL security) on the peer's sessions: our side
	// must enable it too, or the session cannot come up.
	GTSM bool
	// Password is the TCP MD5 password of the peer's sessions ("" none).
	Password string
	// Role is the peer's own BGP role (RFC 9234) in BIRD's words
	// ("peer", "customer", "provider", "rs_server", "rs_client"); ""
	// announces none. RoleStrict makes the peer require ours.
	Role       string
	RoleStrict bool
}

// Announcement is a route a peer originates, optionally on behalf of other
// networks (Path is prepended, as a route server relays a member's route).
type Announcement struct {
	Prefix netip.Prefix
	Path   []bgp.ASN
	// OTC, when set, sends the route with the Only-to-Customer
	// attribute (RFC 9234) holding this AS: a route some network marked
	// for its customers only, which a peer leaks to us.
	OTC bgp.ASN
}

// Origin is the AS that originates the announcement when sent by p.
func (an Announcement) Origin(p Peer) bgp.ASN {
	if len(an.Path) > 0 {
		return an.Path[len(an.Path)-1]
	}
	return p.ASN
}

// ROA is one validated ROA payload served by the lab's RPKI cache.
type ROA struct {
	Prefix    netip.Prefix
	MaxLength int
	ASN       bgp.ASN
}

// Validate returns the RFC 6811 state of prefix originated by origin
// against the topology's ROAs. Tests use it to compute what a correct
// filter must accept: it is written apart from the rpki package's table,
// so that the two check each other.
func (t Topology) Validate(prefix netip.Prefix, origin bgp.ASN) rpki.State {
	covered := false
	for _, r := range t.ROAs {
		if r.Prefix.Addr().Is4() != prefix.Addr().Is4() || r.Prefix.Bits() > prefix.Bits() ||
			!r.Prefix.Contains(prefix.Addr()) {
			continue
		}
		covered = true
		if r.ASN != 0 && r.ASN == origin && prefix.Bits() <= r.MaxLength {
			return rpki.Valid
		}
	}
	if covered {
		return rpki.Invalid
	}
	return rpki.NotFound
}

// Why a correct import filter rejects a route (Acceptable).
const (
	RejectNoIRR       = "no IRR data"  // the peer's AS-SET has no prefixes: deny-all
	RejectNotInIRR    = "not in IRR"   // the prefix is not registered under the peer's AS-SET
	RejectRPKIInvalid = "RPKI-invalid" // a ROA covers the prefix, none for its origin
	// RejectOTCLeak: the route carries an Only-to-Customer attribute of
	// another AS than the peer's, so the peer leaked it (RFC 9234 §5;
	// our routers take the role "peer" towards every peer but a route
	// server, and the router itself drops such routes).
	RejectOTCLeak = "OTC leak"
)

// Acceptable reports whether a correct import filter (IRR prefix list,
// deny-all without IRR data, RPKI invalid = reject, OTC leaks) accepts the
// announcement from p, and if not, which of the Reject reasons applies.
// It looks only at the topology's IRR data and ROAs, which Example reads
// from the same files the renderer uses, so a test can hold the routers
// to it.
func (t Topology) Acceptable(p Peer, an Announcement) (bool, string) {
	switch {
	case len(p.IRR) == 0:
		return false, RejectNoIRR
	case !slices.Contains(p.IRR, an.Prefix):
		return false, RejectNotInIRR
	case t.Validate(an.Prefix, an.Origin(p)) == rpki.Invalid:
		return false, RejectRPKIInvalid
	case an.OTC != 0 && an.OTC != p.ASN && !p.RouteServer:
		return false, RejectOTCLeak
	}
	return true, ""
}

// Router returns the router with that name.
func (t Topology) Router(name string) (Router, bool) {
	i := slices.IndexFunc(t.Routers, func(r Router) bool { return r.Name == name })
	if i < 0 {
		return Router{}, false
	}
	return t.Routers[i], true
}

// Peer returns the peer with that name.
func (t Topology) Peer(name string) (Peer, bool) {
	i := slices.IndexFunc(t.Peers, func(p Peer) bool { return p.Name == name })
	if i < 0 {
		return Peer{}, false
	}
	return t.Peers[i], true
}

// LAN returns the LAN with that name.
func (t Topology) LAN(name string) (LAN, bool) {
	i := slices.IndexFunc(t.LANs, func(l LAN) bool { return l.Name == name })
	if i < 0 {
		return LAN{}, false
	}
	return t.LANs[i], true
}

// Link is one BGP session the topology implies: a peer and one of our
// routers on a shared LAN, in one family.
type Link struct {
	Router   string
	Peer     string
	LAN      string
	Family   bgp.Family
	Local    netip.Addr // the router's address
	Neighbor netip.Addr // the peer's address
	PeerASN  bgp.ASN
}

// Links lists every session the peers are configured for, in topology order.
func (t Topology) Links() []Link {
	var out []Link
	for _, p := range t.Peers {
		for _, pp := range p.Ports {
			for _, r := range t.Routers {
				for _, rp := range r.Ports {
					if rp.LAN != pp.LAN {
						continue
					}
					if rp.IPv4.IsValid() && pp.IPv4.IsValid() {
						out = append(out, Link{r.Name, p.Name, rp.LAN, bgp.IPv4, rp.IPv4, pp.IPv4, p.ASN})
					}
					if rp.IPv6.IsValid() && pp.IPv6.IsValid() {
						out = append(out, Link{r.Name, p.Name, rp.LAN, bgp.IPv6, rp.IPv6, pp.IPv6, p.ASN})
					}
				}
			}
		}
	}
	return out
}

var shortName = regexp.MustCompile(`^[a-z][a-z0-9]{0,7}$`)
var hostName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

// Check rejects topologies the lab cannot build: bad names, addresses
// outside their LAN, unknown LANs or daemons.
func (t Topology) Check() error {
	if len(t.LANs) == 0 || len(t.Routers) == 0 {
		return fmt.Errorf("topology: needs at least one LAN and one router")
	}
	lans := map[string]LAN{}
	for _, l := range t.LANs {
		if !shortName.MatchString(l.Name) {
			return fmt.Errorf("topology: LAN name %q must match %s", l.Name, shortName)
		}
		if !l.IPv4.IsValid() || !l.IPv6.IsValid() || !l.IPv4.Contains(l.RPKI) {
			return fmt.Errorf("topology: LAN %s needs an IPv4 and IPv6 prefix and an RPKI address inside the IPv4 one", l.Name)
		}
		lans[l.Name] = l
	}
	names := map[string]bool{"ixp": true}
	checkPorts := func(node string, ports []Port) error {
		if len(ports) == 0 {
			return fmt.Errorf("topology: %s has no port", node)
		}
		for _, p := range ports {
			l, ok := lans[p.LAN]
			if !ok {
				return fmt.Errorf("topology: %s: unknown LAN %q", node, p.LAN)
			}
			if (p.IPv4.IsValid() && !l.IPv4.Contains(p.IPv4)) || (p.IPv6.IsValid() && !l.IPv6.Contains(p.IPv6)) {
				return fmt.Errorf("topology: %s: address outside LAN %s", node, l.Name)
			}
		}
		return nil
	}
	for _, r := range t.Routers {
		if !hostName.MatchString(r.Name) || names[r.Name] {
			return fmt.Errorf("topology: router name %q is invalid or used twice", r.Name)
		}
		names[r.Name] = true
		if r.Platform != platform.FRR && r.Platform != platform.BIRD2 {
			return fmt.Errorf("topology: router %s: platform %q is not frr or bird2", r.Name, r.Platform)
		}
		if err := checkPorts(r.Name, r.Ports); err != nil {
			return err
		}
	}
	for _, p := range t.Peers {
		if !shortName.MatchString(p.Name) || names[p.Name] {
			return fmt.Errorf("topology: peer name %q is invalid or used twice", p.Name)
		}
		names[p.Name] = true
		if p.Daemon != "bird" && p.Daemon != "gobgp" {
			return fmt.Errorf("topology: peer %s: daemon %q is not bird or gobgp", p.Name, p.Daemon)
		}
		if p.RouteServer && p.Daemon != "bird" {
			return fmt.Errorf("topology: peer %s: only a bird peer can be a route server", p.Name)
		}
		if (p.Role != "" || p.RoleStrict || slices.ContainsFunc(p.Announce, func(a Announcement) bool { return a.OTC != 0 })) && p.Daemon != "bird" {
			return fmt.Errorf("topology: peer %s: only a bird peer has BGP roles and sends the OTC attribute", p.Name)
		}
		if !slices.Contains([]string{"", "peer", "customer", "provider", "rs_server", "rs_client"}, p.Role) {
			return fmt.Errorf("topology: peer %s: unknown BGP role %q", p.Name, p.Role)
		}
		if err := checkPorts(p.Name, p.Ports); err != nil {
			return err
		}
	}
	return nil
}
