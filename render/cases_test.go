package render

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
)

// The golden files show everything; these tests state what each targeted
// case is about, so that a regenerated golden file cannot quietly lose it.

func caseView(t *testing.T, c, router string) (*View, *model.Model) {
	t.Helper()
	m := loadCase(t, filepath.Join("testdata", c))
	v, err := NewView(m, router)
	if err != nil {
		t.Fatal(err)
	}
	return v, m
}

func renderAs(t *testing.T, m *model.Model, router string, p platform.Name) string {
	t.Helper()
	b, err := Render(withPlatform(m, p), router, defaultTemplates(t))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCaseIPv6Only(t *testing.T) {
	v, m := caseView(t, "ipv6-only", "r1")
	if len(v.Sessions) != 1 || v.Sessions[0].Family != 6 || len(v.Families[0].Sessions) != 0 {
		t.Fatalf("want exactly one IPv6 session, got %d sessions", len(v.Sessions))
	}
	if pf := v.Peers[0].Families; len(pf) != 1 || pf[0].Family != 6 {
		t.Errorf("the peer has filters for %d families, want IPv6 only", len(pf))
	}
	for _, p := range []platform.Name{platform.BIRD2, platform.FRR, platform.Junos, platform.IOSXR, platform.EOS} {
		conf := renderAs(t, m, "r1", p)
		if strings.Contains(conf, "198.18.50.0") {
			t.Errorf("%s: the peer's IPv4 prefixes are rendered although it has no IPv4 session", p)
		}
		if strings.Contains(conf, "AS64505_V4") || strings.Contains(conf, "_V4_IN") {
			t.Errorf("%s: an IPv4 policy was rendered", p)
		}
	}
	if !v.Filters.RPKITagging || v.Filters.RPKIReject || v.Filters.RPKIExclude {
		t.Errorf("rpki = \"tag\" with an RTR cache: filters %+v", v.Filters)
	}
}

func TestCaseTwoIXPs(t *testing.T) {
	v1, m := caseView(t, "two-ixps", "r1")
	v2, _ := caseView(t, "two-ixps", "r2")
	for _, c := range []struct {
		v   *View
		ixp string
	}{{v1, "IX-ONE"}, {v2, "IX-TWO"}} {
		if len(c.v.Sessions) != 2 {
			t.Errorf("%s: %d sessions, want IPv4 and IPv6 with AS64501", c.v.Router, len(c.v.Sessions))
		}
		for _, s := range c.v.Sessions {
			if s.IXP != c.ixp || s.Peer.ASN != 64501 {
				t.Errorf("%s: session %s at %s, want only %s", c.v.Router, s.Name, s.IXP, c.ixp)
			}
		}
		p := c.v.Peers[0]
		if p.Password != "PEERFORM-SECRET-AS64501" || !p.GTSM || !p.BFD || p.LocalPref != 200 {
			t.Errorf("%s: peer %+v", c.v.Router, *p)
		}
		if f := p.Families[0]; f.Excluded != 1 || f.Prefixes != 6 {
			t.Errorf("%s: %d of %d IPv4 prefixes left out, want the one RPKI-invalid of 6", c.v.Router, f.Excluded, f.Prefixes)
		}
		if len(c.v.RTR) != 2 || !c.v.Filters.RPKIReject {
			t.Errorf("%s: RTR %v, filters %+v", c.v.Router, c.v.RTR, c.v.Filters)
		}
	}
	frr := renderAs(t, m, "r2", "frr")
	for _, want := range []string{
		"neighbor 192.0.2.139 password PEERFORM-SECRET-AS64501",
		"neighbor 192.0.2.139 ttl-security hops 1",
		"neighbor 192.0.2.139 bfd",
		"neighbor 192.0.2.139 maximum-prefix 500 restart 15",
		" rpki cache localhost 8282 preference 2",
		" match rpki invalid",
	} {
		if !strings.Contains(frr, want+"\n") {
			t.Errorf("r2 frr config lacks %q", want)
		}
	}
	if strings.Contains(frr, "198.18.9.0") {
		t.Error("the RPKI-invalid IRR prefix reached the prefix list")
	}
}

func TestCaseRouteServer(t *testing.T) {
	v, m := caseView(t, "route-server", "r1")
	var names []string
	for _, s := range v.Sessions {
		names = append(names, s.Name)
	}
	want := "AS64510_IX_ONE_V4 AS64510_IX_ONE_V4_2 AS64510_IX_ONE_V6 AS64510_IX_ONE_V6_2"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("sessions %q, want %q", got, want)
	}
	for _, p := range []platform.Name{platform.BIRD2, platform.FRR, platform.Junos, platform.IOSXR, platform.EOS} {
		conf := renderAs(t, m, "r1", p)
		for _, bad := range []string{"AS64510_FIRST", "bgp_path.first", "neighbor-is", "next-hop peer-address", "next-hop address", "enforce-first-as;"} {
			if strings.Contains(conf, bad) {
				t.Errorf("%s: a route server session has a first-AS or next-hop check (%q)", p, bad)
			}
		}
	}
	v4 := v.Families[0]
	for _, b := range v4.Bogons {
		if b.Prefix.String() == "203.0.113.0/24" || b.Prefix.String() == "192.0.2.0/24" {
			t.Errorf("bogon %s is covered by an exception and should be gone", b.Prefix)
		}
	}
	if ex := v.Families[1].BogonExceptions; len(ex) != 1 || ex[0].String() != "2001:db8:5000::/36" {
		t.Errorf("IPv6 exceptions %v", ex)
	}
	if v.Filters.GracefulShutdown || v.Filters.RejectOwn {
		t.Errorf("filters %+v: gshut and own-prefix rejection are off in this case", v.Filters)
	}
	if conf := renderAs(t, m, "r1", "frr"); strings.Contains(conf, "PEERFORM_OWN_") || strings.Contains(conf, "PEERFORM_GSHUT") {
		t.Error("frr: own-prefix or gshut policy rendered although turned off")
	}
}

func TestCaseShutdown(t *testing.T) {
	v, m := caseView(t, "shutdown", "r1")
	for _, s := range v.Sessions {
		drain := s.Peer.ASN == 64503
		if strings.HasSuffix(s.Export, "_GSHUT") != drain {
			t.Errorf("%s exports with %s", s.Name, s.Export)
		}
		if drain && s.Peer.LocalPref != 0 || !drain && s.Peer.LocalPref != 120 {
			t.Errorf("%s: local-pref %d", s.Name, s.Peer.LocalPref)
		}
	}
	bird := renderAs(t, m, "r1", "bird2")
	if !strings.Contains(bird, "bgp_community.add((65535, 0));") || !strings.Contains(bird, "export filter PEERFORM_EXPORT_V4_GSHUT;") {
		t.Error("bird2: no GRACEFUL_SHUTDOWN on the drained peer's exports")
	}
	if !strings.Contains(bird, "import limit 100 action warn;") {
		t.Error("bird2: max-prefix action warn not rendered")
	}
	frr := renderAs(t, m, "r1", "frr")
	if !strings.Contains(frr, "route-map PEERFORM_EXPORT_V4_GSHUT permit 10\n match ip address prefix-list PEERFORM_ANNOUNCE_V4\n set community graceful-shutdown additive\n") {
		t.Error("frr: no GRACEFUL_SHUTDOWN export route-map")
	}
	if !strings.Contains(frr, "maximum-prefix 100 warning-only") || strings.Contains(frr, "match rpki") {
		t.Error("frr: warn-only limit or rpki = off not honoured")
	}
}

// TestCaseNoIRR: a family without IRR prefixes is denied everything on
// every platform; nothing in its import policy accepts a route.
func TestCaseNoIRR(t *testing.T) {
	v, m := caseView(t, "no-irr", "r1")
	deny := map[string]bool{}
	for _, s := range v.Sessions {
		deny[s.Name] = s.Filter.DenyAll
	}
	want := map[string]bool{
		"AS64506_IX_ONE_V4": true, "AS64506_IX_ONE_V6": true, // expansion failed
		"AS64507_IX_ONE_V4": true,                             // never expanded
		"AS65001_IX_ONE_V4": false, "AS65001_IX_ONE_V6": true, // IPv4 data only
	}
	for name, d := range want {
		if got, ok := deny[name]; !ok || got != d {
			t.Errorf("%s: deny-all %v (present %v), want %v", name, got, ok, d)
		}
	}
	policies := map[string]*regexp.Regexp{
		"bird2": regexp.MustCompile(`(?s)filter (\w+)_IN \{(.*?)\n\}`),
		"frr":   regexp.MustCompile(`(?m)^route-map (\w+)_IN (permit|deny) \d+$`),
	}
	bird := renderAs(t, m, "r1", "bird2")
	for _, mm := range policies["bird2"].FindAllStringSubmatch(bird, -1) {
		if deny[mm[1]] && (strings.Contains(mm[2], "accept") || !strings.Contains(mm[2], "reject;")) {
			t.Errorf("bird2: deny-all filter %s can accept:\n%s", mm[1], mm[2])
		}
	}
	frr := renderAs(t, m, "r1", "frr")
	for _, mm := range policies["frr"].FindAllStringSubmatch(frr, -1) {
		if deny[mm[1]] && mm[2] == "permit" {
			t.Errorf("frr: deny-all route-map %s has a permit entry", mm[1])
		}
	}
	for _, p := range []platform.Name{platform.Junos, platform.IOSXR, platform.EOS} {
		conf := renderAs(t, m, "r1", p)
		if !strings.Contains(conf, "AS64506_IX_ONE_V4_IN") || strings.Contains(conf, "AS64506_V4") {
			t.Errorf("%s: deny-all peer has a prefix list or no policy", p)
		}
	}
	// AS65001 is private and allowed: the private ranges are no bogon ASNs.
	for _, r := range v.BogonASNs {
		if r.First == 64512 || r.First == 64496 {
			t.Errorf("bogon ASN range %d-%d is allowed by the network", r.First, r.Last)
		}
	}
}

// TestRouterWithoutSessions: a router with no peers still renders a
// config its daemon accepts (our prefixes, no BGP sessions).
func TestRouterWithoutSessions(t *testing.T) {
	m := loadCase(t, filepath.Join("testdata", "no-irr"))
	m.Routers[0].Sessions = nil
	tm := defaultTemplates(t)
	for _, p := range tm.Platforms() {
		b, err := Render(withPlatform(m, p), "r1", tm)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		switch p {
		case "bird2":
			checkBIRD(t, "no sessions", b)
		case "frr":
			checkFRR(t, "no sessions", b)
		}
	}
}

// TestViewRejects: values validation should have stopped make NewView
// fail rather than print them.
func TestViewRejects(t *testing.T) {
	base := func() *model.Model { return loadCase(t, filepath.Join("testdata", "shutdown")) }
	cases := map[string]func(m *model.Model){
		"newline in name":   func(m *model.Model) { m.Peers[0].Name = "x\n protocol static evil {" },
		"quote in name":     func(m *model.Model) { m.Peers[0].Name = `a" ; evil "` },
		"look-alike":        func(m *model.Model) { m.Peers[0].Name = "Ехаmple" },
		"bad description":   func(m *model.Model) { m.Peers[0].Description = "ok } evil {" },
		"bad router name":   func(m *model.Model) { m.Routers[0].Name = "r1"; m.Routers[0].Platform = "frr\nrouter" },
		"bad network name":  func(m *model.Model) { m.Network.Name = "Net; evil" },
		"bad secret":        func(m *model.Model) { m.Peers[0].MD5 = &intent.SecretRef{Name: `X" bfd on; "`} },
		"bad RTR host":      func(m *model.Model) { m.Routers[0].RTR = []string{"a;b:323"} },
		"no limit":          func(m *model.Model) { m.Routers[0].Sessions[0].MaxPrefix = 0 },
		"mapped neighbor":   func(m *model.Model) { m.Routers[0].Sessions[0].Neighbor = netip.MustParseAddr("::ffff:192.0.2.13") },
		"unknown rpki mode": func(m *model.Model) { m.Filters.RPKI = "maybe" },
		// The limits validation checks, from the same constants.
		"limit past BIRD's": func(m *model.Model) { m.Routers[0].Sessions[0].MaxPrefix = intent.MaxPrefixLimit + 1 },
		"local_pref past BIRD's": func(m *model.Model) {
			m.Peers[0].LocalPref, m.Peers[0].Shutdown = intent.MaxLocalPref+1, false
		},
		"policy local_pref": func(m *model.Model) { m.Filters.LocalPref = -1 },
		"restart time": func(m *model.Model) {
			m.Filters.MaxPrefix.Action, m.Filters.MaxPrefix.RestartMinutes = "restart", intent.MaxRestartMinutes+1
		},
		"community":          func(m *model.Model) { m.Routers[0].Ports[0].Community = intent.MaxCommunityID + 1 },
		"unbracketed v6 RTR": func(m *model.Model) { m.Routers[0].RTR = []string{"2001:db8::1:323"} },
		// Two sessions with one neighbor: the router would keep one.
		"neighbor twice": func(m *model.Model) {
			r := m.Routers[0]
			dup := *r.Sessions[0]
			dup.Peer = &model.Peer{ASN: 64999, Name: "Other", Import: dup.Peer.Import, Export: dup.Peer.Export, IRR: model.IRRMissing, LocalPref: 100}
			r.Sessions = append(r.Sessions, &dup)
		},
	}
	for name, mutate := range cases {
		m := base()
		mutate(m)
		if _, err := NewView(m, "r1"); err == nil {
			t.Errorf("%s: NewView accepted the model", name)
		}
	}
	if _, err := NewView(base(), "nope"); err == nil {
		t.Error("unknown router accepted")
	}
	// What validation accepts renders: the longest source-qualified set.
	m := base()
	ref, err := bgp.ParseObjectRef("RADB-MIRROR::AS64500:AS-" + strings.Repeat("X", bgp.MaxObjectNameLen-11))
	if err != nil {
		t.Fatal(err)
	}
	m.Peers[0].Import = ref
	if _, err := NewView(m, "r1"); err != nil {
		t.Errorf("a valid import %s: %v", ref, err)
	}
}

// TestViewStringsAllowListed walks every view of every case: each string
// a template can print holds only allow-listed characters, whatever field
// it sits in (derived names included).
func TestViewStringsAllowListed(t *testing.T) {
	for _, c := range goldenCases {
		m := loadCase(t, filepath.Join("testdata", c))
		for _, r := range m.Routers {
			v, err := NewView(m, r.Name)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[uintptr]bool{}
			walkStrings(reflect.ValueOf(v), "View", seen, func(path, s string) {
				for _, ch := range s {
					if !intent.IsTextChar(ch) {
						t.Errorf("%s/%s: %s = %q holds %q", c, r.Name, path, s, ch)
						return
					}
				}
			})
		}
	}
}

func walkStrings(v reflect.Value, path string, seen map[uintptr]bool, f func(path, s string)) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || seen[v.Pointer()] {
			return
		}
		seen[v.Pointer()] = true
		walkStrings(v.Elem(), path, seen, f)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, seen, f)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), fmt.Sprintf("%s[%d]", path, i), seen, f)
		}
	case reflect.String:
		f(path, v.String())
	}
}

// TestCaseLifecycle: a session is drained when its peer, its router or its
// IXP is in maintenance, and only then; a decommissioning peer's sessions
// are configured shut down; requested and declined peers render nothing.
func TestCaseLifecycle(t *testing.T) {
	v1, m := caseView(t, "lifecycle", "r1")
	v2, _ := caseView(t, "lifecycle", "r2")
	type want struct {
		drain, disabled bool
		localPref       int
	}
	wants := map[string]want{
		"r1 AS64501_IX_ONE_V4": {false, false, 150}, // active peer, active IXP and router
		"r1 AS64501_IX_TWO_V4": {true, false, 0},    // IX-TWO is in maintenance
		"r1 AS64502_IX_ONE_V4": {false, true, 100},  // decommissioning
		"r1 AS64502_IX_ONE_V6": {false, true, 100},
		"r1 AS64503_IX_ONE_V6": {true, false, 0}, // the peer is in maintenance
		"r2 AS64501_IX_ONE_V4": {true, false, 0}, // r2 is in maintenance
	}
	got := map[string]want{}
	for _, v := range []*View{v1, v2} {
		for _, s := range v.Sessions {
			got[v.Router+" "+s.Name] = want{s.Drain, s.Disabled, s.LocalPref}
			if gshut := strings.HasSuffix(s.Export, "_GSHUT"); gshut != s.Drain {
				t.Errorf("%s %s: export %s while drain is %t", v.Router, s.Name, s.Export, s.Drain)
			}
		}
	}
	if !reflect.DeepEqual(got, wants) {
		t.Errorf("sessions:\n got %v\nwant %v", got, wants)
	}
	for _, p := range []platform.Name{platform.BIRD2, platform.FRR, platform.Junos, platform.IOSXR, platform.EOS, platform.NETCONF} {
		conf := renderAs(t, m, "r1", p)
		for _, absent := range []string{"192.0.2.14", "192.0.2.15", "AS64504", "AS64505"} {
			if strings.Contains(conf, absent) {
				t.Errorf("%s: %s of a requested or declined peer is rendered", p, absent)
			}
		}
	}
	// Both sessions of AS64502, and no other, are shut down.
	shut := map[platform.Name]*regexp.Regexp{
		"bird2":   regexp.MustCompile(`(?m)^  disabled;$`),
		"frr":     regexp.MustCompile(`(?m)^ neighbor \S+ shutdown$`),
		"eos":     regexp.MustCompile(`(?m)^   neighbor \S+ shutdown$`),
		"iosxr":   regexp.MustCompile(`(?m)^  shutdown$`),
		"junos":   regexp.MustCompile(`inactive: neighbor`),
		"netconf": regexp.MustCompile(`<enabled>false</enabled>`),
	}
	for p, re := range shut {
		if conf := renderAs(t, m, "r1", p); len(re.FindAllString(conf, -1)) != 2 {
			t.Errorf("%s: %d sessions shut down (%s), want AS64502's 2:\n%s", p, len(re.FindAllString(conf, -1)), re, conf)
		}
	}
}

// withPeers copies m with every peer changed by f, sessions included.
func withPeers(m *model.Model, f func(*model.Peer)) *model.Model {
	mm := *m
	mm.Peers = nil
	for _, p := range m.Peers {
		c := *p
		f(&c)
		mm.Peers = append(mm.Peers, &c)
	}
	mm.Routers = nil
	for _, r := range m.Routers {
		rc := *r
		rc.Sessions = nil
		for _, s := range r.Sessions {
			sc := *s
			sc.Peer = mm.Peer(s.Peer.ASN)
			rc.Sessions = append(rc.Sessions, &sc)
		}
		mm.Routers = append(mm.Routers, &rc)
	}
	return &mm
}

// Every role, strict or not, renders in the words BIRD and FRR use and
// passes their parsers (FRR printing each line back as rendered); the
// route server case holds the never-via-route-servers filter.
func TestCaseRoles(t *testing.T) {
	_, m := caseView(t, "two-ixps", "r1")
	for _, role := range intent.Roles {
		for _, strict := range []bool{false, true} {
			mm := withPeers(m, func(p *model.Peer) {
				p.Role, p.RoleStrict = role, strict
				p.RouteServer = role == intent.RoleRSClient
			})
			name := fmt.Sprintf("role %s strict %t", role, strict)
			bird := renderAs(t, mm, "r1", "bird2")
			frr := renderAs(t, mm, "r1", "frr")
			wantBIRD := "  local role " + strings.ReplaceAll(role, "-", "_") + ";\n"
			wantFRR := " local-role " + role
			if strict {
				wantFRR += " strict-mode"
			}
			if !strings.Contains(bird, wantBIRD) || strings.Contains(bird, "require roles on;") != strict {
				t.Errorf("%s: BIRD config lacks %q (or require roles is wrong)", name, wantBIRD)
			}
			if !strings.Contains(frr, wantFRR+"\n") {
				t.Errorf("%s: FRR config lacks %q", name, wantFRR)
			}
			checkBIRD(t, name, []byte(bird))
			checkFRR(t, name, []byte(frr))
			for _, p := range []platform.Name{platform.Junos, platform.IOSXR, platform.EOS} {
				if conf := renderAs(t, mm, "r1", p); strings.Contains(conf, "role") {
					t.Errorf("%s: %s renders a role it cannot negotiate", name, p)
				}
			}
		}
	}

	v, rs := caseView(t, "route-server", "r1")
	if got := fmt.Sprint(v.NeverViaRS); got != "[{64520 64520 never via route servers} {4200000021 4200000021 never via route servers}]" {
		t.Errorf("never-via-route-servers networks %s", got)
	}
	for p, want := range map[platform.Name]string{
		"bird2": "if bgp_path ~ [= * PEERFORM_NEVER_VIA_RS * =] then peerform_reject(10);",
		"frr":   "route-map AS64510_IX_ONE_V6_2_IN deny 45\n match as-path PEERFORM_NEVER_VIA_RS",
		"junos": "from as-path-group PEERFORM_NEVER_VIA_RS;",
		"iosxr": "if as-path in PEERFORM_NEVER_VIA_RS then",
		"eos":   "ip as-path access-list PEERFORM_NEVER_VIA_RS permit (^| )(4200000021)( |$) any",
	} {
		if conf := renderAs(t, rs, "r1", p); !strings.Contains(conf, want) {
			t.Errorf("%s: no never-via-route-servers filter %q", p, want)
		}
	}
	// The same peers as bilateral peers: the list is not rendered.
	bilateral := withPeers(rs, func(p *model.Peer) { p.RouteServer, p.Role = false, intent.RolePeer })
	v, err := NewView(bilateral, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if len(bilateral.NeverViaRouteServers) == 0 || v.NeverViaRS != nil {
		t.Errorf("without a route server session: view list %v (model %v)", v.NeverViaRS, bilateral.NeverViaRouteServers)
	}
	if conf := renderAs(t, bilateral, "r1", "bird2"); strings.Contains(conf, "NEVER_VIA_RS") {
		t.Error("bird2: never-via-route-servers rendered without a route server session")
	}
}
