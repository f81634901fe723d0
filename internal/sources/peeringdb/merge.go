package peeringdb

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/ixf"
)

// The merge of PeeringDB's netixlan addresses with an exchange's IX-F
// member export (the exchange's own record of its LAN) where policy names
// one. The rule is mergeFamily's; docs/intents.md states it for users.

// exportAddrs are the usable addresses the exchange's IX-F export lists
// for the peer, and those of connections it marks as not active (down).
// An address on a VLAN of the exchange that is not one of our LANs (the
// export says so with that VLAN's prefix) is left out quietly; the others
// that cannot be used are skipped with a warning.
func (d *Derivation) exportAddrs(asn bgp.ASN, ix OurIX, lans []netip.Prefix, members []ixf.Port, lanOrigin func(netip.Prefix) Origin) (out []found, down map[netip.Addr]string) {
	x := ix.Export
	seen := map[netip.Addr]bool{}
	for _, p := range members {
		if seen[p.Addr] {
			continue
		}
		seen[p.Addr] = true
		where := fmt.Sprintf("%s line %d", x.File, p.Line)
		skip := func(code WarningCode, reason string, quiet bool) {
			d.Skipped = append(d.Skipped, SkippedAddr{IX: ix.Name, Addr: p.Addr, Reason: reason + " (" + where + ")"})
			if !quiet {
				d.warn(code, ix.Name, "%s at %s: skipped %s (IX-F export %s): %s", asn, ix.Name, p.Addr, where, reason)
			}
		}
		lan, code, reason := skipReason(ix, lans, p.Addr)
		switch {
		case code == WarnOutsideLAN && onOtherVLAN(x, lans, p.Addr):
			skip(code, "on another VLAN of the exchange, "+reason, true)
			continue
		case code != "":
			skip(code, reason, false)
			continue
		case !p.Active:
			if down == nil {
				down = map[netip.Addr]string{}
			}
			down[p.Addr] = p.State
			skip(WarnNotOperational, fmt.Sprintf("the export gives the connection's state as %q", p.State), false)
			continue
		}
		detail := fmt.Sprintf("%s line %d (%s), inside %s from %s", x, p.Line, asn, lan, lanOrigin(lan))
		out = append(out, found{addr: p.Addr, rs: p.RouteServer, detail: detail, ref: "line " + fmt.Sprint(p.Line)})
	}
	return out, down
}

// onOtherVLAN reports whether addr lies in a prefix the export gives one
// of the exchange's VLANs that is none of our LANs.
func onOtherVLAN(x *ixf.Exchange, lans []netip.Prefix, addr netip.Addr) bool {
	for _, p := range x.IXP.Prefixes() {
		if p.Contains(addr) && !slices.ContainsFunc(lans, p.Overlaps) {
			return true
		}
	}
	return false
}

// mergeFamily decides the peer's sessions of one family at an exchange
// whose IX-F export policy names, from PeeringDB's addresses (db) and the
// export's (xf), by the rule docs/intents.md states:
//
//   - both list the same addresses: those;
//   - only one source lists any: that source's, with a warning naming it;
//   - both list addresses, not the same: the export's, with a warning —
//     the exchange's own record of its LAN is authoritative, PeeringDB is
//     what the peer last typed in. PeeringDB's other addresses are skipped.
//
// A PeeringDB address on a connection the export marks as not active
// (down) is skipped: the exchange says the port is not in service.
func (d *Derivation) mergeFamily(asn bgp.ASN, ix OurIX, fam bgp.Family, db, xf []found, down map[netip.Addr]string) {
	x := ix.Export
	db = slices.DeleteFunc(db, func(f found) bool {
		state, isDown := down[f.addr]
		if isDown {
			d.Skipped = append(d.Skipped, SkippedAddr{IX: ix.Name, Addr: f.addr, Reason: fmt.Sprintf("%s: the exchange's IX-F export gives its connection's state as %q", f.ref, state)})
		}
		return isDown
	})
	switch {
	case len(db) == 0 && len(xf) == 0:
		return
	case len(xf) == 0:
		for _, f := range db {
			d.addOnRouters(asn, ix, ix.Routers, f.addr, f.rs, Provenance{Origin: FromPeeringDB, Detail: f.detail + "; not in " + x.String()})
		}
		d.warn(WarnOnlyInPeeringDB, ix.Name, "%s at %s: PeeringDB lists %s (%s), but the exchange's %s has no %s address for it; using PeeringDB's",
			asn, ix.Name, addrList(db), refList(db), x, fam)
		return
	case len(db) == 0:
		for _, f := range xf {
			d.addOnRouters(asn, ix, ix.Routers, f.addr, f.rs, Provenance{Origin: FromIXF, Detail: f.detail + "; PeeringDB has no " + fam.String() + " address"})
		}
		d.warn(WarnOnlyInIXF, ix.Name, "%s at %s: the exchange's %s lists %s (%s), but PeeringDB has no %s address for it; using the export's",
			asn, ix.Name, x, addrList(xf), refList(xf), fam)
		return
	}
	inDB := map[netip.Addr]found{}
	for _, f := range db {
		inDB[f.addr] = f
	}
	agree := len(db) == len(xf)
	for _, f := range xf {
		detail := f.detail + "; not in PeeringDB"
		if o, ok := inDB[f.addr]; ok {
			detail = f.detail + "; PeeringDB " + o.ref + " agrees"
			delete(inDB, f.addr)
		} else {
			agree = false
		}
		d.addOnRouters(asn, ix, ix.Routers, f.addr, f.rs, Provenance{Origin: FromIXF, Detail: detail})
	}
	if agree {
		return
	}
	for _, f := range db {
		if _, left := inDB[f.addr]; left {
			d.Skipped = append(d.Skipped, SkippedAddr{IX: ix.Name, Addr: f.addr,
				Reason: fmt.Sprintf("%s: not in the exchange's IX-F export %s, which lists %s", f.ref, x.File, addrList(xf))})
		}
	}
	d.warn(WarnSourcesDisagree, ix.Name, "%s at %s: PeeringDB lists %s (%s), but the exchange's %s lists %s (%s); using the export's, the exchange's own record of its LAN",
		asn, ix.Name, addrList(db), refList(db), x, addrList(xf), refList(xf))
}

func ofFamily(fs []found, fam bgp.Family) []found {
	var out []found
	for _, f := range fs {
		if bgp.FamilyOf(f.addr) == fam {
			out = append(out, f)
		}
	}
	return out
}

func addrList(fs []found) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.addr.String()
	}
	return strings.Join(s, ", ")
}

func refList(fs []found) string {
	var s []string
	for _, f := range fs {
		if !slices.Contains(s, f.ref) {
			s = append(s, f.ref)
		}
	}
	return strings.Join(s, ", ")
}
