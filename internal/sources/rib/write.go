package rib

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"github.com/osrg/gobgp/v3/pkg/packet/mrt"
)

// Write writes routes as an MRT TABLE_DUMP_V2 dump with one peer (the
// router, peerAddr in AS peerAS) and one entry per prefix, as a router's
// own table dump looks. It makes small dumps for tests and examples.
func Write(w io.Writer, at time.Time, peerAddr netip.Addr, peerAS uint32, routes []Route) error {
	ts := uint32(at.Unix())
	pit := mrt.NewPeerIndexTable("0.0.0.0", "", []*mrt.Peer{mrt.NewPeer(peerAddr.String(), peerAddr.String(), peerAS, true)})
	msgs := []mrt.Body{pit}
	for _, r := range routes {
		var segs []bgp.AsPathParamInterface
		// A path segment holds at most 255 ASNs.
		for seg := range slices.Chunk(r.Path, 255) {
			as := make([]uint32, len(seg))
			for i, a := range seg {
				as[i] = uint32(a)
			}
			segs = append(segs, bgp.NewAs4PathParam(bgp.BGP_ASPATH_ATTR_TYPE_SEQ, as))
		}
		attrs := []bgp.PathAttributeInterface{bgp.NewPathAttributeOrigin(0), bgp.NewPathAttributeAsPath(segs)}
		var nlri bgp.AddrPrefixInterface
		if r.Prefix.Addr().Is4() {
			nlri = bgp.NewIPAddrPrefix(uint8(r.Prefix.Bits()), r.Prefix.Addr().String())
			if r.NextHop.IsValid() {
				attrs = append(attrs, bgp.NewPathAttributeNextHop(r.NextHop.String()))
			}
		} else {
			nlri = bgp.NewIPv6AddrPrefix(uint8(r.Prefix.Bits()), r.Prefix.Addr().String())
			nh := "::"
			if r.NextHop.IsValid() {
				nh = r.NextHop.String()
			}
			attrs = append(attrs, bgp.NewPathAttributeMpReachNLRI(nh, []bgp.AddrPrefixInterface{nlri}))
		}
		msgs = append(msgs, mrt.NewRib(uint32(len(msgs)-1), nlri, []*mrt.RibEntry{mrt.NewRibEntry(0, ts, 0, attrs, false)}))
	}
	for _, body := range msgs {
		sub := mrt.PEER_INDEX_TABLE
		if rb, ok := body.(*mrt.Rib); ok {
			sub = mrt.RIB_IPV4_UNICAST
			if rb.Prefix.AFI() == bgp.AFI_IP6 {
				sub = mrt.RIB_IPV6_UNICAST
			}
		}
		m, err := mrt.NewMRTMessage(ts, mrt.TABLE_DUMPv2, sub, body)
		if err != nil {
			return err
		}
		b, err := m.Serialize()
		if err != nil {
			return fmt.Errorf("MRT: %w", err)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
