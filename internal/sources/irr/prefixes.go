package irr

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// sortPrefixes sorts prefixes by address, then length, and drops
// duplicates, in place. IPv4 lists, the long ones, are sorted as integer
// keys, which is several times faster than comparing netip values.
func sortPrefixes(ps []netip.Prefix) []netip.Prefix {
	if len(ps) == 0 {
		return nil
	}
	if ps[0].Addr().Is4() && all4(ps) {
		keys := make([]uint64, len(ps))
		for i, p := range ps {
			a := p.Addr().As4()
			keys[i] = uint64(binary.BigEndian.Uint32(a[:]))<<8 | uint64(p.Bits())
		}
		if !slices.IsSorted(keys) {
			slices.Sort(keys)
		}
		keys = slices.Compact(keys)
		out := ps[:len(keys)]
		for i, k := range keys {
			var a [4]byte
			binary.BigEndian.PutUint32(a[:], uint32(k>>8))
			out[i] = netip.PrefixFrom(netip.AddrFrom4(a), int(k&0xff))
		}
		return out
	}
	slices.SortFunc(ps, comparePrefix)
	return slices.Compact(ps)
}

func all4(ps []netip.Prefix) bool {
	for _, p := range ps {
		if !p.Addr().Is4() {
			return false
		}
	}
	return true
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}
