package request

import (
	"fmt"
	"net/netip"
	"strings"
)

// Subject is the message's subject line.
func (r *Request) Subject() string {
	return fmt.Sprintf("Peering request: %s (%s) and %s (%s)", r.Ours.ASN, r.Ours.Name, r.Peer.ASN, r.Peer.Name)
}

// Text is the message body: plain text, lines of at most 78 characters
// where the data allows, LF line ends (Compose turns them into CRLF).
func (r *Request) Text() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("Hello %s peering team,\n\n", r.Peer.Name)
	w("We are %s, %s, and would like to peer with %s.\n\n", r.Ours.Name, r.Ours.ASN, r.Peer.ASN)
	w("About us\n")
	w("  AS number:     %s\n", r.Ours.ASN)
	if r.Ours.ASSet != "" {
		w("  AS-SET:        %s\n", r.Ours.ASSet)
	} else {
		w("  AS-SET:        none; please filter on %s\n", r.Ours.ASN)
	}
	w("  PeeringDB:     %s\n\n", r.Ours.PeeringDBURL)
	if len(r.IXPs) > 0 {
		w("Exchanges we share\n")
		for _, x := range r.IXPs {
			w("  %s (PeeringDB ix %d)\n", x.Name, x.PeeringDBIX)
			w("    %s: %s\n", r.Ours.ASN, addrList(x.Ours))
			w("    %s: %s\n", r.Peer.ASN, addrList(x.Theirs))
			if len(x.NotInPeeringDB) > 0 {
				w("    The exchange's member list (IX-F) gives you: %s\n", addrList(x.NotInPeeringDB))
				w("    Your PeeringDB record does not; we would use the exchange's. Please check it.\n")
			}
		}
		w("\n")
	}
	if len(r.Facilities) > 0 {
		w("Facilities we share\n")
		for _, f := range r.Facilities {
			if f.Address != "" {
				w("  %s, %s\n", f.Name, f.Address)
			} else {
				w("  %s\n", f.Name)
			}
		}
		w("\n")
	}
	if len(r.Sessions) > 0 {
		w("Sessions we would configure\n")
		for _, s := range r.Sessions {
			w("  %s, router %s: %s -> %s\n", s.IXP, s.Router, s.LocalAddr, s.PeerAddr)
		}
		w("\n")
	}
	w("Max-prefix we would set for your routes\n")
	w("  IPv4: %d (%s)\n", r.MaxPrefix.IPv4, r.MaxPrefix.IPv4Source)
	w("  IPv6: %d (%s)\n", r.MaxPrefix.IPv6, r.MaxPrefix.IPv6Source)
	w("Please tell us if you expect to announce more.\n\n")
	w("How we rate this peering\n")
	w("  %s\n", r.Summary.Headline)
	for _, f := range r.Summary.For {
		w("  + %s\n", f)
	}
	for _, f := range r.Summary.Against {
		w("  - %s\n", f)
	}
	w("\nYour PeeringDB record: %s\n\n", r.Peer.PeeringDBURL)
	w("Please reply to this message to agree, or with any questions.\n\n")
	w("Best regards,\n%s peering (%s)\n", r.Ours.Name, r.Ours.ASN)
	return b.String()
}

func addrList(as []netip.Addr) string {
	if len(as) == 0 {
		return "not listed"
	}
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}
