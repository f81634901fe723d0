package lab

import (
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerctl/peerctl/bgp"
)

func TestDefaultTopology(t *testing.T) {
	topo := Default()
	if err := topo.Check(); err != nil {
		t.Fatal(err)
	}
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
}

// The crafted announcements are what the tests rely on: each filter has
// something to reject that only it rejects.
func TestCraftedAnnouncements(t *testing.T) {
	topo := Default()
	p := netip.MustParsePrefix
	for _, c := range []struct {
		peer   string
		prefix netip.Prefix
		state  RPKIState
		ok     bool
		why    string
	}{
		{"alpha", p("203.0.113.0/26"), RPKIValid, true, ""},
		{"alpha", p("203.0.113.64/26"), RPKIInvalid, false, "RPKI invalid"},
		{"beta", p("203.0.113.160/27"), RPKINotFound, false, "outside IRR"},
		{"gamma", p("2001:db8:1d::/48"), RPKINotFound, false, "outside IRR"},
		{"rs", p("2001:db8:20::/48"), RPKIValid, true, ""}, // origin is the member, AS64520
		{"delta", p("2001:db8:370b::/48"), RPKIValid, true, ""},
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
	delta, _ := topo.Peer("delta")
	if len(delta.Announce) != 12 {
		t.Errorf("delta announces %d routes, want 12 (more than a max-prefix of 10)", len(delta.Announce))
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
	} {
		topo := Default()
		break_(&topo)
		if err := topo.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The configs the lab writes for its peers pass the daemons' own checks.
func TestPeerConfigsParse(t *testing.T) {
	l := &Lab{Name: "x", Topology: Default()}
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
