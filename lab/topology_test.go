package lab

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// The example repository is the module's root, the lab package's parent.
const exampleRepo = ".."

func example(t *testing.T) Topology {
	t.Helper()
	topo, err := Example(context.Background(), exampleRepo)
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func TestExampleTopology(t *testing.T) {
	topo := example(t)
	links := topo.Links()
	count := map[string]int{}
	for _, l := range links {
		count[l.Router]++
		if !l.Local.IsValid() || !l.Neighbor.IsValid() || bgp.FamilyOf(l.Local) != bgp.FamilyOf(l.Neighbor) {
			t.Errorf("bad link %+v", l)
		}
	}
	// The example repository intends 11 sessions per router; delta's
	// extra FRA port adds one to lab-fra-edge1.
	if count["lab-ams-edge1"] != 11 || count["lab-fra-edge1"] != 12 {
		t.Errorf("links per router %v", count)
	}
	if got := LinksOf(links, "lab-ams-edge1", "alpha", bgp.IPv6); len(got) != 1 || got[0].Neighbor != netip.MustParseAddr("2001:db8:ffff:1::11") {
		t.Errorf("LinksOf %+v", got)
	}
	// Our routers originate the example network's prefixes.
	if r, _ := topo.Router("lab-fra-edge1"); len(r.Originate) != 2 || r.Originate[0] != netip.MustParsePrefix("198.51.100.0/24") {
		t.Errorf("originate %v", r.Originate)
	}
}

// The world comes from the repository's files: the peers' IRR data is
// their AS-SETs' expansion in data/irr/example.rpsl, the ROAs are
// data/rpki/vrps.json, and each peer announces what is registered for it
// (plus the crafted routes). These expectations are written out by hand
// from the two files.
func TestExampleWorldFromFiles(t *testing.T) {
	topo := example(t)
	p := netip.MustParsePrefix
	for _, c := range []struct {
		peer, imp string
		irr       []string
	}{
		{"alpha", "AS-ALPHA", []string{"11.64.0.0/22", "11.64.4.0/24", "11.64.5.0/24", "2a10:501::/32", "11.64.16.0/20"}},
		{"beta", "AS64502", []string{"11.65.0.0/20", "2a10:502::/32"}},
		{"gamma", "AS-GAMMA", []string{"11.66.0.0/22", "11.66.4.0/22", "2a10:503::/32"}},
		{"delta", "AS65537:AS-DELTA", nil},
		{"akamai", "RIPE::AS-AKAMAI", []string{"23.32.0.0/11", "2a02:26f0::/29"}},
		{"he", "AS-HURRICANE", []string{"11.64.0.0/22", "11.64.4.0/24", "11.64.5.0/24", "2a10:501::/32",
			"216.218.128.0/17", "2001:470::/32"}},
	} {
		peer, _ := topo.Peer(c.peer)
		var want []netip.Prefix
		for _, s := range c.irr {
			want = append(want, p(s))
		}
		got := slices.Clone(peer.IRR)
		slices.SortFunc(got, comparePrefix)
		slices.SortFunc(want, comparePrefix)
		if peer.Import != c.imp || !slices.Equal(got, want) {
			t.Errorf("%s: import %s, IRR %v; want %s, %v", c.peer, peer.Import, got, c.imp, want)
		}
	}
	// AS-DOCIX-RS reaches every member's routes, relayed with the
	// member's ASN as the origin and not the route server's.
	rs, _ := topo.Peer("rs")
	if len(rs.IRR) != 13 {
		t.Errorf("rs has %d IRR prefixes, want 13: %v", len(rs.IRR), rs.IRR)
	}
	for _, an := range rs.Announce {
		if len(an.Path) != 1 || an.Origin(rs) == 64510 {
			t.Errorf("rs relays %s with path %v", an.Prefix, an.Path)
		}
	}

	var file struct {
		ROAs []struct {
			Prefix    string `json:"prefix"`
			MaxLength int    `json:"maxLength"`
			ASN       string `json:"asn"`
		} `json:"roas"`
	}
	b, err := os.ReadFile(filepath.Join(exampleRepo, "data", "rpki", "vrps.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatal(err)
	}
	var want []ROA
	for _, r := range file.ROAs {
		asn, err := bgp.ParseASN(r.ASN)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, ROA{p(r.Prefix), r.MaxLength, asn})
	}
	got := slices.Clone(topo.ROAs)
	SortROAs(got)
	SortROAs(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("ROAs %v, want the file's %v", got, want)
	}
}

// The crafted announcements are what the tests rely on: each filter has
// something to reject that only it rejects.
func TestCraftedAnnouncements(t *testing.T) {
	topo := example(t)
	p := netip.MustParsePrefix
	for _, c := range []struct {
		peer   string
		prefix netip.Prefix
		state  rpki.State
		ok     bool
		why    string
	}{
		{"alpha", p("11.64.0.0/22"), rpki.Valid, true, ""},
		{"alpha", p("11.64.16.0/20"), rpki.Valid, true, ""},                  // its customer AS64511's route
		{"alpha", p("11.64.5.0/24"), rpki.Invalid, false, RejectRPKIInvalid}, // in AS-ALPHA, originated by AS64511
		{"alpha", p("2a10:501::/32"), rpki.NotFound, true, ""},
		{"gamma", p("11.66.4.0/22"), rpki.Invalid, false, RejectRPKIInvalid}, // registered; the ROA names AS64999
		{"gamma", p("11.66.8.0/22"), rpki.NotFound, false, RejectNotInIRR},
		{"gamma", p("2a10:503:1::/48"), rpki.NotFound, false, RejectNotInIRR},
		{"beta", p("11.65.16.0/20"), rpki.NotFound, false, RejectNotInIRR},
		{"beta", p("11.65.0.0/20"), rpki.Valid, true, ""},
		{"rs", p("11.66.4.0/22"), rpki.Invalid, false, RejectRPKIInvalid}, // relayed from AS64503
		{"rs", p("11.67.0.0/21"), rpki.Valid, true, ""},                   // origin AS64504, a member
		{"delta", p("2a10:537::/32"), rpki.NotFound, false, RejectNoIRR},
		{"cf", p("1.1.1.0/24"), rpki.NotFound, true, ""},
	} {
		peer, _ := topo.Peer(c.peer)
		var an Announcement
		for _, a := range peer.Announce {
			if a.Prefix == c.prefix {
				an = a
			}
		}
		if !an.Prefix.IsValid() {
			t.Fatalf("%s does not announce %s", c.peer, c.prefix)
		}
		if st := topo.Validate(an.Prefix, an.Origin(peer)); st != c.state {
			t.Errorf("%s %s: %s, want %s", c.peer, c.prefix, st, c.state)
		}
		if ok, why := topo.Acceptable(peer, an); ok != c.ok || why != c.why {
			t.Errorf("%s %s: acceptable %v %q, want %v %q", c.peer, c.prefix, ok, why, c.ok, c.why)
		}
	}
	// Every peer with IRR data announces something a correct filter
	// accepts, and the world has each kind of rejection.
	why := map[string]int{}
	for _, peer := range topo.Peers {
		accepted := 0
		for _, an := range peer.Announce {
			ok, r := topo.Acceptable(peer, an)
			if ok {
				accepted++
			}
			why[r]++
		}
		if accepted == 0 && len(peer.IRR) > 0 {
			t.Errorf("%s announces nothing acceptable", peer.Name)
		}
	}
	if why[RejectRPKIInvalid] == 0 || why[RejectNotInIRR] == 0 || why[RejectNoIRR] == 0 {
		t.Errorf("rejections by reason %v", why)
	}
}

func TestExampleNeedsItsData(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"peers", "policies"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(exampleRepo, sub))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Example(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "example.rpsl") {
		t.Errorf("without the IRR snapshot: %v", err)
	}
	if _, err := Example(context.Background(), t.TempDir()); err == nil {
		t.Errorf("an empty directory is an example repository")
	}
}

func TestTopologyCheck(t *testing.T) {
	for name, break_ := range map[string]func(*Topology){
		"no routers":         func(t *Topology) { t.Routers = nil },
		"bad LAN name":       func(t *Topology) { t.LANs[0].Name = "AMS-1" },
		"address off LAN":    func(t *Topology) { t.Routers[0].Ports[0].IPv4 = netip.MustParseAddr("10.0.0.1") },
		"unknown LAN":        func(t *Topology) { t.Peers[0].Ports[0].LAN = "lon" },
		"duplicate name":     func(t *Topology) { t.Peers[1].Name = t.Peers[0].Name },
		"unknown platform":   func(t *Topology) { t.Routers[0].Platform = "junos" },
		"unknown daemon":     func(t *Topology) { t.Peers[0].Daemon = "exabgp" },
		"gobgp route server": func(t *Topology) { t.Peers[1].RouteServer = true },
		"peer without ports": func(t *Topology) { t.Peers[0].Ports = nil },
		"gobgp with a role":  func(t *Topology) { t.Peers[1].Role = "peer" },
		"unknown role":       func(t *Topology) { t.Peers[0].Role = "rs-client" },
		"gobgp sends OTC": func(t *Topology) {
			t.Peers[1].Announce = append(t.Peers[1].Announce, Announcement{Prefix: netip.MustParsePrefix("192.0.2.0/24"), OTC: 1})
		},
	} {
		topo := example(t)
		break_(&topo)
		if err := topo.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The configs the lab writes for its peers pass the daemons' own checks.
func TestPeerConfigsParse(t *testing.T) {
	l := &Lab{Name: "x", Topology: example(t)}
	// Roles, strict mode, OTC and a path of two ASes, as
	// TestRouteSecurityLab (cmd/peerform) uses them.
	for i, p := range l.Topology.Peers {
		if p.Daemon == "bird" && len(p.Announce) > 0 {
			p.Role, p.RoleStrict = "rs_server", true
			p.Announce = append([]Announcement{{Prefix: p.Announce[0].Prefix, Path: []bgp.ASN{64502, 64511}, OTC: 64999}}, p.Announce[1:]...)
			l.Topology.Peers[i] = p
			break
		}
	}
	dir := t.TempDir()
	for _, p := range l.Topology.Peers {
		path := filepath.Join(dir, p.Name)
		var cmd *exec.Cmd
		if p.Daemon == "bird" {
			if err := os.WriteFile(path, []byte(l.birdPeerConfig(p)), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd = exec.Command("bird", "-p", "-c", path)
		} else {
			if err := os.WriteFile(path, []byte(l.gobgpConfig(p)), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd = exec.Command("gobgpd", "-d", "-f", path)
		}
		if _, err := exec.LookPath(cmd.Path); err != nil {
			t.Skipf("%s is not installed", cmd.Path)
		}
		if out, err := cmd.CombinedOutput(); err != nil || strings.Contains(string(out), "level=error") {
			t.Errorf("%s (%s): %v\n%s", p.Name, p.Daemon, err, out)
		}
	}
}
