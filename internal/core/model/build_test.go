package model

import (
	"net/netip"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/rpki"
	"github.com/peerform/peerform/internal/testutil"
)

func exampleRepo(t *testing.T) *intent.Repo {
	t.Helper()
	repo, diags := intent.LoadDir(testutil.Root(t))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return repo
}

func demoSnapshot(t *testing.T) *peeringdb.Store {
	t.Helper()
	s, err := peeringdb.LoadDir(testutil.Path(t, "data/peeringdb"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuildExampleWithSnapshot(t *testing.T) {
	repo := exampleRepo(t)
	m, diags := Build(repo, Inputs{PeeringDB: demoSnapshot(t)})
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			t.Errorf("Build reported an error: %s", d.Error())
		}
	}
	ams, fra := m.Router("ams-edge1"), m.Router("fra-edge1")
	if ams == nil || fra == nil {
		t.Fatal("routers missing")
	}
	// AS64502 is limited to DOC-IX-FRA: sessions on fra-edge1 only.
	if n := countSessions(ams, 64502); n != 0 {
		t.Errorf("AS64502 has %d sessions on ams-edge1, want 0", n)
	}
	if n := countSessions(fra, 64502); n == 0 {
		t.Error("AS64502 has no session on fra-edge1")
	}
	// Explicit sessions of AS6939 at both IXPs, v4 and v6.
	if countSessions(ams, 6939) != 2 || countSessions(fra, 6939) != 2 {
		t.Errorf("AS6939 sessions: ams %d, fra %d; want 2 and 2", countSessions(ams, 6939), countSessions(fra, 6939))
	}
	for _, r := range m.Routers {
		for _, s := range r.Sessions {
			port, _ := r.Intent.PortAt(s.IXP)
			want := port.IPv4
			if s.Family == bgp.IPv6 {
				want = port.IPv6
			}
			if s.Local != want || bgp.FamilyOf(s.Neighbor) != s.Family || s.MaxPrefix < 1 {
				t.Errorf("%s: bad session %+v", r.Name, *s)
			}
		}
	}
	// No IRR data was given: every peer is deny-all, with a warning.
	for _, p := range m.Peers {
		if p.IRR != IRRMissing || len(p.Prefixes[bgp.IPv4]) != 0 {
			t.Errorf("%s: IRR %s with %d prefixes, want missing and none", p.ASN, p.IRR, len(p.Prefixes[bgp.IPv4]))
		}
	}
}

func countSessions(r *Router, asn bgp.ASN) int {
	n := 0
	for _, s := range r.Sessions {
		if s.Peer.ASN == asn {
			n++
		}
	}
	return n
}

func TestBuildIRRAndRPKI(t *testing.T) {
	repo := exampleRepo(t)
	alpha := bgp.ObjectRef{Name: "AS-ALPHA"}
	table := rpki.NewTable([]rpki.VRP{
		{Prefix: netip.MustParsePrefix("203.0.113.0/24"), MaxLen: 24, ASN: 64501},
		{Prefix: netip.MustParsePrefix("198.18.0.0/15"), MaxLen: 24, ASN: 65000},
	})
	in := Inputs{
		IRR: map[bgp.ObjectRef]irr.Result{
			alpha: {ASNs: []bgp.ASN{64501}, V4: []netip.Prefix{
				netip.MustParsePrefix("198.18.0.0/24"), netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("233.252.0.0/24"),
			}},
			{Name: "AS-GAMMA"}: {Err: irr.ErrNotFound},
		},
		RPKI: table,
	}
	m, diags := Build(repo, in)
	p := m.Peer(64501)
	if p.IRR != IRROK {
		t.Fatalf("AS64501 IRR state %s: %s", p.IRR, p.IRRWhy)
	}
	want := map[string]rpki.State{"198.18.0.0/24": rpki.Invalid, "203.0.113.0/24": rpki.Valid, "233.252.0.0/24": rpki.NotFound}
	for _, pfx := range p.Prefixes[bgp.IPv4] {
		if want[pfx.Prefix.String()] != pfx.RPKI {
			t.Errorf("%s: RPKI %s, want %s", pfx.Prefix, pfx.RPKI, want[pfx.Prefix.String()])
		}
	}
	if g := m.Peer(64503); g.IRR != IRRFailed || len(g.Prefixes[bgp.IPv4]) != 0 {
		t.Errorf("AS64503: %s with %d prefixes, want failed and deny-all", g.IRR, len(g.Prefixes[bgp.IPv4]))
	}
	if d := m.Peer(65537); d.IRR != IRRMissing {
		t.Errorf("AS65537: %s, want missing (not expanded)", d.IRR)
	}
	var sawInvalid, sawDeny bool
	for _, d := range diags {
		if d.Summary == "RPKI-invalid IRR objects" && d.Subject.Filename == "peers/AS64501.hcl" && d.Subject.Start.Line == 4 {
			sawInvalid = true
		}
		if d.Summary == "No IRR prefixes: deny-all" && d.Subject.Filename == "peers/AS64503.hcl" {
			sawDeny = true
		}
	}
	if !sawInvalid || !sawDeny {
		t.Errorf("missing warnings (invalid %v, deny-all %v):\n%v", sawInvalid, sawDeny, diags)
	}
}

func TestImportRefs(t *testing.T) {
	refs := ImportRefs(exampleRepo(t))
	if len(refs) != 8 {
		t.Errorf("got %d refs: %v", len(refs), refs)
	}
	for i := 1; i < len(refs); i++ {
		if refs[i-1].String() >= refs[i].String() {
			t.Errorf("not sorted: %v", refs)
		}
	}
}

func TestBuildIsDeterministic(t *testing.T) {
	repo := exampleRepo(t)
	snap := demoSnapshot(t)
	a, _ := Build(repo, Inputs{PeeringDB: snap})
	b, _ := Build(repo, Inputs{PeeringDB: snap})
	for i, r := range a.Routers {
		for j, s := range r.Sessions {
			o := b.Routers[i].Sessions[j]
			if s.Peer.ASN != o.Peer.ASN || s.Neighbor != o.Neighbor || s.IXP != o.IXP {
				t.Fatalf("session order differs at %s[%d]", r.Name, j)
			}
		}
	}
}

func TestRouterRTROverridesPolicy(t *testing.T) {
	repo := exampleRepo(t)
	repo.RPKI.RTR = []string{"198.51.100.10:8282"}
	repo.Routers[0].RTR = []string{"192.0.2.126:8282"}
	m, _ := Build(repo, Inputs{})
	if got := m.Routers[0].RTR; len(got) != 1 || got[0] != "192.0.2.126:8282" {
		t.Errorf("%s: RTR %v, want the router's own", m.Routers[0].Name, got)
	}
	if got := m.Routers[1].RTR; len(got) != 1 || got[0] != "198.51.100.10:8282" {
		t.Errorf("%s: RTR %v, want the policy's", m.Routers[1].Name, got)
	}
}
