package peeringdb

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/ixf"
)

// PortDirectory is what session derivation needs from PeeringDB. *Store
// implements it; a nil PortDirectory means "no PeeringDB data", and only
// explicit sessions are produced.
type PortDirectory interface {
	NetIXLANs(asn bgp.ASN, ixID int) []NetIXLAN
	IXPrefixes(ixID int) []netip.Prefix
}

// OurIX is one of our exchange points as policy describes it.
type OurIX struct {
	// Name is the policy's name for it ("DOC-IX-AMS").
	Name string
	// IXID is its PeeringDB ix id; 0 when it is not in PeeringDB.
	IXID int
	// LANs are the peering LAN prefixes from policy; for a family they
	// leave out, the IX's PeeringDB ixpfx prefixes are used.
	LANs []netip.Prefix
	// Routers are our routers connected to it, with their own addresses on
	// the LAN. A router gets sessions of a family only if it has an
	// address of that family.
	Routers []OurRouter
	// Export is the exchange's IX-F member export when policy names one:
	// a second source of peer addresses, merged with PeeringDB's (see
	// mergeFamily). Nil: PeeringDB only.
	Export *ixf.Exchange
}

// OurRouter is one of our routers at an IX.
type OurRouter struct {
	Name       string
	IPv4, IPv6 netip.Addr
}

// PeerRequest is what a peer file says about where to peer.
type PeerRequest struct {
	ASN bgp.ASN
	// IXPs limits derivation to these of our IXPs (by name); empty = all.
	IXPs []string
	// Sessions written in the peer file. At an IXP with at least one of
	// them nothing is derived: they replace derivation there. They are
	// used even at IXPs outside IXPs.
	Sessions []ExplicitSession
}

// ExplicitSession is a session written in the peer file.
type ExplicitSession struct {
	IX string
	// Router is empty for every router of ours at IX.
	Router     string
	IPv4, IPv6 netip.Addr // zero when not given
}

// Session is one BGP session to set up: on Router, to PeerAddr.
type Session struct {
	Peer      bgp.ASN    `json:"peer"`
	IX        string     `json:"ix"`
	IXID      int        `json:"ix_id,omitempty"`
	Router    string     `json:"router"`
	Family    bgp.Family `json:"family"`
	LocalAddr netip.Addr `json:"local_addr"`
	PeerAddr  netip.Addr `json:"peer_addr"`
	// IsRSPeer is the peer's netixlan is_rs_peer (false for explicit
	// sessions).
	IsRSPeer   bool       `json:"is_rs_peer"`
	Provenance Provenance `json:"provenance"`
}

// SkippedAddr is a peer address found in PeeringDB that did not become a
// session, with the reason.
type SkippedAddr struct {
	IX         string     `json:"ix"`
	Addr       netip.Addr `json:"addr"`
	NetIXLANID int        `json:"netixlan_id"`
	Reason     string     `json:"reason"`
}

// WarningCode classifies a derivation warning so that callers can attach it
// to the right place in the peer file.
type WarningCode string

// Warning codes of DeriveSessions.
const (
	// WarnNoCommonIXP: the peer is at none of our IXPs (Message names ours).
	WarnNoCommonIXP WarningCode = "no-common-ixp"
	// WarnNoUsableAddress: the peer is at our IXPs but no address of its
	// became a session (all outside the LANs, not operational, …).
	WarnNoUsableAddress WarningCode = "no-usable-address"
	// WarnUnknownIXP: ixps or a session names an IXP we are not at.
	WarnUnknownIXP WarningCode = "unknown-ixp"
	// WarnNotAtIXP: ixps names one of our IXPs where the peer is absent.
	WarnNotAtIXP WarningCode = "not-at-ixp"
	// WarnOutsideLAN: an address is outside the IXP's LANs (skipped; an
	// explicit one is an error, as against LANs written in policy).
	WarnOutsideLAN WarningCode = "outside-lan"
	// WarnOwnAddress: a peer address is one of our routers' addresses.
	WarnOwnAddress WarningCode = "own-address"
	// WarnLANAddress: a peer address is the network or broadcast address
	// of the IXP's LAN, which no interface can have.
	WarnLANAddress WarningCode = "lan-address"
	// WarnNotOperational: PeeringDB marks the port as not operational.
	WarnNotOperational WarningCode = "not-operational"
	// WarnNoLAN: neither policy nor PeeringDB gives the IXP's LANs.
	WarnNoLAN WarningCode = "no-lan"
	// WarnNoRouter: no router of ours can carry the session (none at the
	// IXP, an unknown router name, or no local address of the family).
	WarnNoRouter WarningCode = "no-router"
	// WarnSourcesDisagree: PeeringDB and the exchange's IX-F export list
	// different addresses of a family for the peer; the export's are used.
	WarnSourcesDisagree WarningCode = "sources-disagree"
	// WarnOnlyInPeeringDB: only PeeringDB lists an address of the family,
	// not the exchange's IX-F export; PeeringDB's is used.
	WarnOnlyInPeeringDB WarningCode = "only-in-peeringdb"
	// WarnOnlyInIXF: only the exchange's IX-F export lists an address of
	// the family, not PeeringDB; the export's is used.
	WarnOnlyInIXF WarningCode = "only-in-ixf"
)

// Warning is a problem found while deriving sessions; IX is empty when it
// concerns the peer as a whole.
type Warning struct {
	Code    WarningCode `json:"code"`
	IX      string      `json:"ix,omitempty"`
	Message string      `json:"message"`
	// Explicit is set when the address at fault was written in the peer
	// file (and is ignored) rather than derived from PeeringDB.
	Explicit bool `json:"explicit,omitempty"`
}

func (w Warning) String() string { return w.Message }

// Derivation is the result of DeriveSessions.
type Derivation struct {
	Sessions []Session     `json:"sessions"`
	Skipped  []SkippedAddr `json:"skipped"`
	Warnings []Warning     `json:"warnings"`
}

// DeriveSessions works out a peer's sessions the way Coloclue does: at each
// of our IXPs (limited by peer.IXPs), every netixlan address of the peer
// inside that IXP's LANs becomes a session, per family, on each of our
// routers there. Explicit sessions replace derivation at their IXP.
// Addresses outside the LANs, of non-operational ports, or equal to one of
// our routers' addresses are skipped with a warning. The result is sorted
// (IX, router, family, address) and depends only on the inputs.
func DeriveSessions(dir PortDirectory, peer PeerRequest, ours []OurIX) Derivation {
	d := Derivation{Sessions: []Session{}, Skipped: []SkippedAddr{}, Warnings: []Warning{}}
	ixs := slices.Clone(ours)
	slices.SortFunc(ixs, func(a, b OurIX) int { return cmp.Compare(a.Name, b.Name) })
	byName := map[string]bool{}
	for _, x := range ixs {
		byName[x.Name] = true
	}

	limit := map[string]bool{}
	for _, name := range peer.IXPs {
		if !byName[name] {
			d.warn(WarnUnknownIXP, name, "ixps lists %q, which is not one of our IXPs (%s)", name, ixNames(ixs))
			continue
		}
		limit[name] = true
	}
	explicit := map[string][]ExplicitSession{}
	for _, s := range peer.Sessions {
		if !byName[s.IX] {
			d.warn(WarnUnknownIXP, s.IX, "session %q: not one of our IXPs (%s); ignored", s.IX, ixNames(ixs))
			continue
		}
		explicit[s.IX] = append(explicit[s.IX], s)
	}

	present := false
	var at []string // our IXPs where PeeringDB has ports of the peer
	for _, ix := range ixs {
		if len(ix.Routers) == 0 {
			if len(explicit[ix.Name]) > 0 || limit[ix.Name] {
				d.warn(WarnNoRouter, ix.Name, "no router of ours is at %s", ix.Name)
			}
			continue
		}
		lans, fromPDB := ixLANs(dir, ix)
		if ss := explicit[ix.Name]; len(ss) > 0 {
			d.addExplicit(peer.ASN, ix, lans, ss)
			present = true
			continue
		}
		var ports []NetIXLAN
		if dir != nil && ix.IXID > 0 {
			ports = dir.NetIXLANs(peer.ASN, ix.IXID)
		}
		members := ix.Export.Ports(peer.ASN)
		if len(limit) > 0 && !limit[ix.Name] {
			present = present || len(ports) > 0 || len(members) > 0
			continue
		}
		if len(ports) == 0 && len(members) == 0 {
			if limit[ix.Name] {
				nor := ""
				if ix.Export != nil {
					nor = ", nor does the exchange's IX-F export list it"
				}
				d.warn(WarnNotAtIXP, ix.Name, "ixps lists %s, but PeeringDB has no port of %s there%s", ix.Name, peer.ASN, nor)
			}
			continue
		}
		present = true
		at = append(at, ix.Name)
		if len(lans) == 0 {
			d.warn(WarnNoLAN, ix.Name, "cannot derive sessions at %s: its LANs are neither in policy nor in PeeringDB", ix.Name)
			continue
		}
		d.addDerived(peer.ASN, ix, lans, fromPDB, ports, members)
	}

	switch {
	case !present && len(peer.Sessions) == 0:
		d.warn(WarnNoCommonIXP, "", "%s is not at any of our IXPs (%s) according to PeeringDB, and the peer file gives no sessions",
			peer.ASN, ixNames(ixs))
	case present && len(d.Sessions) == 0 && !d.has(WarnNotAtIXP):
		// Say what to write; "why" only when there is something to see.
		where := "IXP"
		if len(at) > 0 {
			where = at[0]
		}
		why := "PeeringDB lists no address of its ports there"
		if len(d.Warnings) > 0 {
			why = "none of its addresses can be used (the warnings above say why)"
		}
		by := "PeeringDB"
		if slices.ContainsFunc(ixs, func(x OurIX) bool { return len(x.Export.Ports(peer.ASN)) > 0 }) {
			by = "PeeringDB and the IX-F exports"
		}
		d.warn(WarnNoUsableAddress, "", "%s is at %s according to %s, but %s, so it gets no session; write its addresses in the peer file: session %q { ipv4 = \"…\"  ipv6 = \"…\" }",
			peer.ASN, orNone(strings.Join(at, ", "), "our IXPs"), by, why, where)
	}
	slices.SortFunc(d.Sessions, func(a, b Session) int {
		return cmp.Or(cmp.Compare(a.IX, b.IX), cmp.Compare(a.Router, b.Router), cmp.Compare(a.Family, b.Family),
			a.PeerAddr.Compare(b.PeerAddr))
	})
	return d
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func (d *Derivation) has(code WarningCode) bool {
	return slices.ContainsFunc(d.Warnings, func(w Warning) bool { return w.Code == code })
}

func (d *Derivation) warn(code WarningCode, ix, format string, args ...any) {
	d.Warnings = append(d.Warnings, Warning{Code: code, IX: ix, Message: fmt.Sprintf(format, args...)})
}

// warnExplicit records a problem with an address the peer file wrote.
func (d *Derivation) warnExplicit(code WarningCode, ix, format string, args ...any) {
	d.warn(code, ix, format, args...)
	d.Warnings[len(d.Warnings)-1].Explicit = true
}

func (d *Derivation) addExplicit(asn bgp.ASN, ix OurIX, lans []netip.Prefix, ss []ExplicitSession) {
	for _, s := range ss {
		routers := ix.Routers
		if s.Router != "" {
			routers = slices.DeleteFunc(slices.Clone(ix.Routers), func(r OurRouter) bool { return r.Name != s.Router })
			if len(routers) == 0 {
				d.warn(WarnNoRouter, ix.Name, "session %q names router %q, which is not at %s", ix.Name, s.Router, ix.Name)
				continue
			}
		}
		for _, addr := range []netip.Addr{s.IPv4, s.IPv6} {
			if !addr.IsValid() {
				continue
			}
			if ownAddress(ix, addr) {
				d.warnExplicit(WarnOwnAddress, ix.Name, "session %q: %s is our own router's address; ignored", ix.Name, addr)
				continue
			}
			if lan, ok := containing(lans, addr); ok && bgp.LANEdge(lan, addr) != "" {
				d.warnExplicit(WarnLANAddress, ix.Name, "session %q: %s is the %s address of the LAN %s; ignored", ix.Name, addr, bgp.LANEdge(lan, addr), lan)
				continue
			}
			if len(lans) > 0 && !inside(lans, addr) {
				// As with a LAN written in policy: no router can reach it.
				d.warnExplicit(WarnOutsideLAN, ix.Name, "session %q: %s is not inside %s's LANs %s; ignored",
					ix.Name, addr, ix.Name, prefixList(lans))
				continue
			}
			prov := Provenance{Origin: FromIntent, Detail: fmt.Sprintf("session %q in the peer file", ix.Name)}
			d.addOnRouters(asn, ix, routers, addr, false, prov)
		}
	}
}

// ixLANs are an IX's LANs: policy's, and for a family policy gives none,
// PeeringDB's (ixpfx), which fromPDB lists.
func ixLANs(dir PortDirectory, ix OurIX) (lans []netip.Prefix, fromPDB map[netip.Prefix]bool) {
	lans = slices.Clone(ix.LANs)
	if dir == nil || ix.IXID <= 0 {
		return lans, nil
	}
	has4 := slices.ContainsFunc(lans, func(p netip.Prefix) bool { return p.Addr().Is4() })
	has6 := slices.ContainsFunc(lans, func(p netip.Prefix) bool { return p.Addr().Is6() })
	for _, p := range dir.IXPrefixes(ix.IXID) {
		if p.Addr().Is4() && !has4 || p.Addr().Is6() && !has6 {
			lans = append(lans, p)
			if fromPDB == nil {
				fromPDB = map[netip.Prefix]bool{}
			}
			fromPDB[p] = true
		}
	}
	return lans, fromPDB
}

// found is a peer address one source gives that can be a neighbor.
type found struct {
	addr   netip.Addr
	rs     bool
	detail string // where it came from, for its provenance
	ref    string // the row or line in the source: "netixlan 1234", "line 42"
}

// addDerived adds the sessions to the peer's addresses at ix: PeeringDB's
// (ports), and when policy names the exchange's IX-F export, the
// export's (members), merged by the rule of mergeFamily.
func (d *Derivation) addDerived(asn bgp.ASN, ix OurIX, lans []netip.Prefix, fromPDB map[netip.Prefix]bool, ports []NetIXLAN, members []ixf.Port) {
	lanOrigin := func(lan netip.Prefix) Origin {
		if fromPDB[lan] {
			return FromPeeringDB
		}
		return FromPolicy
	}
	db := d.peeringDBAddrs(asn, ix, lans, ports, lanOrigin)
	if ix.Export == nil {
		for _, f := range db {
			d.addOnRouters(asn, ix, ix.Routers, f.addr, f.rs, Provenance{Origin: FromPeeringDB, Detail: f.detail})
		}
		return
	}
	xf, down := d.exportAddrs(asn, ix, lans, members, lanOrigin)
	for _, fam := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
		d.mergeFamily(asn, ix, fam, ofFamily(db, fam), ofFamily(xf, fam), down)
	}
}

// skipReason says why addr, a peer's address at ix, cannot be a neighbor
// (outside the LANs, ours, the LAN's network or broadcast address), or
// returns the LAN it is on.
func skipReason(ix OurIX, lans []netip.Prefix, addr netip.Addr) (netip.Prefix, WarningCode, string) {
	lan, ok := containing(lans, addr)
	switch {
	case !ok:
		return lan, WarnOutsideLAN, fmt.Sprintf("outside the LANs %s", prefixList(lans))
	case ownAddress(ix, addr):
		return lan, WarnOwnAddress, "it is one of our routers' addresses"
	case bgp.LANEdge(lan, addr) != "":
		return lan, WarnLANAddress, fmt.Sprintf("it is the %s address of the LAN %s", bgp.LANEdge(lan, addr), lan)
	}
	return lan, "", ""
}

// peeringDBAddrs are the usable netixlan addresses of the peer at ix;
// the others are skipped with a warning.
func (d *Derivation) peeringDBAddrs(asn bgp.ASN, ix OurIX, lans []netip.Prefix, ports []NetIXLAN, lanOrigin func(netip.Prefix) Origin) []found {
	var out []found
	seen := map[netip.Addr]bool{}
	for _, p := range ports {
		for _, addr := range []netip.Addr{p.IPv4, p.IPv6} {
			if !addr.IsValid() || seen[addr] {
				continue
			}
			seen[addr] = true
			skip := func(code WarningCode, reason string) {
				d.Skipped = append(d.Skipped, SkippedAddr{IX: ix.Name, Addr: addr, NetIXLANID: p.ID, Reason: reason})
				d.warn(code, ix.Name, "%s at %s: skipped %s (PeeringDB netixlan %d): %s", asn, ix.Name, addr, p.ID, reason)
			}
			if !p.Operational {
				skip(WarnNotOperational, "the port is not operational")
				continue
			}
			lan, code, reason := skipReason(ix, lans, addr)
			if code != "" {
				skip(code, reason)
				continue
			}
			detail := fmt.Sprintf("netixlan %d (%s at ix %d), inside %s from %s", p.ID, asn, ix.IXID, lan, lanOrigin(lan))
			if !p.Updated.IsZero() {
				detail += ", updated " + p.Updated.Format("2006-01-02")
			}
			out = append(out, found{addr: addr, rs: p.IsRSPeer, detail: detail, ref: fmt.Sprintf("netixlan %d", p.ID)})
		}
	}
	return out
}

// addOnRouters adds a session to addr on every router given that has a
// local address of the same family.
func (d *Derivation) addOnRouters(asn bgp.ASN, ix OurIX, routers []OurRouter, addr netip.Addr, rs bool, prov Provenance) {
	fam := bgp.FamilyOf(addr)
	for _, r := range routers {
		local := r.IPv4
		if fam == bgp.IPv6 {
			local = r.IPv6
		}
		if !local.IsValid() {
			d.warn(WarnNoRouter, ix.Name, "router %s has no %s address at %s; no session to %s", r.Name, fam, ix.Name, addr)
			continue
		}
		d.Sessions = append(d.Sessions, Session{Peer: asn, IX: ix.Name, IXID: ix.IXID, Router: r.Name, Family: fam,
			LocalAddr: local, PeerAddr: addr, IsRSPeer: rs, Provenance: prov})
	}
}

func ownAddress(ix OurIX, a netip.Addr) bool {
	for _, r := range ix.Routers {
		if r.IPv4 == a || r.IPv6 == a {
			return true
		}
	}
	return false
}

func containing(lans []netip.Prefix, a netip.Addr) (netip.Prefix, bool) {
	for _, p := range lans {
		if p.Contains(a) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

func inside(lans []netip.Prefix, a netip.Addr) bool {
	_, ok := containing(lans, a)
	return ok
}

func prefixList(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

func ixNames(ixs []OurIX) string {
	if len(ixs) == 0 {
		return "none configured"
	}
	s := make([]string, len(ixs))
	for i, x := range ixs {
		s[i] = x.Name
	}
	return strings.Join(s, ", ")
}
