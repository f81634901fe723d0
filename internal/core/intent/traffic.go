package intent

import (
	"net/netip"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Traffic is where measured traffic lives and how our links are
// classified (the traffic block; docs/intents.md).
type Traffic struct {
	// Store is the directory `traffic collect` and `traffic import`
	// write and every traffic command reads (DefaultTrafficStore).
	Store string
	// RIB is an MRT TABLE_DUMP_V2 dump of a border router's table,
	// used to attribute flows ("" none: the exporters' AS numbers only).
	RIB string
	// SamplingRate applies to exporters that announce none (default 1).
	SamplingRate uint32
	// RetentionDays bounds the store (default 400).
	RetentionDays int
	// Exporters, when set, are the only flow sources accepted.
	Exporters []netip.Prefix
	Links     []TrafficLink
	DeclRange hcl.Range
}

// DefaultTrafficStore is where the traffic store lives when the policy
// does not say: beside the PeeringDB cache, out of the repository's data.
const DefaultTrafficStore = ".peerform/traffic"

// TrafficLink is one of our external links: a flow crossed it when its
// exporter reports one of the link's interface indexes, or when the route
// it follows has one of the link's next hops.
type TrafficLink struct {
	Name        string
	Class       string // "transit", "ixp" or "pni"
	NeighborASN bgp.ASN
	Exporter    netip.Addr // invalid: any exporter
	IfIndexes   []uint32
	NextHops    []netip.Addr
	DeclRange   hcl.Range
}

type rawTraffic struct {
	DefRange      hcl.Range         `hcl:",def_range"`
	Store         *string           `hcl:"store,optional"`
	RIB           *string           `hcl:"rib,optional"`
	SamplingRate  *int64            `hcl:"sampling_rate,optional"`
	RetentionDays *int              `hcl:"retention_days,optional"`
	Exporters     *[]string         `hcl:"exporters,optional"`
	Links         []*rawTrafficLink `hcl:"link,block"`

	StoreRange         hcl.Range `hcl:"store,attr_range"`
	RIBRange           hcl.Range `hcl:"rib,attr_range"`
	SamplingRateRange  hcl.Range `hcl:"sampling_rate,attr_range"`
	RetentionDaysRange hcl.Range `hcl:"retention_days,attr_range"`
	ExportersRange     hcl.Range `hcl:"exporters,attr_range"`
}

type rawTrafficLink struct {
	Name        string    `hcl:"name,label"`
	LabelRange  hcl.Range `hcl:"name,label_range"`
	DefRange    hcl.Range `hcl:",def_range"`
	Class       string    `hcl:"class,attr"`
	NeighborASN *int64    `hcl:"neighbor_asn,optional"`
	Exporter    *string   `hcl:"exporter,optional"`
	IfIndex     *[]int64  `hcl:"ifindex,optional"`
	NextHops    *[]string `hcl:"next_hops,optional"`

	ClassRange       hcl.Range `hcl:"class,attr_range"`
	NeighborASNRange hcl.Range `hcl:"neighbor_asn,attr_range"`
	ExporterRange    hcl.Range `hcl:"exporter,attr_range"`
	IfIndexRange     hcl.Range `hcl:"ifindex,attr_range"`
	NextHopsRange    hcl.Range `hcl:"next_hops,attr_range"`
}

// maxTrafficLinks bounds the link blocks (and their lists) a repository
// may hold: attribution scans them per flow.
const maxTrafficLinks = 1024

func (v *validator) traffic(r *rawTraffic) Traffic {
	out := Traffic{Store: DefaultTrafficStore, SamplingRate: 1, RetentionDays: 400}
	if r == nil {
		return out
	}
	out.DeclRange = r.DefRange
	path := func(p *string, rng hcl.Range, attr string) string {
		if p == nil {
			return ""
		}
		if msg := checkPath(*p, false); msg != "" {
			v.errorf(rng, "Invalid path", "%s %s.", attr, msg)
			return ""
		}
		return *p
	}
	if s := path(r.Store, r.StoreRange, "store"); s != "" {
		out.Store = s
	}
	out.RIB = path(r.RIB, r.RIBRange, "rib")
	if r.SamplingRate != nil {
		if *r.SamplingRate < 1 || *r.SamplingRate > 1<<20 {
			v.errorf(r.SamplingRateRange, "Invalid sampling rate", "sampling_rate is the 1-in-N rate of exporters that announce none, 1 to 1048576.")
		} else {
			out.SamplingRate = uint32(*r.SamplingRate)
		}
	}
	if r.RetentionDays != nil {
		if *r.RetentionDays < 1 || *r.RetentionDays > 3660 {
			v.errorf(r.RetentionDaysRange, "Invalid retention", "retention_days is how many days the store keeps, 1 to 3660.")
		} else {
			out.RetentionDays = *r.RetentionDays
		}
	}
	if r.Exporters != nil {
		for _, s := range *r.Exporters {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				if a, aerr := netip.ParseAddr(s); aerr == nil {
					p, err = a.Prefix(a.BitLen())
				}
			}
			if err != nil {
				v.errorf(r.ExportersRange, "Invalid exporter", "exporters lists addresses or prefixes flows may come from; %q is neither.", s)
				continue
			}
			out.Exporters = append(out.Exporters, p.Masked())
		}
	}
	if len(r.Links) > maxTrafficLinks {
		v.errorf(r.Links[maxTrafficLinks].DefRange, "Too many links", "At most %d link blocks.", maxTrafficLinks)
		r.Links = r.Links[:maxTrafficLinks]
	}
	for _, l := range r.Links {
		if i := slices.IndexFunc(out.Links, func(o TrafficLink) bool { return o.Name == l.Name }); i >= 0 {
			v.errorf(l.LabelRange, "Duplicate link", "Link %q is already defined at %s.", l.Name, out.Links[i].DeclRange)
			continue
		}
		out.Links = append(out.Links, v.trafficLink(l))
	}
	return out
}

func (v *validator) trafficLink(l *rawTrafficLink) TrafficLink {
	out := TrafficLink{Name: l.Name, Class: l.Class, DeclRange: l.DefRange}
	if msg := CheckText(l.Name, MaxNameLen); msg != "" {
		v.errorf(l.LabelRange, "Invalid link name", "The name %s.", msg)
	}
	if !slices.Contains([]string{"transit", "ixp", "pni"}, l.Class) {
		v.errorf(l.ClassRange, "Invalid link class", "class is \"transit\", \"ixp\" or \"pni\", not %q.", l.Class)
	}
	if l.NeighborASN != nil {
		if *l.NeighborASN < 1 || *l.NeighborASN > 4294967295 {
			v.errorf(l.NeighborASNRange, "Invalid AS number", "neighbor_asn must be between 1 and 4294967295.")
		} else {
			out.NeighborASN = bgp.ASN(*l.NeighborASN)
		}
	}
	if l.Exporter != nil {
		a, err := netip.ParseAddr(*l.Exporter)
		if err != nil {
			v.errorf(l.ExporterRange, "Invalid exporter", "exporter is the address the router's flows come from: %s.", err)
		} else {
			out.Exporter = a.Unmap()
		}
	}
	if l.IfIndex != nil {
		for _, i := range *l.IfIndex {
			if i < 1 || i > 4294967295 || len(out.IfIndexes) == maxTrafficLinks {
				v.errorf(l.IfIndexRange, "Invalid interface index", "ifindex lists SNMP interface indexes, 1 to 4294967295, at most %d.", maxTrafficLinks)
				break
			}
			out.IfIndexes = append(out.IfIndexes, uint32(i))
		}
	}
	if l.NextHops != nil {
		for _, s := range *l.NextHops {
			a, err := netip.ParseAddr(s)
			if err != nil || len(out.NextHops) == maxTrafficLinks {
				v.errorf(l.NextHopsRange, "Invalid next hop", "next_hops lists the neighbor's addresses (at most %d); %q is not one.", maxTrafficLinks, s)
				break
			}
			out.NextHops = append(out.NextHops, a.Unmap())
		}
	}
	if len(out.IfIndexes) > 0 && !out.Exporter.IsValid() {
		v.warnf(l.DefRange, "Interface indexes without an exporter", "Link %q gives ifindex but no exporter: the indexes then match on every router, where they usually mean different interfaces.", l.Name)
	}
	if len(out.IfIndexes) == 0 && len(out.NextHops) == 0 && out.NeighborASN == 0 {
		v.errorf(l.DefRange, "Link matches nothing", "Link %q needs ifindex (with exporter), next_hops or neighbor_asn to tell which flows crossed it.", l.Name)
	}
	return out
}
