package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/repo/gitfs"
	"github.com/peerform/peerform/internal/testutil"
)

// exampleRepo copies the example peering repository, with the PeeringDB,
// IRR and RPKI snapshots its policies name, into a fresh git repository
// with one commit, and returns its options: everything is read from the
// repository, nothing from the network.
func exampleRepo(t *testing.T) Options {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("the git command is not installed")
	}
	dir := t.TempDir()
	for _, sub := range []string{"peers", "policies", "data/peeringdb", "data/irr", "data/rpki", "data/ixf"} {
		testutil.CopyDir(t, testutil.Path(t, sub), filepath.Join(dir, filepath.FromSlash(sub)))
	}
	testutil.Git(t, dir, "init", "-q", "-b", "main")
	testutil.CommitAll(t, dir, "the example repository")
	return Options{Dir: dir, Offline: true}
}

// planLastCommit plans HEAD~1 against HEAD, each from its own commit,
// and fails the test unless that works without errors.
func planLastCommit(t *testing.T, o Options) *PlanResult {
	t.Helper()
	ctx := context.Background()
	repo := openRepo(t, o)
	base, err := RevisionState(ctx, o, repo, "HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	head, err := RevisionState(ctx, o, repo, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer head.Close()
	res, err := PlanStates(ctx, o, base, head, "", RouterSelection{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() || res.Plan == nil {
		t.Fatalf("plan: %v", res.Diagnostics)
	}
	return res
}

func openRepo(t *testing.T, o Options) *gitfs.Repo {
	t.Helper()
	repo, err := gitfs.Open(context.Background(), o.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// TestCommitStateMatchesWorktree: a commit read from git and the working
// tree it was made from are the same repository: the plan between them
// changes nothing, both use data of the same content, and the commit
// renders byte for byte what LoadModel renders from the working tree.
func TestCommitStateMatchesWorktree(t *testing.T) {
	ctx := context.Background()
	o := exampleRepo(t)
	base, err := RevisionState(ctx, o, openRepo(t, o), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	res, err := PlanStates(ctx, o, base, WorktreeState(o), "", RouterSelection{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Diagnostics.HasErrors() || res.Plan == nil {
		t.Fatalf("plan of an unchanged repository: %v", res.Diagnostics)
	}
	if res.Plan.Changed() || len(res.Plan.DataChanges) > 0 {
		t.Errorf("an unchanged repository has changes: %+v", res.Plan)
	}
	if !slices.Equal(res.Plan.BaseData, res.Plan.Data) {
		t.Errorf("the commit's data %v differs from the working tree's %v", res.Plan.BaseData, res.Plan.Data)
	}
	for _, kind := range []string{"PeeringDB", "IRR", "RPKI", "IX-F"} {
		if !slices.ContainsFunc(res.Plan.Data, func(s plan.Source) bool { return s.Name == kind && strings.Contains(s.Version, "content ") }) {
			t.Errorf("no %s snapshot among the sources %v", kind, res.Plan.Data)
		}
	}

	m, repo, diags, err := LoadModel(ctx, o, WorktreeState(o).fsys)
	if err != nil || m == nil {
		t.Fatalf("LoadModel: %v %v", diags, err)
	}
	tm, _, err := RepoTemplates(WorktreeState(o).fsys, "")
	if err != nil {
		t.Fatal(err)
	}
	outs, err := RenderRouters(m, tm, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != len(repo.Routers) || len(outs) != len(res.BaseOutputs) {
		t.Fatalf("%d configs from the working tree, %d from the commit, %d routers", len(outs), len(res.BaseOutputs), len(repo.Routers))
	}
	for i, o := range outs {
		if b := res.BaseOutputs[i]; b.Router != o.Router || !bytes.Equal(b.Config, o.Config) {
			t.Errorf("%s renders differently from the commit", o.Router)
		}
	}
}

// TestPlanDataChange: a commit that changes only a data file — one more
// route object in the IRR snapshot — is reported as a data change with
// its counts and the one peer whose filters it changes, and shows in that
// peer's prefix lists.
func TestPlanDataChange(t *testing.T) {
	o := exampleRepo(t)
	rpsl := filepath.Join(o.Dir, "data", "irr", "example.rpsl")
	b, err := os.ReadFile(rpsl)
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, "\nroute:    1.1.2.0/24\norigin:   AS13335\nsource:   RADB\n"...)
	testutil.WriteFile(t, filepath.Dir(rpsl), filepath.Base(rpsl), b)
	testutil.CommitAll(t, o.Dir, "one more Cloudflare route")

	res := planLastCommit(t, o)
	if len(res.Plan.DataChanges) != 1 {
		t.Fatalf("data changes %+v; want the IRR snapshot's", res.Plan.DataChanges)
	}
	dc := res.Plan.DataChanges[0]
	if dc.Source != "IRR" || !slices.Equal(dc.Affects, []bgp.ASN{13335}) {
		t.Errorf("data change %+v; want IRR affecting AS13335", dc)
	}
	if len(dc.Details) != 1 || !strings.HasPrefix(dc.Details[0], "route objects ") || !strings.HasSuffix(dc.Details[0], "(+1)") {
		t.Errorf("details %q; want one more route object", dc.Details)
	}
	var diff string
	for _, r := range res.Plan.Routers {
		diff += r.Diff
	}
	if !strings.Contains(diff, "+") || !strings.Contains(diff, "1.1.2.0/24") {
		t.Errorf("no router config shows the new route:\n%s", diff)
	}
}

// TestPlanIXFChange: a commit that changes only the exchange's IX-F
// export — AS64501 renumbered on DOC-IX-AMS — is a data change of the
// IX-F source affecting that peer; the new address is used (the export
// wins), and the conflict with PeeringDB is a warning at the peer file.
// An export that cannot be read is an error at its line.
func TestPlanIXFChange(t *testing.T) {
	ctx := context.Background()
	o := exampleRepo(t)
	file := filepath.Join(o.Dir, "data", "ixf", "doc-ix-ams.json")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(b, []byte(`"address": "192.0.2.11"`), []byte(`"address": "192.0.2.111"`), 1)
	if bytes.Equal(changed, b) {
		t.Fatal("the example export has no 192.0.2.11")
	}
	testutil.WriteFile(t, filepath.Dir(file), filepath.Base(file), changed)
	testutil.CommitAll(t, o.Dir, "AS64501 renumbered at DOC-IX-AMS")

	res := planLastCommit(t, o)
	if len(res.Plan.DataChanges) != 1 || res.Plan.DataChanges[0].Source != "IX-F" || !slices.Equal(res.Plan.DataChanges[0].Affects, []bgp.ASN{64501}) {
		t.Fatalf("data changes %+v; want the IX-F export's, affecting AS64501", res.Plan.DataChanges)
	}
	var diff string
	for _, r := range res.Plan.Routers {
		diff += r.Diff
	}
	if !strings.Contains(diff, "+ neighbor 192.0.2.111 remote-as 64501") || !strings.Contains(diff, "- neighbor 192.0.2.11 remote-as 64501") {
		t.Errorf("the diff does not move AS64501 to 192.0.2.111:\n%s", diff)
	}
	found := false
	for _, d := range res.Diagnostics {
		if d.Summary == "PeeringDB and IX-F export disagree" && d.Subject != nil && d.Subject.Filename == "peers/AS64501.hcl" &&
			strings.Contains(d.Detail, "PeeringDB lists 192.0.2.11 (netixlan 90703)") && strings.Contains(d.Detail, "lists 192.0.2.111") {
			found = true
		}
	}
	if !found {
		t.Errorf("no conflict warning at peers/AS64501.hcl: %v", res.Diagnostics)
	}

	// A broken export is an error at the file and line, in validate too.
	testutil.WriteFile(t, filepath.Dir(file), filepath.Base(file), append(changed[:len(changed)-3:len(changed)-3], "\n}}"...))
	diags, err := CheckAgainstData(ctx, o, mustLoad(t, o))
	if err != nil {
		t.Fatal(err)
	}
	if !diags.HasErrors() || diags[0].Subject == nil || diags[0].Subject.Filename != "data/ixf/doc-ix-ams.json" || diags[0].Subject.Start.Line < 100 {
		t.Errorf("broken export: %v", diags)
	}
	// So is a symbolic link in its place.
	os.Remove(file)
	if err := os.Symlink("/etc/passwd", file); err != nil {
		t.Fatal(err)
	}
	if diags, err := CheckAgainstData(ctx, o, mustLoad(t, o)); err != nil || !diags.HasErrors() || !strings.Contains(diags[0].Detail, "not a regular file") {
		t.Errorf("symbolic link: %v %v", diags, err)
	}
}

func mustLoad(t *testing.T, o Options) *intent.Repo {
	t.Helper()
	repo, diags := intent.Load(WorktreeState(o).fsys)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return repo
}

// TestPlanBrokenBase: a base that does not validate is an error of the
// plan, which names the base; the head is still loaded.
func TestPlanBrokenBase(t *testing.T) {
	ctx := context.Background()
	o := exampleRepo(t)
	testutil.WriteFile(t, filepath.Join(o.Dir, "peers"), "AS64501.hcl", []byte("peer \"AS64501\" {\n"))
	testutil.CommitAll(t, o.Dir, "broken")
	base, err := RevisionState(ctx, o, openRepo(t, o), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	testutil.Git(t, o.Dir, "checkout", "-q", "HEAD~1", "--", "peers/AS64501.hcl")
	res, err := PlanStates(ctx, o, base, WorktreeState(o), "", RouterSelection{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan != nil || !res.Diagnostics.HasErrors() || res.HeadRepo == nil {
		t.Fatalf("plan %v, diagnostics %v", res.Plan, res.Diagnostics)
	}
	if d := firstError(res.Diagnostics); !strings.Contains(d.Detail, base.Label()) {
		t.Errorf("the error does not name the base: %s", d.Detail)
	}
}

// TestRequestsThatDoNotFit: a router or an environment the repository
// does not have is a UsageError, before anything is rendered.
func TestRequestsThatDoNotFit(t *testing.T) {
	ctx := context.Background()
	o := exampleRepo(t)
	var ue *UsageError
	_, err := RepoRollout(ctx, o, RolloutQuery{Env: "nowhere"}, func(hcl.Diagnostics, *intent.Repo) {})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `"nowhere"`) {
		t.Errorf("unknown environment: %v", err)
	}
	base, err := RevisionState(ctx, o, openRepo(t, o), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()
	for _, sel := range []RouterSelection{{Names: []string{"nosuch"}}, {Env: "nowhere"}} {
		if _, err := PlanStates(ctx, o, base, WorktreeState(o), "", sel); !errors.As(err, &ue) {
			t.Errorf("%+v: %v", sel, err)
		}
	}
	if _, err := LoadTemplates(filepath.Join(o.Dir, "no-templates")); !errors.As(err, &ue) {
		t.Errorf("missing --templates: %v", err)
	}
}

// TestLoadScoring: the scoring environment takes our network from the
// policy and PeeringDB from the repository's snapshot; the options
// override the policy's scoring block.
func TestLoadScoring(t *testing.T) {
	o := exampleRepo(t)
	env, err := LoadScoring(context.Background(), o, ScoringOptions{Profile: "paper", Threshold: 0.9, ThresholdSet: true,
		AssumeRatio: []string{"AS13335=Balanced"}})
	if err != nil {
		t.Fatal(err)
	}
	if env.Repo == nil || env.Ours != env.Repo.Network.ASN || env.Ours == 0 {
		t.Errorf("our network %v from %v", env.Ours, env.Repo)
	}
	if env.Profile != "paper" || env.Scorer.Params.Threshold != 0.9 || len(env.Scorer.Params.AssumeRatio) != 1 {
		t.Errorf("options not applied: profile %q, params %+v", env.Profile, env.Scorer.Params)
	}
	if env.Store == nil || !strings.HasSuffix(env.Store.Meta().Source, filepath.Join("data", "peeringdb")) {
		t.Errorf("PeeringDB is not the repository's snapshot: %+v", env.Store)
	}
	if _, err := LoadScoring(context.Background(), o, ScoringOptions{Model: filepath.Join(o.Dir, "peers")}); err == nil {
		t.Error("a directory was read as a model file")
	}
}
