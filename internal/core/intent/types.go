package intent

import (
	"net/netip"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/secret"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/platform"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/score"
)

// Repo is a loaded peering repository: the intents exactly as written, with
// defaults filled in for what was left out. Slices are sorted (peers by ASN,
// routers and IXPs by name) so that everything built from a Repo is
// deterministic.
type Repo struct {
	Network   Network
	Routers   []*Router
	IXPs      []*IXP
	Peers     []*Peer
	Filters   Filters
	IRR       IRR
	RPKI      RPKI
	Scoring   Scoring
	Economics billing.Prices
	PeeringDB PeeringDB
	Deploy    Deploy
	Traffic   Traffic
	SMTP      SMTP

	// Files holds every parsed file by its repository-relative path, for
	// printing diagnostics with source snippets.
	Files map[string]*hcl.File
}

// Peer returns the peer intent for asn, if there is one.
func (r *Repo) Peer(asn bgp.ASN) *Peer {
	for _, p := range r.Peers {
		if p.ASN == asn {
			return p
		}
	}
	return nil
}

// Router returns the router named name, if there is one.
func (r *Repo) Router(name string) *Router {
	for _, rt := range r.Routers {
		if rt.Name == name {
			return rt
		}
	}
	return nil
}

// IXP returns the IXP named name, if there is one.
func (r *Repo) IXP(name string) *IXP {
	for _, x := range r.IXPs {
		if x.Name == name {
			return x
		}
	}
	return nil
}

// Peer is one peers/AS<n>.hcl file: "we peer with this network".
type Peer struct {
	ASN         bgp.ASN
	Name        string
	Description string
	// Import is what the peer may announce to us (expanded through the IRR).
	Import bgp.ObjectRef
	// Export is what we announce to the peer.
	Export bgp.ObjectRef
	// IXPs limits where sessions are derived; empty means every IXP we share.
	IXPs []string
	// MaxPrefix overrides the derived limit per family when set.
	MaxPrefix AFILimits
	// Sessions set explicitly; they override derivation at their IXP.
	Sessions    []Session
	MD5         *SecretRef
	GTSM        bool
	BFD         bool
	Shutdown    bool // RFC 8326 graceful shutdown towards this peer
	RouteServer bool // the peer is an IXP route server
	LocalPref   int  // 0: the policy default
	// Status is the peer's lifecycle stage; RetryAfter, for a declined
	// peer, the day it may be asked again (zero: not set).
	Status     Status
	RetryAfter time.Time
	// Role is our BGP role on the sessions (RFC 9234): "peer", or
	// "rs-client" towards a route server, unless the file says otherwise.
	// RoleStrict makes the router refuse a session whose neighbor does
	// not announce the matching role.
	Role       string
	RoleStrict bool

	File      string    // repository-relative path of the peer file
	DeclRange hcl.Range // the peer block's header
	ranges    map[string]hcl.Range
}

// Range returns the source range of an attribute of the peer ("import",
// "session.DOC-IX-AMS.ipv4", …), or the block header when the attribute
// was not written. Later stages use it to point their findings at the file.
func (p *Peer) Range(key string) hcl.Range {
	if r, ok := p.ranges[key]; ok && r.Filename != "" {
		return r
	}
	return p.DeclRange
}

// Session is a peer's session at one IXP, as written in its file.
type Session struct {
	IXP    string
	Router string     // empty: every router of ours at that IXP
	IPv4   netip.Addr // zero when not given
	IPv6   netip.Addr
	// rng4 and rng6 locate the addresses for the cross-checks.
	rng4, rng6 hcl.Range
}

// AFILimits holds an optional per-family number (nil = not set).
type AFILimits struct {
	IPv4, IPv6 *int
}

// Get returns the limit for a family and whether it was set.
func (l AFILimits) Get(f bgp.Family) (int, bool) {
	v := l.IPv4
	if f == bgp.IPv6 {
		v = l.IPv6
	}
	if v == nil {
		return 0, false
	}
	return *v, true
}

// SecretRef names a secret that is read from the environment variable
// PEERFORM_SECRET_<NAME> at deploy time. The value never enters the model.
type SecretRef struct {
	Name string
}

// EnvVar is the environment variable that holds the secret.
func (s SecretRef) EnvVar() string { return secret.EnvVar(s.Name) }

// Network is our own network.
type Network struct {
	ASN      bgp.ASN
	Name     string
	ASSet    bgp.ObjectRef // empty Name: announce our own ASN
	Prefixes []netip.Prefix
	// AllowPeerASN lists ASN classes (besides public) that peers may use,
	// e.g. "documentation" in an example or lab repository.
	AllowPeerASN []bgp.Class
	DeclRange    hcl.Range
}

// Router is one of our routers.
type Router struct {
	Name      string
	Platform  platform.Name
	Host      string
	Port      int    // default 22, or 830 for netconf
	Transport string // "ssh" or "netconf"
	User      string
	// SSHKeyFile is a private key path; empty means the SSH agent.
	SSHKeyFile string
	// PasswordEnv names an environment variable holding a login password.
	PasswordEnv string
	RouterID    netip.Addr // zero: the platform picks
	// RTR overrides the policy's rpki.rtr caches for this router (a lab
	// or a site with its own validator); nil: the policy's.
	RTR         []string
	Environment string // "production" unless set
	// Status is StatusActive or StatusMaintenance (every session drained).
	Status    Status
	Ports     []RouterPort
	DeclRange hcl.Range
	// passwordEnvRange locates password_env for the cross-checks.
	passwordEnvRange hcl.Range
}

// PortAt returns the router's port at an IXP, if it has one.
func (r *Router) PortAt(ixp string) (RouterPort, bool) {
	for _, p := range r.Ports {
		if p.IXP == ixp {
			return p, true
		}
	}
	return RouterPort{}, false
}

// RouterPort is a router's connection to an IXP LAN: its own addresses there.
type RouterPort struct {
	IXP  string
	IPv4 netip.Addr
	IPv6 netip.Addr
	// IPv4Range and IPv6Range locate the addresses, for checks against
	// LANs known only from PeeringDB.
	IPv4Range, IPv6Range hcl.Range
}

// IXP is an exchange we are connected to.
type IXP struct {
	Name        string
	PeeringDBIX int // 0: not in PeeringDB
	// IPv4LAN and IPv6LAN override PeeringDB's ixpfx when set.
	IPv4LAN   netip.Prefix
	IPv6LAN   netip.Prefix
	Community int // small number tagging routes learnt here (informational large community)
	// Status is StatusActive or StatusMaintenance (every session drained).
	Status Status
	// IXF names the exchange's IX-F member export, a second source of
	// peer addresses next to PeeringDB; its File is empty when there is
	// none.
	IXF       IXFExport
	DeclRange hcl.Range
}

// IXFExport is an IXP's IX-F member export: a repository file, and which
// IXP of the file is this one.
type IXFExport struct {
	// File is the export, relative to the repository.
	File string
	// IXPID is the ixp_id of this IXP in the file; nil when the policy
	// does not say (the file must then list one IXP only).
	IXPID *int64
	// FileRange and IXPIDRange are where policy writes them.
	FileRange, IXPIDRange hcl.Range
}

// Filters is the import policy every session gets.
type Filters struct {
	// RPKI is "reject-invalid" (default), "tag" or "off".
	RPKI              string
	Bogons            bool
	BogonExceptions   []netip.Prefix
	RejectOwnPrefixes bool
	GracefulShutdown  bool
	IPv4Length        [2]int // accepted prefix lengths, inclusive
	IPv6Length        [2]int
	MaxPrefix         MaxPrefixPolicy
	LocalPref         int
}

// MaxPrefixPolicy says how max-prefix limits are derived and enforced.
type MaxPrefixPolicy struct {
	HeadroomPercent  int
	HeadroomAbsolute int
	Action           string // "shutdown", "restart", "warn"
	RestartMinutes   int
	Default          AFILimits // when PeeringDB has no count
	Floor            AFILimits // never lower than this
}

// IRR configures where AS-SETs are expanded: IRR servers, or RPSL
// snapshot files, which are used instead of the servers when given.
type IRR struct {
	Servers  []string
	Sources  []string
	CacheTTL time.Duration
	Snapshot []string // repository-relative RPSL files (plain or gzip)
}

// RPKI configures where validated ROA payloads come from.
type RPKI struct {
	RTR      []string // host:port of RTR caches
	VRPsFile string   // rpki-client/Routinator JSON, relative to the repository
	SLURM    string   // RFC 8416 exceptions file, relative to the repository
}

// Scoring holds the Meta-Peering parameters (docs/scoring.md); zero pointers
// mean "the method's default".
type Scoring struct {
	Beta, Gamma, Threshold *float64
	// MaxCommonPoPs is the cap on common PoPs: nil = the method's default
	// (15), 0 = no cap.
	MaxCommonPoPs        *int
	Criterion            score.Criterion // how we sort contracts
	CandidateCriterion   score.Criterion // how we assume candidates sort them
	Holistic             bool
	AssumeRatio          map[bgp.ASN]score.Ratio
	FacilityCapacityMbps float64
	TrafficMbps          float64 // measured requester traffic; 0 = estimate
	Population           string  // data set path; empty = embedded default
	// RatioBounds overrides the traffic-ratio filter bounds of
	// docs/scoring.md (paper profile step 4) by kind: "heavy" (9), "mostly"
	// (6), "balanced" (3).
	RatioBounds map[string]float64
	// Profile is "likelihood" (the default: a calibrated probability of
	// agreement) or "paper" (the Meta-Peering felicity as published).
	Profile string
	// Model is a likelihood model file (peerform model fit); empty = the
	// embedded default. Relationships is an AS-relationships file whose
	// topology the model may use. Both relative to the repository.
	Model, Relationships string
}

// Scoring profiles.
var Profiles = []string{"likelihood", "paper"}

// PeeringDB says where PeeringDB data comes from.
type PeeringDB struct {
	Snapshot string // repository-relative snapshot directory, if any
	Cache    string // live-sync cache directory
}

// Deploy is the rollout policy.
type Deploy struct {
	Parallel       int
	Order          []string
	NeverTogether  [][2]string
	ConfirmTimeout time.Duration
	VerifyTimeout  time.Duration
}
