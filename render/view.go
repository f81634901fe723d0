package render

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"

	"github.com/peerform/peerform/internal/change/secret"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/core/platform"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// View is one router's configuration as templates see it: typed values,
// derived names and checked strings only. Slices are sorted, so the same
// model always gives the same view.
type View struct {
	Router   string // the router's name (an identifier), used as hostname
	Platform platform.Name
	ASN      uint32 // our AS
	Network  string // our network's name (allow-listed text)
	RouterID netip.Addr

	Filters Filters
	// Families holds IPv4 then IPv6, always both: the per-family tables
	// (bogons, lengths, our prefixes) and the sessions of that family.
	Families []*Family
	// BogonASNs are the ranges no AS path may contain: the reserved,
	// documentation, private and unallocated blocks, less the classes the
	// network allows peers to use (network.allow_peer_asn).
	BogonASNs []ASNRange
	// NeverViaRS are the networks PeeringDB flags never-via-route-servers
	// (sorted), when a route server has a session on this router: routes
	// from route servers must not have them in the AS path.
	NeverViaRS []ASNRange
	// RTR lists the RPKI caches the router validates against itself.
	RTR []RTRCache

	Peers []*Peer // peers with a session on this router, by AS
	// PeersByID holds the same peers ordered by ID as text ("AS13335"
	// before "AS6939"), the order FRR prints AS-path lists in.
	PeersByID []*Peer
	Sessions  []*Session // by peer AS, IXP, family and neighbor address
	// Neighbors holds the same sessions in neighbor address order (IPv4
	// first), the order FRR and EOS print them in.
	Neighbors []*Session
	// Groups are the sessions per IXP and family, by IXP then family.
	Groups []*Group

	// BFD and GTSM say whether any session uses them.
	BFD, GTSM bool
	// Reject holds the reject-reason codes, Reasons the same as a list
	// for the header comment; RPKITag the RPKI state tags.
	Reject  RejectReasons
	Reasons []Reason
	RPKITag RPKITags
}

// Filters is the import policy of every session on the router.
type Filters struct {
	// RPKI is the policy's mode: "reject-invalid", "tag" or "off".
	RPKI string
	// RPKIReject and RPKITagging say what the router itself does with the
	// origin validation state; both need RTR caches on the router.
	RPKIReject, RPKITagging bool
	// RPKIExclude says that IRR prefixes found RPKI-invalid for every
	// member AS are left out of prefix lists (reject-invalid mode).
	RPKIExclude      bool
	Bogons           bool
	RejectOwn        bool
	GracefulShutdown bool // honour GRACEFUL_SHUTDOWN from peers
	MaxPrefixAction  string
	RestartMinutes   int
	// LocalPref is the policy's local preference, which peers without
	// their own local_pref get.
	LocalPref int
}

// Family is one address family's tables and sessions.
type Family struct {
	Family int          // 4 or 6
	AFI    string       // "ipv4" or "ipv6"
	Suffix string       // "V4" or "V6", the family part of derived names
	Bits   int          // 32 or 128
	Any    netip.Prefix // 0.0.0.0/0 or ::/0
	// Announce are our own prefixes of the family: originated and the
	// only routes exported to peers.
	Announce        []netip.Prefix
	Bogons          []Bogon
	BogonExceptions []netip.Prefix
	Length          Length
	Sessions        []*Session // in neighbor address order
	// GShut says a shutdown peer has a session of this family, so the
	// export policy that adds GRACEFUL_SHUTDOWN is needed.
	GShut bool
	// V is the router's view, for templates printing one family.
	V *View
}

// Bogon is a bogon prefix and the reason it is one.
type Bogon struct {
	Prefix netip.Prefix
	Reason string
}

// Length is the accepted prefix length range of a family.
type Length struct {
	Min, Max, Bits int
}

// TooShort reports whether some lengths below Min exist to be rejected.
func (l Length) TooShort() bool { return l.Min > 0 }

// TooLong reports whether some lengths above Max exist to be rejected.
func (l Length) TooLong() bool { return l.Max < l.Bits }

// ASNRange is an inclusive range of AS numbers.
type ASNRange struct {
	First, Last uint32
	Reason      string
}

// Single reports whether the range is one AS.
func (r ASNRange) Single() bool { return r.First == r.Last }

// RTRCache is an RPKI cache the router connects to.
type RTRCache struct {
	Name       string // PEERFORM_RTR_<n>
	Host       string // an address or a DNS name
	IsAddr     bool   // Host is an IP address
	Port       int
	Preference int // 1 for the first cache
}

// Peer is a peer with at least one session on the router.
type Peer struct {
	ASN         uint32
	ID          string // "AS64501": the stem of every name derived for the peer
	Name        string
	Description string // may be empty
	Label       string // "AS64501 Name": session descriptions
	Import      string // the IRR object its prefixes come from
	Export      string
	IRR         string // model.IRRState
	LocalPref   int    // 0 while Shutdown
	GTSM        bool
	BFD         bool
	Shutdown    bool
	RouteServer bool
	// Role is our RFC 9234 role towards the peer ("peer", "rs-client",
	// "customer", "provider"), RoleStrict its strict mode; templates of
	// platforms outside intent.RolePlatforms ignore both.
	Role       string
	RoleStrict bool
	// Password is the placeholder deploy replaces with the MD5 secret;
	// empty when the peer has none.
	Password string
	// FirstAS names the AS-path list matching paths that start with the
	// peer's AS (not used for route servers).
	FirstAS  string
	Families []*PeerFamily // the families it has sessions of, IPv4 first
}

// PeerFamily is a peer's prefix filter for one family.
type PeerFamily struct {
	Family int
	AFI    string
	List   string // prefix list name, e.g. "AS64501_V4"
	// Ranges is the aggregated IRR prefix list (bgpq4 -A style); empty
	// exactly when DenyAll.
	Ranges []irr.Range
	// DenyAll is set when the IRR gave nothing usable for the family:
	// every route of the family is rejected, never accepted.
	DenyAll bool
	// Prefixes counts the registered prefixes, Excluded those left out
	// because they are RPKI-invalid for every member AS.
	Prefixes, Excluded int
}

// Session is one BGP session with one peer address.
type Session struct {
	Name      string // AS64501_DOC_IX_AMS_V4 (+ _2, _3 for further addresses)
	Peer      *Peer
	Filter    *PeerFamily
	IXP       string // the IXP's name (an identifier)
	IXPID     string // the IXP's name as a symbol: '-' becomes '_'
	Community int    // the IXP's informational community id; 0: none
	Family    int
	AFI       string
	Suffix    string // "V4" or "V6"
	Neighbor  netip.Addr
	Local     netip.Addr // invalid when unknown
	MaxPrefix int
	Import    string // import policy name: Name + "_IN"
	Export    string // export policy name: shared per family (GSHUT variant while drained)
	// Drain is RFC 8326 graceful shutdown of this session (the peer, our
	// router or the IXP in maintenance): GRACEFUL_SHUTDOWN on what we
	// send, LocalPref 0 on what we receive.
	Drain bool
	// LocalPref is what routes from the session get: the peer's, or 0
	// while drained.
	LocalPref int
	// Disabled is an administrative shutdown (the peer is being
	// decommissioned): configured, but not to be established.
	Disabled bool
	// V is the router's view, so that a template printing one session
	// reaches the router-wide settings ({{.V.Filters.RPKIReject}}).
	V *View
}

// Group is the sessions of one IXP and family.
type Group struct {
	Name     string // DOC_IX_AMS_V4
	IXP      string
	Family   int
	AFI      string
	Sessions []*Session
}

// Reason is a reject-reason code carried in a large community on routes a
// router keeps although its import filter rejected them.
type Reason struct {
	Code int
	Text string
}

// RejectReasons are the codes by name, for templates.
type RejectReasons struct {
	BogonPrefix, Length, OwnPrefix, BogonASN, FirstAS, NextHop, RPKIInvalid, NotInIRR, NoIRRData, NeverViaRS int
}

// RPKITags are the codes tagging the origin validation state in "tag" mode.
type RPKITags struct {
	Valid, NotFound, Invalid int
}

var (
	rejectCodes = RejectReasons{
		BogonPrefix: 1, Length: 2, OwnPrefix: 3, BogonASN: 4, FirstAS: 5, NextHop: 6,
		RPKIInvalid: 7, NotInIRR: 8, NoIRRData: 9, NeverViaRS: 10,
	}
	rejectTexts = []Reason{
		{1, "bogon prefix"}, {2, "prefix length out of range"}, {3, "our own prefix or a more-specific"},
		{4, "bogon AS in the path"}, {5, "first AS is not the peer AS"}, {6, "next hop is not the peer"},
		{7, "RPKI invalid"}, {8, "not in the IRR prefixes of the peer"}, {9, "no IRR data for the peer: deny-all"},
		{10, "a network that is never reached via route servers is in the path"},
	}
	rpkiTags = RPKITags{Valid: 1000, NotFound: 1001, Invalid: 1002}
)

// ErrUnknownRouter is returned for a router the model does not have.
var ErrUnknownRouter = errors.New("unknown router")

// NewView builds the view of one router. It fails when the model holds a
// value no template may print (a string outside the allow-list, two IXPs
// whose names give the same symbol, a session without a limit) — which
// validation should have caught, so it is an error, not a warning.
func NewView(m *model.Model, router string) (*View, error) {
	r := m.Router(router)
	if r == nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownRouter, router)
	}
	g := &guard{}
	if !r.Platform.Valid() {
		g.failf("unknown platform %q", r.Platform)
	}
	v := &View{
		Router:   g.identifier("router name", r.Name),
		Platform: r.Platform,
		ASN:      uint32(m.Network.ASN),
		Network:  g.text("network name", m.Network.Name, intent.MaxNameLen),
		RouterID: r.RouterID,
		Reject:   rejectCodes,
		Reasons:  rejectTexts,
		RPKITag:  rpkiTags,
	}
	if v.RouterID.IsValid() && !v.RouterID.Is4() {
		g.failf("router id %s of %s is not an IPv4 address", v.RouterID, r.Name)
	}
	v.RTR = rtrCaches(g, r.RTR)
	v.Filters = filters(g, m.Filters, len(v.RTR) > 0)
	v.Families = families(m)
	for _, f := range v.Families {
		f.V = v
	}
	v.BogonASNs = bogonASNs(m.Network.AllowPeerASN)

	peers := map[bgp.ASN]*Peer{}
	ixpIDs := map[string]string{} // symbol -> IXP name, to catch collisions
	communities := map[string]int{}
	for _, p := range r.Ports {
		if p.Community < 0 || p.Community > intent.MaxCommunityID {
			g.failf("IXP %s: community id %d is not between 0 and %d", p.IXP, p.Community, intent.MaxCommunityID)
		}
		communities[p.IXP] = p.Community
	}
	count := map[string]int{}
	neighbors := map[netip.Addr]string{}
	for _, s := range r.Sessions {
		p := peers[s.Peer.ASN]
		if p == nil {
			p = newPeer(g, s.Peer)
			peers[s.Peer.ASN] = p
			v.Peers = append(v.Peers, p)
		}
		fam := familyOf(s.Family)
		pf := p.family(g, s.Peer, fam, m.Filters.RPKI == "reject-invalid")
		ixp := g.identifier("IXP name", s.IXP)
		id := intent.ConfigSymbol(ixp)
		if other, ok := ixpIDs[id]; ok && other != ixp {
			g.failf("IXP names %q and %q give the same configuration symbol %q; rename one", other, ixp, id)
		}
		ixpIDs[id] = ixp
		base := fmt.Sprintf("%s_%s_%s", p.ID, id, suffix(fam))
		count[base]++
		name := base
		if n := count[base]; n > 1 {
			name = fmt.Sprintf("%s_%d", base, n)
		}
		if s.MaxPrefix < 1 || s.MaxPrefix > intent.MaxPrefixLimit {
			g.failf("session %s: max-prefix %d is not between 1 and %d", name, s.MaxPrefix, intent.MaxPrefixLimit)
		}
		if other, dup := neighbors[s.Neighbor]; dup {
			g.failf("sessions %s and %s have the same neighbor %s: the router would keep only one of them", other, name, s.Neighbor)
		}
		neighbors[s.Neighbor] = name
		if bgp.FamilyOf(s.Neighbor) != s.Family || s.Neighbor.Is4In6() || s.Neighbor.Zone() != "" {
			g.failf("session %s: neighbor %s is not a plain %s address", name, s.Neighbor, s.Family)
		}
		sess := &Session{
			Name: name, Peer: p, Filter: pf, IXP: ixp, IXPID: id, Community: communities[s.IXP],
			Family: fam, AFI: s.Family.String(), Suffix: suffix(fam), Neighbor: s.Neighbor, Local: s.Local,
			MaxPrefix: s.MaxPrefix, Import: name + "_IN", V: v,
			Export: "PEERFORM_EXPORT_" + suffix(fam),
			Drain:  p.Shutdown || s.Drain, LocalPref: p.LocalPref, Disabled: s.Disabled,
		}
		f := v.family(fam)
		if sess.Drain {
			sess.LocalPref = 0
			sess.Export += "_GSHUT"
			f.GShut = true
		}
		v.Sessions = append(v.Sessions, sess)
		f.Sessions = append(f.Sessions, sess)
		v.BFD = v.BFD || p.BFD
		v.GTSM = v.GTSM || p.GTSM
	}
	if err := g.err(); err != nil {
		return nil, fmt.Errorf("router %s: %w", r.Name, err)
	}
	sort.Slice(v.Peers, func(i, j int) bool { return v.Peers[i].ASN < v.Peers[j].ASN })
	v.PeersByID = append([]*Peer(nil), v.Peers...)
	sort.Slice(v.PeersByID, func(i, j int) bool { return v.PeersByID[i].ID < v.PeersByID[j].ID })
	v.Neighbors = append([]*Session(nil), v.Sessions...)
	sort.SliceStable(v.Neighbors, func(i, j int) bool { return v.Neighbors[i].Neighbor.Less(v.Neighbors[j].Neighbor) })
	for _, f := range v.Families {
		sort.SliceStable(f.Sessions, func(i, j int) bool { return f.Sessions[i].Neighbor.Less(f.Sessions[j].Neighbor) })
	}
	v.Groups = groups(v.Sessions)
	if slices.ContainsFunc(v.Peers, func(p *Peer) bool { return p.RouteServer }) {
		for _, a := range m.NeverViaRouteServers {
			v.NeverViaRS = append(v.NeverViaRS, ASNRange{uint32(a), uint32(a), "never via route servers"})
		}
	}
	return v, nil
}

func (v *View) family(fam int) *Family {
	if fam == 6 {
		return v.Families[1]
	}
	return v.Families[0]
}

func familyOf(f bgp.Family) int {
	if f == bgp.IPv6 {
		return 6
	}
	return 4
}

func suffix(fam int) string {
	if fam == 6 {
		return "V6"
	}
	return "V4"
}

func filters(g *guard, f intent.Filters, haveRTR bool) Filters {
	out := Filters{
		RPKI: f.RPKI, Bogons: f.Bogons, RejectOwn: f.RejectOwnPrefixes, GracefulShutdown: f.GracefulShutdown,
		MaxPrefixAction: f.MaxPrefix.Action, RestartMinutes: f.MaxPrefix.RestartMinutes, LocalPref: f.LocalPref,
	}
	switch f.RPKI {
	case "reject-invalid":
		out.RPKIReject, out.RPKIExclude = haveRTR, true
	case "tag":
		out.RPKITagging = haveRTR
	case "off":
	default:
		g.failf("unknown rpki mode %q", f.RPKI)
	}
	if f.LocalPref < 0 || f.LocalPref > intent.MaxLocalPref {
		g.failf("local_pref %d is not between 0 and %d", f.LocalPref, intent.MaxLocalPref)
	}
	switch f.MaxPrefix.Action {
	case "shutdown", "warn":
	case "restart":
		if out.RestartMinutes < 1 || out.RestartMinutes > intent.MaxRestartMinutes {
			g.failf("max-prefix restart time %d is not between 1 and %d minutes", out.RestartMinutes, intent.MaxRestartMinutes)
		}
	default:
		g.failf("unknown max-prefix action %q", f.MaxPrefix.Action)
	}
	return out
}

func families(m *model.Model) []*Family {
	f4 := &Family{Family: 4, AFI: "ipv4", Suffix: "V4", Bits: 32, Any: netip.MustParsePrefix("0.0.0.0/0"),
		Length: Length{m.Filters.IPv4Length[0], m.Filters.IPv4Length[1], 32}}
	f6 := &Family{Family: 6, AFI: "ipv6", Suffix: "V6", Bits: 128, Any: netip.MustParsePrefix("::/0"),
		Length: Length{m.Filters.IPv6Length[0], m.Filters.IPv6Length[1], 128}}
	for _, p := range m.Network.Prefixes {
		p = p.Masked()
		if p.Addr().Is4() {
			f4.Announce = append(f4.Announce, p)
		} else {
			f6.Announce = append(f6.Announce, p)
		}
	}
	for _, p := range m.Filters.BogonExceptions {
		p = p.Masked()
		if p.Addr().Is4() {
			f4.BogonExceptions = append(f4.BogonExceptions, p)
		} else {
			f6.BogonExceptions = append(f6.BogonExceptions, p)
		}
	}
	for _, f := range []*Family{f4, f6} {
		sortPrefixes(f.Announce)
		sortPrefixes(f.BogonExceptions)
		f.Announce = dedup(f.Announce)
		f.BogonExceptions = dedup(f.BogonExceptions)
	}
	f4.Bogons = bogons(bgp.BogonsV4, f4.BogonExceptions)
	f6.Bogons = bogons(bgp.BogonsV6, f6.BogonExceptions)
	return []*Family{f4, f6}
}

// bogons lists the bogon prefixes an exception does not cover entirely.
// What remains of the exceptions is then always more specific than the
// bogon it is in, which keeps longest-match platforms (Junos
// route-filters) right.
func bogons(all []bgp.Bogon, exceptions []netip.Prefix) []Bogon {
	var out []Bogon
next:
	for _, b := range all {
		for _, e := range exceptions {
			if e.Bits() <= b.Prefix.Bits() && e.Contains(b.Prefix.Addr()) {
				continue next
			}
		}
		out = append(out, Bogon{b.Prefix, b.Reason})
	}
	return out
}

func sortPrefixes(ps []netip.Prefix) {
	sort.Slice(ps, func(i, j int) bool {
		if c := ps[i].Addr().Compare(ps[j].Addr()); c != 0 {
			return c < 0
		}
		return ps[i].Bits() < ps[j].Bits()
	})
}

func dedup(ps []netip.Prefix) []netip.Prefix {
	out := ps[:0]
	for i, p := range ps {
		if i == 0 || p != ps[i-1] {
			out = append(out, p)
		}
	}
	return out
}

// bogonASNs drops the documentation and private ranges the network allows
// peers to use; reserved and unallocated numbers always stay.
func bogonASNs(allow []bgp.Class) []ASNRange {
	var out []ASNRange
	for _, r := range bgp.BogonASNRangesAllowing(allow) {
		out = append(out, ASNRange{uint32(r.First), uint32(r.Last), r.Reason})
	}
	return out
}

func newPeer(g *guard, mp *model.Peer) *Peer {
	p := &Peer{
		ASN:         uint32(mp.ASN),
		ID:          mp.ASN.String(),
		Name:        g.text("peer name", mp.Name, intent.MaxNameLen),
		Import:      g.objectRef("import", mp.Import),
		Export:      g.objectRef("export", mp.Export),
		IRR:         string(mp.IRR),
		LocalPref:   mp.LocalPref,
		GTSM:        mp.GTSM,
		BFD:         mp.BFD,
		Shutdown:    mp.Shutdown,
		RouteServer: mp.RouteServer,
		Role:        g.word("BGP role", mp.Role, "-"),
		RoleStrict:  mp.RoleStrict,
	}
	if !slices.Contains(intent.Roles, p.Role) {
		g.failf("%s: unknown BGP role %q", p.ID, p.Role)
	}
	if mp.Description != "" {
		p.Description = g.text("peer description", mp.Description, intent.MaxDescLen)
	}
	p.Label = p.ID + " " + p.Name
	p.FirstAS = p.ID + "_FIRST"
	if p.Shutdown {
		// RFC 8326: while we drain a peer, its routes get the lowest
		// preference here as well as the community on our announcements.
		p.LocalPref = 0
	}
	if p.LocalPref < 0 || p.LocalPref > intent.MaxLocalPref {
		g.failf("%s: local_pref %d is not between 0 and %d", p.ID, p.LocalPref, intent.MaxLocalPref)
	}
	if mp.MD5 != nil {
		// The name rules validation applies, so that the placeholder fits
		// every platform's password (the longest is 80 characters).
		if msg := secret.CheckName(mp.MD5.Name); msg != "" {
			g.failf("%s: MD5 secret name %s", p.ID, msg)
		} else {
			p.Password = g.word("MD5 secret placeholder", model.SecretPlaceholder(*mp.MD5), "-_")
		}
	}
	return p
}

// family returns the peer's filter for a family, building it on first use.
func (p *Peer) family(g *guard, mp *model.Peer, fam int, excludeInvalid bool) *PeerFamily {
	for _, f := range p.Families {
		if f.Family == fam {
			return f
		}
	}
	bf := bgp.IPv4
	if fam == 6 {
		bf = bgp.IPv6
	}
	pf := &PeerFamily{Family: fam, AFI: bf.String(), List: p.ID + "_" + suffix(fam)}
	var list []netip.Prefix
	if mp.IRR == model.IRROK {
		for _, x := range mp.Prefixes[bf] {
			if bgp.FamilyOf(x.Prefix.Addr()) != bf {
				g.failf("%s: %s prefix %s in the %s list", p.ID, x.Prefix, bf, bf)
				continue
			}
			pf.Prefixes++
			if excludeInvalid && x.RPKI == rpki.Invalid {
				pf.Excluded++
				continue
			}
			list = append(list, x.Prefix)
		}
	}
	pf.Ranges = irr.Aggregate(list)
	pf.DenyAll = len(pf.Ranges) == 0
	p.Families = append(p.Families, pf)
	sort.Slice(p.Families, func(i, j int) bool { return p.Families[i].Family < p.Families[j].Family })
	return pf
}

func groups(sessions []*Session) []*Group {
	byName := map[string]*Group{}
	var out []*Group
	for _, s := range sessions {
		name := s.IXPID + "_" + suffix(s.Family)
		gr := byName[name]
		if gr == nil {
			gr = &Group{Name: name, IXP: s.IXP, Family: s.Family, AFI: s.AFI}
			byName[name] = gr
			out = append(out, gr)
		}
		gr.Sessions = append(gr.Sessions, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].IXP != out[j].IXP {
			return out[i].IXP < out[j].IXP
		}
		return out[i].Family < out[j].Family
	})
	for _, gr := range out {
		sort.SliceStable(gr.Sessions, func(i, j int) bool { return gr.Sessions[i].Neighbor.Less(gr.Sessions[j].Neighbor) })
	}
	return out
}
