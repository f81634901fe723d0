package model

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/ixf"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// Inputs is the outside data a model is built from. Every field may be
// missing; the model then says so (IRRMissing, RPKIUnknown, no derived
// sessions) instead of guessing.
type Inputs struct {
	PeeringDB *peeringdb.Store
	// IRR holds the expansion of every ref ImportRefs returned.
	IRR  map[bgp.ObjectRef]irr.Result
	RPKI *rpki.Table
	// ASPAs are the RPKI ASPAs, for check to verify the AS paths routers
	// accepted; nil: none known.
	ASPAs *rpki.ASPAs
	// IXF are the IX-F exports the IXPs name (ixf_export), by path; an
	// IXP whose export is missing here gets addresses from PeeringDB only
	// (the loader reports why).
	IXF map[string]*ixf.Export
	// Data describes the inputs for the record in Model.Data.
	Data DataVersions
}

// ImportRefs lists the IRR objects a repository's peers import, sorted and
// without duplicates: what must be expanded before Build.
func ImportRefs(repo *intent.Repo) []bgp.ObjectRef {
	seen := map[bgp.ObjectRef]bool{}
	var refs []bgp.ObjectRef
	for _, p := range repo.Peers {
		if p.Import.Name != "" && !seen[p.Import] {
			seen[p.Import] = true
			refs = append(refs, p.Import)
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].String() < refs[j].String() })
	return refs
}

// Build resolves repo against the inputs. The diagnostics are warnings
// about the outside data (a peer at none of our IXPs, an empty IRR
// expansion, an RPKI-invalid route object, a max-prefix that fell back to
// the default), each pointing at the peer file line it concerns, and
// errors for sessions that cannot work: a neighbor address two peers
// claim, or a written address that is ours or the LAN's network or
// broadcast address (known from PeeringDB only).
func Build(repo *intent.Repo, in Inputs) (*Model, hcl.Diagnostics) {
	b := &builder{repo: repo, in: in}
	m := &Model{Network: repo.Network, Filters: repo.Filters, Data: in.Data, ASPAs: in.ASPAs}
	routers := map[string]*Router{}
	for _, rt := range repo.Routers {
		rtr := repo.RPKI.RTR
		if rt.RTR != nil {
			rtr = rt.RTR
		}
		r := &Router{Name: rt.Name, Platform: rt.Platform, Environment: rt.Environment,
			RouterID: rt.RouterID, RTR: slices.Clone(rtr), Intent: rt}
		for _, p := range rt.Ports {
			port := Port{IXP: p.IXP, IPv4: p.IPv4, IPv6: p.IPv6}
			if x := repo.IXP(p.IXP); x != nil {
				port.Community = x.Community
			}
			r.Ports = append(r.Ports, port)
		}
		routers[rt.Name] = r
		m.Routers = append(m.Routers, r)
	}
	b.checkOurAddresses()
	ours := b.ourIXs()
	for _, ip := range repo.Peers {
		p := b.peer(ip)
		m.Peers = append(m.Peers, p)
		if !ip.Status.Renders() {
			continue // tracked and scored, not configured
		}
		for _, s := range b.sessions(ip, p, ours) {
			r := routers[s.Router]
			if r == nil {
				continue
			}
			r.Sessions = append(r.Sessions, &Session{
				Peer: p, IXP: s.IX, Family: s.Family, Neighbor: s.PeerAddr, Local: s.LocalAddr,
				MaxPrefix: p.MaxPrefix[s.Family].Limit, Provenance: s.Provenance,
				Drain:    p.Shutdown || inMaintenance(repo, r.Name, s.IX),
				Disabled: ip.Status == intent.StatusDecommissioning,
			})
		}
	}
	for _, r := range m.Routers {
		sort.SliceStable(r.Sessions, func(i, j int) bool { return sessionLess(r.Sessions[i], r.Sessions[j]) })
	}
	m.NeverViaRouteServers = neverViaRouteServers(in.PeeringDB, repo.Network.ASN)
	b.checkNeighbors(m)
	return m, b.diags
}

// checkNeighbors reports neighbor addresses that two peers claim on one
// router (a PeeringDB row naming another peer's address, say): the router
// would keep one session and filter the other peer's routes with the
// wrong policy. The error goes to the peer whose address came from
// PeeringDB or an IX-F export, else to the later one; explicit duplicates
// were refused by validation already.
func (b *builder) checkNeighbors(m *Model) {
	reported := map[string]bool{}
	for _, r := range m.Routers {
		first := map[netip.Addr]*Session{}
		for _, s := range r.Sessions {
			o, ok := first[s.Neighbor]
			if !ok {
				first[s.Neighbor] = s
				continue
			}
			if o.Peer.ASN == s.Peer.ASN {
				continue
			}
			blame, other := s, o
			if o.Provenance.Origin.Derived() && !s.Provenance.Origin.Derived() {
				blame, other = o, s
			}
			key := fmt.Sprintf("%s %s %s", blame.Peer.ASN, other.Peer.ASN, s.Neighbor)
			if reported[key] {
				continue
			}
			reported[key] = true
			b.errorf(blame.Peer.Intent.Range("ixps"), "Neighbor address used twice",
				"%s at %s is claimed by %s (%s) and by %s (%s); one address can be one BGP neighbor only, so router %s would keep just one of the sessions. Fix the PeeringDB record or the export, or write the right address in a session block.",
				s.Neighbor, s.IXP, other.Peer.ASN, other.Provenance.Detail, blame.Peer.ASN, blame.Provenance.Detail, r.Name)
		}
	}
}

// inMaintenance reports whether a router or an IXP is in maintenance, which
// drains every session on it.
func inMaintenance(repo *intent.Repo, router, ixp string) bool {
	if r := repo.Router(router); r != nil && r.Status == intent.StatusMaintenance {
		return true
	}
	x := repo.IXP(ixp)
	return x != nil && x.Status == intent.StatusMaintenance
}

func sessionLess(a, b *Session) bool {
	switch {
	case a.Peer.ASN != b.Peer.ASN:
		return a.Peer.ASN < b.Peer.ASN
	case a.IXP != b.IXP:
		return a.IXP < b.IXP
	case a.Family != b.Family:
		return a.Family < b.Family
	}
	return a.Neighbor.Less(b.Neighbor)
}

type builder struct {
	repo  *intent.Repo
	in    Inputs
	diags hcl.Diagnostics
}

func (b *builder) warn(rng hcl.Range, summary, format string, args ...any) {
	b.diags = append(b.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr(),
	})
}

func (b *builder) errorf(rng hcl.Range, summary, format string, args ...any) {
	b.diags = append(b.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr(),
	})
}

// checkOurAddresses holds our routers' addresses on an exchange whose LAN
// of the family policy leaves to PeeringDB (peeringdb_ix only) to
// PeeringDB's LANs (ixpfx), with the errors validation gives against a LAN
// written in policy: outside every LAN, or its network or broadcast
// address. Such a router would render a session it cannot have.
func (b *builder) checkOurAddresses() {
	if b.in.PeeringDB == nil {
		return
	}
	for _, rt := range b.repo.Routers {
		for _, p := range rt.Ports {
			x := b.repo.IXP(p.IXP)
			if x == nil || x.PeeringDBIX == 0 {
				continue
			}
			lans := b.in.PeeringDB.IXPrefixes(x.PeeringDBIX)
			for _, a := range []struct {
				addr   netip.Addr
				policy netip.Prefix
				rng    hcl.Range
			}{{p.IPv4, x.IPv4LAN, p.IPv4Range}, {p.IPv6, x.IPv6LAN, p.IPv6Range}} {
				if !a.addr.IsValid() || a.policy.IsValid() {
					continue
				}
				var fam []string
				inside := netip.Prefix{}
				for _, lan := range lans {
					if lan.Addr().Is4() != a.addr.Is4() {
						continue
					}
					fam = append(fam, lan.String())
					if lan.Contains(a.addr) {
						inside = lan
					}
				}
				switch {
				case len(fam) == 0:
				case !inside.IsValid():
					b.errorf(a.rng, "Address outside the IXP LAN", "Router address %s is not inside %s's LAN %s (PeeringDB ixpfx of ix %d).",
						a.addr, x.Name, strings.Join(fam, ", "), x.PeeringDBIX)
				case bgp.LANEdge(inside, a.addr) != "":
					b.errorf(a.rng, "Not a host address of the LAN", "Router address %s is the %s address of %s's LAN %s (PeeringDB ixpfx); no router or peer can have it.",
						a.addr, bgp.LANEdge(inside, a.addr), x.Name, inside)
				}
			}
		}
	}
}

// ourIXs describes our IXPs and the routers at each for session
// derivation.
func (b *builder) ourIXs() []peeringdb.OurIX {
	var out []peeringdb.OurIX
	for _, x := range b.repo.IXPs {
		ix := peeringdb.OurIX{Name: x.Name, IXID: x.PeeringDBIX, Export: b.exchange(x)}
		for _, lan := range []netip.Prefix{x.IPv4LAN, x.IPv6LAN} {
			if lan.IsValid() {
				ix.LANs = append(ix.LANs, lan)
			}
		}
		for _, rt := range b.repo.Routers {
			if port, ok := rt.PortAt(x.Name); ok {
				ix.Routers = append(ix.Routers, peeringdb.OurRouter{Name: rt.Name, IPv4: port.IPv4, IPv6: port.IPv6})
			}
		}
		out = append(out, ix)
	}
	return out
}

// exchange selects the IXP's part of the IX-F export it names: the IXP
// ixf_ixp_id names, or the only one of the file. A file that does not
// have it is an error at the attribute; a file whose IXP PeeringDB knows
// by another id than the policy's peeringdb_ix is a warning (it is likely
// another exchange's export).
func (b *builder) exchange(x *intent.IXP) *ixf.Exchange {
	e := b.in.IXF[x.IXF.File]
	if x.IXF.File == "" || e == nil {
		return nil
	}
	ex, err := e.Exchange(x.IXF.File, x.IXF.IXPID)
	if err != nil {
		rng := x.IXF.FileRange
		if x.IXF.IXPID != nil {
			rng = x.IXF.IXPIDRange
		}
		b.errorf(rng, "IXP not in its IX-F export", "%v: peer addresses at %s cannot be read from it.", err, x.Name)
		return nil
	}
	if pdb := ex.IXP.PeeringDBID; pdb != 0 && x.PeeringDBIX != 0 && pdb != x.PeeringDBIX {
		b.warn(x.IXF.FileRange, "IX-F export of another exchange?",
			"%s says its IXP is PeeringDB ix %d, but policy gives %s peeringdb_ix = %d; check that the file is this exchange's export.", ex, pdb, x.Name, x.PeeringDBIX)
	}
	return ex
}

func (b *builder) sessions(ip *intent.Peer, p *Peer, ours []peeringdb.OurIX) []peeringdb.Session {
	req := peeringdb.PeerRequest{ASN: ip.ASN, IXPs: ip.IXPs}
	for _, s := range ip.Sessions {
		req.Sessions = append(req.Sessions, peeringdb.ExplicitSession{IX: s.IXP, Router: s.Router, IPv4: s.IPv4, IPv6: s.IPv6})
	}
	var dir peeringdb.PortDirectory
	if b.in.PeeringDB != nil {
		dir = b.in.PeeringDB
	}
	d := peeringdb.DeriveSessions(dir, req, ours)
	for _, w := range d.Warnings {
		rng := ip.DeclRange
		switch w.Code {
		case peeringdb.WarnUnknownIXP, peeringdb.WarnNotAtIXP:
			rng = ip.Range("ixps")
		case peeringdb.WarnOutsideLAN, peeringdb.WarnNoRouter, peeringdb.WarnOwnAddress, peeringdb.WarnLANAddress:
			if w.IX != "" {
				rng = ip.Range("session." + w.IX)
			}
		}
		if w.Explicit {
			// An address the peer file wrote that cannot be a
			// neighbor: the session it asks for is missing.
			summary := "Not a neighbor address"
			if w.Code == peeringdb.WarnOutsideLAN {
				summary = "Address outside the IXP LAN"
			}
			b.errorf(rng, summary, "%s.", strings.TrimSuffix(w.Message, "."))
			continue
		}
		summary := "Session derivation"
		switch w.Code {
		case peeringdb.WarnNoCommonIXP:
			summary = "No common IXP"
		case peeringdb.WarnSourcesDisagree:
			summary = "PeeringDB and IX-F export disagree"
		case peeringdb.WarnOnlyInPeeringDB:
			summary = "Address only in PeeringDB"
		case peeringdb.WarnOnlyInIXF:
			summary = "Address only in the IX-F export"
		}
		b.warn(rng, summary, "%s.", strings.TrimSuffix(w.Message, "."))
	}
	if len(d.Sessions) == 0 && len(d.Warnings) == 0 {
		b.warn(ip.DeclRange, "No sessions", "%s gets no session: it has no explicit session and no PeeringDB data places it on one of our IXPs.", ip.ASN)
	}
	return d.Sessions
}

func (b *builder) peer(ip *intent.Peer) *Peer {
	p := &Peer{
		ASN: ip.ASN, Name: ip.Name, Description: ip.Description, Import: ip.Import, Export: ip.Export,
		LocalPref: ip.LocalPref, GTSM: ip.GTSM, BFD: ip.BFD, Shutdown: ip.Shutdown || ip.Status == intent.StatusMaintenance,
		RouteServer: ip.RouteServer, Role: ip.Role, RoleStrict: ip.RoleStrict, MD5: ip.MD5, Intent: ip, Status: ip.Status,
		Prefixes: map[bgp.Family][]Prefix{bgp.IPv4: {}, bgp.IPv6: {}},
	}
	if p.LocalPref == 0 {
		p.LocalPref = b.repo.Filters.LocalPref
	}
	var net *peeringdb.Net
	if b.in.PeeringDB != nil {
		if n, ok := b.in.PeeringDB.Net(ip.ASN); ok {
			net = &n
			b.checkPeeringDBASSet(ip, n)
		}
	}
	b.maxPrefix(ip, p, net)
	b.irr(ip, p)
	return p
}

// checkPeeringDBASSet points out when the peer's own PeeringDB record names
// AS-SETs and the peer file imports none of them: often a stale import.
func (b *builder) checkPeeringDBASSet(ip *intent.Peer, n peeringdb.Net) {
	refs, _ := peeringdb.ParseIRRASSet(n.IRRASSet)
	if len(refs) == 0 || ip.Import.Name == "" {
		return
	}
	var names []string
	for _, r := range refs {
		if r.Name == ip.Import.Name {
			return
		}
		names = append(names, r.String())
	}
	b.warn(ip.Range("import"), "Import differs from PeeringDB",
		"The peer file imports %s, but %s's PeeringDB record names %s; the peer file wins.", ip.Import, ip.ASN, strings.Join(names, ", "))
}

func (b *builder) maxPrefix(ip *intent.Peer, p *Peer, net *peeringdb.Net) {
	pol := b.repo.Filters.MaxPrefix
	get := func(l intent.AFILimits, f bgp.Family) int { v, _ := l.Get(f); return v }
	res := peeringdb.MaxPrefixes(ip.ASN, net, peeringdb.MaxPrefixPolicy{
		HeadroomPercent: pol.HeadroomPercent, HeadroomAbsolute: pol.HeadroomAbsolute,
		Floor4: get(pol.Floor, bgp.IPv4), Floor6: get(pol.Floor, bgp.IPv6),
		Default4: get(pol.Default, bgp.IPv4), Default6: get(pol.Default, bgp.IPv6),
	}, peeringdb.MaxPrefixOverride{IPv4: get(ip.MaxPrefix, bgp.IPv4), IPv6: get(ip.MaxPrefix, bgp.IPv6)})
	p.MaxPrefix = map[bgp.Family]peeringdb.MaxPrefixLimit{bgp.IPv4: res.IPv4, bgp.IPv6: res.IPv6}
	if b.in.PeeringDB == nil {
		return // without PeeringDB every peer would warn; the run says so once
	}
	for _, w := range res.Warnings {
		b.warn(ip.DeclRange, "Max-prefix from the policy default", "%s.", w)
	}
}

// irr attaches the peer's prefixes from the IRR, each with its RPKI state.
// A peer whose expansion is missing, failed or empty gets no prefixes:
// render turns that into deny-all, never accept-all.
func (b *builder) irr(ip *intent.Peer, p *Peer) {
	if b.in.IRR == nil {
		// No IRR data at all: the caller says so once, rather than a
		// warning for every peer.
		p.IRR, p.IRRWhy = IRRMissing, "no IRR data was loaded"
		return
	}
	res, ok := b.in.IRR[ip.Import]
	switch {
	case !ok:
		p.IRR, p.IRRWhy = IRRMissing, fmt.Sprintf("%s was not expanded", ip.Import)
	case res.Err != nil:
		p.IRR, p.IRRWhy = IRRFailed, res.Err.Error()
	case len(res.V4) == 0 && len(res.V6) == 0:
		p.IRR, p.IRRWhy = IRREmpty, fmt.Sprintf("%s expands to no prefixes", ip.Import)
	default:
		p.IRR = IRROK
	}
	if ok {
		p.ASNs = slices.Clone(res.ASNs)
		for _, w := range res.Warnings {
			b.warn(ip.Range("import"), "IRR", "%s: %s.", ip.Import, strings.TrimSuffix(w, "."))
		}
	}
	if p.IRR != IRROK {
		b.warn(ip.Range("import"), "No IRR prefixes: deny-all",
			"%s; every route from %s is rejected until its IRR data can be expanded.", p.IRRWhy, ip.ASN)
		return
	}
	var invalid []string
	for fam, list := range map[bgp.Family][]netip.Prefix{bgp.IPv4: res.V4, bgp.IPv6: res.V6} {
		states := b.rpkiStates(list, res.ASNs)
		out := make([]Prefix, len(list))
		for i, pfx := range list {
			out[i] = Prefix{Prefix: pfx, RPKI: states[i]}
			if states[i] == rpki.Invalid {
				invalid = append(invalid, pfx.String())
			}
		}
		p.Prefixes[fam] = out
	}
	if len(invalid) > 0 {
		sort.Strings(invalid)
		shown := invalid
		if len(shown) > 10 {
			shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(invalid)-10))
		}
		b.warn(ip.Range("import"), "RPKI-invalid IRR objects",
			"%d prefix(es) registered in %s are RPKI-invalid for every member AS: %s. Routes for them will be rejected.", len(invalid), ip.Import, strings.Join(shown, ", "))
	}
}

// rpkiStates validates prefixes registered in the IRR against the VRPs
// for the peer's member ASNs: valid if a VRP authorises one of them,
// invalid if VRPs cover a prefix but authorise none of them. (The IRR does
// not say which member will originate a prefix, so this is RFC 6811 over
// the set.)
func (b *builder) rpkiStates(prefixes []netip.Prefix, asns []bgp.ASN) []rpki.State {
	if b.in.RPKI == nil {
		return make([]rpki.State, len(prefixes)) // all NotFound
	}
	return b.in.RPKI.ValidatePrefixes(prefixes, asns)
}

// neverViaRouteServers lists, sorted, the networks PeeringDB flags
// info_never_via_route_servers, less our own: routes learnt from a route
// server must not pass through them. Reserved numbers are left out: the
// bogon-AS filter rejects them anyway.
func neverViaRouteServers(pdb *peeringdb.Store, own bgp.ASN) []bgp.ASN {
	if pdb == nil {
		return nil
	}
	var out []bgp.ASN
	for _, n := range pdb.Nets() {
		if n.NeverViaRouteServers && n.ASN != own && n.ASN.Class() != bgp.Reserved {
			out = append(out, n.ASN)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
