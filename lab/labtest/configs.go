package labtest

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/lab"
)

// Session is one peering a test config sets up: every session the
// topology has between the router and the peer, in each family.
type Session struct {
	Peer string // a peer of the topology
	// ASN overrides the peer's AS number in the config: a wrong one
	// makes a session that cannot come up.
	ASN bgp.ASN
	// MaxPrefix limits the routes accepted per family; 0 means none.
	MaxPrefix map[bgp.Family]int
	// MaxPrefixAction is what the router does past the limit:
	// "shutdown" (default), "restart" or "warn".
	MaxPrefixAction string
}

// Neighbor is one configured neighbor of a router, derived from a Session.
type Neighbor struct {
	lab.Link
	ASN             bgp.ASN // as configured (Link.PeerASN is the real one)
	MaxPrefix       map[bgp.Family]int
	MaxPrefixAction string
	Index           int // 1-based; BIRD protocol names use it
}

// Neighbors expands sessions into the router's neighbors.
func Neighbors(topo lab.Topology, router string, sessions []Session) []Neighbor {
	var out []Neighbor
	for _, s := range sessions {
		for _, ln := range lab.LinksOf(topo.Links(), router, s.Peer, 0) {
			asn := s.ASN
			if asn == 0 {
				asn = ln.PeerASN
			}
			out = append(out, Neighbor{Link: ln, ASN: asn, MaxPrefix: s.MaxPrefix, MaxPrefixAction: s.MaxPrefixAction, Index: len(out) + 1})
		}
	}
	return out
}

// IRR is the prefix list a peering tool builds from a peer's IRR data.
func irrOf(topo lab.Topology, peer string, fam bgp.Family) []netip.Prefix {
	p, _ := topo.Peer(peer)
	var out []netip.Prefix
	for _, pfx := range p.IRR {
		if bgp.FamilyOf(pfx.Addr()) == fam {
			out = append(out, pfx)
		}
	}
	return out
}

func afi(f bgp.Family) string {
	if f == bgp.IPv6 {
		return "ipv6"
	}
	return "ip"
}

// FRRConfig writes the managed part of an FRR config the way a peering
// tool renders it, in FRR's own form (with connect retry timers short
// enough for tests): IRR prefix lists per peer and
// family, import route-maps that reject RPKI-invalid routes and anything
// outside the prefix list, an export route-map for our prefixes, one
// neighbor per session with max-prefix, and the RPKI cache of each LAN.
func FRRConfig(topo lab.Topology, router string, sessions []Session) string {
	r, _ := topo.Router(router)
	nbrs := Neighbors(topo, router, sessions)
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	lists := map[string]bool{}
	for _, fam := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
		for _, n := range nbrs {
			name := fmt.Sprintf("PL-%s-V%d", n.PeerASN, fam)
			if n.Family != fam || lists[name] {
				continue
			}
			lists[name] = true
			irr := irrOf(topo, n.Peer, fam)
			if len(irr) == 0 {
				w("%s prefix-list %s seq 5 deny any", afi(fam), name)
			}
			for i, pfx := range irr {
				w("%s prefix-list %s seq %d permit %s", afi(fam), name, 5*(i+1), pfx)
			}
		}
		i := 0
		for _, pfx := range r.Originate {
			if bgp.FamilyOf(pfx.Addr()) == fam {
				i++
				w("%s prefix-list PL-OURS-V%d seq %d permit %s", afi(fam), fam, 5*i, pfx)
			}
		}
	}
	maps := map[string]bool{}
	for _, n := range nbrs {
		name := fmt.Sprintf("RM-%s-V%d-IN", n.PeerASN, n.Family)
		if maps[name] {
			continue
		}
		maps[name] = true
		w("route-map %s deny 10\n match rpki invalid\nexit", name)
		w("route-map %s permit 20\n match %s address prefix-list PL-%s-V%d\nexit", name, afi(n.Family), n.PeerASN, n.Family)
	}
	for _, fam := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
		w("route-map RM-OURS-V%d-OUT permit 10\n match %s address prefix-list PL-OURS-V%d\nexit", fam, afi(fam), fam)
	}
	w("router bgp %d", uint32(r.ASN))
	w(" bgp router-id %s", r.RouterID)
	w(" no bgp default ipv4-unicast")
	for _, n := range nbrs {
		w(" neighbor %s remote-as %d", n.Neighbor, uint32(n.ASN))
		w(" neighbor %s description %s %s", n.Neighbor, n.PeerASN, n.Peer)
		// Retry within seconds, not FRR's default two minutes: a lab
		// peer that was just removed may refuse the first attempt.
		w(" neighbor %s timers connect 3", n.Neighbor)
		p, _ := topo.Peer(n.Peer)
		if p.Password != "" {
			w(" neighbor %s password %s", n.Neighbor, p.Password)
		}
		if p.GTSM {
			w(" neighbor %s ttl-security hops 1", n.Neighbor)
		}
	}
	for _, fam := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
		w(" address-family %s unicast", fam)
		for _, pfx := range r.Originate {
			if bgp.FamilyOf(pfx.Addr()) == fam {
				w("  network %s", pfx)
			}
		}
		for _, n := range nbrs {
			if n.Family != fam {
				continue
			}
			w("  neighbor %s activate", n.Neighbor)
			if max := n.MaxPrefix[fam]; max > 0 {
				switch n.MaxPrefixAction {
				case "restart":
					w("  neighbor %s maximum-prefix %d restart 1", n.Neighbor, max)
				case "warn":
					w("  neighbor %s maximum-prefix %d warning-only", n.Neighbor, max)
				default:
					w("  neighbor %s maximum-prefix %d", n.Neighbor, max)
				}
			}
			w("  neighbor %s route-map RM-%s-V%d-IN in", n.Neighbor, n.PeerASN, fam)
			w("  neighbor %s route-map RM-OURS-V%d-OUT out", n.Neighbor, fam)
		}
		w(" exit-address-family")
	}
	w("exit")
	w("rpki")
	w(" rpki polling_period 30")
	for i, p := range r.Ports {
		lan, _ := topo.LAN(p.LAN)
		w(" rpki cache %s 8282 preference %d", lan.RPKI, i+1)
	}
	w("exit")
	return b.String()
}

// BIRDConfig writes a whole BIRD 2 config the way a peering tool renders
// it (with connect timers short enough for tests): RPKI over RTR into ROA tables, our prefixes from static protocols,
// one prefix set per peer and family from IRR data, import filters that
// reject RPKI-invalid routes and anything outside the set, an import limit
// per session, and one BGP protocol per neighbor.
func BIRDConfig(topo lab.Topology, router string, sessions []Session) string {
	r, _ := topo.Router(router)
	nbrs := Neighbors(topo, router, sessions)
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w("# %s: BIRD 2 config of %s", router, r.ASN)
	w("log stderr all;")
	w("router id %s;", r.RouterID)
	w("roa4 table rpki4;\nroa6 table rpki6;")
	w("protocol device {}")
	for i, p := range r.Ports {
		lan, _ := topo.LAN(p.LAN)
		w("protocol rpki rpki%d {\n  roa4 { table rpki4; };\n  roa6 { table rpki6; };\n  remote %s port 8282;\n  retry keep 5;\n  refresh keep 30;\n  expire keep 600;\n}", i+1, lan.RPKI)
	}
	for _, fam := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
		w("protocol static own_v%d {\n  %s;", fam, fam)
		for _, pfx := range r.Originate {
			if bgp.FamilyOf(pfx.Addr()) == fam {
				w("  route %s blackhole;", pfx)
			}
		}
		w("}")
		w("filter export_ours_v%d {\n  if proto = \"own_v%d\" then accept;\n  reject;\n}", fam, fam)
	}
	sets := map[string]bool{}
	for _, n := range nbrs {
		name := fmt.Sprintf("%s_v%d", strings.ToUpper(n.PeerASN.String()), n.Family)
		if sets[name] {
			continue
		}
		sets[name] = true
		var members []string
		for _, pfx := range irrOf(topo, n.Peer, n.Family) {
			members = append(members, pfx.String())
		}
		if len(members) == 0 {
			w("filter import_%s {\n  reject;\n}", name)
			continue
		}
		w("define IRR_%s = [ %s ];", name, strings.Join(members, ", "))
		w("filter import_%s {\n  if roa_check(rpki%d, net, bgp_path.last) = ROA_INVALID then reject;\n  if net !~ IRR_%s then reject;\n  accept;\n}",
			name, n.Family, name)
	}
	for _, n := range nbrs {
		set := fmt.Sprintf("%s_v%d", strings.ToUpper(n.PeerASN.String()), n.Family)
		w("protocol bgp peer%d {\n  description \"%s %s\";\n  local %s as %d;\n  neighbor %s as %d;",
			n.Index, n.PeerASN, n.Peer, n.Local, uint32(r.ASN), n.Neighbor, uint32(n.ASN))
		w("  connect delay time 1;\n  connect retry time 3;\n  error wait time 1, 3;")
		p, _ := topo.Peer(n.Peer)
		if p.Password != "" {
			w("  password %q;", p.Password)
		}
		if p.GTSM {
			w("  ttl security on;")
		}
		w("  %s {\n    import filter import_%s;\n    export filter export_ours_v%d;\n    import keep filtered on;", n.Family, set, n.Family)
		if max := n.MaxPrefix[n.Family]; max > 0 {
			action := map[string]string{"restart": "restart", "warn": "warn"}[n.MaxPrefixAction]
			if action == "" {
				action = "disable"
			}
			w("    import limit %d action %s;", max, action)
		}
		w("  };\n}")
	}
	return b.String()
}

// Target is a deploy target for a lab router with a config written by
// FRRConfig or BIRDConfig, and the sessions it intends.
func Target(t testing.TB, l *lab.Lab, router string, sessions []Session) deploy.Target {
	t.Helper()
	r, ok := l.Topology.Router(router)
	if !ok {
		t.Fatalf("lab has no router %q", router)
	}
	tg := deploy.Target{Router: router, Platform: r.Platform, Endpoint: Endpoint(t, l, router)}
	if r.Platform == platform.FRR {
		tg.Config = FRRConfig(l.Topology, router, sessions)
	} else {
		tg.Config = BIRDConfig(l.Topology, router, sessions)
	}
	for _, n := range Neighbors(l.Topology, router, sessions) {
		tg.Intended = append(tg.Intended, deploy.IntendedSession{Neighbor: n.Neighbor, PeerASN: n.ASN, Peer: n.Peer,
			MaxPrefix: n.MaxPrefix, MaxPrefixAction: n.MaxPrefixAction})
	}
	return tg
}
