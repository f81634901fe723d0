package device

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// testdata/frr/rendered.conf is the example repository's lab router
// rendered by peerform; running.txt is `show running-config` of a real FRR
// 8.4 after that config was deployed to it.
func readFRRFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/frr/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFRRRenderedEqualsRunning(t *testing.T) {
	want, err := NormalizeFRR(readFRRFixture(t, "rendered.conf"))
	if err != nil {
		t.Fatal(err)
	}
	running, err := parseFRR(readFRRFixture(t, "running.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := running.String(); got != want {
		t.Errorf("running config and rendered config differ in canonical form:\n%s", lineDiff(want, got))
	}
	if running.identity["hostname"] != "lab-ams-edge1" || running.identity["frr defaults"] != "traditional" {
		t.Errorf("identity %v", running.identity)
	}
	// The unmanaged parts of the running config were skipped, not lost
	// into a managed block.
	if !slices.ContainsFunc(running.unmanaged, func(s string) bool { return strings.Contains(s, "ip route 198.51.100.0/24 blackhole") }) {
		t.Errorf("static route not seen as unmanaged: %v", running.unmanaged)
	}
	// Canonical form is a fixed point.
	again, err := NormalizeFRR(want)
	if err != nil || again != want {
		t.Errorf("normalizing the canonical form changes it (%v):\n%s", err, lineDiff(want, again))
	}
}

func TestParseFRR(t *testing.T) {
	cfg := `! a comment
frr version 8.4.4
frr defaults traditional
hostname r1
interface eth0
 ip address 192.0.2.1/25
exit
ip prefix-list A seq 10 permit 10.0.0.0/8
ip prefix-list A  seq 5   permit 192.0.2.0/24
router bgp 64500
 bgp router-id 192.0.2.1
 neighbor 192.0.2.2 remote-as 64501
 !
 address-family ipv4 unicast
  neighbor 192.0.2.2 activate
 exit-address-family
exit
route-map PEERFORM-LOCK deny 65535
 description peerform run=abc until=2030-01-01T00:00:00Z
exit
route-map RM permit 10
 match ip address prefix-list A
exit
router bgp 64500
 neighbor 192.0.2.2 description x
exit
rpki
exit
end
`
	c, err := parseFRR(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := `router bgp 64500
 bgp router-id 192.0.2.1
 neighbor 192.0.2.2 description x
 neighbor 192.0.2.2 remote-as 64501
 address-family ipv4 unicast
  neighbor 192.0.2.2 activate
 exit-address-family
exit
!
ip prefix-list A seq 5 permit 192.0.2.0/24
ip prefix-list A seq 10 permit 10.0.0.0/8
!
route-map RM permit 10
 match ip address prefix-list A
exit
`
	if got := c.String(); got != want {
		t.Errorf("canonical form:\n%s\nwant:\n%s", got, want)
	}
	if c.lock != "peerform run=abc until=2030-01-01T00:00:00Z" {
		t.Errorf("lock %q", c.lock)
	}
	if _, err := parseFRRIntended(cfg); err == nil || !strings.Contains(err.Error(), "interface eth0") {
		t.Errorf("an intended config with unmanaged statements: %v", err)
	}
}

// A router last deployed under the tool's former name keeps its markers
// recognised: they are markers, not unmanaged route-maps.
func TestParseFRRLegacyMarkers(t *testing.T) {
	c, err := parseFRR("route-map PEERCTL-DEPLOYED deny 65535\n description d\nexit\nroute-map PEERCTL-LOCK deny 65535\n description l\nexit\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.deployed != "d" || c.deployedName != frrLegacyDeployedName || c.lock != "l" || c.lockName != frrLegacyLockName || len(c.top) != 0 {
		t.Errorf("deployed %q from %s, lock %q from %s, %d managed statements", c.deployed, c.deployedName, c.lock, c.lockName, len(c.top))
	}
	if _, err := parseFRRIntended("route-map PEERCTL-DEPLOYED deny 1\nexit\n"); err == nil {
		t.Errorf("the legacy deployed route-map is accepted in a config")
	}
}

func TestParseFRRErrors(t *testing.T) {
	for name, cfg := range map[string]string{
		"unterminated address-family": "router bgp 1\n address-family ipv4 unicast\n  neighbor 1.1.1.1 activate\nexit\n",
		"nested address-family":       "router bgp 1\n address-family ipv4 unicast\n address-family ipv6 unicast\n",
		"stray exit-address-family":   "router bgp 1\n exit-address-family\nexit\n",
		"too large":                   strings.Repeat("ip prefix-list A seq 5 permit 10.0.0.0/8\n", frrMaxConfig/40+1),
	} {
		if _, err := parseFRR(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := parseFRRIntended("route-map PEERFORM-LOCK deny 1\nexit\n"); err == nil {
		t.Errorf("the reserved lock route-map is accepted in a config")
	}
}

func TestFRRDiff(t *testing.T) {
	const base = `ip prefix-list A seq 5 permit 10.0.0.0/8
ip prefix-list A seq 10 permit 172.16.0.0/12
route-map RM permit 10
 match ip address prefix-list A
exit
router bgp 64500
 no bgp default ipv4-unicast
 neighbor 192.0.2.2 remote-as 64501
 neighbor 192.0.2.2 description old
 neighbor 192.0.2.3 remote-as 64503
 address-family ipv4 unicast
  neighbor 192.0.2.2 activate
  neighbor 192.0.2.2 route-map RM in
  neighbor 192.0.2.3 activate
 exit-address-family
exit
rpki
 rpki cache 192.0.2.126 8282 preference 1
exit
`
	cases := []struct {
		name string
		to   string
		want []string
	}{
		{"no change", base, nil},
		{"new neighbor: settings and creation come before the rest", strings.Replace(base, " neighbor 192.0.2.3 remote-as 64503\n",
			" neighbor 192.0.2.3 remote-as 64503\n neighbor 192.0.2.4 description new\n neighbor 192.0.2.4 remote-as 64504\n bgp router-id 192.0.2.1\n", 1),
			[]string{"router bgp 64500", "bgp router-id 192.0.2.1", "neighbor 192.0.2.4 remote-as 64504", "neighbor 192.0.2.4 description new", "exit"}},
		{"neighbor removed as a whole", strings.NewReplacer(" neighbor 192.0.2.3 remote-as 64503\n", "", "  neighbor 192.0.2.3 activate\n", "").Replace(base),
			[]string{"router bgp 64500", "no neighbor 192.0.2.3", "exit"}},
		{"remote-as changed in place", strings.Replace(base, "remote-as 64503", "remote-as 64599", 1),
			[]string{"router bgp 64500", "neighbor 192.0.2.3 remote-as 64599", "exit"}},
		{"description changed", strings.Replace(base, "description old", "description new", 1),
			[]string{"router bgp 64500", "no neighbor 192.0.2.2 description old", "neighbor 192.0.2.2 description new", "exit"}},
		{"negated line removed", strings.Replace(base, " no bgp default ipv4-unicast\n", "", 1),
			[]string{"router bgp 64500", "bgp default ipv4-unicast", "exit"}},
		{"list entry replaced, not added beside", strings.Replace(base, "seq 10 permit 172.16.0.0/12", "seq 10 permit 172.16.0.0/16", 1),
			[]string{"no ip prefix-list A seq 10 permit 172.16.0.0/12", "ip prefix-list A seq 10 permit 172.16.0.0/16"}},
		{"route-map line changed", strings.Replace(base, " match ip address prefix-list A\n", " match ip address prefix-list A\n set local-preference 200\n", 1),
			[]string{"route-map RM permit 10", "set local-preference 200", "exit"}},
		{"route-map entry and list removed after their users", strings.NewReplacer("route-map RM permit 10\n match ip address prefix-list A\nexit\n", "",
			"  neighbor 192.0.2.2 route-map RM in\n", "", "ip prefix-list A seq 5 permit 10.0.0.0/8\n", "").Replace(base),
			[]string{"router bgp 64500", "address-family ipv4 unicast", "no neighbor 192.0.2.2 route-map RM in", "exit-address-family", "exit",
				"no route-map RM permit 10", "no ip prefix-list A seq 5 permit 10.0.0.0/8"}},
		{"rpki cache moved", strings.Replace(base, "192.0.2.126", "192.0.2.254", 1),
			[]string{"rpki", "no rpki cache 192.0.2.126 8282 preference 1", "rpki cache 192.0.2.254 8282 preference 1", "exit"}},
		{"other AS number", strings.Replace(base, "router bgp 64500", "router bgp 64496", 1),
			[]string{"no router bgp 64500", "router bgp 64496", "no bgp default ipv4-unicast", "neighbor 192.0.2.2 remote-as 64501",
				"neighbor 192.0.2.3 remote-as 64503", "neighbor 192.0.2.2 description old", "address-family ipv4 unicast",
				"neighbor 192.0.2.2 activate", "neighbor 192.0.2.2 route-map RM in", "neighbor 192.0.2.3 activate", "exit-address-family", "exit"}},
	}
	from, err := parseFRR(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			to, err := parseFRRIntended(tc.to)
			if err != nil {
				t.Fatal(err)
			}
			got, err := frrDiff(from, to)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("diff:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestNaturalCompare(t *testing.T) {
	in := []string{"seq 10", "seq 5", "seq 100", "a", "seq 05x", "b2", "b10"}
	slices.SortFunc(in, naturalCompare)
	want := []string{"a", "b2", "b10", "seq 5", "seq 05x", "seq 10", "seq 100"}
	if !slices.Equal(in, want) {
		t.Errorf("%q", in)
	}
}

func TestIdentityMismatch(t *testing.T) {
	want, _ := parseFRR("frr defaults traditional\nhostname r1\n")
	have, _ := parseFRR("frr defaults traditional\nhostname r2\n")
	if err := identityMismatch(want, have); err == nil || !strings.Contains(err.Error(), `"hostname r1"`) {
		t.Errorf("another hostname: %v", err)
	}
	if err := identityMismatch(&frrConfig{}, have); err != nil {
		t.Errorf("a config without identity lines: %v", err)
	}
}

// FuzzParseFRR feeds arbitrary text (a router's answer is untrusted) to
// the parser: no panic, and the canonical form is a fixed point that
// diffs to nothing against itself.
func FuzzParseFRR(f *testing.F) {
	f.Add(readFRRFixture(f, "running.txt"))
	f.Add(readFRRFixture(f, "rendered.conf"))
	f.Add("router bgp 1\n address-family ipv4 unicast\n exit-address-family\nexit\nrpki\n rpki cache 1.1.1.1 1 preference 1\nexit\n")
	f.Add("route-map PEERFORM-LOCK deny 1\n description x\nexit\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := parseFRR(text)
		if err != nil {
			return
		}
		s := c.String()
		again, err := parseFRR(s)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, s)
		}
		if s2 := again.String(); s2 != s {
			t.Fatalf("canonical form is not a fixed point:\n%s", lineDiff(s, s2))
		}
		if d, err := frrDiff(c, again); err == nil && len(d) != 0 {
			t.Fatalf("diff against itself: %q", d)
		}
		_, _ = frrDiff(&frrConfig{}, c)
		_, _ = frrDiff(c, &frrConfig{})
	})
}

// BenchmarkFRRDiff measures parsing a real running config and a rendered
// one and diffing them both ways (what Apply and Rollback compute).
func BenchmarkFRRDiff(b *testing.B) {
	running, rendered := readFRRFixture(b, "running.txt"), readFRRFixture(b, "rendered.conf")
	for b.Loop() {
		from, err := parseFRR(running)
		if err != nil {
			b.Fatal(err)
		}
		to, err := parseFRRIntended(rendered)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := frrDiff(&frrConfig{}, to); err != nil {
			b.Fatal(err)
		}
		if _, err := frrDiff(from, &frrConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFRRDiffOnMatch: FRR removes an on-match goto without its clause
// number (draining a peer moves its import route-map from goto 100 to 110).
func TestFRRDiffOnMatch(t *testing.T) {
	from, err := parseFRR("route-map RM permit 80\n on-match goto 100\n match ip address prefix-list A\nexit\n")
	if err != nil {
		t.Fatal(err)
	}
	to, err := parseFRRIntended("route-map RM permit 80\n on-match goto 110\n match ip address prefix-list A\nexit\n")
	if err != nil {
		t.Fatal(err)
	}
	got, err := frrDiff(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"route-map RM permit 80", "no on-match goto", "on-match goto 110", "exit"}; !slices.Equal(got, want) {
		t.Errorf("diff %q, want %q", got, want)
	}
}
