package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
)

// RoutePath is a route a router accepted from a BGP neighbor, with the AS
// path as received.
type RoutePath struct {
	Neighbor netip.Addr
	Prefix   netip.Prefix
	// Path holds the AS_SEQUENCE numbers, the neighbor's first; HasSet
	// says an AS_SET was in the path.
	Path   []bgp.ASN
	HasSet bool
}

// PathReader is a Driver that can list the routes it accepted, with their
// AS paths: what check needs to verify paths the router itself cannot
// (ASPA on BIRD before 2.16 and on FRR). BIRD and FRR implement it.
type PathReader interface {
	AcceptedPaths(ctx context.Context) ([]RoutePath, error)
}

// maxPathASNs bounds an AS path read from a router: a path longer than
// this is refused, not truncated (BGP allows 255 ASes per segment and a
// few segments; real paths stay under 50).
const maxPathASNs = 1024

// parseASPath reads an AS path as BIRD ("64501 {64511 64512}") or FRR
// ("64501 {64511,64512}") print it. Confederation segments, "(…)" and
// "[…]", are left out: they never leave a confederation.
func parseASPath(s string) (path []bgp.ASN, hasSet bool, err error) {
	depth, inSet := 0, false
	for _, tok := range strings.Fields(asPathTokens.Replace(s)) {
		switch tok {
		case "{":
			inSet, hasSet = true, true
		case "}":
			inSet = false
		case "(", "[":
			depth++
		case ")", "]":
			depth = max(depth-1, 0)
		default:
			n, err := strconv.ParseUint(tok, 10, 32)
			if err != nil {
				return nil, false, fmt.Errorf("AS path %.80q: %.20q is not an AS number", s, tok)
			}
			if depth > 0 || inSet {
				continue
			}
			if len(path) >= maxPathASNs {
				return nil, false, fmt.Errorf("AS path longer than %d", maxPathASNs)
			}
			path = append(path, bgp.ASN(n))
		}
	}
	return path, hasSet, nil
}

// asPathTokens separates the segment brackets and FRR's set commas.
var asPathTokens = strings.NewReplacer("{", " { ", "}", " } ", "(", " ( ", ")", " ) ", "[", " [ ", "]", " ] ", ",", " ")

// AcceptedPaths reads the routes of every established BGP protocol,
// `show route protocol <name> all`, with their BGP.as_path.
func (b *BIRD) AcceptedPaths(ctx context.Context) ([]RoutePath, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	protos, err := b.protocols(ctx)
	if err != nil {
		return nil, err
	}
	var paths []RoutePath
	for _, p := range protos {
		if p.Proto != "BGP" || p.BGPState != "Established" {
			continue
		}
		out, err := b.cmd(ctx, "show route protocol "+p.Name+" all")
		if err != nil {
			return nil, err
		}
		got, err := parseBIRDPaths(out, p.Neighbor)
		if err != nil {
			return nil, fmt.Errorf("show route protocol %s: %w", p.Name, err)
		}
		paths = append(paths, got...)
	}
	return paths, nil
}

// parseBIRDPaths reads `show route protocol X all`: a route line starts
// with its prefix (or with blanks for another route to the same prefix),
// and its attributes follow, indented by a tab.
func parseBIRDPaths(out string, neighbor netip.Addr) ([]RoutePath, error) {
	if len(out) > birdMaxOutput {
		return nil, fmt.Errorf("output of %d bytes is too large", len(out))
	}
	var paths []RoutePath
	var pfx netip.Prefix
	cur := -1
	for _, line := range strings.Split(out, "\n") {
		if attr, ok := strings.CutPrefix(line, "\tBGP.as_path:"); ok {
			if cur >= 0 {
				p, set, err := parseASPath(attr)
				if err != nil {
					return nil, err
				}
				paths[cur].Path, paths[cur].HasSet = p, set
			}
			continue
		}
		if line == "" || line[0] == '\t' {
			continue
		}
		if line[0] != ' ' {
			f := strings.Fields(line)
			p, err := netip.ParsePrefix(f[0])
			if err != nil {
				pfx, cur = netip.Prefix{}, -1 // "Table master4:", the banner
				continue
			}
			pfx = p
		}
		cur = -1
		if pfx.IsValid() && strings.Contains(line, "[") {
			paths = append(paths, RoutePath{Neighbor: neighbor, Prefix: pfx})
			cur = len(paths) - 1
		}
	}
	return paths, nil
}

// AcceptedPaths reads `show bgp <afi> unicast json` for IPv4 and IPv6:
// every path FRR holds comes from a neighbor whose import route-map
// accepted it (our own routes, whose peer is "(unspec)", are left out).
func (f *FRR) AcceptedPaths(ctx context.Context) ([]RoutePath, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var paths []RoutePath
	for _, afi := range []string{"ipv4", "ipv6"} {
		out, err := f.cmd(ctx, "show bgp "+afi+" unicast json")
		if err != nil {
			return nil, err
		}
		got, err := parseFRRPaths(out)
		if err != nil {
			return nil, fmt.Errorf("show bgp %s unicast json: %w", afi, err)
		}
		paths = append(paths, got...)
	}
	return paths, nil
}

func parseFRRPaths(out string) ([]RoutePath, error) {
	var rib struct {
		Routes map[string][]struct {
			PeerID string `json:"peerId"`
			Path   string `json:"path"`
		} `json:"routes"`
	}
	if err := json.Unmarshal([]byte(out), &rib); err != nil {
		return nil, err
	}
	var paths []RoutePath
	for s, rs := range rib.Routes {
		pfx, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("route %q: %w", s, err)
		}
		for _, r := range rs {
			a, err := netip.ParseAddr(r.PeerID)
			if err != nil {
				continue
			}
			p, set, err := parseASPath(r.Path)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("route %s", pfx), err)
			}
			paths = append(paths, RoutePath{Neighbor: a.Unmap(), Prefix: pfx, Path: p, HasSet: set})
		}
	}
	return paths, nil
}
