package peeringdb

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// objectTypes are the PeeringDB object types peerform loads and syncs, in
// the order they are fetched (referenced objects before the objects that
// refer to them).
var objectTypes = [...]string{"org", "fac", "ix", "ixfac", "ixlan", "ixpfx", "net", "netfac", "netixlan", "poc"}

// ObjectTypes returns the PeeringDB object types peerform loads and syncs:
// org, fac, ix, ixfac, ixlan, ixpfx, net, netfac, netixlan, poc.
func ObjectTypes() []string { return slices.Clone(objectTypes[:]) }

// Org is a PeeringDB organisation (the owner of networks, IXs and facilities).
type Org struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Country string `json:"country,omitempty"`
}

// Net is a PeeringDB network record (object type "net").
type Net struct {
	ID            int     `json:"id"`
	OrgID         int     `json:"org_id,omitempty"`
	ASN           bgp.ASN `json:"asn"`
	Name          string  `json:"name"`
	AKA           string  `json:"aka,omitempty"`
	Website       string  `json:"website,omitempty"`
	IRRASSet      string  `json:"irr_as_set"`
	InfoType      string  `json:"info_type"`
	InfoRatio     string  `json:"info_ratio"`
	InfoTraffic   string  `json:"info_traffic"`
	InfoScope     string  `json:"info_scope"`
	PolicyGeneral string  `json:"policy_general"`
	PolicyURL     string  `json:"policy_url,omitempty"`
	// InfoPrefixes4 and InfoPrefixes6 are the prefix counts the network
	// recommends as max-prefix; 0 when unknown (PeeringDB null).
	InfoPrefixes4 int `json:"info_prefixes4"`
	InfoPrefixes6 int `json:"info_prefixes6"`
	// NeverViaRouteServers is set by networks that want direct sessions
	// rather than routes via IX route servers.
	NeverViaRouteServers bool `json:"info_never_via_route_servers"`
	// PolicyLocations, PolicyContracts and PolicyRatio are the peering
	// policy's details ("Required - US", "Private Only", a ratio
	// requirement).
	PolicyLocations string `json:"policy_locations,omitempty"`
	PolicyContracts string `json:"policy_contracts,omitempty"`
	PolicyRatio     bool   `json:"policy_ratio,omitempty"`
	InfoIPv6        bool   `json:"info_ipv6,omitempty"`
	InfoMulticast   bool   `json:"info_multicast,omitempty"`
	// LookingGlass and RouteServer are URLs the network publishes.
	LookingGlass string    `json:"looking_glass,omitempty"`
	RouteServer  string    `json:"route_server,omitempty"`
	Created      time.Time `json:"created,omitzero"`
	Updated      time.Time `json:"updated,omitzero"`
	// NetIXLANUpdated, NetFacUpdated and POCUpdated are when the network's
	// IX ports, facilities and contacts last changed; zero when it has
	// none (PeeringDB null) or the time does not parse.
	NetIXLANUpdated time.Time `json:"netixlan_updated,omitzero"`
	NetFacUpdated   time.Time `json:"netfac_updated,omitzero"`
	POCUpdated      time.Time `json:"poc_updated,omitzero"`
	// AllowIXPUpdate lets the network's exchanges update its IX ports
	// (from their IX-F exports).
	AllowIXPUpdate bool `json:"allow_ixp_update,omitempty"`
}

// Fac is a facility (data centre).
type Fac struct {
	ID      int     `json:"id"`
	OrgID   int     `json:"org_id,omitempty"`
	Name    string  `json:"name"`
	City    string  `json:"city"`
	Country string  `json:"country"`
	Lat     float64 `json:"latitude"`
	Lon     float64 `json:"longitude"`
	// HasLocation is false when PeeringDB has no coordinates (Lat and Lon
	// are then 0 and mean nothing).
	HasLocation bool `json:"has_location"`
	// The street address, as PeeringDB holds it; any part may be empty.
	Address1 string `json:"address1,omitempty"`
	Address2 string `json:"address2,omitempty"`
	State    string `json:"state,omitempty"`
	Zipcode  string `json:"zipcode,omitempty"`
}

// Address is the facility's postal address on one line: street, postcode
// and city, state, country; the parts PeeringDB lacks are left out.
func (f Fac) Address() string {
	var parts []string
	for _, p := range []string{f.Address1, f.Address2, strings.TrimSpace(f.Zipcode + " " + f.City), f.State, f.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// ContactRole is a PeeringDB poc role.
type ContactRole string

// The poc roles a peering request is addressed to, in the order they are
// asked: policy and technical contacts decide, the NOC is told.
const (
	RolePolicy    ContactRole = "Policy"
	RoleTechnical ContactRole = "Technical"
	RoleNOC       ContactRole = "NOC"
)

// Contact is a network's point of contact (object type "poc") that
// PeeringDB shows: visible "Public" or "Users", never "Private". Email is
// a bare, checked address (CheckEmail); Name has no control characters.
type Contact struct {
	ID    int         `json:"id"`
	Role  ContactRole `json:"role"`
	Name  string      `json:"name,omitempty"`
	Email string      `json:"email"`
}

// IX is an internet exchange point.
type IX struct {
	ID              int    `json:"id"`
	OrgID           int    `json:"org_id,omitempty"`
	Name            string `json:"name"`
	NameLong        string `json:"name_long,omitempty"`
	City            string `json:"city"`
	Country         string `json:"country"`
	RegionContinent string `json:"region_continent,omitempty"`
	// Lat and Lon are the centroid of the IX's facilities (ixfac) that have
	// coordinates; HasLocation is false when none has.
	Lat         float64 `json:"latitude"`
	Lon         float64 `json:"longitude"`
	HasLocation bool    `json:"has_location"`
	// FacIDs are the facilities the IX is present in, ascending.
	FacIDs []int `json:"fac_ids"`
}

// NetIXLAN is one port of a network on an IX LAN (object type "netixlan").
type NetIXLAN struct {
	ID      int     `json:"id"`
	NetID   int     `json:"net_id"`
	IXID    int     `json:"ix_id"`
	IXLANID int     `json:"ixlan_id"`
	ASN     bgp.ASN `json:"asn"`
	// Name is the IX (LAN) name as PeeringDB repeats it on the row; it names
	// the IX when the snapshot has no ix row for it.
	Name string `json:"name,omitempty"`
	// IPv4 and IPv6 are the zero Addr when the port has no address of that
	// family.
	IPv4        netip.Addr `json:"ipaddr4,omitzero"`
	IPv6        netip.Addr `json:"ipaddr6,omitzero"`
	SpeedMbps   int        `json:"speed"`
	IsRSPeer    bool       `json:"is_rs_peer"`
	Operational bool       `json:"operational"`
	Updated     time.Time  `json:"updated,omitzero"`
}

// PoPKind says whether a point of presence is a facility or an IX.
type PoPKind string

// The two kinds of PoP. They sort "fac" before "ix".
const (
	KindFac PoPKind = "fac"
	KindIX  PoPKind = "ix"
)

// PoP is a point of presence of one network: a facility (netfac) or an IX
// (netixlan), identified by kind and PeeringDB id, never by city.
type PoP struct {
	Kind        PoPKind `json:"kind"`
	ID          int     `json:"id"`
	Name        string  `json:"name"`
	City        string  `json:"city"`
	Country     string  `json:"country"`
	Lat         float64 `json:"latitude"`
	Lon         float64 `json:"longitude"`
	HasLocation bool    `json:"has_location"`
	// SpeedMbps is, for an IX, the sum of this network's netixlan speeds
	// there (its port capacity); 0 for a facility.
	SpeedMbps int `json:"speed_mbps"`
}

// Key identifies the PoP the way docs/scoring.md and policies write it:
// "fac:1", "ix:26".
func (p PoP) Key() string { return string(p.Kind) + ":" + strconv.Itoa(p.ID) }

// CommonPoP is a place where two networks are both present, as seen by each
// (the speeds differ; everything else is the same).
type CommonPoP struct {
	A PoP `json:"a"`
	B PoP `json:"b"`
}

// Meta describes where a Store came from.
type Meta struct {
	// Source is the directory or file loaded.
	Source string `json:"source"`
	// Generated is the newest "meta.generated" time found in the files
	// (zero when the files carry none).
	Generated time.Time `json:"generated,omitzero"`
	// Newest is the newest "updated" time among the rows kept: the data is
	// at least this recent.
	Newest time.Time `json:"newest,omitzero"`
	// Synced is when the cache was last synced from the API (zero for a
	// snapshot that is not a sync cache).
	Synced time.Time `json:"synced,omitzero"`
	// Counts is the number of rows kept per object type.
	Counts map[string]int `json:"counts"`
	// Skipped counts rows dropped because of impossible values (bad
	// addresses, out-of-range ASNs, duplicate ids) or a status other than
	// "ok"; Warnings describes the first few.
	Skipped  int      `json:"skipped"`
	Warnings []string `json:"warnings"`
}
