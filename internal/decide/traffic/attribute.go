package traffic

import (
	"net/netip"
	"slices"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/flows"
	"github.com/peerform/peerform/internal/sources/rib"
)

// Link is one of our external links as the policy classifies it: a
// transit, an IXP port or a PNI. A flow crossed it when the exporting
// router (Exporter, or any when invalid) reports one of IfIndexes as the
// flow's interface, or when the route's next hop is one of NextHops.
type Link struct {
	Name      string
	Class     Class
	Neighbor  bgp.ASN // the AS on the other side (0: from the route)
	Exporter  netip.Addr
	IfIndexes []uint32
	NextHops  []netip.Addr
}

// Attributor says where a flow belongs. Routes may be nil (then only the
// AS numbers the exporter reports are used); Links and IXPLANs come from
// the policy; Local are our own prefixes.
type Attributor struct {
	Routes  *rib.Table
	Links   []Link
	IXPLANs []netip.Prefix
	Local   []netip.Prefix
}

// Attribution is what an Attributor decided about a flow.
type Attribution struct {
	Key Key
	// Path is the AS path of the route the remote address follows
	// (neighbor first); nil without one.
	Path []bgp.ASN
}

// Attribute decides a flow's direction, class, neighbor and remote AS;
// false means it cannot tell the direction (a flow between two addresses
// of ours, or between two outside with no classified interface).
//
// Direction: a flow that leaves through a classified link is outbound, one
// that enters through one is inbound; otherwise the side with an address
// of ours (Local), else the side with an external route, is ours.
// Remote AS: the origin of the route to the remote address, else the AS
// the exporter reports for it. Class and neighbor: the link the flow
// crossed (by interface), else the link or IXP LAN of the route's next
// hop, else a link whose Neighbor is the route's first AS; inbound flows
// without a classified interface are judged by the route to their source,
// as if traffic came back the way ours goes.
func (a *Attributor) Attribute(r flows.Record) (Attribution, bool) {
	in, out := a.linkByIf(r.Exporter, r.InIf), a.linkByIf(r.Exporter, r.OutIf)
	var dir Direction
	switch {
	case out != nil && in == nil:
		dir = Out
	case in != nil && out == nil:
		dir = In
	default:
		dir = a.directionByAddress(r.Src, r.Dst)
		if dir == 0 {
			return Attribution{}, false
		}
	}
	remote, reported, link, nextHop := r.Dst, r.DstAS, out, r.NextHop
	if dir == In {
		remote, reported, link, nextHop = r.Src, r.SrcAS, in, netip.Addr{}
	}
	rt, hasRoute := a.lookup(remote)
	k := Key{Dir: dir, Remote: bgp.ASN(reported)}
	var at Attribution
	if hasRoute {
		if o := rt.Origin(); o != 0 {
			k.Remote = o
		}
		at.Path = rt.Path
		if !nextHop.IsValid() {
			nextHop = rt.NextHop
		}
	}
	if link == nil && nextHop.IsValid() {
		link = a.linkByNextHop(nextHop)
	}
	switch {
	case link != nil:
		k.Class, k.Neighbor = link.Class, link.Neighbor
	case nextHop.IsValid() && a.onIXP(nextHop):
		k.Class = IXP
	case hasRoute && rt.Neighbor() != 0:
		if l := a.linkByNeighbor(rt.Neighbor()); l != nil {
			k.Class = l.Class
		}
	}
	if k.Neighbor == 0 && hasRoute {
		k.Neighbor = rt.Neighbor()
	}
	at.Key = k
	return at, true
}

func (a *Attributor) lookup(addr netip.Addr) (rib.Route, bool) {
	if a.Routes == nil {
		return rib.Route{}, false
	}
	return a.Routes.Lookup(addr)
}

func (a *Attributor) directionByAddress(src, dst netip.Addr) Direction {
	srcLocal, dstLocal := containsAddr(a.Local, src), containsAddr(a.Local, dst)
	switch {
	case dstLocal && !srcLocal:
		return In
	case srcLocal && !dstLocal:
		return Out
	case srcLocal && dstLocal:
		return 0
	}
	srcRt, srcOK := a.lookup(src)
	dstRt, dstOK := a.lookup(dst)
	srcExt, dstExt := srcOK && len(srcRt.Path) > 0, dstOK && len(dstRt.Path) > 0
	switch {
	case dstExt && !srcExt:
		return Out
	case srcExt && !dstExt:
		return In
	}
	return 0
}

func (a *Attributor) linkByIf(exporter netip.Addr, ifIndex uint32) *Link {
	if ifIndex == 0 {
		return nil
	}
	for i := range a.Links {
		l := &a.Links[i]
		if (!l.Exporter.IsValid() || l.Exporter == exporter) && slices.Contains(l.IfIndexes, ifIndex) {
			return l
		}
	}
	return nil
}

func (a *Attributor) linkByNextHop(nh netip.Addr) *Link {
	for i := range a.Links {
		if slices.Contains(a.Links[i].NextHops, nh) {
			return &a.Links[i]
		}
	}
	return nil
}

func (a *Attributor) linkByNeighbor(asn bgp.ASN) *Link {
	for i := range a.Links {
		if a.Links[i].Neighbor == asn {
			return &a.Links[i]
		}
	}
	return nil
}

func (a *Attributor) onIXP(addr netip.Addr) bool { return containsAddr(a.IXPLANs, addr) }

func containsAddr(ps []netip.Prefix, addr netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
