package model

import (
	"fmt"
	"slices"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// ChangedPeers lists, sorted, the peers whose resolved configuration
// differs between two models: prefixes (and which are RPKI-invalid), the IRR
// state, max-prefix limits, any other setting, or a session on any router.
// A peer in only one of the models counts as changed. Plans use it to say
// which peers a change of outside data affects.
func ChangedPeers(a, b *Model) []bgp.ASN {
	fa, fb := fingerprints(a), fingerprints(b)
	var out []bgp.ASN
	for asn, f := range fa {
		if fb[asn] != f {
			out = append(out, asn)
		}
	}
	for asn := range fb {
		if _, ok := fa[asn]; !ok {
			out = append(out, asn)
		}
	}
	slices.Sort(out)
	return out
}

// fingerprints describes each peer of m, with its sessions on every
// router, as a string that is equal exactly when the resolution is.
func fingerprints(m *Model) map[bgp.ASN]string {
	b := map[bgp.ASN]*strings.Builder{}
	for _, p := range m.Peers {
		w := &strings.Builder{}
		b[p.ASN] = w
		md5 := ""
		if p.MD5 != nil {
			md5 = p.MD5.Name
		}
		fmt.Fprintf(w, "%s|%s|%s|%v|%v|%d|%t%t%t%t|%s|%s|%s/%t\n", p.Name, p.Description, p.IRR, p.Import, p.Export,
			p.LocalPref, p.GTSM, p.BFD, p.Shutdown, p.RouteServer, md5, p.Status, p.Role, p.RoleStrict)
		for _, fam := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
			fmt.Fprintf(w, "%s max %d:", fam, p.MaxPrefix[fam].Limit)
			// Of the RPKI state only "invalid" reaches a config (such
			// prefixes are left out of prefix lists).
			for _, x := range p.Prefixes[fam] {
				fmt.Fprintf(w, " %s/%t", x.Prefix, x.RPKI == rpki.Invalid)
			}
			w.WriteString("\n")
		}
		fmt.Fprintf(w, "asns %v\n", p.ASNs)
	}
	for _, r := range m.Routers {
		for _, s := range r.Sessions {
			if w := b[s.Peer.ASN]; w != nil {
				fmt.Fprintf(w, "%s %s %s %s %s %d %t %t\n", r.Name, s.IXP, s.Family, s.Neighbor, s.Local, s.MaxPrefix, s.Drain, s.Disabled)
			}
		}
	}
	out := make(map[bgp.ASN]string, len(b))
	for asn, w := range b {
		out[asn] = w.String()
	}
	return out
}
