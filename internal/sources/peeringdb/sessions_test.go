package peeringdb

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/testutil"
)

// ourDemoIXs are the example repository's IXPs and routers (policies/).
func ourDemoIXs() []OurIX {
	return []OurIX{
		{Name: "DOC-IX-FRA", IXID: 90002, Routers: []OurRouter{{Name: "fra-edge1",
			IPv4: netip.MustParseAddr("192.0.2.129"), IPv6: netip.MustParseAddr("2001:db8:ffff:2::1")}}},
		{Name: "DOC-IX-AMS", IXID: 90001, Routers: []OurRouter{{Name: "ams-edge1",
			IPv4: netip.MustParseAddr("192.0.2.1"), IPv6: netip.MustParseAddr("2001:db8:ffff:1::1")}}},
	}
}

// sessionLines renders sessions compactly for comparison.
func sessionLines(ss []Session) []string {
	var out []string
	for _, s := range ss {
		out = append(out, fmt.Sprintf("%s %s %s %s>%s", s.IX, s.Router, s.Family, s.LocalAddr, s.PeerAddr))
	}
	return out
}

func warningCodes(ws []Warning) []WarningCode {
	var out []WarningCode
	for _, w := range ws {
		out = append(out, w.Code)
	}
	return out
}

func TestDeriveSessionsDemo(t *testing.T) {
	s := loadDemo(t)
	tests := []struct {
		name      string
		peer      PeerRequest
		ours      []OurIX
		want      []string
		wantWarns []WarningCode
		skipped   []string
	}{
		{
			name: "both IXPs, both families",
			peer: PeerRequest{ASN: 64501},
			want: []string{
				"DOC-IX-AMS ams-edge1 ipv4 192.0.2.1>192.0.2.11",
				"DOC-IX-AMS ams-edge1 ipv6 2001:db8:ffff:1::1>2001:db8:ffff:1::11",
				"DOC-IX-FRA fra-edge1 ipv4 192.0.2.129>192.0.2.139",
				"DOC-IX-FRA fra-edge1 ipv6 2001:db8:ffff:2::1>2001:db8:ffff:2::11",
			},
		},
		{
			name: "two ports at one IXP, limited to it",
			peer: PeerRequest{ASN: 64502, IXPs: []string{"DOC-IX-FRA"}},
			want: []string{
				"DOC-IX-FRA fra-edge1 ipv4 192.0.2.129>192.0.2.140",
				"DOC-IX-FRA fra-edge1 ipv4 192.0.2.129>192.0.2.150",
				"DOC-IX-FRA fra-edge1 ipv6 2001:db8:ffff:2::1>2001:db8:ffff:2::12",
				"DOC-IX-FRA fra-edge1 ipv6 2001:db8:ffff:2::1>2001:db8:ffff:2::22",
			},
		},
		{
			name: "an address outside the LAN is skipped",
			peer: PeerRequest{ASN: 64503},
			want: []string{
				"DOC-IX-AMS ams-edge1 ipv4 192.0.2.1>192.0.2.13",
				"DOC-IX-AMS ams-edge1 ipv6 2001:db8:ffff:1::1>2001:db8:ffff:1::13",
			},
			wantWarns: []WarningCode{WarnOutsideLAN},
			skipped:   []string{"203.0.113.13"},
		},
		{
			name: "IPv6 only",
			peer: PeerRequest{ASN: 65537},
			want: []string{"DOC-IX-AMS ams-edge1 ipv6 2001:db8:ffff:1::1>2001:db8:ffff:1::37"},
		},
		{
			name:      "not in PeeringDB and no sessions written",
			peer:      PeerRequest{ASN: 64599},
			wantWarns: []WarningCode{WarnNoCommonIXP},
		},
		{
			name: "explicit sessions replace derivation at their IXP only",
			peer: PeerRequest{ASN: 64501, Sessions: []ExplicitSession{{IX: "DOC-IX-AMS", IPv4: netip.MustParseAddr("192.0.2.99")}}},
			want: []string{
				"DOC-IX-AMS ams-edge1 ipv4 192.0.2.1>192.0.2.99",
				"DOC-IX-FRA fra-edge1 ipv4 192.0.2.129>192.0.2.139",
				"DOC-IX-FRA fra-edge1 ipv6 2001:db8:ffff:2::1>2001:db8:ffff:2::11",
			},
		},
		{
			name: "explicit sessions of a peer PeeringDB does not know",
			peer: PeerRequest{ASN: 13335, Sessions: []ExplicitSession{{IX: "DOC-IX-AMS",
				IPv4: netip.MustParseAddr("192.0.2.40"), IPv6: netip.MustParseAddr("2001:db8:ffff:1::40")}}},
			want: []string{
				"DOC-IX-AMS ams-edge1 ipv4 192.0.2.1>192.0.2.40",
				"DOC-IX-AMS ams-edge1 ipv6 2001:db8:ffff:1::1>2001:db8:ffff:1::40",
			},
		},
		{
			name:      "explicit address outside the LAN is refused",
			peer:      PeerRequest{ASN: 13335, Sessions: []ExplicitSession{{IX: "DOC-IX-FRA", IPv4: netip.MustParseAddr("192.0.2.40")}}},
			wantWarns: []WarningCode{WarnOutsideLAN, WarnNoUsableAddress},
		},
		{
			name:      "explicit session at an IXP we are not at, and at our own address",
			peer:      PeerRequest{ASN: 13335, Sessions: []ExplicitSession{{IX: "AMS-IX", IPv4: netip.MustParseAddr("80.249.208.1")}, {IX: "DOC-IX-AMS", IPv4: netip.MustParseAddr("192.0.2.1")}}},
			wantWarns: []WarningCode{WarnUnknownIXP, WarnOwnAddress, WarnNoUsableAddress},
		},
		{
			name:      "explicit session on a router that is not at the IXP",
			peer:      PeerRequest{ASN: 13335, Sessions: []ExplicitSession{{IX: "DOC-IX-AMS", Router: "fra-edge1", IPv4: netip.MustParseAddr("192.0.2.40")}}},
			wantWarns: []WarningCode{WarnNoRouter, WarnNoUsableAddress},
		},
		{
			name:      "ixps limits to an IXP where the peer is absent",
			peer:      PeerRequest{ASN: 64502, IXPs: []string{"DOC-IX-AMS"}},
			wantWarns: []WarningCode{WarnNotAtIXP},
		},
		{
			name:      "ixps names an unknown IXP",
			peer:      PeerRequest{ASN: 65537, IXPs: []string{"DOC-IX-AMS", "DOC-IX-LON"}},
			want:      []string{"DOC-IX-AMS ams-edge1 ipv6 2001:db8:ffff:1::1>2001:db8:ffff:1::37"},
			wantWarns: []WarningCode{WarnUnknownIXP},
		},
		{
			name:      "our own ports are never sessions",
			peer:      PeerRequest{ASN: 64500},
			wantWarns: []WarningCode{WarnOwnAddress, WarnOwnAddress, WarnOwnAddress, WarnOwnAddress, WarnNoUsableAddress},
			skipped:   []string{"192.0.2.1", "2001:db8:ffff:1::1", "192.0.2.129", "2001:db8:ffff:2::1"},
		},
		{
			name: "policy LANs override PeeringDB's",
			peer: PeerRequest{ASN: 64501},
			ours: []OurIX{{Name: "DOC-IX-AMS", IXID: 90001,
				LANs:    []netip.Prefix{netip.MustParsePrefix("192.0.2.0/29"), netip.MustParsePrefix("2001:db8:ffff:1::/64")},
				Routers: []OurRouter{{Name: "ams-edge1", IPv4: netip.MustParseAddr("192.0.2.1"), IPv6: netip.MustParseAddr("2001:db8:ffff:1::1")}}}},
			want:      []string{"DOC-IX-AMS ams-edge1 ipv6 2001:db8:ffff:1::1>2001:db8:ffff:1::11"},
			wantWarns: []WarningCode{WarnOutsideLAN},
			skipped:   []string{"192.0.2.11"},
		},
		{
			name:      "a router without an IPv6 address gets IPv4 sessions only",
			peer:      PeerRequest{ASN: 64501, IXPs: []string{"DOC-IX-AMS"}},
			ours:      []OurIX{{Name: "DOC-IX-AMS", IXID: 90001, Routers: []OurRouter{{Name: "ams-edge1", IPv4: netip.MustParseAddr("192.0.2.1")}}}},
			want:      []string{"DOC-IX-AMS ams-edge1 ipv4 192.0.2.1>192.0.2.11"},
			wantWarns: []WarningCode{WarnNoRouter},
		},
		{
			name: "two routers at one IXP both get every session",
			peer: PeerRequest{ASN: 65537},
			ours: []OurIX{{Name: "DOC-IX-AMS", IXID: 90001, Routers: []OurRouter{
				{Name: "ams-edge2", IPv6: netip.MustParseAddr("2001:db8:ffff:1::2")},
				{Name: "ams-edge1", IPv6: netip.MustParseAddr("2001:db8:ffff:1::1")}}}},
			want: []string{
				"DOC-IX-AMS ams-edge1 ipv6 2001:db8:ffff:1::1>2001:db8:ffff:1::37",
				"DOC-IX-AMS ams-edge2 ipv6 2001:db8:ffff:1::2>2001:db8:ffff:1::37",
			},
		},
		{
			name:      "an IXP with no LAN anywhere",
			peer:      PeerRequest{ASN: 64501},
			ours:      []OurIX{{Name: "X", IXID: 90001, Routers: []OurRouter{{Name: "r"}}}},
			wantWarns: []WarningCode{WarnNoLAN, WarnNoUsableAddress},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ours := tt.ours
			if ours == nil {
				ours = ourDemoIXs()
			}
			var dir PortDirectory = s
			if tt.name == "an IXP with no LAN anywhere" {
				dir = noPrefixes{s}
			}
			d := DeriveSessions(dir, tt.peer, ours)
			if got := sessionLines(d.Sessions); !slices.Equal(got, tt.want) {
				t.Errorf("sessions:\n got %q\nwant %q", got, tt.want)
			}
			if got := warningCodes(d.Warnings); !slices.Equal(got, tt.wantWarns) {
				t.Errorf("warnings = %v, want %v\n%v", got, tt.wantWarns, d.Warnings)
			}
			var skipped []string
			for _, sk := range d.Skipped {
				skipped = append(skipped, sk.Addr.String())
			}
			if !slices.Equal(skipped, tt.skipped) {
				t.Errorf("skipped = %v, want %v", skipped, tt.skipped)
			}
		})
	}
}

// noPrefixes hides a store's LAN prefixes, as for an IX whose ixpfx rows
// are missing.
type noPrefixes struct{ *Store }

func (noPrefixes) IXPrefixes(int) []netip.Prefix { return nil }

func TestDeriveSessionsProvenance(t *testing.T) {
	d := DeriveSessions(loadDemo(t), PeerRequest{ASN: 64501, IXPs: []string{"DOC-IX-FRA"},
		Sessions: []ExplicitSession{{IX: "DOC-IX-AMS", IPv4: netip.MustParseAddr("192.0.2.98")}}}, ourDemoIXs())
	if len(d.Sessions) != 3 {
		t.Fatalf("sessions = %q", sessionLines(d.Sessions))
	}
	ams, fra := d.Sessions[0], d.Sessions[1]
	if ams.Provenance.Origin != FromIntent || !strings.Contains(ams.Provenance.Detail, `session "DOC-IX-AMS"`) || ams.IsRSPeer {
		t.Errorf("explicit session = %+v", ams)
	}
	want := "peeringdb: netixlan 90704 (AS64501 at ix 90002), inside 192.0.2.128/25 from peeringdb, updated 2025-06-04"
	if fra.Provenance.String() != want || !fra.IsRSPeer || fra.IXID != 90002 || fra.Peer != 64501 {
		t.Errorf("derived session = %+v\nprovenance %q\n      want %q", fra, fra.Provenance, want)
	}
	if len(d.Warnings) != 0 {
		t.Errorf("warnings: %v", d.Warnings)
	}
}

func TestDeriveSessionsNotOperational(t *testing.T) {
	dir := fixedPorts{
		ports: []NetIXLAN{
			{ID: 1, ASN: 64501, IXID: 7, IPv4: netip.MustParseAddr("192.0.2.11"), Operational: false},
			{ID: 2, ASN: 64501, IXID: 7, IPv4: netip.MustParseAddr("192.0.2.12"), Operational: true},
			{ID: 3, ASN: 64501, IXID: 7, IPv4: netip.MustParseAddr("192.0.2.12"), Operational: true}, // same address twice
		},
		lans: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
	}
	ours := []OurIX{{Name: "IX", IXID: 7, Routers: []OurRouter{{Name: "r1", IPv4: netip.MustParseAddr("192.0.2.1")}}}}
	d := DeriveSessions(dir, PeerRequest{ASN: 64501}, ours)
	if got := sessionLines(d.Sessions); !slices.Equal(got, []string{"IX r1 ipv4 192.0.2.1>192.0.2.12"}) {
		t.Errorf("sessions = %q", got)
	}
	if got := warningCodes(d.Warnings); !slices.Equal(got, []WarningCode{WarnNotOperational}) {
		t.Errorf("warnings = %v", got)
	}
	if d := DeriveSessions(nil, PeerRequest{ASN: 64501}, ours); len(d.Sessions) != 0 ||
		!slices.Equal(warningCodes(d.Warnings), []WarningCode{WarnNoCommonIXP}) || !strings.Contains(d.Warnings[0].Message, "(IX)") {
		t.Errorf("nil directory: %+v", d)
	}
}

// fixedPorts is a PortDirectory over a literal list, for cases the demo
// snapshot does not have.
type fixedPorts struct {
	ports []NetIXLAN
	lans  []netip.Prefix
}

func (f fixedPorts) NetIXLANs(asn bgp.ASN, ixID int) []NetIXLAN {
	var out []NetIXLAN
	for _, p := range f.ports {
		if p.ASN == asn && p.IXID == ixID {
			out = append(out, p)
		}
	}
	return out
}

func (f fixedPorts) IXPrefixes(int) []netip.Prefix { return f.lans }

// TestDeriveSessionsReal2021 derives sessions from real netixlan addresses
// (netixlan-2021-09) at Equinix Ashburn (ix 1), with the LAN prefixes
// PeeringDB publishes for it (api-sample-2026 ixpfx), and then with only
// the lower half of its IPv4 LAN in policy: exactly the addresses inside
// the LANs become sessions.
func TestDeriveSessionsReal2021(t *testing.T) {
	ports := mustLoad(t, testutil.Shared(t, "peeringdb/netixlan-2021-09"))
	lans := mustLoad(t, testutil.Shared(t, "peeringdb/api-sample-2026")).IXPrefixes(1)
	var v4LAN netip.Prefix
	for _, p := range lans {
		if p.Addr().Is4() {
			v4LAN = p
		}
	}
	if !v4LAN.IsValid() || v4LAN.Bits() >= 32 {
		t.Fatalf("no IPv4 LAN for Equinix Ashburn in api-sample-2026: %v", lans)
	}
	lowerHalf := netip.PrefixFrom(v4LAN.Addr(), v4LAN.Bits()+1)
	router := OurRouter{Name: "iad-edge1", IPv4: netip.MustParseAddr("192.0.2.1"), IPv6: netip.MustParseAddr("2001:db8::1")}

	for _, tc := range []struct {
		name string
		lans []netip.Prefix
	}{
		{"PeeringDB LANs", lans},
		{"lower half of the IPv4 LAN", append([]netip.Prefix{lowerHalf}, lans[1:]...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ours := []OurIX{{Name: "EQIX-IAD", IXID: 1, LANs: tc.lans, Routers: []OurRouter{router}}}
			var inside, outside, sessions int
			for _, n := range ports.Nets() {
				want := map[netip.Addr]bool{}
				for _, p := range ports.NetIXLANs(n.ASN, 1) {
					for _, a := range []netip.Addr{p.IPv4, p.IPv6} {
						if !a.IsValid() {
							continue
						}
						if inside4or6(tc.lans, a) {
							want[a] = true
							inside++
						} else {
							outside++
						}
					}
				}
				d := DeriveSessions(ports, PeerRequest{ASN: n.ASN}, ours)
				got := map[netip.Addr]bool{}
				for _, s := range d.Sessions {
					got[s.PeerAddr] = true
					sessions++
					if !inside4or6(tc.lans, s.PeerAddr) || s.Provenance.Origin != FromPeeringDB || s.Router != "iad-edge1" {
						t.Errorf("%s: bad session %+v", n.ASN, s)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: sessions to %v, want %v", n.ASN, got, want)
				}
				for _, sk := range d.Skipped {
					if inside4or6(tc.lans, sk.Addr) {
						t.Errorf("%s: skipped %s, which is inside the LANs", n.ASN, sk.Addr)
					}
				}
			}
			if inside == 0 || sessions != inside {
				t.Errorf("%d addresses inside the LANs, %d sessions", inside, sessions)
			}
			if tc.name != "PeeringDB LANs" && outside == 0 {
				t.Error("the narrowed LAN excludes no real address; the test proves nothing")
			}
			t.Logf("%s: %d sessions, %d addresses outside", tc.name, sessions, outside)
		})
	}
}

// TestDeriveSessionsAPISample uses the 2026 API sample on its own: LANs come
// from its ixpfx rows (policy gives none). The sample is truncated, so some
// addresses fall outside the prefixes it has; those must be skipped.
func TestDeriveSessionsAPISample(t *testing.T) {
	s := mustLoad(t, testutil.Shared(t, "peeringdb/api-sample-2026"))
	var sessions, skipped int
	for _, n := range s.Nets() {
		var ours []OurIX
		for _, p := range s.PoPs(n.ASN) {
			if p.Kind == KindIX && len(s.IXPrefixes(p.ID)) > 0 {
				ours = append(ours, OurIX{Name: fmt.Sprintf("ix%d", p.ID), IXID: p.ID, Routers: []OurRouter{{Name: "r",
					IPv4: netip.MustParseAddr("192.0.2.1"), IPv6: netip.MustParseAddr("2001:db8::1")}}})
			}
		}
		d := DeriveSessions(s, PeerRequest{ASN: n.ASN}, ours)
		for _, ss := range d.Sessions {
			sessions++
			if !inside4or6(s.IXPrefixes(ss.IXID), ss.PeerAddr) {
				t.Errorf("%s: session to %s outside ix %d's LANs", n.ASN, ss.PeerAddr, ss.IXID)
			}
		}
		skipped += len(d.Skipped)
	}
	if sessions == 0 || skipped == 0 {
		t.Errorf("%d sessions, %d skipped: want both", sessions, skipped)
	}
}

func inside4or6(lans []netip.Prefix, a netip.Addr) bool {
	for _, p := range lans {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
