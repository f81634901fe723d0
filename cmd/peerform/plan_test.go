package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/sources/irr/irrtest"
)

// planRepo is a real git repository with the example peering repository
// (and its PeeringDB snapshot) whose policies point at a test IRR server;
// the last commit adds AS64509 with sessions at DOC-IX-FRA only.
func planRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("the git command is not installed")
	}
	db := irrtest.ExampleDB()
	db.AddSet("RADB", "AS-NEWCOMER", "AS64509")
	db.AddRoute("RADB", "198.18.96.0/22", 64509)
	db.AddRoute("RADB", "2001:db8:9000::/36", 64509)
	db.AddRoute("ARIN", "198.18.255.0/24", 64499) // the policy asks for RIPE, ARIN and RADB
	srv := irrtest.Start(t, db, irrtest.Options{})

	dir := exampleRepo(t)
	copyDir(t, filepath.Join("..", "..", "data", "peeringdb"), filepath.Join(dir, "data", "peeringdb"))
	network := filepath.Join(dir, "policies", "network.hcl")
	b, err := os.ReadFile(network)
	if err != nil {
		t.Fatal(err)
	}
	b = regexp.MustCompile(`servers\s*=\s*\[[^]]*\]`).ReplaceAll(b, []byte(`servers = ["`+srv.Addr+`"]`))
	// Without the snapshot the test server is asked.
	b = regexp.MustCompile(`(?m)^[ \t]*snapshot[ \t]*=[ \t]*\[[^]]*\][ \t]*\n`).ReplaceAll(b, nil)
	writeFile(t, filepath.Join(dir, "policies"), "network.hcl", b)
	git(t, dir, "init", "-q", "-b", "main")
	commitAll(t, dir, "the example repository")
	writeFile(t, filepath.Join(dir, "peers"), "AS64509.hcl", []byte(`peer "AS64509" {
  name   = "Doc Newcomer"
  import = "AS-NEWCOMER"
  export = "AS-EXAMPLE"

  session "DOC-IX-FRA" {
    ipv4 = "192.0.2.159"
    ipv6 = "2001:db8:ffff:2::59"
  }
}
`))
	commitAll(t, dir, "peer with AS64509 at DOC-IX-FRA")
	return dir
}

type planJSON struct {
	FormatVersion int            `json:"format_version"`
	Changed       bool           `json:"changed"`
	Summary       map[string]int `json:"summary"`
	Routers       []struct {
		Router  string `json:"router"`
		Action  string `json:"action"`
		Summary string `json:"summary"`
		Added   []struct {
			Name     string `json:"name"`
			PeerASN  int    `json:"peer_asn"`
			IXP      string `json:"ixp"`
			Family   string `json:"family"`
			Neighbor string `json:"neighbor"`
		} `json:"sessions_added"`
		Removed []json.RawMessage `json:"sessions_removed"`
		Changed []json.RawMessage `json:"sessions_changed"`
		Diff    string            `json:"diff"`
	} `json:"routers"`
	Data        []plan.Source     `json:"data"`
	BaseData    []plan.Source     `json:"data_base"`
	DataChanges []plan.DataChange `json:"data_changes"`
}

// TestPlanLastCommitAddsPeer: `plan --base HEAD~1` shows exactly the new
// peer's sessions and filters on the router at its IXP, and nothing for
// the other router.
func TestPlanLastCommitAddsPeer(t *testing.T) {
	dir := planRepo(t)
	out, errOut, code := runPeerform(t, "plan", "-C", dir, "--base", "HEAD~1", "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var p planJSON
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !p.Changed || p.Summary["update"] != 1 || p.Summary["no_op"] != 1 || len(p.Routers) != 2 {
		t.Fatalf("plan %+v", p)
	}
	// Both states use the same data (the live IRR answers fetched once),
	// and the built-in templates.
	if len(p.Data) != 5 || p.Data[1].Name != "IRR" || !strings.HasPrefix(p.Data[1].Version, "127.0.0.1:") || !strings.Contains(p.Data[0].Version, "data/peeringdb") ||
		p.Data[3].Name != "IX-F" || !strings.Contains(p.Data[3].Version, "data/ixf/doc-ix-ams.json") ||
		p.Data[4] != (plan.Source{Name: "Templates", Version: "built-in"}) || !slices.Equal(p.BaseData, p.Data) || len(p.DataChanges) != 0 {
		t.Errorf("data sources %+v, base %+v, changes %+v", p.Data, p.BaseData, p.DataChanges)
	}
	ams, fra := p.Routers[0], p.Routers[1]
	if ams.Router != "ams-edge1" || ams.Action != "no-op" || ams.Diff != "" {
		t.Errorf("ams-edge1 is not at DOC-IX-FRA but gets %s:\n%s", ams.Action, ams.Diff)
	}
	if fra.Router != "fra-edge1" || fra.Action != "update" || fra.Summary != "2 sessions added" || len(fra.Removed)+len(fra.Changed) != 0 {
		t.Fatalf("fra-edge1: %+v", fra)
	}
	for i, want := range []struct{ family, neighbor string }{{"ipv4", "192.0.2.159"}, {"ipv6", "2001:db8:ffff:2::59"}} {
		s := fra.Added[i]
		if s.PeerASN != 64509 || s.IXP != "DOC-IX-FRA" || s.Family != want.family || s.Neighbor != want.neighbor {
			t.Errorf("added session %d: %+v", i, s)
		}
	}
	// Every line the diff adds is about the new peer; none is removed.
	var added []string
	for _, l := range strings.Split(fra.Diff, "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "-"):
			t.Errorf("the diff removes a line: %q", l)
		case strings.HasPrefix(l, "+"):
			added = append(added, l)
		}
	}
	joined := strings.Join(added, "\n")
	for _, want := range []string{
		"+define AS64509_V4 = [", "+  198.18.96.0/22", "+define AS64509_V6 = [", "+  2001:db8:9000::/36",
		"+filter AS64509_DOC_IX_FRA_V4_IN {", "+protocol bgp AS64509_DOC_IX_FRA_V4 from PEERFORM_PEER {",
		"+  neighbor 192.0.2.159 as 64509;", "+protocol bgp AS64509_DOC_IX_FRA_V6 from PEERFORM_PEER {",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("the diff does not add %q:\n%s", want, fra.Diff)
		}
	}
	for _, l := range added {
		if !strings.Contains(l, "64509") && !strings.Contains(l, "AS-NEWCOMER") && !regexp.MustCompile(`^\+\s*([{}];?|\};|\];|198\.18\.96\.0/22|2001:db8:9000::/36|\w+ \{|import keep filtered on;|export filter PEERFORM_EXPORT_V[46];|peerform_import_V[46]\(\);|if .*peerform_reject\(\d\);|if peerform_rejected\(\) then reject;|.*bgp_local_pref = .*|accept;|description "AS64509 Doc Newcomer";|local .*;|import limit .*|# .*)?$`).MatchString(l) {
			t.Errorf("the diff adds a line not about the new peer: %q", l)
		}
	}

	// The same plan for people, and as an exit status.
	out, _, code = runPeerform(t, "plan", "-C", dir, "--base", "HEAD~1", "--no-diff")
	if code != exitOK || !strings.Contains(out, "~ fra-edge1 (bird2): 2 sessions added\n") ||
		!strings.Contains(out, "    + AS64509 Doc Newcomer at DOC-IX-FRA, ipv4 192.0.2.159 (AS64509_DOC_IX_FRA_V4)\n") ||
		!strings.Contains(out, "= ams-edge1 (frr): no changes\n") || !strings.Contains(out, "Plan: 1 router to update, 1 unchanged.\n") {
		t.Errorf("text plan (exit %d):\n%s", code, out)
	}
	if _, _, code = runPeerform(t, "plan", "-C", dir, "--base", "HEAD~1", "--detailed-exitcode"); code != exitFindings {
		t.Errorf("--detailed-exitcode with changes: exit %d, want 1", code)
	}
	out, _, code = runPeerform(t, "plan", "-C", dir, "--detailed-exitcode")
	if code != exitOK || !strings.Contains(out, "No changes: 2 routers as before.") {
		t.Errorf("plan of a clean working tree: exit %d\n%s", code, out)
	}
}

// TestPlanShallowClone: a clone without the base commit gets a clear
// error naming fetch-depth, not go-git's "reference not found".
func TestPlanShallowClone(t *testing.T) {
	src := planRepo(t)
	dir := filepath.Join(t.TempDir(), "clone")
	git(t, filepath.Dir(dir), "clone", "-q", "--depth", "1", "file://"+src, dir)
	_, errOut, code := runPeerform(t, "plan", "-C", dir, "--base", "HEAD~1", "--offline")
	if code != exitError || !strings.Contains(errOut, "fetch-depth") {
		t.Errorf("shallow clone: exit %d\n%s", code, errOut)
	}
}

// TestPlanGitFallback: a repository go-git refuses (worktreeConfig
// extension, as sparse checkouts write) is read with the git command.
func TestPlanGitFallback(t *testing.T) {
	dir := planRepo(t)
	git(t, dir, "config", "core.repositoryformatversion", "1")
	git(t, dir, "config", "extensions.worktreeConfig", "true")
	out, errOut, code := runPeerform(t, "plan", "-C", dir, "--base", "HEAD~1", "--no-diff", "--offline")
	if code != exitOK || !strings.Contains(out, "~ fra-edge1 (bird2): 2 sessions added") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestPlanBrokenWorkingTree: errors in the working tree are reported at
// their lines and exit 1; a bad revision is a usage-level failure.
func TestPlanBrokenWorkingTree(t *testing.T) {
	dir := planRepo(t)
	writeFile(t, filepath.Join(dir, "peers"), "AS64509.hcl", []byte("peer \"AS64509\" {\n  name = \"x\\n evil {\"\n}\n"))
	_, errOut, code := runPeerform(t, "plan", "-C", dir, "--offline")
	if code != exitFindings || !strings.Contains(errOut, "peers/AS64509.hcl") {
		t.Errorf("broken working tree: exit %d\n%s", code, errOut)
	}
	if _, errOut, code := runPeerform(t, "plan", "-C", dir, "--base", "no-such-branch", "--offline"); code != exitError || !strings.Contains(errOut, "no-such-branch") {
		t.Errorf("unknown revision: exit %d\n%s", code, errOut)
	}
}

func TestNewCmdPlanFlags(t *testing.T) {
	a := &app{io: &ioStreams{}}
	var got *planOptions
	cmd := newCmdPlan(a, func(o *planOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--base", "origin/main", "--router", "r1", "--router", "r2", "--json", "--detailed-exitcode"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.base != "origin/main" || len(got.routers) != 2 || !got.json || !got.detailedExitCode || got.head != "" {
		t.Errorf("options %+v", *got)
	}
}
