package rpki

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"

	"github.com/peerform/peerform/internal/core/bgp"
)

// VRP is a Validated ROA Payload: ASN may originate Prefix and any more
// specific prefix down to MaxLen bits.
type VRP struct {
	Prefix netip.Prefix `json:"prefix"`
	MaxLen uint8        `json:"maxLength"`
	ASN    bgp.ASN      `json:"asn"`
}

// String prints the VRP the way rpki-client does: "192.0.2.0/24-24 AS64500".
func (v VRP) String() string {
	return fmt.Sprintf("%s-%d %s", v.Prefix, v.MaxLen, v.ASN)
}

// Errors Check returns, for callers that count rejects by kind.
var (
	ErrBadPrefix    = errors.New("prefix is not a canonical network address")
	ErrBadMaxLength = errors.New("maxLength outside prefix length to address length")
)

// Check reports whether the VRP can be used: the prefix must be valid with
// no host bits set, and MaxLen must lie between the prefix length and the
// address length. stayrtr and routers drop VRPs that fail these checks.
func (v VRP) Check() error {
	if !v.Prefix.IsValid() || v.Prefix.Masked() != v.Prefix {
		return fmt.Errorf("VRP %s: %w", v, ErrBadPrefix)
	}
	if int(v.MaxLen) < v.Prefix.Bits() || int(v.MaxLen) > v.Prefix.Addr().BitLen() {
		return fmt.Errorf("VRP %s: %w", v, ErrBadMaxLength)
	}
	return nil
}

// Matches reports whether the VRP makes route (prefix, origin) Valid: it
// covers the prefix, names the origin, and allows the prefix's length.
// Origin 0 never matches (RFC 6483 §4; RFC 7607), and neither should a route
// whose AS_PATH ends in an AS_SET: callers pass 0 for those.
func (v VRP) Matches(p netip.Prefix, origin bgp.ASN) bool {
	return v.Covers(p) && origin != 0 && v.ASN == origin && p.Bits() <= int(v.MaxLen)
}

// Covers reports whether the VRP's prefix contains p (same family, equal or
// shorter length): only covering VRPs take part in validating p.
func (v VRP) Covers(p netip.Prefix) bool {
	return p.IsValid() && v.Prefix.Addr().Is4() == p.Addr().Is4() &&
		v.Prefix.Bits() <= p.Bits() && v.Prefix.Contains(p.Addr())
}

// Why says in a few words what a covering VRP has to say about a route, for
// explanations next to a validation state.
func (v VRP) Why(p netip.Prefix, origin bgp.ASN) string {
	switch {
	case !v.Covers(p):
		return "does not cover the prefix"
	case v.ASN == 0:
		return "AS0: no origin may announce this space"
	case origin == 0:
		return "route has no single origin AS"
	case v.ASN != origin:
		return fmt.Sprintf("authorises %s, not %s", v.ASN, origin)
	case p.Bits() > int(v.MaxLen):
		return fmt.Sprintf("too specific: /%d is longer than maxLength %d", p.Bits(), v.MaxLen)
	default:
		return "matches"
	}
}

// compareVRP orders VRPs by family (IPv4 first), address, prefix length,
// ASN and maxLength: the order of Table.VRPs and of every listing.
func compareVRP(a, b VRP) int {
	if c := a.Prefix.Addr().Compare(b.Prefix.Addr()); c != 0 {
		return c
	}
	return cmp.Or(
		cmp.Compare(a.Prefix.Bits(), b.Prefix.Bits()),
		cmp.Compare(a.ASN, b.ASN),
		cmp.Compare(a.MaxLen, b.MaxLen),
	)
}

// Route is a (prefix, origin AS) pair to validate, e.g. one IRR route object.
type Route struct {
	Prefix netip.Prefix `json:"prefix"`
	Origin bgp.ASN      `json:"origin"`
}

// parseCanonicalPrefix parses "192.0.2.0/24" and refuses host bits, which
// in a VRP mean a broken producer rather than a prefix to guess at.
func parseCanonicalPrefix(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("prefix %s has host bits set (network is %s)", p, p.Masked())
	}
	return p, nil
}
