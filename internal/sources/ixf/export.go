package ixf

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Versions are the schema versions Parse accepts (see the package comment).
var Versions = []string{"0.6", "0.7", "1.0"}

// MaxMaxPrefix is the largest max_prefix accepted, the ceiling a peer
// file's max_prefix has too.
const MaxMaxPrefix = 2147483647

// Export is a parsed member export.
type Export struct {
	Version   string
	Timestamp time.Time
	IXPs      []IXP
	// Members are the usable member entries in file order; a member
	// listed twice is one Member with the ports of both entries.
	Members []Member
	// Problems are the values and entries that were skipped, in file order.
	Problems []Problem
}

// IXP is an entry of ixp_list.
type IXP struct {
	ID int64 // ixp_id, which connections refer to
	// Shortname is the exchange's short name when it is plain text (ASCII
	// letters, digits, spaces and . - _ / ( )), else empty: it is shown in
	// messages only.
	Shortname   string
	PeeringDBID int // 0: not given
	VLANs       []VLAN
	Line        int
}

// VLAN is a VLAN of an IXP with the prefixes the export gives it.
type VLAN struct {
	ID         int64
	IPv4, IPv6 netip.Prefix // zero when not given or invalid
}

// Member is a member network with its usable addresses.
type Member struct {
	ASN   bgp.ASN
	Line  int
	Ports []Port
}

// Port is one address of a member on an IXP's VLAN.
type Port struct {
	IXPID  int64
	VLANID int64 // -1: not given
	Addr   netip.Addr
	// Active is false when the connection's state is given and is not
	// "active" or "connected".
	Active      bool
	State       string // the state as given when plain text, else "?"
	RouteServer bool
	MaxPrefix   int           // 0: not given
	ASMacro     bgp.ObjectRef // zero: not given
	Line        int           // of the member entry
}

// Problem is something in the file that was skipped.
type Problem struct {
	Line int `json:"line"`
	// Path names the value: "member_list[3].connection_list[0].vlan_list[0].ipv4.address".
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	return fmt.Sprintf("line %d: %s: %s", p.Line, p.Path, p.Message)
}

type rawExport struct {
	Version    *string      `json:"version"`
	Timestamp  *string      `json:"timestamp"`
	IXPList    *[]rawIXP    `json:"ixp_list"`
	MemberList *[]rawMember `json:"member_list"`
}

type rawIXP struct {
	IXPID       *int64        `json:"ixp_id"`
	IXFID       *int64        `json:"ixf_id"`
	Shortname   *string       `json:"shortname"`
	PeeringDBID *int64        `json:"peeringdb_id"`
	VLAN        []rawIXPVLAN  `json:"vlan"`
	Switch      []rawIXPEntry `json:"switch"`
}

// rawIXPEntry is an object whose fields peerform does not read; its type
// is still checked.
type rawIXPEntry struct{}

type rawIXPVLAN struct {
	ID   *int64  `json:"id"`
	IPv4 *rawLAN `json:"ipv4"`
	IPv6 *rawLAN `json:"ipv6"`
}

type rawLAN struct {
	Prefix     *string `json:"prefix"`
	MaskLength *int64  `json:"mask_length"`
}

type rawMember struct {
	ASNum          *int64           `json:"asnum"`
	ConnectionList *[]rawConnection `json:"connection_list"`
}

type rawConnection struct {
	IXPID    *int64         `json:"ixp_id"`
	State    *string        `json:"state"`
	VLANList []rawVLANEntry `json:"vlan_list"`
}

type rawVLANEntry struct {
	VLANID *int64   `json:"vlan_id"`
	IPv4   *rawAddr `json:"ipv4"`
	IPv6   *rawAddr `json:"ipv6"`
}

type rawAddr struct {
	Address     *string `json:"address"`
	ASMacro     *string `json:"as_macro"`
	MaxPrefix   *int64  `json:"max_prefix"`
	RouteServer *bool   `json:"routeserver"`
}

// build checks the decoded file and keeps what can be trusted.
func build(data []byte, raw *rawExport, idx index) (*Export, error) {
	top := func(msg string) error { return &Error{Msg: msg} }
	switch {
	case raw.Version == nil:
		return nil, top(`no "version": not an IX-F member export`)
	case !slices.Contains(Versions, *raw.Version):
		return nil, top(fmt.Sprintf("schema version %s is not supported (supported: %s)", quoteText(*raw.Version), strings.Join(Versions, ", ")))
	case raw.Timestamp == nil:
		return nil, top(`no "timestamp", which the schema requires`)
	case raw.IXPList == nil:
		return nil, top(`no "ixp_list", which the schema requires`)
	case raw.MemberList == nil:
		return nil, top(`no "member_list", which the schema requires`)
	}
	ts, err := time.Parse(time.RFC3339, *raw.Timestamp)
	if err != nil {
		return nil, top(fmt.Sprintf("timestamp %s is not an RFC 3339 date-time", quoteText(*raw.Timestamp)))
	}
	e := &Export{Version: *raw.Version, Timestamp: ts.UTC()}
	ixpLines, memberLines := lines(data, idx.ixps), lines(data, idx.members)
	line := func(ls []int, i int) int {
		if i < len(ls) {
			return ls[i]
		}
		return 0
	}
	ixps := map[int64]*IXP{}
	for i, r := range *raw.IXPList {
		x, err := buildIXP(e, r, i, line(ixpLines, i))
		if err != nil {
			return nil, err
		}
		if _, dup := ixps[x.ID]; dup {
			return nil, &Error{Line: x.Line, Col: 1, Msg: fmt.Sprintf("ixp_list[%d]: ixp_id %d is listed twice", i, x.ID)}
		}
		e.IXPs = append(e.IXPs, x)
		ixps[x.ID] = &e.IXPs[len(e.IXPs)-1]
	}
	b := &memberBuilder{e: e, ixps: ixps, byASN: map[bgp.ASN]int{}, owners: map[netip.Addr]bgp.ASN{}}
	for i, r := range *raw.MemberList {
		b.member(r, i, line(memberLines, i))
	}
	b.dropShared()
	return e, nil
}

// lines turns ascending byte offsets into line numbers in one pass.
func lines(data []byte, offsets []int64) []int {
	out := make([]int, len(offsets))
	line, from := 1, int64(0)
	for i, off := range offsets {
		line += bytes.Count(data[from:off], []byte{'\n'})
		out[i], from = line, off
	}
	return out
}

func buildIXP(e *Export, r rawIXP, i, line int) (IXP, error) {
	at := fmt.Sprintf("ixp_list[%d]", i)
	missing := func(field string) error {
		return &Error{Line: line, Col: 1, Msg: fmt.Sprintf("%s: no %q, which the schema requires", at, field)}
	}
	switch {
	case r.IXPID == nil:
		return IXP{}, missing("ixp_id")
	case r.Shortname == nil:
		return IXP{}, missing("shortname")
	case r.IXFID == nil && e.Version != "0.6":
		return IXP{}, missing("ixf_id")
	}
	x := IXP{ID: *r.IXPID, Line: line}
	if isPlain(*r.Shortname) {
		x.Shortname = *r.Shortname
	}
	if r.PeeringDBID != nil && *r.PeeringDBID > 0 && *r.PeeringDBID <= 1<<31-1 {
		x.PeeringDBID = int(*r.PeeringDBID)
	}
	for j, v := range r.VLAN {
		vl := VLAN{ID: -1}
		if v.ID != nil {
			vl.ID = *v.ID
		}
		for _, f := range []struct {
			lan  *rawLAN
			fam  bgp.Family
			into *netip.Prefix
		}{{v.IPv4, bgp.IPv4, &vl.IPv4}, {v.IPv6, bgp.IPv6, &vl.IPv6}} {
			if f.lan == nil || f.lan.Prefix == nil || f.lan.MaskLength == nil {
				continue
			}
			p, msg := vlanPrefix(*f.lan.Prefix, *f.lan.MaskLength, f.fam)
			if msg != "" {
				e.Problems = append(e.Problems, Problem{Line: line, Path: fmt.Sprintf("%s.vlan[%d].%s", at, j, f.fam.String()), Message: msg + "; the VLAN's prefix is ignored"})
				continue
			}
			*f.into = p
		}
		x.VLANs = append(x.VLANs, vl)
	}
	return x, nil
}

// vlanPrefix reads a VLAN's prefix and mask length.
func vlanPrefix(prefix string, length int64, fam bgp.Family) (netip.Prefix, string) {
	a, err := netip.ParseAddr(prefix)
	if err != nil || a.Zone() != "" || bgp.FamilyOf(a) != fam || a.Is4In6() {
		return netip.Prefix{}, fmt.Sprintf("prefix %s is not an %s address", quoteText(prefix), fam)
	}
	if length < 0 || length > int64(a.BitLen()) {
		return netip.Prefix{}, fmt.Sprintf("mask_length %d is not a length of an %s prefix", length, fam)
	}
	p, _ := a.Prefix(int(length))
	if p.Addr() != a {
		return netip.Prefix{}, fmt.Sprintf("%s/%d has bits set past its length", a, length)
	}
	return p, ""
}

type memberBuilder struct {
	e     *Export
	ixps  map[int64]*IXP
	byASN map[bgp.ASN]int // index into e.Members
	// owners is the member each address belongs to; shared collects
	// addresses two members claim.
	owners map[netip.Addr]bgp.ASN
	shared map[netip.Addr][]bgp.ASN
}

func (b *memberBuilder) problem(line int, path, format string, args ...any) {
	b.e.Problems = append(b.e.Problems, Problem{Line: line, Path: path, Message: fmt.Sprintf(format, args...)})
}

func (b *memberBuilder) member(r rawMember, i, line int) {
	at := fmt.Sprintf("member_list[%d]", i)
	switch {
	case r.ASNum == nil:
		b.problem(line, at, `no "asnum", which the schema requires; the entry is skipped`)
		return
	case r.ConnectionList == nil:
		b.problem(line, at, `no "connection_list", which the schema requires; the entry is skipped`)
		return
	case *r.ASNum < 1 || *r.ASNum > 4294967295:
		b.problem(line, at+".asnum", "%d is not an AS number; the entry is skipped", *r.ASNum)
		return
	}
	asn := bgp.ASN(*r.ASNum)
	if asn.Class() == bgp.Reserved {
		b.problem(line, at+".asnum", "%s is reserved and identifies no network; the entry is skipped", asn)
		return
	}
	mi, dup := b.byASN[asn]
	if dup {
		b.problem(line, at+".asnum", "%s is listed again (first at line %d); the addresses of both entries are used", asn, b.e.Members[mi].Line)
	} else {
		b.e.Members = append(b.e.Members, Member{ASN: asn, Line: line})
		mi = len(b.e.Members) - 1
		b.byASN[asn] = mi
	}
	m := &b.e.Members[mi]
	for j, c := range *r.ConnectionList {
		cat := fmt.Sprintf("%s.connection_list[%d]", at, j)
		if c.IXPID == nil {
			b.problem(line, cat, `no "ixp_id", which the schema requires; the connection is skipped`)
			continue
		}
		x := b.ixps[*c.IXPID]
		if x == nil {
			b.problem(line, cat+".ixp_id", "%d is not in ixp_list; the connection is skipped", *c.IXPID)
			continue
		}
		active, state := true, ""
		if c.State != nil {
			state = "?"
			if isPlain(*c.State) {
				state = *c.State
			}
			active = strings.EqualFold(*c.State, "active") || strings.EqualFold(*c.State, "connected")
		}
		for k, v := range c.VLANList {
			vat := fmt.Sprintf("%s.vlan_list[%d]", cat, k)
			vlan := int64(-1)
			if v.VLANID != nil {
				vlan = *v.VLANID
			}
			for _, f := range []struct {
				a   *rawAddr
				fam bgp.Family
			}{{v.IPv4, bgp.IPv4}, {v.IPv6, bgp.IPv6}} {
				if f.a == nil {
					continue
				}
				p, ok := b.port(f.a, f.fam, x, vlan, line, vat+"."+f.fam.String())
				if !ok {
					continue
				}
				p.Active, p.State = active, state
				if slices.ContainsFunc(m.Ports, func(o Port) bool { return o.Addr == p.Addr && o.IXPID == p.IXPID }) {
					continue // the same address in two entries of one member
				}
				if owner, taken := b.owners[p.Addr]; taken && owner != asn {
					if b.shared == nil {
						b.shared = map[netip.Addr][]bgp.ASN{}
					}
					b.shared[p.Addr] = append(b.shared[p.Addr], asn)
					b.problem(line, vat+"."+f.fam.String()+".address", "%s is also listed for %s; neither gets it", p.Addr, owner)
				}
				b.owners[p.Addr] = asn
				m.Ports = append(m.Ports, p)
			}
		}
	}
}

// port checks one address entry.
func (b *memberBuilder) port(a *rawAddr, fam bgp.Family, x *IXP, vlan int64, line int, at string) (Port, bool) {
	if a.Address == nil {
		return Port{}, false // the schema does not require it: nothing to use
	}
	addr, err := netip.ParseAddr(*a.Address)
	switch {
	case err != nil || addr.Zone() != "":
		b.problem(line, at+".address", "%s is not an %s address; skipped", quoteText(*a.Address), fam)
		return Port{}, false
	case bgp.FamilyOf(addr) != fam || addr.Is4In6():
		b.problem(line, at+".address", "%s is not an %s address; skipped", addr, fam)
		return Port{}, false
	case !addr.IsGlobalUnicast() && !addr.IsPrivate():
		b.problem(line, at+".address", "%s cannot be a BGP neighbor address; skipped", addr)
		return Port{}, false
	}
	if lans := x.lans(vlan, fam); len(lans) > 0 && !slices.ContainsFunc(lans, func(p netip.Prefix) bool { return p.Contains(addr) }) {
		b.problem(line, at+".address", "%s is outside the VLAN's prefix %s that ixp_list gives; skipped", addr, prefixes(lans))
		return Port{}, false
	}
	p := Port{IXPID: x.ID, VLANID: vlan, Addr: addr, Line: line}
	if a.RouteServer != nil {
		p.RouteServer = *a.RouteServer
	}
	if a.MaxPrefix != nil {
		if v := *a.MaxPrefix; v < 0 || v > MaxMaxPrefix {
			b.problem(line, at+".max_prefix", "%d is not between 0 and %d; ignored", v, MaxMaxPrefix)
		} else {
			p.MaxPrefix = int(v)
		}
	}
	if a.ASMacro != nil && *a.ASMacro != "" {
		ref, err := bgp.ParseObjectRef(*a.ASMacro)
		if err != nil {
			b.problem(line, at+".as_macro", "%s is not an AS-SET or AS number; ignored", quoteText(*a.ASMacro))
		} else {
			p.ASMacro = ref
		}
	}
	return p, true
}

// dropShared removes the addresses two members claim from both: the
// export cannot say whose they are.
func (b *memberBuilder) dropShared() {
	if len(b.shared) == 0 {
		return
	}
	for i := range b.e.Members {
		m := &b.e.Members[i]
		m.Ports = slices.DeleteFunc(m.Ports, func(p Port) bool { _, ok := b.shared[p.Addr]; return ok })
	}
}

// lans are the prefixes an address of the family on vlan must lie in:
// that VLAN's when the IXP lists it with one, else every prefix of the
// family the IXP lists (none: the export does not say).
func (x *IXP) lans(vlan int64, fam bgp.Family) []netip.Prefix {
	var all []netip.Prefix
	for _, v := range x.VLANs {
		p := v.IPv4
		if fam == bgp.IPv6 {
			p = v.IPv6
		}
		if !p.IsValid() {
			continue
		}
		if vlan >= 0 && v.ID == vlan {
			return []netip.Prefix{p}
		}
		all = append(all, p)
	}
	return all
}

// Prefixes lists the VLAN prefixes the IXP gives, IPv4 first.
func (x *IXP) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, v := range x.VLANs {
		for _, p := range []netip.Prefix{v.IPv4, v.IPv6} {
			if p.IsValid() && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		return cmp.Or(cmp.Compare(a.Addr().BitLen(), b.Addr().BitLen()), a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
	})
	return out
}

func prefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

// isPlain reports whether s is short plain text that can be shown in a
// message as it is.
func isPlain(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" .-_/()", r)) {
			return false
		}
	}
	return true
}

// quoteText quotes a value from the file for a message, shortened: it
// may hold anything.
func quoteText(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.QuoteToASCII(s)
}
