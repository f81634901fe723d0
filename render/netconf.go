package render

import (
	"fmt"
	"strings"

	"github.com/peerform/peerform/internal/change/openconfig"
	"github.com/peerform/peerform/internal/core/bgp"
)

// netconfPayload renders a netconf router, whose configuration is not a
// template's text but the edit-config payload of peerform's YANG module
// peerform-bgp (package openconfig, docs/netconf.md); it is built in, and a
// templates folder cannot replace it. The payload has one neighbor per session
// with its peer AS, the peer's name as description, the session's family with
// its max-prefix limit, the peer group of its IXP and family, and the MD5
// placeholder as auth-password (deploy puts the secret in, escaped). An XML
// comment in front says what the module cannot carry; comments are not sent
// (device.Netconf sends the canonical payload), and the comment holds only AS
// numbers and fixed words, never free text, so that no value can end it.
func netconfPayload(v *View) ([]byte, error) {
	var neighbors []openconfig.Neighbor
	for _, s := range v.Sessions {
		fam := bgp.IPv4
		if s.Family == 6 {
			fam = bgp.IPv6
		}
		neighbors = append(neighbors, openconfig.Neighbor{
			Address:      s.Neighbor,
			PeerAS:       bgp.ASN(s.Peer.ASN),
			Description:  s.Peer.Name,
			PeerGroup:    netconfPeerGroup(s),
			AuthPassword: openconfig.Secret(s.Peer.Password),
			Shutdown:     s.Disabled,
			AFISAFIs:     []openconfig.AFISAFI{{Family: fam, MaxPrefixes: uint32(s.MaxPrefix)}},
		})
	}
	payload, err := openconfig.Build(bgp.ASN(v.ASN), neighbors)
	if err != nil {
		return nil, fmt.Errorf("router %s: %w", v.Router, err)
	}
	return []byte(netconfNotes(v, len(neighbors)) + payload), nil
}

// netconfPeerGroup names the router-side peer group that holds the policy
// of a session's IXP and family: PEERFORM_DOC_IX_AMS_V4.
func netconfPeerGroup(s *Session) string {
	return "PEERFORM_" + s.IXPID + "_" + s.Suffix
}

// netconfNotes is the comment in front of a payload: what it configures,
// what the router's peer groups must do, and which intents the module
// cannot express, per peer.
func netconfNotes(v *View, neighbors int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!--\n  peerform-bgp payload rendered by peerform for AS%d: %d neighbors.\n", v.ASN, neighbors)
	b.WriteString("  It configures neighbors, address families, prefix limits and MD5 keys;\n" +
		"  each session joins the peer group PEERFORM_<IXP>_<V4|V6> of the router,\n" +
		"  which must hold the import and export policy (IRR prefix lists, RPKI,\n" +
		"  bogons, our announcements). Policy is not configured over NETCONF.\n")
	var notes []string
	drained := map[uint32]bool{}
	for _, s := range v.Sessions {
		drained[s.Peer.ASN] = drained[s.Peer.ASN] || s.Drain
	}
	for _, p := range v.Peers {
		var what []string
		if drained[p.ASN] {
			what = append(what, "graceful shutdown (RFC 8326): the session stays enabled")
		}
		if p.GTSM {
			what = append(what, "GTSM")
		}
		if p.BFD {
			what = append(what, "BFD")
		}
		if p.RouteServer {
			what = append(what, "route server")
		}
		if p.LocalPref != 0 && p.LocalPref != v.Filters.LocalPref && !p.Shutdown {
			what = append(what, fmt.Sprintf("local preference %d", p.LocalPref))
		}
		if len(what) > 0 {
			notes = append(notes, fmt.Sprintf("    AS%d: %s", p.ASN, strings.Join(what, ", ")))
		}
	}
	switch v.Filters.MaxPrefixAction {
	case "warn":
		notes = append(notes, "    max-prefix action warn: the limit here tears the session down")
	case "restart":
		notes = append(notes, fmt.Sprintf("    max-prefix action restart after %d minutes: the limit here tears the session down", v.Filters.RestartMinutes))
	}
	if len(notes) > 0 {
		b.WriteString("  Not expressible in the module, left to the device:\n")
		b.WriteString(strings.Join(notes, "\n") + "\n")
	}
	b.WriteString("-->\n")
	return b.String()
}
