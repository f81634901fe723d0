package lab

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"

	"github.com/peerctl/peerctl/bgp"
)

// Topology is what a lab contains: IXP LANs, the routers peerctl manages,
// and the peers that announce crafted routes to them. Default returns the
// one that mirrors the example repository.
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

// Router is one of our routers: managed over SSH by peerctl.
type Router struct {
	Name     string // also the router's hostname
	Platform string // "frr" or "bird2"
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
	// IRR is what the peer's IRR data (route objects under its AS-SET)
	// covers: exactly these prefixes. Announcements outside it must be
	// filtered by our routers.
	IRR []netip.Prefix
	// RouteServer makes the peer a transparent route server (BIRD's
	// `rs client`): it does not put its own ASN in the AS path.
	RouteServer bool
	// GTSM (RFC 5082, TTL security) on the peer's sessions: our side
	// must enable it too, or the session cannot come up.
	GTSM bool
	// Password is the TCP MD5 password of the peer's sessions ("" none).
	Password string
}

// Announcement is a route a peer originates, optionally on behalf of other
// networks (Path is prepended, as a route server relays a member's route).
type Announcement struct {
	Prefix netip.Prefix
	Path   []bgp.ASN
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

// RPKIState is the RFC 6811 validation state of a route.
type RPKIState string

// Validation states.
const (
	RPKIValid    RPKIState = "valid"
	RPKIInvalid  RPKIState = "invalid"
	RPKINotFound RPKIState = "notfound"
)

// Validate returns the RFC 6811 state of prefix originated by origin
// against the topology's ROAs. Tests use it to compute what a correct
// filter must accept.
func (t Topology) Validate(prefix netip.Prefix, origin bgp.ASN) RPKIState {
	covered := false
	for _, r := range t.ROAs {
		if r.Prefix.Addr().Is4() != prefix.Addr().Is4() || r.Prefix.Bits() > prefix.Bits() ||
			!r.Prefix.Contains(prefix.Addr()) {
			continue
		}
		covered = true
		if r.ASN != 0 && r.ASN == origin && prefix.Bits() <= r.MaxLength {
			return RPKIValid
		}
	}
	if covered {
		return RPKIInvalid
	}
	return RPKINotFound
}

// Acceptable reports whether a correct import filter (IRR prefix list,
// RPKI invalid = reject) accepts the announcement from p, and why not.
func (t Topology) Acceptable(p Peer, an Announcement) (bool, string) {
	if !slices.Contains(p.IRR, an.Prefix) {
		return false, "outside IRR"
	}
	if t.Validate(an.Prefix, an.Origin(p)) == RPKIInvalid {
		return false, "RPKI invalid"
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
		if r.Platform != "frr" && r.Platform != "bird2" {
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
		if err := checkPorts(p.Name, p.Ports); err != nil {
			return err
		}
	}
	return nil
}

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func announce(ps []netip.Prefix, path ...bgp.ASN) []Announcement {
	out := make([]Announcement, len(ps))
	for i, p := range ps {
		out[i] = Announcement{Prefix: p, Path: path}
	}
	return out
}

var (
	a4 = netip.MustParseAddr
	p  = netip.MustParsePrefix
)

// LabMD5 is the TCP MD5 password of the lab's AS20940 sessions; the
// example repository reads it from PEERCTL_SECRET_AS20940.
const LabMD5 = "lab-md5-secret"

// Default is the lab that mirrors the example repository's lab
// environment: our AS64500 with lab-ams-edge1 (FRR) on DOC-IX-AMS and
// lab-fra-edge1 (BIRD) on DOC-IX-FRA, every peer of the example at the
// addresses the demo PeeringDB snapshot and the peer files give, and for
// the documentation-ASN peers a crafted set of announcements:
//
//   - alpha  AS64501, BIRD, both IXPs: valid routes plus RPKI-invalid ones
//     that are inside its IRR data (only RPKI can reject them).
//
//   - beta   AS64502, GoBGP, FRA: valid routes plus routes outside its IRR
//     data that have no ROA (only the IRR filter can reject them).
//
//   - gamma  AS64503, GoBGP, AMS: the same pattern as beta, towards FRR.
//
//   - delta  AS65537, BIRD, IPv6 only: 12 valid routes, more than a
//     max-prefix of 10. The demo snapshot has it at AMS only; the lab
//     also puts it on FRA, so that BIRD's import limit can be tested.
//
//   - rs     AS64510, BIRD route server on both IXPs, relaying one route of
//     member AS64520 without its own ASN in the path.
//
//   - cf     AS13335, he AS6939 (both IXPs) and akamai AS20940 (FRA, IPv4
//     only, TCP MD5 with LabMD5): the example's explicit-session peers;
//     cf and he announce one IPv6 prefix each.
//
//   - beta2  AS64502's second router on FRA (the snapshot lists two).
//
// alpha runs GTSM, as the example's peer file asks. Every peer is
// configured for its sessions with our routers from the start; the lab's
// routers start without BGP, so a session comes up once peerctl deploys a
// config that has it.
func Default() Topology {
	ams := LAN{Name: "ams", IXP: "DOC-IX-AMS", IPv4: p("192.0.2.0/25"), IPv6: p("2001:db8:ffff:1::/64"), RPKI: a4("192.0.2.126")}
	fra := LAN{Name: "fra", IXP: "DOC-IX-FRA", IPv4: p("192.0.2.128/25"), IPv6: p("2001:db8:ffff:2::/64"), RPKI: a4("192.0.2.254")}
	ours := mustPrefixes("198.51.100.0/24", "2001:db8:100::/48")

	alphaValid := mustPrefixes("203.0.113.0/26", "2001:db8:11::/48")
	alphaInvalid := mustPrefixes("203.0.113.64/26", "2001:db8:1f::/48")
	betaValid := mustPrefixes("203.0.113.128/27", "2001:db8:12::/48")
	betaOutside := mustPrefixes("203.0.113.160/27", "2001:db8:1e::/48")
	gammaValid := mustPrefixes("203.0.113.192/27", "2001:db8:13::/48")
	gammaOutside := mustPrefixes("203.0.113.224/27", "2001:db8:1d::/48")
	var delta []netip.Prefix
	for i := range 12 {
		delta = append(delta, netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0x37, byte(i)}), 48))
	}
	rsMember := mustPrefixes("2001:db8:20::/48")

	return Topology{
		LANs: []LAN{ams, fra},
		Routers: []Router{
			{Name: "lab-ams-edge1", Platform: "frr", ASN: 64500, RouterID: a4("192.0.2.1"),
				Ports:     []Port{{LAN: "ams", IPv4: a4("192.0.2.1"), IPv6: a4("2001:db8:ffff:1::1")}},
				Originate: ours},
			{Name: "lab-fra-edge1", Platform: "bird2", ASN: 64500, RouterID: a4("192.0.2.129"),
				Ports:     []Port{{LAN: "fra", IPv4: a4("192.0.2.129"), IPv6: a4("2001:db8:ffff:2::1")}},
				Originate: ours},
		},
		Peers: []Peer{
			{Name: "alpha", Daemon: "bird", ASN: 64501, RouterID: a4("192.0.2.11"),
				Ports: []Port{
					{LAN: "ams", IPv4: a4("192.0.2.11"), IPv6: a4("2001:db8:ffff:1::11")},
					{LAN: "fra", IPv4: a4("192.0.2.139"), IPv6: a4("2001:db8:ffff:2::11")},
				},
				Announce: announce(append(slices.Clone(alphaValid), alphaInvalid...)),
				IRR:      append(slices.Clone(alphaValid), alphaInvalid...),
				GTSM:     true},
			{Name: "beta", Daemon: "gobgp", ASN: 64502, RouterID: a4("192.0.2.140"),
				Ports:    []Port{{LAN: "fra", IPv4: a4("192.0.2.140"), IPv6: a4("2001:db8:ffff:2::12")}},
				Announce: announce(append(slices.Clone(betaValid), betaOutside...)),
				IRR:      betaValid},
			{Name: "gamma", Daemon: "gobgp", ASN: 64503, RouterID: a4("192.0.2.13"),
				Ports:    []Port{{LAN: "ams", IPv4: a4("192.0.2.13"), IPv6: a4("2001:db8:ffff:1::13")}},
				Announce: announce(append(slices.Clone(gammaValid), gammaOutside...)),
				IRR:      gammaValid},
			{Name: "delta", Daemon: "bird", ASN: 65537, RouterID: a4("192.0.2.37"),
				Ports: []Port{
					{LAN: "ams", IPv6: a4("2001:db8:ffff:1::37")},
					{LAN: "fra", IPv6: a4("2001:db8:ffff:2::37")},
				},
				Announce: announce(delta),
				IRR:      delta},
			{Name: "rs", Daemon: "bird", ASN: 64510, RouterID: a4("192.0.2.10"), RouteServer: true,
				Ports: []Port{
					{LAN: "ams", IPv4: a4("192.0.2.10"), IPv6: a4("2001:db8:ffff:1::10")},
					{LAN: "fra", IPv4: a4("192.0.2.138"), IPv6: a4("2001:db8:ffff:2::10")},
				},
				Announce: announce(rsMember, 64520),
				IRR:      rsMember},
			{Name: "beta2", Daemon: "gobgp", ASN: 64502, RouterID: a4("192.0.2.150"),
				Ports:    []Port{{LAN: "fra", IPv4: a4("192.0.2.150"), IPv6: a4("2001:db8:ffff:2::22")}},
				Announce: announce(betaValid),
				IRR:      betaValid},
			{Name: "cf", Daemon: "gobgp", ASN: 13335, RouterID: a4("192.0.2.40"),
				Ports:    []Port{{LAN: "ams", IPv4: a4("192.0.2.40"), IPv6: a4("2001:db8:ffff:1::40")}},
				Announce: announce(mustPrefixes("2001:db8:1000::/48")),
				IRR:      mustPrefixes("2001:db8:1000::/48")},
			{Name: "he", Daemon: "bird", ASN: 6939, RouterID: a4("192.0.2.41"),
				Ports: []Port{
					{LAN: "ams", IPv4: a4("192.0.2.41"), IPv6: a4("2001:db8:ffff:1::41")},
					{LAN: "fra", IPv4: a4("192.0.2.141"), IPv6: a4("2001:db8:ffff:2::41")},
				},
				Announce: announce(mustPrefixes("2001:db8:6939::/48")),
				IRR:      mustPrefixes("2001:db8:6939::/48")},
			{Name: "akamai", Daemon: "gobgp", ASN: 20940, RouterID: a4("192.0.2.142"),
				Ports:    []Port{{LAN: "fra", IPv4: a4("192.0.2.142")}},
				Password: LabMD5},
		},
		ROAs: []ROA{
			{p("198.51.100.0/24"), 24, 64500},
			{p("2001:db8:100::/48"), 48, 64500},
			{p("203.0.113.0/26"), 26, 64501},
			{p("2001:db8:11::/48"), 48, 64501},
			{p("203.0.113.64/26"), 26, 64999}, // alpha's routes here are invalid
			{p("2001:db8:1f::/48"), 48, 64999},
			{p("203.0.113.128/27"), 27, 64502},
			{p("2001:db8:12::/48"), 48, 64502},
			{p("203.0.113.192/27"), 27, 64503},
			{p("2001:db8:13::/48"), 48, 64503},
			{p("2001:db8:3700::/40"), 48, 65537},
			{p("2001:db8:20::/48"), 48, 64520},
		},
	}
}
