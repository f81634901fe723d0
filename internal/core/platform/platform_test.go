package platform

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, n := range All {
		if p, err := Parse(string(n)); err != nil || p != n {
			t.Errorf("Parse(%q) = %q, %v", n, p, err)
		}
	}
	for _, s := range []string{"", "FRR", "bird", "junos ", "ios-xr", "netconf\n"} {
		_, err := Parse(s)
		if err == nil || !strings.Contains(err.Error(), "bird2, frr, junos, iosxr, eos, sros, netconf") {
			t.Errorf("Parse(%q): %v, want an error listing the platforms", s, err)
		}
	}
}

func TestProperties(t *testing.T) {
	for _, n := range All {
		if n.Templated() == (n == NETCONF) {
			t.Errorf("%s: Templated = %v", n, n.Templated())
		}
		if n.NETCONF() != (n == NETCONF || n == Junos) {
			t.Errorf("%s: NETCONF = %v", n, n.NETCONF())
		}
	}
	if Name("cisco").Templated() || Name("cisco").Valid() {
		t.Error("an unknown platform counts as templated or valid")
	}
}
