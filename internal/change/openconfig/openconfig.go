// Package openconfig builds and reads the NETCONF payload of peerform-bgp,
// peerform's YANG module for BGP neighbors: a small, documented subset of
// the OpenConfig BGP model (see yang/peerform-bgp.yang and docs/netconf.md).
//
// Build turns a typed neighbor list into the <config> element of an
// edit-config; Parse reads the same data back from a get-config reply. Both
// are pure functions: no I/O, no clock, and the same input always gives the
// same bytes, so a plan can diff two payloads. The package deliberately
// does not import the NETCONF client, so that rendering can use it without
// pulling in SSH.
package openconfig

import (
	_ "embed"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"unicode"
	"unicode/utf8"

	"github.com/peerform/peerform/internal/core/bgp"
)

// The module's identity, as a NETCONF server advertises it in its hello
// (urn:…?module=peerform-bgp&revision=2026-01-15).
const (
	Namespace = "urn:peerform:params:xml:ns:yang:peerform-bgp"
	Module    = "peerform-bgp"
	Revision  = "2026-01-15"
)

// baseNamespace is the NETCONF base namespace of <config> and of the
// nc:operation attribute.
const baseNamespace = "urn:ietf:params:xml:ns:netconf:base:1.0"

//go:embed yang/peerform-bgp.yang
var yangSource string

// YANG returns the source of the peerform-bgp module, for loading into a
// NETCONF server or for printing.
func YANG() string { return yangSource }

// Neighbor is one BGP session as the payload describes it.
type Neighbor struct {
	Address     netip.Addr
	PeerAS      bgp.ASN
	Description string
	// Shutdown keeps the session configured but administratively down
	// (enabled=false in the payload).
	Shutdown  bool
	PeerGroup string // optional
	// AuthPassword is the TCP MD5 key (RFC 2385), empty for none.
	AuthPassword Secret
	AFISAFIs     []AFISAFI
}

// AFISAFI is one address family of a session with its prefix limit.
type AFISAFI struct {
	Family bgp.Family
	// Disabled keeps the family configured but not negotiated.
	Disabled    bool
	MaxPrefixes uint32 // required, at least 1
	// ShutdownThresholdPct warns at this share of MaxPrefixes; 0 = unset.
	ShutdownThresholdPct uint8
}

// Secret is a string that fmt and log/slog print as "(redacted)", so that
// logging a Neighbor never leaks its key. Use string(s) where the value
// itself is needed; errors from this package never include it.
type Secret string

// String hides the value.
func (Secret) String() string { return "(redacted)" }

// GoString hides the value from %#v too.
func (Secret) GoString() string { return `"(redacted)"` }

// Config is the whole managed BGP configuration of a router.
type Config struct {
	LocalAS   bgp.ASN
	Neighbors []Neighbor
}

// Limits from the YANG module, checked before a payload leaves peerform so
// that the server never has to refuse one.
const (
	maxDescriptionChars  = 255
	maxAuthPasswordChars = 80
	maxPeerGroupChars    = 64
)

var peerGroupPattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)

// ErrInvalid marks a configuration that violates the peerform-bgp module.
var ErrInvalid = errors.New("invalid peerform-bgp configuration")

// Validate checks c against every constraint of the YANG module (types,
// ranges, patterns, mandatory leaves, the eBGP-only must, unique keys).
// Errors wrap ErrInvalid and name the neighbor, never the auth password.
func (c Config) Validate() error {
	if c.LocalAS == 0 {
		return fmt.Errorf("%w: local AS: AS0 is reserved (RFC 7607)", ErrInvalid)
	}
	seen := make(map[netip.Addr]bool, len(c.Neighbors))
	for _, n := range c.Neighbors {
		if err := n.validate(c.LocalAS); err != nil {
			return err
		}
		if seen[n.Address] {
			return fmt.Errorf("%w: neighbor %s: listed twice", ErrInvalid, n.Address)
		}
		seen[n.Address] = true
	}
	return nil
}

func (n Neighbor) validate(local bgp.ASN) error {
	if !n.Address.IsValid() {
		return fmt.Errorf("%w: neighbor without an address", ErrInvalid)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: neighbor %s: %s", ErrInvalid, n.Address, fmt.Sprintf(format, args...))
	}
	if n.Address.Zone() != "" {
		return fail("address has a zone")
	}
	switch n.PeerAS {
	case 0:
		return fail("peer-as: AS0 is reserved (RFC 7607)")
	case local:
		return fail("peer-as %s is the local AS: only eBGP sessions are allowed", n.PeerAS)
	}
	if err := checkText(n.Description, 0, maxDescriptionChars); err != nil {
		return fail("description: %v", err)
	}
	if n.PeerGroup != "" {
		if utf8.RuneCountInString(n.PeerGroup) > maxPeerGroupChars || !peerGroupPattern.MatchString(n.PeerGroup) {
			return fail("peer-group %q: use 1 to %d letters, digits, '_', '.' or '-'", n.PeerGroup, maxPeerGroupChars)
		}
	}
	if n.AuthPassword != "" {
		// The message must not quote the secret.
		if err := checkText(string(n.AuthPassword), 1, maxAuthPasswordChars); err != nil {
			return fail("auth-password: %v", err)
		}
	}
	families := map[bgp.Family]bool{}
	for _, a := range n.AFISAFIs {
		if a.Family != bgp.IPv4 && a.Family != bgp.IPv6 {
			return fail("unknown address family %d", int(a.Family))
		}
		if families[a.Family] {
			return fail("address family %s listed twice", a.Family)
		}
		families[a.Family] = true
		if a.MaxPrefixes == 0 {
			return fail("%s: max-prefixes is required and at least 1", a.Family)
		}
		if a.ShutdownThresholdPct > 100 {
			return fail("%s: shutdown-threshold-pct %d is over 100", a.Family, a.ShutdownThresholdPct)
		}
	}
	return nil
}

// checkText accepts printable text of min to max characters. Control
// characters are refused even where XML could escape them: no router CLI
// shows them faithfully, and a newline in a description is a classic
// config-injection vector on the CLI platforms that share these values.
func checkText(s string, minChars, maxChars int) error {
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	n := utf8.RuneCountInString(s)
	if n < minChars || n > maxChars {
		return fmt.Errorf("%d characters, allowed %d to %d", n, minChars, maxChars)
	}
	for i, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("non-printable character at byte %d", i)
		}
	}
	return nil
}

// afiSAFIName spells a family the way the module's enumeration does.
func afiSAFIName(f bgp.Family) string {
	if f == bgp.IPv6 {
		return "IPV6_UNICAST"
	}
	return "IPV4_UNICAST"
}

func parseAFISAFIName(s string) (bgp.Family, bool) {
	switch s {
	case "IPV4_UNICAST":
		return bgp.IPv4, true
	case "IPV6_UNICAST":
		return bgp.IPv6, true
	}
	return 0, false
}
