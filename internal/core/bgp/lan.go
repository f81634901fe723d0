package bgp

import "net/netip"

// LANEdge says whether a is the network address of lan ("network") or,
// for IPv4, its broadcast address ("broadcast"); "" for a host address.
// Point-to-point lengths (/31, /32, /127, /128) have no such addresses.
func LANEdge(lan netip.Prefix, a netip.Addr) string {
	lan = lan.Masked()
	if !lan.Contains(a) || lan.Bits() >= a.BitLen()-1 {
		return ""
	}
	if a == lan.Addr() {
		return "network"
	}
	if a.Is4() {
		b := lan.Addr().As4()
		hostBits := 32 - lan.Bits()
		for i := 3; i >= 0 && hostBits > 0; i-- {
			n := min(hostBits, 8)
			b[i] |= byte(1<<n - 1)
			hostBits -= n
		}
		if a == netip.AddrFrom4(b) {
			return "broadcast"
		}
	}
	return ""
}
