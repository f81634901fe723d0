package lab

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// LabMD5 is the TCP MD5 password of the lab's AS20940 sessions; the
// example repository reads it from PEERFORM_SECRET_AS20940.
const LabMD5 = "lab-md5-secret"

// Example builds the lab that mirrors the example peering repository at
// repo: our AS64500 with lab-ams-edge1 (FRR) on DOC-IX-AMS and
// lab-fra-edge1 (BIRD) on DOC-IX-FRA, and every peer of the example at the
// addresses its PeeringDB snapshot and peer files give. What the peers
// announce, and what the lab's RPKI cache serves, come from the
// repository's own data, the files its policies name:
//
//   - each peer announces the route and route6 objects registered in the
//     IRR snapshot (irr.snapshot) for the AS-SET its peer file imports,
//     each with its registered origin behind the peer's ASN (a route
//     server relays them without its own);
//
//   - the RPKI cache serves the VRPs file (rpki.vrps_file) unchanged;
//
//   - a few peers add crafted routes that a correct filter must reject
//     (crafted below): RPKI-invalid ones that the IRR lists, and ones
//     the IRR does not list that no ROA covers.
//
// Each peer's IRR field is its AS-SET's expansion, so Acceptable judges
// every route from the same files the renderer reads. No peer announces
// more than the limit the example gives it: a max-prefix test tightens
// a peer's max_prefix instead (lab/README.md says why).
func Example(ctx context.Context, repo string) (Topology, error) {
	r, diags := intent.LoadDir(repo)
	if diags.HasErrors() {
		return Topology{}, fmt.Errorf("lab: loading the example repository %s: %w", repo, diags)
	}
	if len(r.IRR.Snapshot) == 0 || r.RPKI.VRPsFile == "" {
		return Topology{}, fmt.Errorf("lab: the repository %s names no IRR snapshot (irr.snapshot) or VRPs file (rpki.vrps_file) to build the lab's world from", repo)
	}
	if r.RPKI.SLURM != "" {
		// The lab's cache serves the VRPs file as it is; exceptions
		// would make the routers and Acceptable disagree.
		return Topology{}, fmt.Errorf("lab: the repository %s has rpki.slurm, which the lab does not apply", repo)
	}
	db, _, err := irr.LoadSnapshots(ctx, r.IRR.Snapshot, irr.LoadOptions{BaseDir: repo})
	if err != nil {
		return Topology{}, fmt.Errorf("lab: %w", err)
	}
	vrps, _, err := rpki.LoadJSONFile(filepath.Join(repo, r.RPKI.VRPsFile), rpki.LoadOptions{})
	if err != nil {
		return Topology{}, fmt.Errorf("lab: %w", err)
	}
	sources := r.IRR.Sources
	if len(sources) == 0 {
		sources = db.Sources()
	}

	t := layout(r.Network.Prefixes)
	for _, v := range vrps {
		t.ROAs = append(t.ROAs, ROA{Prefix: v.Prefix, MaxLength: int(v.MaxLen), ASN: v.ASN})
	}
	for i := range t.Peers {
		p := &t.Peers[i]
		ip := r.Peer(p.ASN)
		if ip == nil {
			return Topology{}, fmt.Errorf("lab: peer %s (%s) has no peer file in %s", p.Name, p.ASN, repo)
		}
		p.Import = ip.Import.String()
		routes, err := registered(db, sources, ip.Import)
		if err != nil {
			return Topology{}, fmt.Errorf("lab: peer %s: %w", p.Name, err)
		}
		for _, rt := range routes {
			p.IRR = append(p.IRR, rt.Prefix)
			an := Announcement{Prefix: rt.Prefix}
			if rt.Origin != p.ASN {
				an.Path = []bgp.ASN{rt.Origin}
			}
			p.Announce = append(p.Announce, an)
		}
		// A crafted route replaces the registered one for its prefix: a
		// peer originates one route per prefix.
		for _, c := range crafted[p.Name] {
			p.Announce = slices.DeleteFunc(p.Announce, func(an Announcement) bool { return an.Prefix == c.Prefix })
			p.Announce = append(p.Announce, c)
		}
	}
	return t, t.Check()
}

// route is one route or route6 object: a prefix and its registered origin.
type route struct {
	Prefix netip.Prefix
	Origin bgp.ASN
}

// registered lists the route objects of every member AS of ref, in the
// IRR sources an expansion of ref uses ("SOURCE::SET" pins the source),
// one per prefix (the lowest origin when several register it). It asks
// the snapshot the questions an IRR server answers (recursive members,
// then each member's routes), not peerform's expansion, so that the lab's
// expectations do not share its code.
func registered(db *irr.DB, sources []string, ref bgp.ObjectRef) ([]route, error) {
	if ref.Source != "" {
		sources = []string{ref.Source}
	}
	var asns []bgp.ASN
	if ref.IsASN() {
		a, err := bgp.ParseASN(ref.Name)
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", ref, err)
		}
		asns = []bgp.ASN{a}
	} else {
		words, err := whois(db, sources, "!i"+ref.Name+",1")
		if err != nil {
			return nil, fmt.Errorf("import %s: %w", ref, err)
		}
		for _, w := range words {
			a, err := bgp.ParseASN(w)
			if err != nil {
				return nil, fmt.Errorf("import %s: member %q: %w", ref, w, err)
			}
			asns = append(asns, a)
		}
	}
	slices.Sort(asns)
	var out []route
	seen := map[netip.Prefix]bool{}
	for _, a := range asns {
		for _, q := range []string{"!g", "!6"} {
			words, err := whois(db, sources, q+a.String())
			if err != nil {
				return nil, fmt.Errorf("routes of %s: %w", a, err)
			}
			for _, w := range words {
				pfx, err := netip.ParsePrefix(w)
				if err != nil {
					return nil, fmt.Errorf("routes of %s: %w", a, err)
				}
				if pfx = pfx.Masked(); !seen[pfx] {
					seen[pfx] = true
					out = append(out, route{pfx, a})
				}
			}
		}
	}
	return out, nil
}

// whois asks the snapshot one IRRd query and returns the words of its
// answer: none for "not found" (D) or an empty success (C).
func whois(db *irr.DB, sources []string, query string) ([]string, error) {
	ans := db.WhoisAnswer(sources, query)
	head, data, _ := bytes.Cut(ans, []byte("\n"))
	switch {
	case len(head) > 0 && head[0] == 'A':
		data, _, _ = bytes.Cut(data, []byte("\n"))
		return strings.Fields(string(data)), nil
	case bytes.Equal(head, []byte("C")), bytes.Equal(head, []byte("D")):
		return nil, nil
	}
	return nil, fmt.Errorf("query %s: %s", query, bytes.TrimSpace(ans))
}

var (
	a4 = netip.MustParseAddr
	p  = netip.MustParsePrefix
)

// crafted are the routes the example's IRR data does not give, for the
// filters to reject. Each one can be rejected by one rule only:
//
//   - alpha: its customer AS64511 originates alpha's 11.64.5.0/24. The
//     prefix is in AS-ALPHA's list, but the ROA for 11.64.0.0/16 names
//     AS64501: only RPKI rejects it.
//
//   - beta and gamma: a prefix next to their registered ones (IPv4) and a
//     more-specific of their registered /32 (IPv6), with no route object
//     and no covering ROA: only the IRR filter rejects them. gamma's
//     registered 11.66.4.0/22 is the other RPKI case: the only ROA for it
//     names AS64999 (data/rpki/README.md).
//
//   - delta: AS65537's AS-SET is not in the IRR on purpose (deny-all), so
//     whatever it announces is rejected; these are prefixes it might hold.
var crafted = map[string][]Announcement{
	"alpha": {{Prefix: p("11.64.5.0/24"), Path: []bgp.ASN{64511}}},
	"beta":  {{Prefix: p("11.65.16.0/20")}, {Prefix: p("2a10:502:1::/48")}},
	"gamma": {{Prefix: p("11.66.8.0/22")}, {Prefix: p("2a10:503:1::/48")}},
	"delta": {{Prefix: p("2a10:537::/32")}, {Prefix: p("2a10:537:1::/48")}, {Prefix: p("2a10:537:2::/48")}},
}

// layout is the lab's fixed part: LANs, our routers (originating ours,
// the example network's prefixes) and who each peer is, where it
// connects and how its sessions are set up (daemon, GTSM, route server,
// TCP MD5), following the example's PeeringDB snapshot and peer files.
// delta also gets a port on FRA, which the example does not have, so
// that tests can give BIRD a session with it.
func layout(ours []netip.Prefix) Topology {
	ams := LAN{Name: "ams", IXP: "DOC-IX-AMS", IPv4: p("192.0.2.0/25"), IPv6: p("2001:db8:ffff:1::/64"), RPKI: a4("192.0.2.126")}
	fra := LAN{Name: "fra", IXP: "DOC-IX-FRA", IPv4: p("192.0.2.128/25"), IPv6: p("2001:db8:ffff:2::/64"), RPKI: a4("192.0.2.254")}
	return Topology{
		LANs: []LAN{ams, fra},
		Routers: []Router{
			{Name: "lab-ams-edge1", Platform: platform.FRR, ASN: 64500, RouterID: a4("192.0.2.1"),
				Ports:     []Port{{LAN: "ams", IPv4: a4("192.0.2.1"), IPv6: a4("2001:db8:ffff:1::1")}},
				Originate: slices.Clone(ours)},
			{Name: "lab-fra-edge1", Platform: platform.BIRD2, ASN: 64500, RouterID: a4("192.0.2.129"),
				Ports:     []Port{{LAN: "fra", IPv4: a4("192.0.2.129"), IPv6: a4("2001:db8:ffff:2::1")}},
				Originate: slices.Clone(ours)},
		},
		Peers: []Peer{
			{Name: "alpha", Daemon: "bird", ASN: 64501, RouterID: a4("192.0.2.11"), GTSM: true,
				Ports: []Port{
					{LAN: "ams", IPv4: a4("192.0.2.11"), IPv6: a4("2001:db8:ffff:1::11")},
					{LAN: "fra", IPv4: a4("192.0.2.139"), IPv6: a4("2001:db8:ffff:2::11")},
				}},
			{Name: "beta", Daemon: "gobgp", ASN: 64502, RouterID: a4("192.0.2.140"),
				Ports: []Port{{LAN: "fra", IPv4: a4("192.0.2.140"), IPv6: a4("2001:db8:ffff:2::12")}}},
			{Name: "gamma", Daemon: "gobgp", ASN: 64503, RouterID: a4("192.0.2.13"),
				Ports: []Port{{LAN: "ams", IPv4: a4("192.0.2.13"), IPv6: a4("2001:db8:ffff:1::13")}}},
			{Name: "delta", Daemon: "bird", ASN: 65537, RouterID: a4("192.0.2.37"),
				Ports: []Port{
					{LAN: "ams", IPv6: a4("2001:db8:ffff:1::37")},
					{LAN: "fra", IPv6: a4("2001:db8:ffff:2::37")},
				}},
			{Name: "rs", Daemon: "bird", ASN: 64510, RouterID: a4("192.0.2.10"), RouteServer: true,
				Ports: []Port{
					{LAN: "ams", IPv4: a4("192.0.2.10"), IPv6: a4("2001:db8:ffff:1::10")},
					{LAN: "fra", IPv4: a4("192.0.2.138"), IPv6: a4("2001:db8:ffff:2::10")},
				}},
			{Name: "beta2", Daemon: "gobgp", ASN: 64502, RouterID: a4("192.0.2.150"),
				Ports: []Port{{LAN: "fra", IPv4: a4("192.0.2.150"), IPv6: a4("2001:db8:ffff:2::22")}}},
			{Name: "cf", Daemon: "gobgp", ASN: 13335, RouterID: a4("192.0.2.40"),
				Ports: []Port{{LAN: "ams", IPv4: a4("192.0.2.40"), IPv6: a4("2001:db8:ffff:1::40")}}},
			{Name: "he", Daemon: "bird", ASN: 6939, RouterID: a4("192.0.2.41"),
				Ports: []Port{
					{LAN: "ams", IPv4: a4("192.0.2.41"), IPv6: a4("2001:db8:ffff:1::41")},
					{LAN: "fra", IPv4: a4("192.0.2.141"), IPv6: a4("2001:db8:ffff:2::41")},
				}},
			{Name: "akamai", Daemon: "gobgp", ASN: 20940, RouterID: a4("192.0.2.142"),
				Ports:    []Port{{LAN: "fra", IPv4: a4("192.0.2.142")}},
				Password: LabMD5},
		},
	}
}
