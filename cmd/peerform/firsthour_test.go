package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// editFile rewrites a file of the repository at dir, failing when the text
// to replace is not there.
func editFile(t *testing.T, dir, name, old, new string) {
	t.Helper()
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", name, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestIXPLANsFromPeeringDB: an IXP given only as peeringdb_ix has its LANs
// from PeeringDB's ixpfx, and they are held to exactly as LANs written in
// policy: our router's address outside them is an error, a peer's address
// outside them is an error, and nothing is rendered for either.
func TestIXPLANsFromPeeringDB(t *testing.T) {
	pdb := filepath.Join("..", "..", "data", "peeringdb")
	for _, lans := range []struct{ name, ixp string }{
		{"policy", "ixp \"DOC-IX-AMS\" {\n  peeringdb_ix = 90001\n  ipv4_lan = \"192.0.2.0/25\"\n  ipv6_lan = \"2001:db8:ffff:1::/64\"\n  community = 1\n}\n"},
		{"peeringdb", "ixp \"DOC-IX-AMS\" {\n  peeringdb_ix = 90001\n  community = 1\n}\n"},
	} {
		t.Run(lans.name, func(t *testing.T) {
			dir := exampleRepo(t)
			editFile(t, dir, "policies/ixps.hcl", "ixp \"DOC-IX-AMS\" {\n  peeringdb_ix = 90001\n  ipv4_lan     = \"192.0.2.0/25\"\n  ipv6_lan     = \"2001:db8:ffff:1::/64\"\n  community    = 1 # routes learnt here carry (64500, 1, peer AS)\n}\n", lans.ixp)

			// Our router outside the LAN.
			editFile(t, dir, "policies/routers.hcl", `ipv4 = "192.0.2.1"`, `ipv4 = "10.1.1.1"`)
			out, _, code := runPeerform(t, "-C", dir, "--peeringdb", pdb, "validate", "--format", "json")
			if code != exitFindings || !strings.Contains(out, `"summary": "Address outside the IXP LAN"`) || !strings.Contains(out, `"filename": "policies/routers.hcl"`) {
				t.Errorf("router address outside the LAN: exit %d\n%s", code, out)
			}
			rendered := t.TempDir()
			if out, errOut, code := runPeerform(t, "-C", dir, "--peeringdb", pdb, "render", "--out", rendered); code == exitOK || strings.Contains(out, "local 10.1.1.1") {
				t.Errorf("render with our address outside the LAN: exit %d\n%s%s", code, out, errOut)
			}
			editFile(t, dir, "policies/routers.hcl", `ipv4 = "10.1.1.1"`, `ipv4 = "192.0.2.1"`)

			// A peer's session outside the LAN.
			writeFile(t, dir, "peers/AS64504.hcl", []byte("peer \"AS64504\" {\n  name   = \"Doc Hosting Epsilon\"\n  import = \"AS-EPSILON\"\n  export = \"AS-EXAMPLE\"\n  session \"DOC-IX-AMS\" {\n    ipv4 = \"10.9.9.9\"\n  }\n}\n"))
			out, _, code = runPeerform(t, "-C", dir, "--peeringdb", pdb, "validate", "--format", "json")
			if code != exitFindings || !strings.Contains(out, `"summary": "Address outside the IXP LAN"`) || !strings.Contains(out, `"filename": "peers/AS64504.hcl"`) {
				t.Errorf("peer address outside the LAN: exit %d\n%s", code, out)
			}
		})
	}
}
