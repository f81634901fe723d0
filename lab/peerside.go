package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// ReceivedRoute is a route one of the lab's peers holds from one of our
// routers, with its standard communities, as the peer's daemon reports it.
type ReceivedRoute struct {
	From   netip.Addr // our router's address on the link
	Prefix netip.Prefix
	// Communities are RFC 1997 communities as "65535:0".
	Communities []string
}

// HasCommunity reports whether the route carries a community ("65535:0").
func (r ReceivedRoute) HasCommunity(c string) bool { return slices.Contains(r.Communities, c) }

// Received returns what a peer holds from our routers (routes learnt from
// any address of a lab router), read from the peer's own RIB: birdc on
// BIRD peers, the gobgp CLI on GoBGP peers. Tests use it to see what our
// rendered export policies really send.
func (l *Lab) Received(ctx context.Context, peer string) ([]ReceivedRoute, error) {
	pr, ok := l.Topology.Peer(peer)
	if !ok {
		return nil, fmt.Errorf("lab: no peer %q", peer)
	}
	ours := map[netip.Addr]bool{}
	for _, ln := range l.Topology.Links() {
		if ln.Peer == peer {
			ours[ln.Local] = true
		}
	}
	var out []ReceivedRoute
	if pr.Daemon == "bird" {
		routes, err := l.birdRoutes(ctx, peer, "show route where source = RTS_BGP all")
		if err != nil {
			return nil, err
		}
		for _, r := range routes {
			if !ours[r.Neighbor] {
				continue
			}
			rr := ReceivedRoute{From: r.Neighbor, Prefix: r.Prefix}
			for _, c := range r.Communities {
				rr.Communities = append(rr.Communities, strings.NewReplacer("(", "", ")", "", ",", ":", " ", "").Replace(c))
			}
			out = append(out, rr)
		}
		return out, nil
	}
	for _, afi := range []string{"ipv4", "ipv6"} {
		js, err := l.GoBGP(ctx, peer, "global", "rib", "-a", afi, "-j")
		if err != nil {
			return nil, err
		}
		routes, err := parseGoBGPRIB([]byte(js))
		if err != nil {
			return nil, fmt.Errorf("lab: gobgp global rib -a %s -j on %s: %w", afi, peer, err)
		}
		for _, r := range routes {
			if ours[r.From] {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// parseGoBGPRIB reads `gobgp global rib -j`: paths by prefix, each with
// the neighbor it came from and its path attributes (type 8 holds the
// communities as 32-bit numbers).
func parseGoBGPRIB(js []byte) ([]ReceivedRoute, error) {
	var rib map[string][]struct {
		Neighbor string `json:"neighbor-ip"`
		Attrs    []struct {
			Type        int      `json:"type"`
			Communities []uint32 `json:"communities"`
		} `json:"attrs"`
	}
	if err := json.Unmarshal(js, &rib); err != nil {
		return nil, err
	}
	var out []ReceivedRoute
	for p, paths := range rib {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", p, err)
		}
		for _, pt := range paths {
			from, err := netip.ParseAddr(pt.Neighbor)
			if err != nil {
				continue // a local route
			}
			r := ReceivedRoute{From: from, Prefix: pfx}
			for _, a := range pt.Attrs {
				if a.Type == 8 {
					for _, c := range a.Communities {
						r.Communities = append(r.Communities, fmt.Sprintf("%d:%d", c>>16, c&0xffff))
					}
				}
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// StopPeer stops the daemon of one of the lab's peers, as a failure at the
// peer would: its sessions with our routers go down.
func (l *Lab) StopPeer(name string) error {
	if _, ok := l.Topology.Peer(name); !ok {
		return fmt.Errorf("lab: no peer %q", name)
	}
	for _, p := range l.Processes {
		if p.Name == name {
			l.stop(p)
			return nil
		}
	}
	return fmt.Errorf("lab: peer %s runs no process", name)
}
