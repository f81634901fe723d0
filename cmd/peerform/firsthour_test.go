package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/testutil"
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
			editFile(t, dir, "policies/ixps.hcl", "ixp \"DOC-IX-AMS\" {\n  peeringdb_ix = 90001\n  ipv4_lan     = \"192.0.2.0/25\"\n  ipv6_lan     = \"2001:db8:ffff:1::/64\"\n  community    = 1                          # routes learnt here carry (64500, 1, peer AS)\n  ixf_export   = \"data/ixf/doc-ix-ams.json\" # the exchange's member list\n}\n", lans.ixp)

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

var diagLine = regexp.MustCompile(`^([^ :]+):(\d+):(\d+): (error|warning): `)

// TestDiagnosticsFileLineCol: text diagnostics are file:line:col: severity:
// message, sorted by file and position whatever order they were found in.
func TestDiagnosticsFileLineCol(t *testing.T) {
	dir := exampleRepo(t)
	writeFile(t, dir, "peers/AS64505.hcl", []byte("peer \"AS64505\" {\n  name   = \"Zeta\"\n  import = \"AS-ZETA\"\n  export = \"AS-EXAMPLE\"\n  local_pref = -1\n}\n"))
	writeFile(t, dir, "peers/AS64504.hcl", []byte("peer \"AS64504\" {\n  name   = \"x\\n protocol static evil {\"\n}\n"))
	editFile(t, dir, "policies/routers.hcl", `router_id = "198.51.100.2"`, `router_id = "not-an-address"`)
	out, _, code := runPeerform(t, "-C", dir, "--offline", "validate")
	if code != exitFindings {
		t.Fatalf("exit %d\n%s", code, out)
	}
	type pos struct {
		file      string
		line, col int
	}
	var got []pos
	for _, l := range strings.Split(out, "\n") {
		if m := diagLine.FindStringSubmatch(l); m != nil {
			line, _ := strconv.Atoi(m[2])
			col, _ := strconv.Atoi(m[3])
			got = append(got, pos{m[1], line, col})
		}
	}
	files := map[string]bool{}
	for i, p := range got {
		files[p.file] = true
		if i > 0 {
			q := got[i-1]
			if p.file < q.file || p.file == q.file && (p.line < q.line || p.line == q.line && p.col < q.col) {
				t.Errorf("%v comes after %v: not sorted by file and position", p, q)
			}
		}
	}
	for _, f := range []string{"peers/AS64504.hcl", "peers/AS64505.hcl", "policies/routers.hcl"} {
		if !files[f] {
			t.Errorf("no file:line:col diagnostic for %s:\n%s", f, out)
		}
	}
	if !strings.Contains(out, "policies/routers.hcl:") || strings.Contains(out, " on peers/") {
		t.Errorf("old-style locations:\n%s", out)
	}

	// --json is --format json.
	j1, _, c1 := runPeerform(t, "-C", dir, "--offline", "validate", "--json")
	j2, _, c2 := runPeerform(t, "-C", dir, "--offline", "validate", "--format", "json")
	if c1 != exitFindings || j1 != j2 || !strings.Contains(j1, `"error_count"`) {
		t.Errorf("validate --json: exit %d, differs from --format json: %v\n%s", c1, j1 != j2, j1)
	}
	if c2 != c1 {
		t.Errorf("--json exits %d, --format json %d", c1, c2)
	}
	if _, errOut, code := runPeerform(t, "-C", dir, "validate", "--json", "--format", "github"); code != exitError || !strings.Contains(errOut, "disagree") {
		t.Errorf("--json --format github: exit %d\n%s", code, errOut)
	}
}

// TestExitCodesAndMessages: a network PeeringDB does not have is a finding
// for score as for peeringdb show; -C naming nothing says so; the usage
// hint follows usage errors only.
func TestExitCodesAndMessages(t *testing.T) {
	for _, args := range [][]string{{"score", "AS1"}, {"peeringdb", "show", "AS1"}} {
		_, errOut, code := runPeerform(t, append([]string{"-C", "../.."}, args...)...)
		if code != exitFindings || !strings.Contains(errOut, "AS1 is not in the PeeringDB data") {
			t.Errorf("%v: exit %d, want 1\n%s", args, code, errOut)
		}
		if strings.Contains(errOut, "--help") {
			t.Errorf("%v: a usage hint after a finding:\n%s", args, errOut)
		}
	}
	_, errOut, code := runPeerform(t, "-C", "/nonexistent", "validate")
	if code != exitError || !strings.Contains(errOut, "/nonexistent: the directory does not exist") || strings.Contains(errOut, "Missing policies") {
		t.Errorf("-C /nonexistent: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runPeerform(t, "validate", "--bogus"); code != exitError || !strings.Contains(errOut, "Run 'peerform --help' for usage.") {
		t.Errorf("unknown flag: exit %d, no usage hint\n%s", code, errOut)
	}
	if _, errOut, _ := runPeerform(t, "-C", "../..", "--peeringdb", filepath.Join(t.TempDir(), "none"), "score", "AS64504"); strings.Contains(errOut, "--help") {
		t.Errorf("a failure that is not about usage ends with the usage hint:\n%s", errOut)
	}
}

// TestScoreWithoutEconomics: with no prices, score shows no money figure
// at all, and says how to get one.
func TestScoreWithoutEconomics(t *testing.T) {
	dir := exampleRepo(t)
	if err := os.Remove(filepath.Join(dir, "policies/economics.hcl")); err != nil {
		t.Fatal(err)
	}
	pdb := filepath.Join("..", "..", "data", "peeringdb")
	out, errOut, code := runPeerform(t, "-C", dir, "--peeringdb", pdb, "score", "AS64504")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out, "$") || !strings.Contains(out, "economics block") {
		t.Errorf("score without prices:\n%s", out)
	}
	// Nor does suggest, in its table or its JSON.
	for _, args := range [][]string{{"suggest"}, {"suggest", "--json"}} {
		out, errOut, _ := runPeerform(t, append([]string{"-C", dir, "--peeringdb", pdb}, args...)...)
		if strings.Contains(out, "$") || strings.Contains(out, "usd") {
			t.Errorf("%v without prices shows money:\n%s%s", args, out, errOut)
		}
	}
	// With the example's prices the figures are there.
	if out, _, _ := runPeerform(t, "-C", "../..", "score", "AS64504"); !strings.Contains(out, "settlement-free") || !strings.Contains(out, "$") {
		t.Errorf("score with prices shows no money:\n%s", out)
	}
}

// TestCheckNeedsNoSecret: check reads session state and pushes nothing,
// so a secret that is not set does not stop it (deploy still needs it).
func TestCheckNeedsNoSecret(t *testing.T) {
	dir := exampleRepo(t)
	t.Setenv("PEERFORM_SECRET_AS20940", "")
	os.Unsetenv("PEERFORM_SECRET_AS20940")
	known := filepath.Join(t.TempDir(), "known_hosts")
	writeFile(t, filepath.Dir(known), "known_hosts", nil)
	// The lab routers (127.0.0.1:2201, :2202) are not running: check gets
	// as far as connecting, and reports them unreadable.
	_, errOut, code := runPeerform(t, "-C", dir, "--offline", "check", "--env", "lab", "--known-hosts", known)
	if code != exitFindings || strings.Contains(errOut, "needs the secret") || !strings.Contains(errOut, "routers unreadable") {
		t.Errorf("check without the MD5 secret: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runPeerform(t, "-C", dir, "--offline", "deploy", "--env", "lab", "--known-hosts", known, "--dry-run"); code == exitOK || !strings.Contains(errOut, "needs the secret PEERFORM_SECRET_AS20940") {
		t.Errorf("deploy without the secret: exit %d\n%s", code, errOut)
	}
}

// TestRPKIStatusOffline: --offline reads the VRP file and contacts no RTR
// cache, saying so.
func TestRPKIStatusOffline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out, errOut, code := runPeerform(t, "-C", "../..", "--offline", "rpki", "status", "--vrps", filepath.Join("..", "..", "data", "rpki", "vrps.json"), "--rtr", ln.Addr().String())
	if code != exitOK || !strings.Contains(out, "not contacted (--offline)") || !strings.Contains(out, "VRPs:") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	// Nothing connected: an Accept that would return a connection finds
	// none waiting.
	if err := ln.(*net.TCPListener).SetDeadline(time.Now()); err != nil {
		t.Fatal(err)
	}
	if c, err := ln.Accept(); err == nil {
		c.Close()
		t.Error("rpki status --offline connected to the RTR cache")
	}
}

// TestReviewJSON: review --json prints the report for scripts and posts
// nothing (no event, no token needed).
func TestReviewJSON(t *testing.T) {
	r := newScratchRepo(t)
	r.branch("add-peer", func(dir string) {
		writeFile(t, dir, "peers/AS64504.hcl", []byte("peer \"AS64504\" {\n  name   = \"Doc Hosting Epsilon\"\n  import = \"AS-EPSILON\"\n  export = \"AS-EXAMPLE\"\n}\n"))
	})
	out, errOut, code := runPeerform(t, "review", "-C", r.dir, "--offline", "--base", "main", "--head", "add-peer", "--json")
	if code == exitError {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var rep struct {
		FormatVersion int    `json:"format_version"`
		Verdict       string `json:"Verdict"`
		Peers         []struct {
			ASN uint32 `json:"ASN"`
		} `json:"Peers"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.FormatVersion != 1 || (rep.Verdict != "pass" && rep.Verdict != "warn") || len(rep.Peers) != 1 {
		t.Errorf("report %+v\n%s", rep, out)
	}
}

// TestColdBuildIsAnnounced: the first build takes minutes with no output
// of its own, so make build (and make demo, which runs it) says so before
// it starts, and the README says what to expect.
func TestColdBuildIsAnnounced(t *testing.T) {
	root := testutil.Root(t)
	for _, target := range []string{"build", "demo"} {
		out, err := exec.Command("make", "-n", "-C", root, target).CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %s: %v\n%s", target, err, out)
		}
		echo := strings.Index(string(out), "first build compiles every dependency")
		build := strings.Index(string(out), "build -o bin/peerform")
		if echo < 0 || build < 0 || echo > build {
			t.Errorf("make %s does not announce the build before it starts:\n%s", target, out)
		}
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "takes a few minutes") {
		t.Error("README does not say the first build takes a few minutes")
	}
}
