// Package request writes the peering request a coordinator sends to a
// network we want to peer with: what we are (AS number, AS-SET, PeeringDB
// record), where we meet (the exchanges and facilities both networks are
// at, with addresses), the max-prefix we expect from them, the sessions we
// would configure and how our side scores the peering. It is addressed to
// the network's PeeringDB contacts and written as an RFC 5322 message
// (Compose), which Send submits through SMTP.
//
// Every string from PeeringDB is untrusted. Contacts arrive checked
// (peeringdb.CheckEmail); names and addresses pass clean before they reach
// the text, and no header holds anything that was not checked.
package request

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/ops/request/peeringapi"
	"github.com/peerform/peerform/internal/sources/ixf"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// FormatVersion is the version of the JSON form of a Request.
const FormatVersion = 1

// Request is everything the message says, in a form scripts can read.
type Request struct {
	FormatVersion int         `json:"format_version"`
	Ours          Network     `json:"ours"`
	Peer          Network     `json:"peer"`
	To            []Recipient `json:"to"`
	Cc            []Recipient `json:"cc"`
	IXPs          []SharedIXP `json:"ixps"`
	Facilities    []SharedFac `json:"facilities"`
	MaxPrefix     MaxPrefix   `json:"max_prefix"`
	Sessions      []Session   `json:"sessions"`
	Summary       Summary     `json:"summary"`
	Notes         []string    `json:"notes"`
}

// Network is one side of the request.
type Network struct {
	ASN          bgp.ASN `json:"asn"`
	Name         string  `json:"name"`
	ASSet        string  `json:"as_set,omitempty"`
	PeeringDBURL string  `json:"peeringdb_url"`
}

// Recipient is a contact the message goes to.
type Recipient struct {
	Role  string `json:"role,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// SharedIXP is an exchange both networks are at, with each side's
// addresses on its LAN (theirs from PeeringDB's netixlan).
type SharedIXP struct {
	Name        string       `json:"name"`
	PeeringDBIX int          `json:"peeringdb_ix"`
	Ours        []netip.Addr `json:"ours"`
	Theirs      []netip.Addr `json:"theirs"`
	// NotInPeeringDB are the addresses our sessions there go to that
	// their PeeringDB record does not list: the exchange's IX-F export
	// gave them. The message asks them to check their record.
	NotInPeeringDB []netip.Addr `json:"not_in_peeringdb,omitempty"`
}

// SharedFac is a facility both networks are in.
type SharedFac struct {
	PeeringDBFac int    `json:"peeringdb_fac"`
	Name         string `json:"name"`
	Address      string `json:"address,omitempty"`
}

// MaxPrefix is the limit per family we would configure for their routes.
type MaxPrefix struct {
	IPv4       int    `json:"ipv4"`
	IPv6       int    `json:"ipv6"`
	IPv4Source string `json:"ipv4_source"`
	IPv6Source string `json:"ipv6_source"`
}

// Session is one BGP session we would configure.
type Session struct {
	IXP       string     `json:"ixp"`
	IXID      int        `json:"peeringdb_ix,omitempty"`
	Router    string     `json:"router"`
	Family    bgp.Family `json:"family"`
	LocalAddr netip.Addr `json:"local_addr"`
	PeerAddr  netip.Addr `json:"peer_addr"`
}

// Summary is how our side scores the peering, from score.Result.
type Summary struct {
	Recommended bool     `json:"recommended"`
	Headline    string   `json:"headline"`
	For         []string `json:"for,omitempty"`
	Against     []string `json:"against,omitempty"`
}

// Inputs are what Build reads. Repo must hold the peer (normally as the
// requested peer file); Score is our side's score of the pair, as
// `peerform score` computes it.
type Inputs struct {
	Repo      *intent.Repo
	PeeringDB *peeringdb.Store
	// IXF are the IX-F exports the repository's IXPs name, by path, as
	// the routers' configs are built from them: where an exchange's
	// export and PeeringDB disagree, the sessions go to the export's
	// addresses.
	IXF   map[string]*ixf.Export
	Peer  bgp.ASN
	Score score.Result
}

// ErrNoContact is returned (wrapped) when PeeringDB shows no contact of
// the network a request could go to.
var ErrNoContact = errors.New("no policy, technical or NOC contact in PeeringDB")

// maxFactors is how many factors each way the summary quotes.
const maxFactors = 3

// Build works out the request for in.Peer.
func Build(in Inputs) (*Request, error) {
	repo, pdb := in.Repo, in.PeeringDB
	ours := repo.Network
	peerIntent := repo.Peer(in.Peer)
	if peerIntent == nil {
		return nil, fmt.Errorf("the repository has no peer file for %s", in.Peer)
	}
	net, ok := pdb.Net(in.Peer)
	if !ok {
		return nil, fmt.Errorf("%s is not in the PeeringDB data", in.Peer)
	}
	r := &Request{FormatVersion: FormatVersion, To: []Recipient{}, Cc: []Recipient{}, Notes: []string{},
		Ours: Network{ASN: ours.ASN, Name: clean(ours.Name), PeeringDBURL: PeeringDBURL(ours.ASN)},
		Peer: Network{ASN: in.Peer, Name: clean(net.Name), ASSet: peerIntent.Import.String(), PeeringDBURL: PeeringDBURL(in.Peer)},
	}
	if ours.ASSet.Name != "" {
		r.Ours.ASSet = ours.ASSet.String()
	}
	if r.Peer.Name == "" {
		r.Peer.Name = in.Peer.String()
	}
	seen := map[string]bool{}
	for _, c := range pdb.Contacts(in.Peer) {
		rc := Recipient{Role: string(c.Role), Name: c.Name, Email: c.Email}
		key := strings.ToLower(c.Email)
		switch {
		case seen[key]:
		case c.Role != peeringdb.RoleNOC || len(r.To) == 0:
			r.To = append(r.To, rc)
		default:
			r.Cc = append(r.Cc, rc) // the NOC is told, the policy and technical contacts are asked
		}
		seen[key] = true
	}
	if len(r.To) == 0 {
		return nil, fmt.Errorf("%s: %w", in.Peer, ErrNoContact)
	}
	r.IXPs, r.Facilities = shared(repo, pdb, in.Peer)
	m, err := sessions(repo, model.Inputs{PeeringDB: pdb, IXF: in.IXF}, in.Peer)
	if err != nil {
		return nil, err
	}
	r.Sessions, r.MaxPrefix = m.sessions, m.maxPrefix
	for i := range r.IXPs {
		x := &r.IXPs[i]
		for _, s := range r.Sessions {
			if s.IXID == x.PeeringDBIX && !slices.Contains(x.Theirs, s.PeerAddr) && !slices.Contains(x.NotInPeeringDB, s.PeerAddr) {
				x.NotInPeeringDB = append(x.NotInPeeringDB, s.PeerAddr)
			}
		}
	}
	if len(r.Sessions) == 0 {
		r.Notes = append(r.Notes, "no session can be derived: PeeringDB places the network on none of our exchanges' LANs")
	}
	r.Summary = summarize(in.Score)
	return r, nil
}

// APISessions are the sessions to ask the network's Peering API for, in
// the draft's terms: public sessions at exchanges with a PeeringDB id,
// both sides in the peer role (RFC 9234), each once (two of our routers
// with one address, in two environments, are one session to the peer).
func (r *Request) APISessions() []peeringapi.Session {
	var out []peeringapi.Session
	for _, s := range r.Sessions {
		if s.IXID == 0 {
			continue // no location the draft can name
		}
		x := peeringapi.Session{
			LocalASN: uint32(r.Ours.ASN), LocalIP: s.LocalAddr, PeerASN: uint32(r.Peer.ASN), PeerIP: s.PeerAddr,
			LocalBGPRole: peeringapi.RolePeer, PeerBGPRole: peeringapi.RolePeer, PeerType: "public", Location: peeringapi.IXLocation(s.IXID),
		}
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// PeeringDBURL is a network's public PeeringDB page.
func PeeringDBURL(asn bgp.ASN) string {
	return fmt.Sprintf("https://www.peeringdb.com/asn/%d", uint32(asn))
}

// shared lists the exchanges and facilities both networks are at: the
// exchanges with our routers' addresses from the policy (else ours in
// PeeringDB) and theirs from PeeringDB, the facilities with their street
// addresses.
func shared(repo *intent.Repo, pdb *peeringdb.Store, peer bgp.ASN) ([]SharedIXP, []SharedFac) {
	ixps, facs := []SharedIXP{}, []SharedFac{}
	for _, c := range pdb.CommonPoPs(repo.Network.ASN, peer) {
		switch c.B.Kind {
		case peeringdb.KindFac:
			f := SharedFac{PeeringDBFac: c.B.ID, Name: clean(c.B.Name)}
			if fac, ok := pdb.Fac(c.B.ID); ok {
				f.Address = clean(fac.Address())
			}
			facs = append(facs, f)
		case peeringdb.KindIX:
			x := SharedIXP{Name: clean(c.B.Name), PeeringDBIX: c.B.ID, Ours: []netip.Addr{}, Theirs: portAddrs(pdb.NetIXLANs(peer, c.B.ID))}
			for _, ix := range repo.IXPs {
				if ix.PeeringDBIX != c.B.ID {
					continue
				}
				for _, rt := range repo.Routers {
					if p, ok := rt.PortAt(ix.Name); ok {
						x.Ours = appendValid(x.Ours, p.IPv4, p.IPv6)
					}
				}
			}
			if len(x.Ours) == 0 {
				x.Ours = portAddrs(pdb.NetIXLANs(repo.Network.ASN, c.B.ID))
			}
			ixps = append(ixps, x)
		}
	}
	return ixps, facs
}

func portAddrs(ports []peeringdb.NetIXLAN) []netip.Addr {
	out := []netip.Addr{}
	for _, p := range ports {
		if p.Operational {
			out = appendValid(out, p.IPv4, p.IPv6)
		}
	}
	return out
}

func appendValid(out []netip.Addr, as ...netip.Addr) []netip.Addr {
	for _, a := range as {
		if a.IsValid() && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

type derived struct {
	sessions  []Session
	maxPrefix MaxPrefix
}

// sessions resolves the repository with the peer active, exactly as the
// routers would get it once the request is accepted, and keeps the peer's
// sessions and max-prefix limits. A requested peer renders nothing, so
// the status is changed on a copy only.
func sessions(repo *intent.Repo, data model.Inputs, asn bgp.ASN) (derived, error) {
	cp := *repo
	cp.Peers = slices.Clone(repo.Peers)
	for i, p := range cp.Peers {
		if p.ASN == asn {
			active := *p
			active.Status = intent.StatusActive
			cp.Peers[i] = &active
		}
	}
	m, diags := model.Build(&cp, data)
	if diags.HasErrors() {
		return derived{}, fmt.Errorf("resolving %s's sessions: %w", asn, diags.Errs()[0])
	}
	var d derived
	for _, rt := range m.Routers {
		for _, s := range rt.Sessions {
			if s.Peer.ASN == asn {
				d.sessions = append(d.sessions, Session{IXP: s.IXP, IXID: ixID(repo, s.IXP), Router: rt.Name, Family: s.Family, LocalAddr: s.Local, PeerAddr: s.Neighbor})
			}
		}
	}
	slices.SortFunc(d.sessions, func(a, b Session) int {
		return cmp.Or(cmp.Compare(a.IXP, b.IXP), cmp.Compare(a.Router, b.Router), a.PeerAddr.Compare(b.PeerAddr))
	})
	for _, p := range m.Peers {
		if p.ASN == asn {
			d.maxPrefix = MaxPrefix{IPv4: p.MaxPrefix[bgp.IPv4].Limit, IPv6: p.MaxPrefix[bgp.IPv6].Limit,
				IPv4Source: p.MaxPrefix[bgp.IPv4].Provenance.Detail, IPv6Source: p.MaxPrefix[bgp.IPv6].Provenance.Detail}
		}
	}
	if d.sessions == nil {
		d.sessions = []Session{}
	}
	return d, nil
}

func ixID(repo *intent.Repo, name string) int {
	if x := repo.IXP(name); x != nil {
		return x.PeeringDBIX
	}
	return 0
}

// summarize quotes our side's score: the headline `peerform score` prints
// and its strongest factors.
func summarize(r score.Result) Summary {
	s := Summary{Recommended: r.Recommended}
	verdict := "not recommended"
	if r.Recommended {
		verdict = "recommended"
	}
	if l := r.Likelihood; l != nil {
		s.Headline = fmt.Sprintf("%s: a %.1f%% likelihood that this peering is agreed (our threshold %.1f%%)", verdict, 100*l.Probability, 100*l.Threshold)
		for i, f := range l.For {
			if i < maxFactors {
				s.For = append(s.For, clean(f.Text))
			}
		}
		for i, f := range l.Against {
			if i < maxFactors {
				s.Against = append(s.Against, clean(f.Text))
			}
		}
		return s
	}
	s.Headline = fmt.Sprintf("%s: felicity %.3f (our threshold %.2f), willingness %.3f, affinity %.3f", verdict, r.Felicity, r.Threshold, r.Willingness, r.Affinity)
	return s
}

// clean makes an outside string safe for a line of text: invalid UTF-8
// and control characters become spaces, runs of space one, and it is cut
// to 200 bytes.
func clean(s string) string {
	s = strings.ToValidUTF8(s, " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	for len(s) > 200 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}
