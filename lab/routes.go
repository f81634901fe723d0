package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/core/bgp"
)

// The routers' own view of their routes, read over their control sockets
// (vtysh, birdc) and not through peerform's device drivers, so that tests
// can hold peerform's configs to what the topology's data says.

// BIRDRoute is a BGP route in one of our BIRD routers: from which
// neighbor, and the large communities it carries (peerform's filters mark
// a rejected route with the reasons, kept by `import keep filtered`).
type BIRDRoute struct {
	Neighbor         netip.Addr
	Prefix           netip.Prefix
	LargeCommunities []string // "(64500, 0, 7)", as birdc prints them
	Communities      []string // "(65535,0)", as birdc prints them
}

// Accepted returns the routes a router accepted from its BGP neighbors,
// by neighbor address, each list sorted.
func (l *Lab) Accepted(ctx context.Context, router string) (map[netip.Addr][]netip.Prefix, error) {
	r, ok := l.Topology.Router(router)
	if !ok {
		return nil, fmt.Errorf("lab: no router %q", router)
	}
	out := map[netip.Addr][]netip.Prefix{}
	if r.Platform == platform.FRR {
		for _, afi := range []string{"ipv4", "ipv6"} {
			js, err := l.Vtysh(ctx, router, "show bgp "+afi+" unicast json")
			if err != nil {
				return nil, err
			}
			if err := parseFRRRoutes([]byte(js), out); err != nil {
				return nil, fmt.Errorf("lab: show bgp %s unicast json on %s: %w", afi, router, err)
			}
		}
	} else {
		routes, err := l.birdRoutes(ctx, router, "show route where source = RTS_BGP all")
		if err != nil {
			return nil, err
		}
		for _, rt := range routes {
			out[rt.Neighbor] = append(out[rt.Neighbor], rt.Prefix)
		}
	}
	for a := range out {
		slices.SortFunc(out[a], comparePrefix)
		out[a] = slices.Compact(out[a])
	}
	return out, nil
}

// parseFRRRoutes adds the paths of `show bgp <afi> unicast json` to out,
// by the neighbor they came from (our own routes, whose peer is
// "(unspec)", are left out).
func parseFRRRoutes(js []byte, out map[netip.Addr][]netip.Prefix) error {
	var rib struct {
		Routes map[string][]struct {
			PeerID string `json:"peerId"`
		} `json:"routes"`
	}
	if err := json.Unmarshal(js, &rib); err != nil {
		return err
	}
	for s, paths := range rib.Routes {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("route %q: %w", s, err)
		}
		for _, pt := range paths {
			if a, err := netip.ParseAddr(pt.PeerID); err == nil {
				out[a] = append(out[a], pfx)
			}
		}
	}
	return nil
}

// BIRDFiltered returns the routes a BIRD router's import filters rejected
// and kept (`import keep filtered on`), with their large communities.
func (l *Lab) BIRDFiltered(ctx context.Context, router string) ([]BIRDRoute, error) {
	return l.birdRoutes(ctx, router, "show route filtered where source = RTS_BGP all")
}

// birdRoutes runs a `show route … all` command and attributes each route
// to the neighbor of the protocol that learnt it.
func (l *Lab) birdRoutes(ctx context.Context, router, command string) ([]BIRDRoute, error) {
	protos, err := l.Birdc(ctx, router, "show protocols all")
	if err != nil {
		return nil, err
	}
	neighbor := birdNeighbors(protos)
	out, err := l.Birdc(ctx, router, command)
	if err != nil {
		return nil, err
	}
	return parseBIRDRoutes(out, neighbor), nil
}

// parseBIRDRoutes reads the output of `show route … all`: each route with
// the neighbor of the protocol that learnt it (routes of other protocols
// are left out) and its large communities.
func parseBIRDRoutes(out string, neighbor map[string]netip.Addr) []BIRDRoute {
	var routes []BIRDRoute
	var pfx netip.Prefix
	last := -1 // the route the attribute lines below belong to
	for _, line := range strings.Split(out, "\n") {
		if attr, ok := strings.CutPrefix(line, "\tBGP.large_community:"); ok {
			if last >= 0 {
				routes[last].LargeCommunities = append(routes[last].LargeCommunities, birdList(attr)...)
			}
			continue
		}
		if attr, ok := strings.CutPrefix(line, "\tBGP.community:"); ok {
			if last >= 0 {
				routes[last].Communities = append(routes[last].Communities, birdList(attr)...)
			}
			continue
		}
		// A route line starts with its prefix, or with blanks for another
		// route to the prefix above; "[PROTOCOL since]" names its source.
		if line == "" || line[0] == '\t' {
			continue
		}
		if line[0] != ' ' {
			f := strings.Fields(line)
			if len(f) == 0 {
				continue
			}
			p, err := netip.ParsePrefix(f[0])
			if err != nil {
				pfx, last = netip.Prefix{}, -1 // a table header, the banner
				continue
			}
			pfx = p
		}
		last = -1
		_, rest, ok := strings.Cut(line, "[")
		proto, _, _ := strings.Cut(rest, " ")
		if a, known := neighbor[proto]; ok && known && pfx.IsValid() {
			routes = append(routes, BIRDRoute{Neighbor: a, Prefix: pfx})
			last = len(routes) - 1
		}
	}
	return routes
}

// birdList splits a birdc list of tuples, "(1,2) (3,4)", into its items.
func birdList(attr string) []string {
	var out []string
	for _, c := range strings.Split(attr, ")") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c+")")
		}
	}
	return out
}

// birdNeighbors maps BGP protocol names to their neighbor addresses, from
// `show protocols all`.
func birdNeighbors(out string) map[string]netip.Addr {
	m := map[string]netip.Addr{}
	var proto string
	for _, line := range strings.Split(out, "\n") {
		if line != "" && line[0] != ' ' && line[0] != '\t' {
			proto, _, _ = strings.Cut(line, " ")
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Neighbor address:"); ok {
			if a, err := netip.ParseAddr(strings.TrimSpace(v)); err == nil {
				m[proto] = a
			}
		}
	}
	return m
}

// RouterROAs returns the VRPs a router holds from its RTR caches, sorted:
// FRR's `show rpki prefix-table`, the entries of BIRD's ROA tables.
func (l *Lab) RouterROAs(ctx context.Context, router string) ([]ROA, error) {
	r, ok := l.Topology.Router(router)
	if !ok {
		return nil, fmt.Errorf("lab: no router %q", router)
	}
	var out []ROA
	if r.Platform == platform.FRR {
		js, err := l.Vtysh(ctx, router, "show rpki prefix-table json")
		if err != nil {
			return nil, err
		}
		if out, err = parseFRRROAs([]byte(js)); err != nil {
			return nil, fmt.Errorf("lab: show rpki prefix-table json on %s: %w", router, err)
		}
	} else {
		txt, err := l.Birdc(ctx, router, "show route")
		if err != nil {
			return nil, err
		}
		out = parseBIRDROAs(txt)
	}
	SortROAs(out)
	return out, nil
}

// parseFRRROAs reads `show rpki prefix-table json`.
func parseFRRROAs(js []byte) ([]ROA, error) {
	var table struct {
		Prefixes []struct {
			Prefix string `json:"prefix"`
			Min    int    `json:"prefixLenMin"`
			Max    int    `json:"prefixLenMax"`
			ASN    uint32 `json:"asn"`
		} `json:"prefixes"`
	}
	if err := json.Unmarshal(js, &table); err != nil {
		return nil, err
	}
	var out []ROA
	for _, e := range table.Prefixes {
		a, err := netip.ParseAddr(e.Prefix)
		if err != nil {
			return nil, fmt.Errorf("ROA %q: %w", e.Prefix, err)
		}
		pfx := netip.PrefixFrom(a, e.Min)
		if !pfx.IsValid() {
			return nil, fmt.Errorf("ROA %s/%d: bad length", a, e.Min)
		}
		out = append(out, ROA{Prefix: pfx, MaxLength: e.Max, ASN: bgp.ASN(e.ASN)})
	}
	return out, nil
}

// parseBIRDROAs reads the ROA table entries of `show route`, lines like
// "203.0.113.0/24-24 AS64500  [RTR 10:00:00.000] * (100)".
func parseBIRDROAs(txt string) []ROA {
	var out []ROA
	for _, line := range strings.Split(txt, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[1], "AS") {
			continue
		}
		net, maxLen, ok := strings.Cut(f[0], "-")
		pfx, err1 := netip.ParsePrefix(net)
		n, err2 := strconv.Atoi(maxLen)
		asn, err3 := bgp.ParseASN(f[1])
		if ok && err1 == nil && err2 == nil && err3 == nil {
			out = append(out, ROA{Prefix: pfx, MaxLength: n, ASN: asn})
		}
	}
	return out
}

// SortROAs sorts ROAs by prefix, then max length and ASN.
func SortROAs(roas []ROA) {
	slices.SortFunc(roas, func(a, b ROA) int {
		if c := comparePrefix(a.Prefix, b.Prefix); c != 0 {
			return c
		}
		if a.MaxLength != b.MaxLength {
			return a.MaxLength - b.MaxLength
		}
		return int(int64(a.ASN) - int64(b.ASN))
	})
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// RouteVerdict is one route a peer sends one of our routers over an
// Established session: what a correct filter does with it (Acceptable)
// and what the router did.
type RouteVerdict struct {
	Router   string       `json:"router"`
	Peer     string       `json:"peer"`
	Neighbor netip.Addr   `json:"neighbor"`
	Prefix   netip.Prefix `json:"prefix"`
	Want     bool         `json:"want"`             // a correct filter accepts it
	Reason   string       `json:"reason,omitempty"` // why not (Reject…), when !Want
	Accepted bool         `json:"accepted"`         // the router accepted it
}

// RouteReport judges every route the lab's peers send over the sessions
// that are up.
type RouteReport struct {
	Routes []RouteVerdict `json:"routes"`
}

// Mismatches are the routes a router accepted although a correct filter
// rejects them, or rejected although it accepts them.
func (r RouteReport) Mismatches() []RouteVerdict {
	var out []RouteVerdict
	for _, v := range r.Routes {
		if v.Want != v.Accepted {
			out = append(out, v)
		}
	}
	return out
}

// Summary counts the routes of one router ("" = all): "accepted 21
// routes, rejected 9 (RPKI-invalid 3, not in IRR 4, no IRR data 2)".
// Rejections are counted by the reason a correct filter has; routes the
// router rejected against that are counted as "wrongly".
func (r RouteReport) Summary(router string) string {
	accepted, rejected := 0, 0
	why := map[string]int{}
	for _, v := range r.Routes {
		if router != "" && v.Router != router {
			continue
		}
		switch {
		case v.Accepted:
			accepted++
		case v.Want:
			rejected++
			why["wrongly"]++
		default:
			rejected++
			why[v.Reason]++
		}
	}
	var parts []string
	for _, k := range []string{RejectRPKIInvalid, RejectNotInIRR, RejectNoIRR, RejectOTCLeak, "wrongly"} {
		if why[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, why[k]))
		}
	}
	s := fmt.Sprintf("accepted %d routes, rejected %d", accepted, rejected)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

// String says what went wrong with a mismatched route.
func (v RouteVerdict) String() string {
	if v.Accepted {
		return fmt.Sprintf("%s accepted %s from %s (%s), which a correct filter rejects: %s", v.Router, v.Prefix, v.Peer, v.Neighbor, v.Reason)
	}
	return fmt.Sprintf("%s did not accept %s from %s (%s)", v.Router, v.Prefix, v.Peer, v.Neighbor)
}

// CheckRoutes asks every router which routes it accepted and judges each
// route the peers announce over a session that is Established (seen from
// the peer) with Acceptable.
func (l *Lab) CheckRoutes(ctx context.Context) (RouteReport, error) {
	views, err := l.PeerSessions(ctx)
	if err != nil {
		return RouteReport{}, err
	}
	accepted := map[string]map[netip.Addr][]netip.Prefix{}
	for _, r := range l.Topology.Routers {
		if accepted[r.Name], err = l.Accepted(ctx, r.Name); err != nil {
			return RouteReport{}, err
		}
	}
	var rep RouteReport
	for _, v := range views {
		if !v.Established {
			continue
		}
		p, _ := l.Topology.Peer(v.Peer)
		for _, an := range p.Announce {
			if bgp.FamilyOf(an.Prefix.Addr()) != v.Family {
				continue
			}
			want, why := l.Topology.Acceptable(p, an)
			rep.Routes = append(rep.Routes, RouteVerdict{Router: v.Router, Peer: v.Peer, Neighbor: v.Neighbor,
				Prefix: an.Prefix, Want: want, Reason: why,
				Accepted: slices.Contains(accepted[v.Router][v.Neighbor], an.Prefix)})
		}
	}
	return rep, nil
}

// WaitRoutes polls CheckRoutes until no route is mismatched or the
// timeout passes (routes settle after the sessions: RPKI data arrives,
// filters are re-run), and returns the last report. Each poll runs a
// command per node, so it polls every half second.
func (l *Lab) WaitRoutes(ctx context.Context, timeout time.Duration) (RouteReport, error) {
	deadline := time.Now().Add(timeout)
	for {
		rep, err := l.CheckRoutes(ctx)
		if err != nil {
			return rep, err
		}
		bad := rep.Mismatches()
		if len(bad) == 0 {
			return rep, nil
		}
		if time.Now().After(deadline) {
			return rep, fmt.Errorf("lab: after %s, %d routes are not as the IRR and RPKI data say, first: %s", timeout, len(bad), bad[0])
		}
		select {
		case <-ctx.Done():
			return rep, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Routers lists the routers that appear in a report, sorted.
func (r RouteReport) Routers() []string {
	seen := map[string]bool{}
	for _, v := range r.Routes {
		seen[v.Router] = true
	}
	return slices.Sorted(maps.Keys(seen))
}
