package skeleton

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/platform"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/render"
)

// Directory is what a skeleton needs from PeeringDB; *peeringdb.Store
// implements it.
type Directory interface {
	Net(asn bgp.ASN) (peeringdb.Net, bool)
	PoPs(asn bgp.ASN) []peeringdb.PoP
	IX(id int) (peeringdb.IX, bool)
	IXPrefixes(ixID int) []netip.Prefix
	NetIXLANs(asn bgp.ASN, ixID int) []peeringdb.NetIXLAN
}

// Options says which repository to write.
type Options struct {
	ASN bgp.ASN
	// Platforms gets one router stub each, named edge1, edge2, …; empty
	// means one BIRD 2 router.
	Platforms []string
	// Prefixes are the prefixes our network announces (PeeringDB does not
	// know them); at least one is needed.
	Prefixes []netip.Prefix
	// ActionRef is the reusable action the workflows use, such as
	// "peerform/peerform@v1".
	ActionRef string
}

// File is one file of the skeleton, its path relative to the repository
// root with forward slashes.
type File struct {
	Path string
	Data []byte
}

// Result is a skeleton: its files, and what the operator should know
// about what was left out or changed (each a sentence).
type Result struct {
	Files []File
	Notes []string
}

var actionRef = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}/[A-Za-z0-9_.-]{1,100}(/[A-Za-z0-9_./-]{1,200})?@[A-Za-z0-9_./-]{1,100}$`)

// Build works out the skeleton of the repository for opts.ASN from dir.
func Build(dir Directory, opts Options) (*Result, error) {
	net, ok := dir.Net(opts.ASN)
	if !ok {
		return nil, fmt.Errorf("%s is not in the PeeringDB data", opts.ASN)
	}
	if len(opts.Prefixes) == 0 {
		return nil, fmt.Errorf("no prefixes for %s: PeeringDB does not list them, give the prefixes we announce", opts.ASN)
	}
	platforms := opts.Platforms
	if len(platforms) == 0 {
		platforms = []string{"bird2"}
	}
	builtin, err := render.DefaultTemplates()
	if err != nil {
		return nil, err
	}
	for _, p := range platforms {
		name, err := platform.Parse(p)
		if err != nil {
			return nil, err
		}
		if name.Templated() && !builtin.Has(name) {
			return nil, fmt.Errorf("platform %s has no built-in templates: a repository for it needs its own templates/%s/*.tmpl; start with another platform", name, name)
		}
	}
	if !actionRef.MatchString(opts.ActionRef) {
		return nil, fmt.Errorf("action %q is not owner/repo@ref", opts.ActionRef)
	}
	b := &builder{dir: dir, asn: opts.ASN}
	ixps := b.ixps()
	routers := b.routers(platforms, ixps)
	if b.missing > 0 {
		b.notef("PeeringDB has no address of ours on %d of the routers' exchange ports: they are written as \"\" in policies/routers.hcl, to be set", b.missing)
	}
	files := []File{
		{"policies/network.hcl", b.network(net, opts.Prefixes)},
		{"policies/ixps.hcl", ixpFile(ixps)},
		{"policies/routers.hcl", routerFile(routers)},
		{"policies/filters.hcl", []byte(filtersHCL)},
		{"policies/scoring.hcl", []byte(scoringHCL)},
		{"peers/README.md", []byte(peersReadme)},
		{".gitignore", []byte(gitignore)},
		{".github/workflows/pr.yml", workflow(prYML, opts.ActionRef)},
		{".github/workflows/deploy.yml", workflow(deployYML, opts.ActionRef)},
	}
	for i, f := range files {
		if strings.HasSuffix(f.Path, ".hcl") {
			files[i].Data = hclwrite.Format(f.Data)
		}
	}
	if len(ixps) == 0 {
		b.notef("PeeringDB has no IXP port of %s: add ixp blocks to policies/ixps.hcl and the routers' ports by hand", opts.ASN)
	}
	return &Result{Files: files, Notes: b.notes}, nil
}

type builder struct {
	dir   Directory
	asn   bgp.ASN
	notes []string
	// missing counts router ports written without an address.
	missing int
}

func (b *builder) notef(format string, args ...any) {
	b.notes = append(b.notes, fmt.Sprintf(format, args...))
}

// quote is s as an HCL string literal: quotes, backslashes, newlines and
// template sequences escaped. Values are checked before; this is the
// second line of defence.
func quote(s string) string {
	return string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// safeText is s if validation accepts it as a name, else s without the
// characters it refuses, else fallback.
func safeText(s, fallback string) string {
	if intent.CheckText(s, intent.MaxNameLen) == "" {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		if intent.IsTextChar(r) {
			sb.WriteRune(r)
		} else {
			sb.WriteByte(' ')
		}
	}
	t := strings.Join(strings.Fields(sb.String()), " ")
	if len(t) > intent.MaxNameLen {
		t = strings.TrimSpace(t[:intent.MaxNameLen])
	}
	if intent.CheckText(t, intent.MaxNameLen) == "" {
		return t
	}
	return fallback
}

func (b *builder) network(net peeringdb.Net, prefixes []netip.Prefix) []byte {
	var w bytes.Buffer
	name := safeText(net.Name, b.asn.String())
	if name != net.Name {
		b.notef("PeeringDB's name of %s cannot be used in router configs; it is written as %q", b.asn, name)
	}
	ps := make([]string, len(prefixes))
	for i, p := range prefixes {
		ps[i] = p.Masked().String()
	}
	fmt.Fprintf(&w, "# Our own network, from PeeringDB (net %d).\nnetwork {\n  asn = %d\n  name = %s\n", net.ID, uint32(b.asn), quote(name))
	refs, _ := peeringdb.ParseIRRASSet(net.IRRASSet)
	if len(refs) > 0 {
		if _, err := bgp.ParseObjectRef(refs[0].String()); err == nil {
			fmt.Fprintf(&w, "  as_set = %s # what peers accept from us (PeeringDB irr_as_set)\n", quote(refs[0].String()))
		}
	} else {
		w.WriteString("  # as_set = \"AS-EXAMPLE\" # what peers accept from us; without it, our AS number\n")
	}
	fmt.Fprintf(&w, "  prefixes = %s\n}\n\n", quoteList(ps))
	w.WriteString(networkTail)
	return w.Bytes()
}

// ixp is one of our exchanges as the skeleton writes it.
type ixp struct {
	name      string
	id        int
	lan4      netip.Prefix
	lan6      netip.Prefix
	community int
	ports     []peeringdb.NetIXLAN // ours, by netixlan id
	// has4 and has6: PeeringDB lists a LAN of the family.
	has4, has6 bool
}

// ixps are the exchanges where PeeringDB has a port of ours, by ix id.
func (b *builder) ixps() []*ixp {
	var out []*ixp
	used := map[string]bool{}
	for _, pop := range b.dir.PoPs(b.asn) {
		if pop.Kind != peeringdb.KindIX {
			continue
		}
		x := &ixp{id: pop.ID, community: len(out) + 1}
		name := pop.Name
		if ix, ok := b.dir.IX(pop.ID); ok {
			name = ix.Name
		}
		x.name = ixName(name, pop.ID, used)
		used[x.name] = true
		lans := b.dir.IXPrefixes(pop.ID)
		for _, p := range b.dir.NetIXLANs(b.asn, pop.ID) {
			p.IPv4 = b.onLAN(x, lans, p.IPv4, p.ID)
			p.IPv6 = b.onLAN(x, lans, p.IPv6, p.ID)
			x.ports = append(x.ports, p)
		}
		for _, p := range lans {
			x.has4, x.has6 = x.has4 || p.Addr().Is4(), x.has6 || p.Addr().Is6()
		}
		x.lan4 = pickLAN(lans, x.ports, true)
		x.lan6 = pickLAN(lans, x.ports, false)
		if !x.lan4.IsValid() && !x.lan6.IsValid() {
			b.notef("%s (ix %d): PeeringDB lists no peering LAN (ixpfx); sessions cannot be derived there until ipv4_lan/ipv6_lan are written", x.name, x.id)
		}
		out = append(out, x)
	}
	return out
}

// onLAN is a, our address from netixlan id, if it is a host address of one
// of the IX's LANs; else the zero Addr, with a note. Without any LAN of its
// family it is kept: nothing says it is wrong.
func (b *builder) onLAN(x *ixp, lans []netip.Prefix, a netip.Addr, id int) netip.Addr {
	if !a.IsValid() {
		return a
	}
	fam := slices.DeleteFunc(slices.Clone(lans), func(p netip.Prefix) bool { return p.Addr().Is4() != a.Is4() })
	if len(fam) == 0 {
		return a
	}
	for _, lan := range fam {
		if lan.Contains(a) && bgp.LANEdge(lan, a) == "" {
			return a
		}
	}
	b.notef("%s: our address %s (netixlan %d) is not a host address of the LANs PeeringDB lists; it is left out", x.name, a, id)
	return netip.Addr{}
}

// pickLAN is the LAN of one family that holds our first address of that
// family, else the only LAN of the family, else none (the IX's LANs then
// come from PeeringDB at run time).
func pickLAN(lans []netip.Prefix, ports []peeringdb.NetIXLAN, v4 bool) netip.Prefix {
	var fam []netip.Prefix
	for _, p := range lans {
		if p.Addr().Is4() == v4 && p.IsValid() {
			fam = append(fam, p.Masked())
		}
	}
	for _, port := range ports {
		a := port.IPv6
		if v4 {
			a = port.IPv4
		}
		for _, lan := range fam {
			if a.IsValid() && lan.Contains(a) {
				return lan
			}
		}
	}
	if len(fam) == 1 {
		return fam[0]
	}
	return netip.Prefix{}
}

// ixName makes an IXP label from PeeringDB's name: upper case, runs of
// anything but letters and digits become '-', a letter first, at most the
// identifier length, unique.
func ixName(name string, id int, used map[string]bool) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToUpper(name) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			if dash && sb.Len() > 0 {
				sb.WriteByte('-')
			}
			sb.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	s := sb.String()
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		s = "IX-" + s
	}
	s = strings.TrimRight(s, "-")
	suffix := fmt.Sprintf("-%d", id)
	if len(s) > intent.MaxIdentifierLen {
		s = strings.TrimRight(s[:intent.MaxIdentifierLen], "-")
	}
	if used[s] || intent.CheckIdentifier(s) != "" {
		s = strings.TrimRight(s[:min(len(s), intent.MaxIdentifierLen-len(suffix))], "-") + suffix
	}
	return s
}

func ixpFile(ixps []*ixp) []byte {
	var w bytes.Buffer
	w.WriteString(`# The exchanges we are at, from PeeringDB. The LANs are PeeringDB's (ixpfx);
# written here, validation checks addresses against them without PeeringDB.
# An ixp with only peeringdb_ix gets its LANs from PeeringDB, checked the
# same way. community tags the routes learnt there (informational).
`)
	for _, x := range ixps {
		fmt.Fprintf(&w, "\nixp %s {\n  peeringdb_ix = %d\n", quote(x.name), x.id)
		if x.lan4.IsValid() {
			fmt.Fprintf(&w, "  ipv4_lan = %s\n", quote(x.lan4.String()))
		}
		if x.lan6.IsValid() {
			fmt.Fprintf(&w, "  ipv6_lan = %s\n", quote(x.lan6.String()))
		}
		fmt.Fprintf(&w, "  community = %d\n}\n", x.community)
	}
	return w.Bytes()
}

// router is one stub: a platform and its ports.
type router struct {
	name     string
	platform string
	ports    []routerPort
}

type routerPort struct {
	ixp        string
	ipv4, ipv6 netip.Addr
	// want4 and want6 ask for an address PeeringDB does not give: the
	// exchange has a LAN of the family (or none at all is known).
	want4, want6 bool
}

// routers spreads our ports over the stubs: at each exchange the first
// router takes our first port (by netixlan id), the second the second, and
// so on; a router past the exchange's port count is not connected there.
func (b *builder) routers(platforms []string, ixps []*ixp) []router {
	out := make([]router, len(platforms))
	for i, p := range platforms {
		out[i] = router{name: fmt.Sprintf("edge%d", i+1), platform: p}
	}
	for _, x := range ixps {
		for i, port := range x.ports {
			if i >= len(out) {
				b.notef("%s: PeeringDB lists %d ports of ours, more than the %d router(s) written; add routers for the others", x.name, len(x.ports), len(out))
				break
			}
			rp := routerPort{ixp: x.name, ipv4: port.IPv4, ipv6: port.IPv6}
			rp.want4 = !rp.ipv4.IsValid() && (x.has4 || !x.has6)
			rp.want6 = !rp.ipv6.IsValid() && x.has6
			if rp.want4 || rp.want6 {
				b.missing++
			}
			out[i].ports = append(out[i].ports, rp)
		}
	}
	return out
}

func routerFile(routers []router) []byte {
	var w bytes.Buffer
	w.WriteString(`# Our routers. Set each router's host, the management address peerform
# reaches it at over SSH (NETCONF for platform "netconf"): validate fails
# until it is set. The ixp blocks are our own addresses on each exchange, as
# PeeringDB lists them (netixlan); set those PeeringDB does not know.
`)
	for _, r := range routers {
		fmt.Fprintf(&w, "\nrouter %s {\n  platform = %s\n  host = \"\" # set: a host name or address\n  user = \"peerform\"\n",
			quote(r.name), quote(r.platform))
		for _, p := range r.ports {
			fmt.Fprintf(&w, "\n  ixp %s {\n", quote(p.ixp))
			for _, a := range []struct {
				attr string
				addr netip.Addr
				want bool
			}{{"ipv4", p.ipv4, p.want4}, {"ipv6", p.ipv6, p.want6}} {
				switch {
				case a.addr.IsValid():
					fmt.Fprintf(&w, "    %s = %s\n", a.attr, quote(a.addr.String()))
				case a.want:
					fmt.Fprintf(&w, "    %s = \"\" # set: not in PeeringDB\n", a.attr)
				}
			}
			w.WriteString("  }\n")
		}
		w.WriteString("}\n")
	}
	return w.Bytes()
}

func workflow(tmpl, ref string) []byte {
	return []byte(strings.ReplaceAll(tmpl, "{{ACTION}}", ref))
}

//go:embed workflows/pr.yml
var prYML string

//go:embed workflows/deploy.yml
var deployYML string
