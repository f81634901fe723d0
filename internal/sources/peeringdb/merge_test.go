package peeringdb

import (
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/ixf"
	"github.com/peerform/peerform/internal/testutil"
)

// demoExport is the example repository's IX-F export of DOC-IX-AMS.
func demoExport(t *testing.T) *ixf.Exchange {
	t.Helper()
	e, err := ixf.ReadFile(testutil.Root(t), "data/ixf/doc-ix-ams.json", ixf.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := e.Exchange("data/ixf/doc-ix-ams.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// exportOf is an IX-F export of IXP 1 with one VLAN (192.0.2.0/25,
// 2001:db8:ffff:1::/64) and another (198.51.100.0/24), listing members
// given as "ASN address state" lines.
func exportOf(t *testing.T, members ...string) *ixf.Exchange {
	t.Helper()
	var order []string
	conns := map[string][]string{}
	for _, m := range members {
		f := strings.Fields(m)
		fam := "ipv4"
		if strings.Contains(f[1], ":") {
			fam = "ipv6"
		}
		if conns[f[0]] == nil {
			order = append(order, f[0])
		}
		conns[f[0]] = append(conns[f[0]], fmt.Sprintf(`{"ixp_id": 1, "state": %q, "vlan_list": [{"%s": {"address": %q, "routeserver": true}}]}`, f[2], fam, f[1]))
	}
	var entries []string
	for _, asn := range order {
		entries = append(entries, fmt.Sprintf(`{"asnum": %s, "connection_list": [%s]}`, asn, strings.Join(conns[asn], ", ")))
	}
	e, err := ixf.Parse([]byte(`{"version": "1.0", "timestamp": "2026-11-30T04:00:00Z",
  "ixp_list": [{"ixp_id": 1, "ixf_id": 1, "shortname": "X", "vlan": [
    {"id": 1, "ipv4": {"prefix": "192.0.2.0", "mask_length": 25}, "ipv6": {"prefix": "2001:db8:ffff:1::", "mask_length": 64}},
    {"id": 2, "ipv4": {"prefix": "198.51.100.0", "mask_length": 24}}]}],
  "member_list": [`+strings.Join(entries, ",\n")+`]}`), ixf.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Problems) > 0 {
		t.Fatalf("problems: %v", e.Problems)
	}
	x, err := e.Exchange("data/ixf/x.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// withExport is the example's IXPs with export at DOC-IX-AMS.
func withExport(x *ixf.Exchange) []OurIX {
	ours := ourDemoIXs()
	ours[1].Export = x
	return ours
}

// TestMergeDemo: the example's export agrees with PeeringDB about every
// peer but AS64504, whose IPv6 address it gives differently; the
// export's wins, and the conflict is a warning naming both.
func TestMergeDemo(t *testing.T) {
	s, x := loadDemo(t), demoExport(t)
	for _, asn := range []bgp.ASN{64501, 64503, 64510, 65537} {
		before := DeriveSessions(s, PeerRequest{ASN: asn}, ourDemoIXs())
		after := DeriveSessions(s, PeerRequest{ASN: asn}, withExport(x))
		if !slices.Equal(sessionLines(before.Sessions), sessionLines(after.Sessions)) || !slices.Equal(warningCodes(before.Warnings), warningCodes(after.Warnings)) {
			t.Errorf("%s: without the export %q %v, with it %q %v", asn, sessionLines(before.Sessions), before.Warnings, sessionLines(after.Sessions), after.Warnings)
		}
		for _, ss := range after.Sessions {
			if ss.IX == "DOC-IX-AMS" && (ss.Provenance.Origin != FromIXF || !strings.Contains(ss.Provenance.Detail, "agrees")) {
				t.Errorf("%s: provenance %s", asn, ss.Provenance)
			}
		}
	}

	d := DeriveSessions(s, PeerRequest{ASN: 64504}, withExport(x))
	want := []string{
		"DOC-IX-AMS ams-edge1 ipv4 192.0.2.1>192.0.2.14",
		"DOC-IX-AMS ams-edge1 ipv6 2001:db8:ffff:1::1>2001:db8:ffff:1::114",
	}
	if got := sessionLines(d.Sessions); !slices.Equal(got, want) {
		t.Errorf("AS64504 sessions %q, want %q", got, want)
	}
	if got := warningCodes(d.Warnings); !slices.Equal(got, []WarningCode{WarnSourcesDisagree}) {
		t.Fatalf("warnings %v", d.Warnings)
	}
	msg := d.Warnings[0].Message
	for _, part := range []string{"PeeringDB lists 2001:db8:ffff:1::14 (netixlan 90712)", "IX-F export data/ixf/doc-ix-ams.json (ixp_id 1, exported 2026-11-30T04:00:00Z) lists 2001:db8:ffff:1::114 (line ", "using the export's"} {
		if !strings.Contains(msg, part) {
			t.Errorf("warning %q lacks %q", msg, part)
		}
	}
	v6 := d.Sessions[1].Provenance
	if v6.Origin != FromIXF || !strings.Contains(v6.Detail, "data/ixf/doc-ix-ams.json") || !strings.Contains(v6.Detail, "not in PeeringDB") {
		t.Errorf("provenance %s", v6)
	}
	if len(d.Skipped) != 1 || d.Skipped[0].Addr.String() != "2001:db8:ffff:1::14" || !strings.Contains(d.Skipped[0].Reason, "netixlan 90712: not in the exchange's IX-F export") {
		t.Errorf("skipped %+v", d.Skipped)
	}
}

// TestMergeRule: each case of the rule, and hostile addresses in the
// export that must not become sessions.
func TestMergeRule(t *testing.T) {
	a := netip.MustParseAddr
	lan := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/25"), netip.MustParsePrefix("2001:db8:ffff:1::/64")}
	pdb := fixedPorts{lans: lan, ports: []NetIXLAN{
		{ID: 11, ASN: 64501, IXID: 7, IPv4: a("192.0.2.11"), IPv6: a("2001:db8:ffff:1::11"), Operational: true},
		{ID: 12, ASN: 64502, IXID: 7, IPv4: a("192.0.2.12"), Operational: true},
		{ID: 13, ASN: 64503, IXID: 7, IPv4: a("192.0.2.13"), Operational: true},
	}}
	ours := func(x *ixf.Exchange) []OurIX {
		return []OurIX{{Name: "IX", IXID: 7, Export: x, Routers: []OurRouter{{Name: "r1", IPv4: a("192.0.2.1"), IPv6: a("2001:db8:ffff:1::1")}}}}
	}
	for _, tc := range []struct {
		name    string
		asn     bgp.ASN
		export  []string
		want    []string // peer addresses
		warns   []WarningCode
		origins []Origin
	}{
		{"agree", 64501, []string{"64501 192.0.2.11 active", "64501 2001:db8:ffff:1::11 active"},
			[]string{"192.0.2.11", "2001:db8:ffff:1::11"}, nil, []Origin{FromIXF, FromIXF}},
		{"only in PeeringDB", 64501, []string{"64501 192.0.2.11 active"},
			[]string{"192.0.2.11", "2001:db8:ffff:1::11"}, []WarningCode{WarnOnlyInPeeringDB}, []Origin{FromIXF, FromPeeringDB}},
		{"member missing from the export", 64502, []string{"64501 192.0.2.11 active"},
			[]string{"192.0.2.12"}, []WarningCode{WarnOnlyInPeeringDB}, []Origin{FromPeeringDB}},
		{"only in the export", 64504, []string{"64504 192.0.2.14 active"},
			[]string{"192.0.2.14"}, []WarningCode{WarnOnlyInIXF}, []Origin{FromIXF}},
		{"disagree", 64502, []string{"64502 192.0.2.22 active"},
			[]string{"192.0.2.22"}, []WarningCode{WarnSourcesDisagree}, []Origin{FromIXF}},
		{"export has one more", 64502, []string{"64502 192.0.2.12 active", "64502 192.0.2.22 active"},
			[]string{"192.0.2.12", "192.0.2.22"}, []WarningCode{WarnSourcesDisagree}, []Origin{FromIXF, FromIXF}},
		{"inactive in the export", 64503, []string{"64503 192.0.2.13 inactive"},
			nil, []WarningCode{WarnNotOperational, WarnNoUsableAddress}, nil},
		{"another VLAN", 64503, []string{"64503 198.51.100.13 active"},
			[]string{"192.0.2.13"}, []WarningCode{WarnOnlyInPeeringDB}, []Origin{FromPeeringDB}},
		{"our own address", 64504, []string{"64504 192.0.2.1 active"},
			nil, []WarningCode{WarnOwnAddress, WarnNoUsableAddress}, nil},
		{"network address of the LAN", 64504, []string{"64504 192.0.2.0 active"},
			nil, []WarningCode{WarnLANAddress, WarnNoUsableAddress}, nil},
		{"broadcast address of the LAN", 64504, []string{"64504 192.0.2.127 active"},
			nil, []WarningCode{WarnLANAddress, WarnNoUsableAddress}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := DeriveSessions(pdb, PeerRequest{ASN: tc.asn}, ours(exportOf(t, tc.export...)))
			var got []string
			var origins []Origin
			for _, s := range d.Sessions {
				got = append(got, s.PeerAddr.String())
				origins = append(origins, s.Provenance.Origin)
				if s.Provenance.Origin == FromIXF && !s.IsRSPeer {
					t.Errorf("%s: routeserver from the export lost", s.PeerAddr)
				}
			}
			if !slices.Equal(got, tc.want) || !slices.Equal(origins, tc.origins) {
				t.Errorf("sessions %v %v, want %v %v", got, origins, tc.want, tc.origins)
			}
			if codes := warningCodes(d.Warnings); !slices.Equal(codes, tc.warns) {
				t.Errorf("warnings %v, want %v", d.Warnings, tc.warns)
			}
		})
	}
	// A session in the peer file still replaces both sources.
	d := DeriveSessions(pdb, PeerRequest{ASN: 64502, Sessions: []ExplicitSession{{IX: "IX", IPv4: a("192.0.2.99")}}},
		ours(exportOf(t, "64502 192.0.2.22 active")))
	if got := sessionLines(d.Sessions); !slices.Equal(got, []string{"IX r1 ipv4 192.0.2.1>192.0.2.99"}) || len(d.Warnings) > 0 {
		t.Errorf("explicit: %q %v", got, d.Warnings)
	}
	// ixps naming an exchange neither source places the peer at.
	d = DeriveSessions(pdb, PeerRequest{ASN: 64509, IXPs: []string{"IX"}}, ours(exportOf(t, "64502 192.0.2.22 active")))
	if len(d.Warnings) == 0 || d.Warnings[0].Code != WarnNotAtIXP || !strings.Contains(d.Warnings[0].Message, "nor does the exchange's IX-F export list it") {
		t.Errorf("not at IXP: %v", d.Warnings)
	}
}

// FuzzDeriveWithIXF: whatever an IX-F export holds, the sessions derived
// from it with PeeringDB's example rows are to host addresses inside our
// LANs that are not ours, of the router's family, one per address and
// router, and each says where it came from.
func FuzzDeriveWithIXF(f *testing.F) {
	b, err := os.ReadFile(testutil.Path(f, "data/ixf/doc-ix-ams.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"version": "0.6", "timestamp": "2026-01-01T00:00:00Z", "ixp_list": [{"ixp_id": 0, "shortname": "x"}],
"member_list": [{"asnum": 64504, "connection_list": [{"ixp_id": 0, "state": "x", "vlan_list": [{"ipv4": {"address": "192.0.2.0"}, "ipv6": {"address": "2001:db8:ffff:1::1"}}]}]}]}`))
	pdb := loadDemo(f)
	lans := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/25"), netip.MustParsePrefix("2001:db8:ffff:1::/64")}
	router := OurRouter{Name: "ams-edge1", IPv4: netip.MustParseAddr("192.0.2.1"), IPv6: netip.MustParseAddr("2001:db8:ffff:1::1")}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ixf.Parse(data, ixf.Limits{MaxBytes: 1 << 20, MaxMembers: 32, MaxEntries: 8, MaxDepth: 12})
		if err != nil || len(e.IXPs) == 0 {
			return
		}
		x, err := e.Exchange("f.json", &e.IXPs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		ours := []OurIX{{Name: "DOC-IX-AMS", IXID: 90001, LANs: lans, Routers: []OurRouter{router}, Export: x}}
		for _, m := range append(e.Members, ixf.Member{ASN: 64504}) {
			d := DeriveSessions(pdb, PeerRequest{ASN: m.ASN}, ours)
			seen := map[netip.Addr]bool{}
			for _, s := range d.Sessions {
				lan, ok := containing(lans, s.PeerAddr)
				switch {
				case !ok, bgp.LANEdge(lan, s.PeerAddr) != "", s.PeerAddr == router.IPv4 || s.PeerAddr == router.IPv6:
					t.Fatalf("%s: session to %s", m.ASN, s.PeerAddr)
				case bgp.FamilyOf(s.PeerAddr) != s.Family || bgp.FamilyOf(s.LocalAddr) != s.Family:
					t.Fatalf("%s: %s session %s > %s", m.ASN, s.Family, s.LocalAddr, s.PeerAddr)
				case seen[s.PeerAddr]:
					t.Fatalf("%s: %s twice", m.ASN, s.PeerAddr)
				case !s.Provenance.Origin.Derived() || s.Provenance.Detail == "":
					t.Fatalf("%s: provenance %s", m.ASN, s.Provenance)
				}
				seen[s.PeerAddr] = true
			}
		}
	})
}
