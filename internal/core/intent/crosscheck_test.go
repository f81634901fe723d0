package intent

import (
	"fmt"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestAddressAndLimitRules: the rules that make "validates" imply "renders"
// and keep two sessions from sharing a neighbor address. Each case must
// give exactly the diagnostics listed.
func TestAddressAndLimitRules(t *testing.T) {
	E := hcl.DiagError
	const must = "  name = \"Beta\"\n  import = \"AS-BETA\"\n  export = \"AS-EXAMPLE\"\n"
	peer := func(asn, body string) map[string]string {
		return map[string]string{"peers/" + asn + ".hcl": "peer \"" + asn + "\" {\n" + must + body + "}\n"}
	}
	session := func(ixp, attr, addr string) string {
		return fmt.Sprintf("  session %q {\n    %s = %q\n  }\n", ixp, attr, addr)
	}
	router := func(name, env, ixp, addr string) map[string]string {
		return map[string]string{"policies/more.hcl": fmt.Sprintf("router %q {\n  platform = \"eos\"\n  host = \"r\"\n  environment = %q\n  ixp %q {\n    ipv4 = %q\n  }\n}\n", name, env, ixp, addr)}
	}
	cases := []struct {
		name  string
		files map[string]string
		want  []wantDiag
	}{
		{"neighbor of another peer", peer("AS64502", session("IX-A", "ipv4", "192.0.2.10")),
			[]wantDiag{{E, "Address used twice", "peers/AS64502.hcl", 6}}},
		{"neighbor twice in one file", peer("AS64502", session("IX-A", "ipv4", "192.0.2.20")+session("IX-B", "ipv4", "192.0.2.130")+"  session \"IX-A\" {\n    router = \"r1\"\n    ipv4 = \"192.0.2.20\"\n  }\n"),
			[]wantDiag{{E, "Address used twice", "peers/AS64502.hcl", 13}}},
		{"neighbor is our router", peer("AS64502", session("IX-A", "ipv6", "2001:db8:ffff:1::1")),
			[]wantDiag{{E, "Our own address", "peers/AS64502.hcl", 6}}},
		{"neighbor is the network address", peer("AS64502", session("IX-A", "ipv4", "192.0.2.0")),
			[]wantDiag{{E, "Not a host address of the LAN", "peers/AS64502.hcl", 6}}},
		{"neighbor is the broadcast address", peer("AS64502", session("IX-B", "ipv4", "192.0.2.255")),
			[]wantDiag{{E, "Not a host address of the LAN", "peers/AS64502.hcl", 6}}},
		{"neighbor is the v6 subnet-router address", peer("AS64502", session("IX-A", "ipv6", "2001:db8:ffff:1::")),
			[]wantDiag{{E, "Not a host address of the LAN", "peers/AS64502.hcl", 6}}},
		{"neighbor ok", peer("AS64502", session("IX-A", "ipv4", "192.0.2.126")), nil},
		{"router address used twice", router("r3", "production", "IX-A", "192.0.2.1"),
			[]wantDiag{{E, "Address used twice", "policies/more.hcl", 6}}},
		{"a lab twin may share addresses", router("lab-r1", "lab", "IX-A", "192.0.2.1"), nil},
		{"router on the broadcast address", router("r3", "production", "IX-A", "192.0.2.127"),
			[]wantDiag{{E, "Not a host address of the LAN", "policies/more.hcl", 6}}},
		{"local_pref past what BIRD takes", peer("AS64502", "  local_pref = 3000000000\n"),
			[]wantDiag{{E, "Invalid local preference", "peers/AS64502.hcl", 5}}},
		{"max_prefix past what BIRD takes", peer("AS64502", "  max_prefix {\n    ipv4 = 3000000000\n  }\n"),
			[]wantDiag{{E, "Invalid max-prefix", "peers/AS64502.hcl", 6}}},
		{"default local_pref past what BIRD takes", map[string]string{"policies/f.hcl": "filters {\n  local_pref = 2147483648\n}\n"},
			[]wantDiag{{E, "Invalid local preference", "policies/f.hcl", 2}}},
		{"rtr IPv6 without brackets", map[string]string{"policies/rpki.hcl": "rpki {\n  rtr = [\"198.51.100.10:8282\", \"2001:db8::1:8282\"]\n}\n"},
			[]wantDiag{{E, "Invalid server address", "policies/rpki.hcl", 2}}},
		{"rtr host with a colon", map[string]string{"policies/rpki.hcl": "rpki {\n  rtr = [\"198.51.100.10:8282\", \"[a:b]:8282\"]\n}\n"},
			[]wantDiag{{E, "Invalid server address", "policies/rpki.hcl", 2}}},
		{"ixp names that render alike", map[string]string{"policies/x.hcl": "ixp \"IX_A\" {\n  ipv4_lan = \"198.18.0.0/24\"\n}\n"},
			[]wantDiag{{E, "IXP names collide", "policies/x.hcl", 1}}},
		{"login with a peer's secret", map[string]string{
			"peers/AS64502.hcl": "peer \"AS64502\" {\n" + must + "  md5 = secret(\"BETA\")\n}\n",
			"policies/more.hcl": "router \"r3\" {\n  platform = \"eos\"\n  host = \"r\"\n  password_env = \"PEERFORM_SECRET_BETA\"\n}\n",
		}, []wantDiag{{E, "Login password is a peer's secret", "policies/more.hcl", 4}, {E, "Peer secret is a login password", "peers/AS64502.hcl", 5}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Load(repoFS(tc.files))
			if len(diags) != len(tc.want) {
				t.Errorf("got %d diagnostics, want %d:\n%s", len(diags), len(tc.want), describe(diags))
			}
			for _, w := range tc.want {
				if !hasDiag(diags, w) {
					t.Errorf("missing %v %q at %s:%d; got:\n%s", w.severity, w.summary, w.file, w.line, describe(diags))
				}
			}
		})
	}
}

func TestParseServer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		host string
		port int
	}{
		{"rr.ntt.net:43", "rr.ntt.net", 43},
		{"192.0.2.1:8282", "192.0.2.1", 8282},
		{"[2001:db8::1]:323", "2001:db8::1", 323},
		{"2001:db8::1:323", "", 0},
		{"host", "", 0},
		{"host:0", "", 0},
		{"host:65536", "", 0},
		{"ho st:43", "", 0},
		{"[fe80::1%eth0]:43", "", 0},
		{":43", "", 0},
	} {
		host, port, err := ParseServer(tc.in)
		if host != tc.host || port != tc.port || (err == nil) != (tc.host != "") {
			t.Errorf("ParseServer(%q) = %q, %d, %v; want %q, %d", tc.in, host, port, err, tc.host, tc.port)
		}
	}
}

func TestConfigSymbol(t *testing.T) {
	if ConfigSymbol("DOC-IX-AMS") != "DOC_IX_AMS" || ConfigSymbol("a_b") != "a_b" {
		t.Error("ConfigSymbol")
	}
}
