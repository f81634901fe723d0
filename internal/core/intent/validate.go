package intent

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/secret"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/platform"
)

// validator turns the raw decoded blocks into a typed Repo, collecting a
// diagnostic for every problem. Each check either yields a typed value or
// an error pointing at the attribute that is wrong; nothing stops early.
type validator struct {
	diags hcl.Diagnostics
	ctx   *hcl.EvalContext
	// templated reports whether a platform has templates, built in or the
	// repository's own, so that what validates renders.
	templated func(platform.Name) bool
}

func (v *validator) errorf(rng hcl.Range, summary, format string, args ...any) {
	v.diags = append(v.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr(),
	})
}

func (v *validator) warnf(rng hcl.Range, summary, format string, args ...any) {
	v.diags = append(v.diags, &hcl.Diagnostic{
		Severity: hcl.DiagWarning, Summary: summary, Detail: fmt.Sprintf(format, args...), Subject: rng.Ptr(),
	})
}

// didYouMean suggests the closest of candidates to s, in the style of HCL's
// own "Did you mean" hints.
func didYouMean(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := levenshtein.Distance(strings.ToLower(s), strings.ToLower(c), nil); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

func (v *validator) build(policies []*rawPolicyFile, peers []*rawPeer) *Repo {
	repo := &Repo{}
	var (
		networks  []*rawNetwork
		filters   []*rawFilters
		irrs      []*rawIRR
		rpkis     []*rawRPKI
		scorings  []*rawScoring
		economics []*rawEconomics
		pdbs      []*rawPeeringDB
		deploys   []*rawDeploy
		traffics  []*rawTraffic
		smtps     []*rawSMTP
		routers   []*rawRouter
		ixps      []*rawIXP
	)
	for _, p := range policies {
		networks = append(networks, p.Networks...)
		filters = append(filters, p.Filters...)
		irrs = append(irrs, p.IRR...)
		rpkis = append(rpkis, p.RPKI...)
		scorings = append(scorings, p.Scoring...)
		economics = append(economics, p.Economics...)
		pdbs = append(pdbs, p.PeeringDB...)
		deploys = append(deploys, p.Deploy...)
		traffics = append(traffics, p.Traffic...)
		smtps = append(smtps, p.SMTP...)
		routers = append(routers, p.Routers...)
		ixps = append(ixps, p.IXPs...)
	}

	if n := single(v, "network", networks, func(b *rawNetwork) hcl.Range { return b.DefRange }); n != nil {
		repo.Network = v.network(n)
	} else if len(networks) == 0 {
		v.diags = append(v.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing network block",
			Detail:   "policies/ must describe our own network: network { asn = 64500  name = \"…\"  prefixes = [\"198.51.100.0/24\"] }",
		})
	}
	repo.IXPs = v.ixps(ixps)
	repo.Routers = v.routers(routers, repo)
	repo.Filters = v.filters(single(v, "filters", filters, func(b *rawFilters) hcl.Range { return b.DefRange }))
	repo.IRR = v.irr(single(v, "irr", irrs, func(b *rawIRR) hcl.Range { return b.DefRange }))
	repo.RPKI = v.rpki(single(v, "rpki", rpkis, func(b *rawRPKI) hcl.Range { return b.DefRange }))
	repo.Scoring = v.scoring(single(v, "scoring", scorings, func(b *rawScoring) hcl.Range { return b.DefRange }))
	repo.Economics = v.economics(single(v, "economics", economics, func(b *rawEconomics) hcl.Range { return b.DefRange }))
	repo.PeeringDB = v.peeringDB(single(v, "peeringdb", pdbs, func(b *rawPeeringDB) hcl.Range { return b.DefRange }))
	repo.Deploy = v.deploy(single(v, "deploy", deploys, func(b *rawDeploy) hcl.Range { return b.DefRange }), repo)
	repo.Traffic = v.traffic(single(v, "traffic", traffics, func(b *rawTraffic) hcl.Range { return b.DefRange }))
	repo.SMTP = v.smtp(single(v, "smtp", smtps, func(b *rawSMTP) hcl.Range { return b.DefRange }))
	repo.Peers = v.peers(peers, repo)
	v.crossCheck(repo)
	v.originValidation(repo)
	v.checkRolePlatforms(repo)
	return repo
}

// single returns the one block of a kind that may appear once across all
// policy files, reporting every extra one.
func single[T any](v *validator, kind string, blocks []T, rng func(T) hcl.Range) T {
	var zero T
	if len(blocks) == 0 {
		return zero
	}
	first := rng(blocks[0])
	for _, b := range blocks[1:] {
		v.errorf(rng(b), "Duplicate "+kind+" block",
			"Only one %s block is allowed across policies/; the first is at %s.", kind, first)
	}
	return blocks[0]
}

// written reports whether an attribute appeared in the file; gohcl leaves
// the range of a missing one empty (and reports it if it was required).
func written(r hcl.Range) bool { return r.Filename != "" }

func (v *validator) network(n *rawNetwork) Network {
	net := Network{Name: n.Name, DeclRange: n.DefRange}
	if !written(n.ASNRange) {
		// reported by gohcl
	} else if n.ASN < 1 || n.ASN > 4294967295 {
		v.errorf(n.ASNRange, "Invalid AS number", "Our AS number must be between 1 and 4294967295.")
	} else {
		net.ASN = bgp.ASN(n.ASN)
		if net.ASN.Class() == bgp.Reserved {
			v.errorf(n.ASNRange, "Reserved AS number", "%s is reserved and cannot identify a network.", net.ASN)
		}
	}
	if msg := CheckText(n.Name, MaxNameLen); msg != "" && written(n.NameRange) {
		v.errorf(n.NameRange, "Invalid network name", "The name %s.", msg)
	}
	if n.ASSet != nil {
		if ref, err := bgp.ParseObjectRef(*n.ASSet); err != nil {
			v.errorf(n.ASSetRange, "Invalid AS-SET", "%s.", err)
		} else {
			net.ASSet = ref
		}
	}
	if len(n.Prefixes) == 0 && written(n.PrefixesRange) {
		v.errorf(n.PrefixesRange, "No prefixes", "List the prefixes we announce, e.g. prefixes = [\"198.51.100.0/24\", \"2001:db8:100::/48\"].")
	}
	for _, s := range n.Prefixes {
		if p, ok := v.prefix(s, n.PrefixesRange, "prefixes"); ok {
			net.Prefixes = append(net.Prefixes, p)
		}
	}
	if n.AllowPeerASN != nil {
		for _, name := range *n.AllowPeerASN {
			c, ok := bgp.ParseAllowedClass(name)
			if !ok {
				v.errorf(n.AllowPeerASNRange, "Invalid AS number class",
					"allow_peer_asn takes \"private\" and \"documentation\", not %q.%s", name, didYouMean(name, []string{"private", "documentation"}))
				continue
			}
			net.AllowPeerASN = append(net.AllowPeerASN, c)
		}
	}
	return net
}

// prefix parses a CIDR prefix that must be written in its canonical,
// masked form (a host address with a length is almost always a typo).
func (v *validator) prefix(s string, rng hcl.Range, attr string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		v.errorf(rng, "Invalid prefix", "%s: %q is not a prefix like 198.51.100.0/24 or 2001:db8::/32.", attr, s)
		return netip.Prefix{}, false
	}
	if p != p.Masked() {
		v.errorf(rng, "Prefix has host bits set", "%s: %q has bits set past its length; did you mean %s?", attr, s, p.Masked())
		return netip.Prefix{}, false
	}
	return p, true
}

// addr parses an interface address of the given family.
func (v *validator) addr(s string, fam bgp.Family, rng hcl.Range, attr string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		v.errorf(rng, "Invalid IP address", "%s: %q is not an %s address.", attr, s, fam)
		return netip.Addr{}, false
	}
	if bgp.FamilyOf(a) != fam || a.Is4In6() {
		v.errorf(rng, "Wrong address family", "%s must be an %s address; %q is not.", attr, fam, s)
		return netip.Addr{}, false
	}
	if !a.IsGlobalUnicast() && !a.IsPrivate() {
		v.errorf(rng, "Not a unicast address", "%s: %q cannot be a BGP neighbor address.", attr, s)
		return netip.Addr{}, false
	}
	return a, true
}

func (v *validator) ixps(raw []*rawIXP) []*IXP {
	byName := map[string]*rawIXP{}
	var out []*IXP
	communities := map[int]string{}
	for _, r := range raw {
		if msg := CheckIdentifier(r.Name); msg != "" {
			v.errorf(r.LabelRange, "Invalid IXP name", "The IXP name %s.", msg)
			continue
		}
		if prev, dup := byName[r.Name]; dup {
			v.errorf(r.LabelRange, "Duplicate IXP", "IXP %q is already defined at %s.", r.Name, prev.DefRange)
			continue
		}
		byName[r.Name] = r
		x := &IXP{Name: r.Name, DeclRange: r.DefRange}
		x.Status = v.status(r.Status, r.StatusRange, "an IXP", siteStatuses)
		if r.PeeringDBIX != nil {
			if *r.PeeringDBIX < 1 {
				v.errorf(r.PeeringDBIXRange, "Invalid PeeringDB id", "peeringdb_ix must be a positive PeeringDB ix id.")
			}
			x.PeeringDBIX = *r.PeeringDBIX
		}
		if r.IPv4LAN != nil {
			if p, ok := v.prefix(*r.IPv4LAN, r.IPv4LANRange, "ipv4_lan"); ok {
				if !p.Addr().Is4() {
					v.errorf(r.IPv4LANRange, "Wrong address family", "ipv4_lan must be an IPv4 prefix.")
				} else {
					x.IPv4LAN = p
				}
			}
		}
		if r.IPv6LAN != nil {
			if p, ok := v.prefix(*r.IPv6LAN, r.IPv6LANRange, "ipv6_lan"); ok {
				if p.Addr().Is4() {
					v.errorf(r.IPv6LANRange, "Wrong address family", "ipv6_lan must be an IPv6 prefix.")
				} else {
					x.IPv6LAN = p
				}
			}
		}
		x.IXF = v.ixfExport(r)
		if r.PeeringDBIX == nil && r.IPv4LAN == nil && r.IPv6LAN == nil {
			v.errorf(r.DefRange, "IXP without LAN", "Give peeringdb_ix (LANs are then read from PeeringDB) or ipv4_lan/ipv6_lan for IXP %q.", r.Name)
		}
		if r.Community != nil {
			c := *r.Community
			if c < 1 || c > MaxCommunityID {
				v.errorf(r.CommunityRange, "Invalid community id", "community must be between 1 and %d; it tags routes learnt at this IXP.", MaxCommunityID)
			} else if other, dup := communities[c]; dup {
				v.errorf(r.CommunityRange, "Community id used twice", "IXP %q already uses community %d.", other, c)
			} else {
				communities[c] = r.Name
				x.Community = c
			}
		}
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ixfExport checks an IXP's IX-F export settings: a repository path, and
// an ixp_id only together with it.
func (v *validator) ixfExport(r *rawIXP) IXFExport {
	out := IXFExport{FileRange: r.IXFExportRange, IXPIDRange: r.IXFIXPIDRange}
	if r.IXFExport != nil {
		if msg := checkPath(*r.IXFExport, false); msg != "" {
			v.errorf(r.IXFExportRange, "Invalid path", "ixf_export %s.", msg)
		} else {
			out.File = path.Clean(*r.IXFExport)
		}
	}
	if r.IXFIXPID != nil {
		switch id := int64(*r.IXFIXPID); {
		case r.IXFExport == nil:
			v.errorf(r.IXFIXPIDRange, "ixf_ixp_id without ixf_export", "ixf_ixp_id says which IXP of an IX-F export file is %q; name the file with ixf_export = \"data/ixf/….json\".", r.Name)
		case id < 0:
			v.errorf(r.IXFIXPIDRange, "Invalid ixp_id", "ixf_ixp_id must be the exchange's ixp_id in the export (0 or more).")
		default:
			out.IXPID = &id
		}
	}
	return out
}

func ixpNames(repo *Repo) []string {
	names := make([]string, len(repo.IXPs))
	for i, x := range repo.IXPs {
		names[i] = x.Name
	}
	return names
}

func routerNames(repo *Repo) []string {
	names := make([]string, len(repo.Routers))
	for i, r := range repo.Routers {
		names[i] = r.Name
	}
	return names
}

// inLAN reports an address outside the IXP's LAN (when the LAN is known),
// and the LAN's own network and broadcast addresses, which no interface
// can have.
func (v *validator) inLAN(x *IXP, a netip.Addr, rng hcl.Range, who string) {
	lan := x.IPv4LAN
	if a.Is6() {
		lan = x.IPv6LAN
	}
	switch {
	case !lan.IsValid():
	case !lan.Contains(a):
		v.errorf(rng, "Address outside the IXP LAN", "%s %s is not inside %s's LAN %s.", who, a, x.Name, lan)
	default:
		if edge := bgp.LANEdge(lan, a); edge != "" {
			v.errorf(rng, "Not a host address of the LAN", "%s %s is the %s address of %s's LAN %s; no router or peer can have it.", who, a, edge, x.Name, lan)
		}
	}
}

func (v *validator) routers(raw []*rawRouter, repo *Repo) []*Router {
	seen := map[string]*rawRouter{}
	// Routers of different environments (a lab and its twin in
	// production) may share addresses; within one they may not.
	ours := map[string]addressBook{}
	var out []*Router
	for _, r := range raw {
		if msg := CheckIdentifier(r.Name); msg != "" {
			v.errorf(r.LabelRange, "Invalid router name", "The router name %s.", msg)
			continue
		}
		if prev, dup := seen[r.Name]; dup {
			v.errorf(r.LabelRange, "Duplicate router", "Router %q is already defined at %s.", r.Name, prev.DefRange)
			continue
		}
		seen[r.Name] = r
		rt := &Router{Name: r.Name, Platform: platform.Name(r.Platform), Host: r.Host, DeclRange: r.DefRange,
			Transport: "ssh", User: "peerform", Environment: "production"}
		rt.Status = v.status(r.Status, r.StatusRange, "a router", siteStatuses)
		if p, err := platform.Parse(r.Platform); err != nil {
			if written(r.PlatformRange) {
				v.errorf(r.PlatformRange, "Unknown platform", "platform must be one of %s.%s", platform.List(), didYouMean(r.Platform, strings.Split(platform.List(), ", ")))
			}
		} else if p.Templated() && !v.templated(p) {
			v.errorf(r.PlatformRange, "No templates for this platform", "peerform has no built-in templates for %s, so it could not render this router's configuration. Add the repository's own %s/%s/*.tmpl (templates/README.md says what they get), or use another platform.", p, TemplatesDir, p)
		}
		if msg := checkHost(r.Host); msg != "" && written(r.HostRange) {
			v.errorf(r.HostRange, "Invalid host", "host %s.", msg)
		}
		if r.Transport != nil {
			rt.Transport = *r.Transport
			if rt.Transport != "ssh" && rt.Transport != "netconf" {
				v.errorf(r.TransportRange, "Unknown transport", "transport is \"ssh\" or \"netconf\".%s", didYouMean(rt.Transport, []string{"ssh", "netconf"}))
			}
		} else if rt.Platform == platform.NETCONF {
			rt.Transport = "netconf"
		}
		if rt.Transport == "netconf" && !rt.Platform.NETCONF() {
			v.errorf(r.TransportRange, "No NETCONF for this platform", "Platform %q is deployed over SSH; NETCONF is for the netconf and junos platforms.", r.Platform)
		}
		if rt.Platform == platform.NETCONF && rt.Transport != "netconf" {
			v.errorf(r.TransportRange, "Platform needs NETCONF", "The netconf platform is deployed over transport = \"netconf\".")
		}
		rt.Port = 22
		if rt.Transport == "netconf" {
			rt.Port = 830
		}
		if r.Port != nil {
			if *r.Port < 1 || *r.Port > 65535 {
				v.errorf(r.PortRange, "Invalid port", "port must be between 1 and 65535.")
			}
			rt.Port = *r.Port
		}
		if r.User != nil {
			if msg := CheckIdentifier(*r.User); msg != "" {
				v.errorf(r.UserRange, "Invalid user", "user %s.", msg)
			}
			rt.User = *r.User
		}
		if r.SSHKeyFile != nil {
			if msg := checkPath(*r.SSHKeyFile, true); msg != "" {
				v.errorf(r.SSHKeyFileRange, "Invalid key file path", "ssh_key_file %s.", msg)
			}
			rt.SSHKeyFile = *r.SSHKeyFile
		}
		if r.PasswordEnv != nil {
			if msg := secret.CheckName(*r.PasswordEnv); msg != "" {
				v.errorf(r.PasswordEnvRange, "Invalid environment variable name", "password_env %s.", msg)
			}
			rt.PasswordEnv, rt.passwordEnvRange = *r.PasswordEnv, r.PasswordEnvRange
		}
		if r.RouterID != nil {
			if a, err := netip.ParseAddr(*r.RouterID); err != nil || !a.Is4() {
				v.errorf(r.RouterIDRange, "Invalid router id", "router_id is an IPv4 address, e.g. \"198.51.100.1\".")
			} else {
				rt.RouterID = a
			}
		}
		if r.RTR != nil {
			rt.RTR = v.hostPorts(*r.RTR, r.RTRRange, "rtr")
		}
		if r.Environment != nil {
			if msg := CheckIdentifier(*r.Environment); msg != "" {
				v.errorf(r.EnvironmentRange, "Invalid environment", "environment %s.", msg)
			}
			rt.Environment = *r.Environment
		}
		if ours[rt.Environment] == nil {
			ours[rt.Environment] = addressBook{}
		}
		for _, p := range r.Ports {
			x := repo.IXP(p.IXP)
			if x == nil {
				v.errorf(p.LabelRange, "Unknown IXP", "Router %q is connected to IXP %q, which no ixp block defines.%s", r.Name, p.IXP, didYouMean(p.IXP, ixpNames(repo)))
				continue
			}
			if _, dup := rt.PortAt(p.IXP); dup {
				v.errorf(p.LabelRange, "Duplicate IXP port", "Router %q already has a port at %s.", r.Name, p.IXP)
				continue
			}
			port := RouterPort{IXP: p.IXP, IPv4Range: p.IPv4Range, IPv6Range: p.IPv6Range}
			if p.IPv4 != nil {
				if a, ok := v.addr(*p.IPv4, bgp.IPv4, p.IPv4Range, "ipv4"); ok {
					v.inLAN(x, a, p.IPv4Range, "Router address")
					port.IPv4 = a
					ours[rt.Environment].claim(v, a, p.IPv4Range, fmt.Sprintf("router %s at %s", r.Name, p.IXP))
				}
			}
			if p.IPv6 != nil {
				if a, ok := v.addr(*p.IPv6, bgp.IPv6, p.IPv6Range, "ipv6"); ok {
					v.inLAN(x, a, p.IPv6Range, "Router address")
					port.IPv6 = a
					ours[rt.Environment].claim(v, a, p.IPv6Range, fmt.Sprintf("router %s at %s", r.Name, p.IXP))
				}
			}
			if p.IPv4 == nil && p.IPv6 == nil {
				v.errorf(p.DefRange, "Port without address", "Give the router's own ipv4 and/or ipv6 address on %s.", p.IXP)
			}
			rt.Ports = append(rt.Ports, port)
		}
		out = append(out, rt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// checkPath validates a file path from a policy: no control characters, no
// quotes, bounded; repository-relative paths may not climb out of the
// repository.
func checkPath(s string, allowAbsolute bool) string {
	if s == "" || len(s) > 1024 {
		return "must have 1 to 1024 characters"
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || strings.ContainsRune("\"'`;$\\", r) {
			return fmt.Sprintf("contains %s", describeRune(r))
		}
	}
	if !allowAbsolute {
		if path.IsAbs(s) {
			return "must be relative to the repository"
		}
		if c := path.Clean(s); c == ".." || strings.HasPrefix(c, "../") {
			return "must stay inside the repository"
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *validator) hostPorts(list []string, rng hcl.Range, attr string) []string {
	var out []string
	for _, s := range list {
		if _, _, err := ParseServer(s); err != nil {
			v.errorf(rng, "Invalid server address", "%s: %q %s.", attr, s, err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// ParseServer splits a server address, "host:port" or "[v6]:port", the way
// the renderers and clients read it: the host is an IP address or a DNS
// name, the port 1 to 65535. An IPv6 address needs its brackets.
func ParseServer(s string) (host string, port int, err error) {
	host, ps, err := net.SplitHostPort(s)
	if err != nil {
		return "", 0, errors.New("is not host:port (an IPv6 address goes in brackets: [2001:db8::1]:8282)")
	}
	port, err = strconv.Atoi(ps)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, errors.New("has no port between 1 and 65535")
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Zone() == "" {
		return host, port, nil
	}
	if msg := checkHost(host); msg != "" || strings.Contains(host, ":") {
		return "", 0, errors.New("has a host that is neither an IP address nor a DNS name")
	}
	return host, port, nil
}

func (v *validator) duration(s *string, rng hcl.Range, attr string, def time.Duration) time.Duration {
	if s == nil {
		return def
	}
	d, err := time.ParseDuration(*s)
	if err != nil || d <= 0 {
		v.errorf(rng, "Invalid duration", "%s must be a positive duration such as \"90s\" or \"2m\".", attr)
		return def
	}
	return d
}
