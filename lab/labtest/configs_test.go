package labtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
)

// The test configs are valid for the real parsers: BIRD's `bird -p` and
// FRR's `vtysh --dryrun`, with every feature the tests use.
func TestConfigsParse(t *testing.T) {
	topo := Example(t)
	sessions := []Session{{Peer: "alpha"}, {Peer: "beta"}, {Peer: "akamai"}, {Peer: "rs"},
		{Peer: "delta", MaxPrefix: map[bgp.Family]int{bgp.IPv6: 10}, MaxPrefixAction: "warn"},
		{Peer: "he", ASN: 64599, MaxPrefix: map[bgp.Family]int{bgp.IPv4: 10, bgp.IPv6: 10}, MaxPrefixAction: "restart"}}
	dir := t.TempDir()
	for _, c := range []struct {
		router, file string
		cfg          string
		check        []string
	}{
		{"lab-fra-edge1", "bird.conf", BIRDConfig(topo, "lab-fra-edge1", sessions), []string{"bird", "-p", "-c"}},
		{"lab-ams-edge1", "frr.conf", FRRConfig(topo, "lab-ams-edge1", append(sessions, Session{Peer: "gamma"})), []string{"vtysh", "--dryrun", "-f"}},
	} {
		if _, err := exec.LookPath(c.check[0]); err != nil {
			t.Skipf("%s is not installed", c.check[0])
		}
		path := filepath.Join(dir, c.file)
		if err := os.WriteFile(path, []byte(c.cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(c.check[0], append(c.check[1:], path)...).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s\n%s", c.router, err, out, c.cfg)
		}
	}
	if n := len(Neighbors(topo, "lab-fra-edge1", sessions)); n != 10 {
		t.Errorf("%d neighbors on lab-fra-edge1, want 10", n)
	}
}
