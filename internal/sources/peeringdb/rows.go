package peeringdb

// Row shapes as the API and dumps spell them. Only the fields peerform uses
// are listed; unknown fields are ignored, but a listed field with the wrong
// JSON type (a string speed, an object name) fails the whole file: a
// snapshot that does not look like PeeringDB is not PeeringDB.
//
// JSON null leaves a field at its zero value, which is how PeeringDB spells
// "unknown" for counts and addresses. Fields where zero is a real value but
// null means "unknown" are pointers.

type orgRow struct {
	ID      int    `json:"id"`
	Name    string `json:"name"`
	Country string `json:"country"`
	Status  string `json:"status"`
	Updated string `json:"updated"`
}

type facRow struct {
	ID        int      `json:"id"`
	OrgID     int      `json:"org_id"`
	Name      string   `json:"name"`
	Address1  string   `json:"address1"`
	Address2  string   `json:"address2"`
	City      string   `json:"city"`
	State     string   `json:"state"`
	Zipcode   string   `json:"zipcode"`
	Country   string   `json:"country"`
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
	Status    string   `json:"status"`
	Updated   string   `json:"updated"`
}

type ixRow struct {
	ID              int    `json:"id"`
	OrgID           int    `json:"org_id"`
	Name            string `json:"name"`
	NameLong        string `json:"name_long"`
	City            string `json:"city"`
	Country         string `json:"country"`
	RegionContinent string `json:"region_continent"`
	Status          string `json:"status"`
	Updated         string `json:"updated"`
}

type ixfacRow struct {
	ID      int    `json:"id"`
	IXID    int    `json:"ix_id"`
	FacID   int    `json:"fac_id"`
	Status  string `json:"status"`
	Updated string `json:"updated"`
}

type ixlanRow struct {
	ID      int    `json:"id"`
	IXID    int    `json:"ix_id"`
	Status  string `json:"status"`
	Updated string `json:"updated"`
}

type ixpfxRow struct {
	ID       int    `json:"id"`
	IXLANID  int    `json:"ixlan_id"`
	Protocol string `json:"protocol"`
	Prefix   string `json:"prefix"`
	Status   string `json:"status"`
	Updated  string `json:"updated"`
}

type netRow struct {
	ID                   int    `json:"id"`
	OrgID                int    `json:"org_id"`
	ASN                  int64  `json:"asn"`
	Name                 string `json:"name"`
	AKA                  string `json:"aka"`
	Website              string `json:"website"`
	IRRASSet             string `json:"irr_as_set"`
	InfoType             string `json:"info_type"`
	InfoRatio            string `json:"info_ratio"`
	InfoTraffic          string `json:"info_traffic"`
	InfoScope            string `json:"info_scope"`
	InfoPrefixes4        int64  `json:"info_prefixes4"`
	InfoPrefixes6        int64  `json:"info_prefixes6"`
	NeverViaRouteServers bool   `json:"info_never_via_route_servers"`
	PolicyGeneral        string `json:"policy_general"`
	PolicyURL            string `json:"policy_url"`
	PolicyLocations      string `json:"policy_locations"`
	PolicyContracts      string `json:"policy_contracts"`
	PolicyRatio          bool   `json:"policy_ratio"`
	InfoIPv6             bool   `json:"info_ipv6"`
	InfoMulticast        bool   `json:"info_multicast"`
	LookingGlass         string `json:"looking_glass"`
	RouteServer          string `json:"route_server"`
	Created              string `json:"created"`
	NetIXLANUpdated      string `json:"netixlan_updated"`
	NetFacUpdated        string `json:"netfac_updated"`
	POCUpdated           string `json:"poc_updated"`
	AllowIXPUpdate       bool   `json:"allow_ixp_update"`
	Status               string `json:"status"`
	Updated              string `json:"updated"`
}

type netfacRow struct {
	ID       int    `json:"id"`
	NetID    int    `json:"net_id"`
	FacID    int    `json:"fac_id"`
	LocalASN int64  `json:"local_asn"`
	Name     string `json:"name"`
	City     string `json:"city"`
	Country  string `json:"country"`
	Status   string `json:"status"`
	Updated  string `json:"updated"`
}

type netixlanRow struct {
	ID          int    `json:"id"`
	NetID       int    `json:"net_id"`
	IXID        int    `json:"ix_id"`
	IXLANID     int    `json:"ixlan_id"`
	ASN         int64  `json:"asn"`
	Name        string `json:"name"`
	Speed       int64  `json:"speed"`
	IPAddr4     string `json:"ipaddr4"`
	IPAddr6     string `json:"ipaddr6"`
	IsRSPeer    bool   `json:"is_rs_peer"`
	Operational *bool  `json:"operational"` // absent in old dumps: assume true
	Status      string `json:"status"`
	Updated     string `json:"updated"`
}

// pocRow is a network's point of contact. PeeringDB's API shows anonymous
// callers only the "Public" ones; a logged-in sync also sees "Users".
type pocRow struct {
	ID      int    `json:"id"`
	NetID   int    `json:"net_id"`
	Role    string `json:"role"`
	Visible string `json:"visible"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Status  string `json:"status"`
	Updated string `json:"updated"`
}
