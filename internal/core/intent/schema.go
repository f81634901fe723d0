package intent

import "github.com/hashicorp/hcl/v2"

// The raw* types mirror the HCL schema one to one; gohcl decodes into them.
// Everything optional is a pointer or an hcl.Expression so that "not set"
// and "set to the zero value" stay distinguishable, and every attribute has
// its range so that semantic errors point at the value that is wrong.
// Validation turns them into the typed values of types.go.

type rawPeerFile struct {
	Peers []*rawPeer `hcl:"peer,block"`
}

type rawPeer struct {
	Label      string    `hcl:"asn,label"`
	LabelRange hcl.Range `hcl:"asn,label_range"`
	DefRange   hcl.Range `hcl:",def_range"`

	Name        string         `hcl:"name,attr"`
	Import      *string        `hcl:"import,optional"`
	Export      string         `hcl:"export,attr"`
	Description *string        `hcl:"description,optional"`
	IXPs        *[]string      `hcl:"ixps,optional"`
	MD5         hcl.Expression `hcl:"md5,optional"`
	GTSM        *bool          `hcl:"gtsm,optional"`
	BFD         *bool          `hcl:"bfd,optional"`
	Shutdown    *bool          `hcl:"shutdown,optional"`
	LocalPref   *int           `hcl:"local_pref,optional"`
	RouteServer *bool          `hcl:"route_server,optional"`
	Status      *string        `hcl:"status,optional"`
	RetryAfter  *string        `hcl:"retry_after,optional"`
	Role        *string        `hcl:"role,optional"`
	RoleStrict  *bool          `hcl:"role_strict,optional"`
	// ASSet is the old name of import; accepted with a deprecation warning.
	ASSet *string `hcl:"as_set,optional"`
	// Password is never accepted: it would put a secret in the repository.
	Password hcl.Expression `hcl:"password,optional"`

	MaxPrefix []*rawAFILimits `hcl:"max_prefix,block"`
	Sessions  []*rawSession   `hcl:"session,block"`

	NameRange        hcl.Range `hcl:"name,attr_range"`
	ImportRange      hcl.Range `hcl:"import,attr_range"`
	ExportRange      hcl.Range `hcl:"export,attr_range"`
	DescriptionRange hcl.Range `hcl:"description,attr_range"`
	IXPsRange        hcl.Range `hcl:"ixps,attr_range"`
	LocalPrefRange   hcl.Range `hcl:"local_pref,attr_range"`
	ASSetRange       hcl.Range `hcl:"as_set,attr_range"`
	GTSMRange        hcl.Range `hcl:"gtsm,attr_range"`
	MD5Range         hcl.Range `hcl:"md5,attr_range"`
	PasswordRange    hcl.Range `hcl:"password,attr_range"`
	StatusRange      hcl.Range `hcl:"status,attr_range"`
	RetryAfterRange  hcl.Range `hcl:"retry_after,attr_range"`
	RoleRange        hcl.Range `hcl:"role,attr_range"`
	RoleStrictRange  hcl.Range `hcl:"role_strict,attr_range"`
}

type rawAFILimits struct {
	DefRange  hcl.Range `hcl:",def_range"`
	IPv4      *int      `hcl:"ipv4,optional"`
	IPv6      *int      `hcl:"ipv6,optional"`
	IPv4Range hcl.Range `hcl:"ipv4,attr_range"`
	IPv6Range hcl.Range `hcl:"ipv6,attr_range"`
}

type rawSession struct {
	IXP        string    `hcl:"ixp,label"`
	LabelRange hcl.Range `hcl:"ixp,label_range"`
	DefRange   hcl.Range `hcl:",def_range"`
	IPv4       *string   `hcl:"ipv4,optional"`
	IPv6       *string   `hcl:"ipv6,optional"`
	Router     *string   `hcl:"router,optional"`
	IPv4Range  hcl.Range `hcl:"ipv4,attr_range"`
	IPv6Range  hcl.Range `hcl:"ipv6,attr_range"`
	RouterRng  hcl.Range `hcl:"router,attr_range"`
}

type rawPolicyFile struct {
	Networks  []*rawNetwork   `hcl:"network,block"`
	Routers   []*rawRouter    `hcl:"router,block"`
	IXPs      []*rawIXP       `hcl:"ixp,block"`
	Filters   []*rawFilters   `hcl:"filters,block"`
	IRR       []*rawIRR       `hcl:"irr,block"`
	RPKI      []*rawRPKI      `hcl:"rpki,block"`
	Scoring   []*rawScoring   `hcl:"scoring,block"`
	Economics []*rawEconomics `hcl:"economics,block"`
	PeeringDB []*rawPeeringDB `hcl:"peeringdb,block"`
	Deploy    []*rawDeploy    `hcl:"deploy,block"`
	Traffic   []*rawTraffic   `hcl:"traffic,block"`
	SMTP      []*rawSMTP      `hcl:"smtp,block"`
}

type rawNetwork struct {
	DefRange     hcl.Range `hcl:",def_range"`
	ASN          int64     `hcl:"asn,attr"`
	Name         string    `hcl:"name,attr"`
	ASSet        *string   `hcl:"as_set,optional"`
	Prefixes     []string  `hcl:"prefixes,attr"`
	AllowPeerASN *[]string `hcl:"allow_peer_asn,optional"`

	ASNRange          hcl.Range `hcl:"asn,attr_range"`
	NameRange         hcl.Range `hcl:"name,attr_range"`
	ASSetRange        hcl.Range `hcl:"as_set,attr_range"`
	PrefixesRange     hcl.Range `hcl:"prefixes,attr_range"`
	AllowPeerASNRange hcl.Range `hcl:"allow_peer_asn,attr_range"`
}

type rawRouter struct {
	Name        string    `hcl:"name,label"`
	LabelRange  hcl.Range `hcl:"name,label_range"`
	DefRange    hcl.Range `hcl:",def_range"`
	Platform    string    `hcl:"platform,attr"`
	Host        string    `hcl:"host,attr"`
	Port        *int      `hcl:"port,optional"`
	Transport   *string   `hcl:"transport,optional"`
	User        *string   `hcl:"user,optional"`
	SSHKeyFile  *string   `hcl:"ssh_key_file,optional"`
	PasswordEnv *string   `hcl:"password_env,optional"`
	RouterID    *string   `hcl:"router_id,optional"`
	RTR         *[]string `hcl:"rtr,optional"`
	Environment *string   `hcl:"environment,optional"`
	Status      *string   `hcl:"status,optional"`

	Ports []*rawRouterPort `hcl:"ixp,block"`

	PlatformRange    hcl.Range `hcl:"platform,attr_range"`
	HostRange        hcl.Range `hcl:"host,attr_range"`
	PortRange        hcl.Range `hcl:"port,attr_range"`
	TransportRange   hcl.Range `hcl:"transport,attr_range"`
	UserRange        hcl.Range `hcl:"user,attr_range"`
	SSHKeyFileRange  hcl.Range `hcl:"ssh_key_file,attr_range"`
	PasswordEnvRange hcl.Range `hcl:"password_env,attr_range"`
	RouterIDRange    hcl.Range `hcl:"router_id,attr_range"`
	RTRRange         hcl.Range `hcl:"rtr,attr_range"`
	EnvironmentRange hcl.Range `hcl:"environment,attr_range"`
	StatusRange      hcl.Range `hcl:"status,attr_range"`
}

type rawRouterPort struct {
	IXP        string    `hcl:"ixp,label"`
	LabelRange hcl.Range `hcl:"ixp,label_range"`
	DefRange   hcl.Range `hcl:",def_range"`
	IPv4       *string   `hcl:"ipv4,optional"`
	IPv6       *string   `hcl:"ipv6,optional"`
	IPv4Range  hcl.Range `hcl:"ipv4,attr_range"`
	IPv6Range  hcl.Range `hcl:"ipv6,attr_range"`
}

type rawIXP struct {
	Name        string    `hcl:"name,label"`
	LabelRange  hcl.Range `hcl:"name,label_range"`
	DefRange    hcl.Range `hcl:",def_range"`
	PeeringDBIX *int      `hcl:"peeringdb_ix,optional"`
	IPv4LAN     *string   `hcl:"ipv4_lan,optional"`
	IPv6LAN     *string   `hcl:"ipv6_lan,optional"`
	Community   *int      `hcl:"community,optional"`
	Status      *string   `hcl:"status,optional"`
	IXFExport   *string   `hcl:"ixf_export,optional"`
	IXFIXPID    *int      `hcl:"ixf_ixp_id,optional"`

	PeeringDBIXRange hcl.Range `hcl:"peeringdb_ix,attr_range"`
	IPv4LANRange     hcl.Range `hcl:"ipv4_lan,attr_range"`
	IPv6LANRange     hcl.Range `hcl:"ipv6_lan,attr_range"`
	CommunityRange   hcl.Range `hcl:"community,attr_range"`
	StatusRange      hcl.Range `hcl:"status,attr_range"`
	IXFExportRange   hcl.Range `hcl:"ixf_export,attr_range"`
	IXFIXPIDRange    hcl.Range `hcl:"ixf_ixp_id,attr_range"`
}

type rawFilters struct {
	DefRange               hcl.Range       `hcl:",def_range"`
	RPKI                   *string         `hcl:"rpki,optional"`
	Bogons                 *bool           `hcl:"bogons,optional"`
	BogonExceptions        *[]string       `hcl:"bogon_exceptions,optional"`
	RejectOwnPrefixes      *bool           `hcl:"reject_own_prefixes,optional"`
	GracefulShutdown       *bool           `hcl:"graceful_shutdown,optional"`
	IPv4Length             *[]int          `hcl:"ipv4_prefix_length,optional"`
	IPv6Length             *[]int          `hcl:"ipv6_prefix_length,optional"`
	MaxPrefixHeadroom      *int            `hcl:"max_prefix_headroom_percent,optional"`
	MaxPrefixAbsolute      *int            `hcl:"max_prefix_headroom_absolute,optional"`
	MaxPrefixAction        *string         `hcl:"max_prefix_action,optional"`
	MaxPrefixRestart       *int            `hcl:"max_prefix_restart_minutes,optional"`
	MaxPrefixDefault       []*rawAFILimits `hcl:"max_prefix_default,block"`
	MaxPrefixFloor         []*rawAFILimits `hcl:"max_prefix_floor,block"`
	DefaultLocalPref       *int            `hcl:"local_pref,optional"`
	RPKIRange              hcl.Range       `hcl:"rpki,attr_range"`
	BogonExceptionsRange   hcl.Range       `hcl:"bogon_exceptions,attr_range"`
	IPv4LengthRange        hcl.Range       `hcl:"ipv4_prefix_length,attr_range"`
	IPv6LengthRange        hcl.Range       `hcl:"ipv6_prefix_length,attr_range"`
	MaxPrefixHeadroomRange hcl.Range       `hcl:"max_prefix_headroom_percent,attr_range"`
	MaxPrefixAbsoluteRange hcl.Range       `hcl:"max_prefix_headroom_absolute,attr_range"`
	MaxPrefixActionRange   hcl.Range       `hcl:"max_prefix_action,attr_range"`
	MaxPrefixRestartRange  hcl.Range       `hcl:"max_prefix_restart_minutes,attr_range"`
	DefaultLocalPrefRange  hcl.Range       `hcl:"local_pref,attr_range"`
}

type rawIRR struct {
	DefRange      hcl.Range `hcl:",def_range"`
	Servers       *[]string `hcl:"servers,optional"`
	Sources       *[]string `hcl:"sources,optional"`
	CacheTTL      *string   `hcl:"cache_ttl,optional"`
	Snapshot      *[]string `hcl:"snapshot,optional"`
	ServersRange  hcl.Range `hcl:"servers,attr_range"`
	SourcesRange  hcl.Range `hcl:"sources,attr_range"`
	CacheTTLRange hcl.Range `hcl:"cache_ttl,attr_range"`
	SnapshotRange hcl.Range `hcl:"snapshot,attr_range"`
}

type rawRPKI struct {
	DefRange      hcl.Range `hcl:",def_range"`
	RTR           *[]string `hcl:"rtr,optional"`
	VRPsFile      *string   `hcl:"vrps_file,optional"`
	SLURM         *string   `hcl:"slurm,optional"`
	RTRRange      hcl.Range `hcl:"rtr,attr_range"`
	VRPsFileRange hcl.Range `hcl:"vrps_file,attr_range"`
	SLURMRange    hcl.Range `hcl:"slurm,attr_range"`
}

type rawScoring struct {
	DefRange             hcl.Range           `hcl:",def_range"`
	Beta                 *float64            `hcl:"beta,optional"`
	Gamma                *float64            `hcl:"gamma,optional"`
	Threshold            *float64            `hcl:"threshold,optional"`
	MaxCommonPoPs        *int                `hcl:"max_common_pops,optional"`
	Criterion            *string             `hcl:"criterion,optional"`
	CandidateCriterion   *string             `hcl:"candidate_criterion,optional"`
	Holistic             *bool               `hcl:"holistic,optional"`
	AssumeRatio          *map[string]string  `hcl:"assume_ratio,optional"`
	FacilityCapacityMbps *float64            `hcl:"facility_capacity_mbps,optional"`
	TrafficMbps          *float64            `hcl:"traffic_mbps,optional"`
	Population           *string             `hcl:"population,optional"`
	RatioBounds          *map[string]float64 `hcl:"ratio_bounds,optional"`
	Profile              *string             `hcl:"profile,optional"`
	Model                *string             `hcl:"model,optional"`
	Relationships        *string             `hcl:"relationships,optional"`

	ProfileRange              hcl.Range `hcl:"profile,attr_range"`
	ModelRange                hcl.Range `hcl:"model,attr_range"`
	RelationshipsRange        hcl.Range `hcl:"relationships,attr_range"`
	BetaRange                 hcl.Range `hcl:"beta,attr_range"`
	GammaRange                hcl.Range `hcl:"gamma,attr_range"`
	ThresholdRange            hcl.Range `hcl:"threshold,attr_range"`
	MaxCommonPoPsRange        hcl.Range `hcl:"max_common_pops,attr_range"`
	CriterionRange            hcl.Range `hcl:"criterion,attr_range"`
	CandidateCriterionRange   hcl.Range `hcl:"candidate_criterion,attr_range"`
	AssumeRatioRange          hcl.Range `hcl:"assume_ratio,attr_range"`
	FacilityCapacityMbpsRange hcl.Range `hcl:"facility_capacity_mbps,attr_range"`
	TrafficMbpsRange          hcl.Range `hcl:"traffic_mbps,attr_range"`
	PopulationRange           hcl.Range `hcl:"population,attr_range"`
	RatioBoundsRange          hcl.Range `hcl:"ratio_bounds,attr_range"`
}

type rawPeeringDB struct {
	DefRange      hcl.Range `hcl:",def_range"`
	Snapshot      *string   `hcl:"snapshot,optional"`
	Cache         *string   `hcl:"cache,optional"`
	SnapshotRange hcl.Range `hcl:"snapshot,attr_range"`
	CacheRange    hcl.Range `hcl:"cache,attr_range"`
}

type rawDeploy struct {
	DefRange            hcl.Range   `hcl:",def_range"`
	Parallel            *int        `hcl:"parallel,optional"`
	Order               *[]string   `hcl:"order,optional"`
	NeverTogether       *[][]string `hcl:"never_together,optional"`
	ConfirmTimeout      *string     `hcl:"confirm_timeout,optional"`
	VerifyTimeout       *string     `hcl:"verify_timeout,optional"`
	ParallelRange       hcl.Range   `hcl:"parallel,attr_range"`
	OrderRange          hcl.Range   `hcl:"order,attr_range"`
	NeverTogetherRange  hcl.Range   `hcl:"never_together,attr_range"`
	ConfirmTimeoutRange hcl.Range   `hcl:"confirm_timeout,attr_range"`
	VerifyTimeoutRange  hcl.Range   `hcl:"verify_timeout,attr_range"`
}
