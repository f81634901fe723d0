package intent

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
)

// peerWith is basePeer with extra attributes (lines 2..) after its name.
func peerWith(attrs string) map[string]string {
	return map[string]string{"peers/AS13335.hcl": strings.Replace(basePeer, "  name   = \"Cloudflare\"\n", "  name   = \"Cloudflare\"\n"+attrs, 1)}
}

func TestRoleDefaultsAndValues(t *testing.T) {
	for _, tc := range []struct {
		attrs      string
		role       string
		strict     bool
		wantErrors []string
	}{
		{"", RolePeer, false, nil},
		{"  route_server = true\n", RoleRSClient, false, nil},
		{"  role = \"customer\"\n  role_strict = true\n", RoleCustomer, true, nil},
		{"  role = \"provider\"\n", RoleProvider, false, nil},
		{"  route_server = true\n  role = \"rs-client\"\n  role_strict = true\n", RoleRSClient, true, nil},
		{"  role = \"rs\"\n", RolePeer, false, []string{"Invalid role"}},
		{"  role = \"Peer\"\n", RolePeer, false, []string{"Invalid role"}},
		{"  role = \"rs-client\"\n", RolePeer, false, []string{"Role needs a route server"}},
		{"  route_server = true\n  role = \"peer\"\n", RoleRSClient, false, []string{"Role does not fit a route server"}},
	} {
		files := peerWith(tc.attrs)
		repo, diags := Load(repoFS(files))
		var got []string
		for _, d := range diags {
			if d.Severity == hcl.DiagError {
				got = append(got, d.Summary)
				if d.Subject == nil || d.Subject.Filename != "peers/AS13335.hcl" || d.Subject.Start.Line != lineOf(files["peers/AS13335.hcl"], "role") {
					t.Errorf("%q: %s not at peers/AS13335.hcl:4: %v", tc.attrs, d.Summary, d.Subject)
				}
			}
		}
		if strings.Join(got, ",") != strings.Join(tc.wantErrors, ",") {
			t.Errorf("%q: errors %q, want %q", tc.attrs, got, tc.wantErrors)
		}
		p := repo.Peer(bgp.ASN(13335))
		if p.Role != tc.role || p.RoleStrict != tc.strict {
			t.Errorf("%q: role %q strict %t, want %q %t", tc.attrs, p.Role, p.RoleStrict, tc.role, tc.strict)
		}
	}
}

// A role written for a peer that may have a session on a router whose
// platform has no BGP roles is an error at the attribute; the default
// role is silently not rendered there.
func TestRoleOnPlatformWithoutRoles(t *testing.T) {
	junos := strings.Replace(basePolicy, "platform = \"frr\"", "platform = \"junos\"", 1)
	for _, tc := range []struct {
		name   string
		policy string
		attrs  string
		want   bool
	}{
		{"default role on junos", junos, "", false},
		{"role on junos", junos, "  role = \"peer\"\n", true},
		{"role_strict on junos", junos, "  role_strict = true\n", true},
		{"role on frr", basePolicy, "  role = \"customer\"\n  role_strict = true\n", false},
		{"role, but ixps keep it off junos", junos, "  role = \"peer\"\n  ixps = [\"IX-B\"]\n", false},
	} {
		files := peerWith(tc.attrs)
		if strings.Contains(tc.attrs, "ixps") {
			// Its session at IX-A is then explicit and on r1 (junos).
			files["peers/AS13335.hcl"] = strings.Replace(files["peers/AS13335.hcl"], "  session \"IX-A\" {\n    ipv4 = \"192.0.2.10\"\n  }\n", "", 1)
		}
		files["policies/base.hcl"] = tc.policy
		_, diags := Load(repoFS(files))
		found := false
		for _, d := range diags {
			if d.Summary == "BGP role not supported" {
				found = true
				if d.Subject == nil || d.Subject.Start.Line != lineOf(files["peers/AS13335.hcl"], "role") || !strings.Contains(d.Detail, `"r1" (platform junos)`) {
					t.Errorf("%s: %v: %s", tc.name, d.Subject, d.Detail)
				}
			}
		}
		if found != tc.want {
			t.Errorf("%s: error reported %t, want %t:\n%s", tc.name, found, tc.want, describe(diags))
		}
	}
}

// lineOf is the 1-based number of the first line of src starting with
// "  "+attr.
func lineOf(src, attr string) int {
	for i, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, "  "+attr) {
			return i + 1
		}
	}
	return 0
}
