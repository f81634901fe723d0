package bgp

import "net/netip"

// Family is an address family a session carries.
type Family int

const (
	IPv4 Family = 4
	IPv6 Family = 6
)

func (f Family) String() string {
	if f == IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// FamilyOf returns the family of an address (an IPv4-mapped IPv6 address
// counts as IPv6: it is never a valid BGP neighbor on an IXP LAN).
func FamilyOf(a netip.Addr) Family {
	if a.Is4() {
		return IPv4
	}
	return IPv6
}

// Bogon is a prefix no peer may announce, with the reason shown in configs.
type Bogon struct {
	Prefix netip.Prefix
	Reason string
}

func mustBogons(rows [][2]string) []Bogon {
	out := make([]Bogon, len(rows))
	for i, r := range rows {
		out[i] = Bogon{netip.MustParsePrefix(r[0]), r[1]}
	}
	return out
}

// BogonsV4 are IPv4 prefixes (and everything inside them) that must never be
// accepted from a peer.
var BogonsV4 = mustBogons([][2]string{
	{"0.0.0.0/8", "RFC 1122 this network"},
	{"10.0.0.0/8", "RFC 1918 private"},
	{"100.64.0.0/10", "RFC 6598 shared CGN"},
	{"127.0.0.0/8", "RFC 1122 loopback"},
	{"169.254.0.0/16", "RFC 3927 link local"},
	{"172.16.0.0/12", "RFC 1918 private"},
	{"192.0.0.0/24", "RFC 6890 IETF protocol assignments"},
	{"192.0.2.0/24", "RFC 5737 TEST-NET-1"},
	{"192.168.0.0/16", "RFC 1918 private"},
	{"198.18.0.0/15", "RFC 2544 benchmarking"},
	{"198.51.100.0/24", "RFC 5737 TEST-NET-2"},
	{"203.0.113.0/24", "RFC 5737 TEST-NET-3"},
	{"224.0.0.0/4", "RFC 5771 multicast"},
	{"240.0.0.0/4", "RFC 1112 reserved"},
})

// BogonsV6 are IPv6 prefixes that must never be accepted from a peer.
var BogonsV6 = mustBogons([][2]string{
	{"::/8", "RFC 4291 loopback, unspecified, v4-mapped"},
	{"0100::/64", "RFC 6666 discard only"},
	{"2001:2::/48", "RFC 5180 benchmarking"},
	{"2001:10::/28", "RFC 4843 ORCHID"},
	{"2001:db8::/32", "RFC 3849 documentation"},
	{"3fff::/20", "RFC 9637 documentation"},
	{"3ffe::/16", "RFC 3701 old 6bone"},
	{"5f00::/16", "RFC 9602 SRv6 SIDs"},
	{"fc00::/7", "RFC 4193 unique local"},
	{"fe80::/10", "RFC 4291 link local"},
	{"fec0::/10", "RFC 3879 site local"},
	{"ff00::/8", "RFC 4291 multicast"},
})
