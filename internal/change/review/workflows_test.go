package review

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/testutil"
	"gopkg.in/yaml.v3"
)

// The workflow files are part of the product: these tests hold them to
// the security and correctness rules the review and deploy jobs rely on.

type workflow struct {
	Name        string               `yaml:"name"`
	On          map[string]yaml.Node `yaml:"on"`
	Permissions map[string]string    `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Jobs map[string]job `yaml:"jobs"`
}

type job struct {
	Name           string            `yaml:"name"`
	Needs          string            `yaml:"needs"`
	If             string            `yaml:"if"`
	RunsOn         string            `yaml:"runs-on"`
	TimeoutMinutes int               `yaml:"timeout-minutes"`
	Permissions    map[string]string `yaml:"permissions"`
	Environment    string            `yaml:"environment"`
	Steps          []step            `yaml:"steps"`
}

type step struct {
	Name            string            `yaml:"name"`
	ID              string            `yaml:"id"`
	If              string            `yaml:"if"`
	Uses            string            `yaml:"uses"`
	With            map[string]string `yaml:"with"`
	Env             map[string]string `yaml:"env"`
	Run             string            `yaml:"run"`
	ContinueOnError bool              `yaml:"continue-on-error"`
	// TimeoutMinutes bounds a step (deploy.yml's deploy step;
	// deploy/workflow_test.go checks its cancellation).
	TimeoutMinutes int `yaml:"timeout-minutes"`
}

func loadWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testutil.Path(t, ".github/workflows"), name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	// The raw text without comments, for checks on what the file does
	// rather than what it explains.
	code := regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(string(raw), "")
	return w, code
}

// pinned: a full version tag (v4.2.2) or a commit hash, never a moving
// major tag or a branch.
var pinned = regexp.MustCompile(`^[A-Za-z0-9-]+/[A-Za-z0-9._-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$`)

// checkCommon holds every job to the rules both workflows share: a
// runner and a timeout, actions pinned to versions, no token left in
// .git/config, no expressions inside scripts.
func checkCommon(t *testing.T, name string, w workflow) {
	t.Helper()
	for jobName, job := range w.Jobs {
		if job.RunsOn == "" || job.TimeoutMinutes <= 0 || job.TimeoutMinutes > 60 {
			t.Errorf("%s: job %s: runs-on %q, timeout %d min; want a runner and a timeout of at most an hour", name, jobName, job.RunsOn, job.TimeoutMinutes)
		}
		checkouts := 0
		for _, s := range job.Steps {
			if s.Uses != "" && !pinned.MatchString(s.Uses) {
				t.Errorf("%s: %q is not pinned to a version", name, s.Uses)
			}
			if strings.HasPrefix(s.Uses, "actions/checkout@") {
				checkouts++
				if _, ok := s.With["sparse-checkout"]; ok {
					t.Errorf("%s: sparse-checkout writes extensions.worktreeConfig, which go-git refuses", name)
				}
				if s.With["persist-credentials"] != "false" {
					t.Errorf("%s: checkout leaves the token in .git/config", name)
				}
			}
			// Expressions inside scripts are injection points; values
			// reach scripts through env.
			if strings.Contains(s.Run, "${{") {
				t.Errorf("%s: step %q expands an expression inside run:", name, s.Name)
			}
		}
		if checkouts != 1 {
			t.Errorf("%s: job %s has %d checkouts, want 1", name, jobName, checkouts)
		}
	}
}

// runsInOrder reports whether the job's scripts mention each command, in
// this order.
func runsInOrder(j job, cmds ...string) bool {
	var all strings.Builder
	for _, s := range j.Steps {
		all.WriteString(s.Run + "\n")
	}
	rest := all.String()
	for _, c := range cmds {
		i := strings.Index(rest, c)
		if i < 0 {
			return false
		}
		rest = rest[i+len(c):]
	}
	return true
}

// TestPRWorkflow holds pr.yml to its trust model: the comment comes from
// peerform built from the base commit, with the write token, and runs no
// code of the pull request; the pull request's own build runs in a job of
// its own, without the token, and hands over only files.
func TestPRWorkflow(t *testing.T) {
	w, raw := loadWorkflow(t, "pr.yml")
	checkCommon(t, "pr.yml", w)
	if _, ok := w.On["pull_request"]; !ok || len(w.On) != 1 {
		t.Errorf("pr.yml triggers on %v, want pull_request only", keys(w.On))
	}
	// pull_request_target would run the fork's code with a write token
	// and the secrets.
	if strings.Contains(raw, "pull_request_target") {
		t.Error("pr.yml mentions pull_request_target")
	}
	if strings.Contains(raw, "secrets.") {
		t.Error("pr.yml references secrets; a pull request's code must not see any")
	}
	if len(w.Permissions) != 0 {
		t.Errorf("top-level permissions = %v, want none (each job asks for its own)", w.Permissions)
	}
	// No cache: a pull request's jobs share one cache scope, so what the
	// head's build saves, the reviewer would restore.
	for name, j := range w.Jobs {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Uses, "actions/setup-go@") && s.With["cache"] != "false" ||
				strings.HasPrefix(s.Uses, "actions/cache") {
				t.Errorf("pr.yml: job %s restores a cache (%s); set cache: false", name, s.Uses)
			}
		}
	}
	head, review := w.Jobs["head-build"], w.Jobs["review"]
	if len(w.Jobs) != 2 || head.RunsOn == "" || review.RunsOn == "" {
		t.Fatalf("jobs %v, want head-build and review", len(w.Jobs))
	}

	// The head's build: read access only, the head's tree, no token in
	// reach of its code, and nothing handed on but an artifact.
	if !equalMaps(head.Permissions, map[string]string{"contents": "read"}) {
		t.Errorf("head-build permissions = %v, want contents: read only", head.Permissions)
	}
	for _, s := range head.Steps {
		if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["ref"] != "${{ github.event.pull_request.head.sha }}" {
			t.Errorf("head-build checks out %q, want the head commit", s.With["ref"])
		}
		for k, v := range s.Env {
			if strings.Contains(v, "token") || strings.Contains(k, "TOKEN") {
				t.Errorf("head-build step %q hands a token to the pull request's code", s.Name)
			}
		}
		if strings.HasPrefix(s.Uses, "actions/download-artifact@") {
			t.Error("head-build takes artifacts in")
		}
	}
	if !runsInOrder(head, "go build -o \"$RUNNER_TEMP/peerform-head\"", "\"$RUNNER_TEMP/peerform-head\" render --out \"$RUNNER_TEMP/head-rendered\"") ||
		!uses(head, "actions/upload-artifact@", "head-rendered") {
		t.Error("head-build does not build the head, render with it and upload the configs as head-rendered")
	}

	// The reviewer: built from the base, the only job with write access.
	if review.Needs != "head-build" || review.If != "${{ !cancelled() }}" {
		t.Errorf("review: needs %q, if %q; it must wait for head-build and run when that fails", review.Needs, review.If)
	}
	want := map[string]string{"contents": "read", "pull-requests": "write", "checks": "write"}
	if !equalMaps(review.Permissions, want) {
		t.Errorf("review permissions = %v, want %v", review.Permissions, want)
	}
	var baseSrc bool
	for _, s := range review.Steps {
		switch {
		case strings.HasPrefix(s.Uses, "actions/checkout@"):
			if s.With["fetch-depth"] != "0" || s.With["ref"] != "" {
				t.Errorf("review checks out ref %q with fetch-depth %q; want the pull request with full history (the merge base)", s.With["ref"], s.With["fetch-depth"])
			}
		case strings.Contains(s.Run, "git worktree add --detach \"$RUNNER_TEMP/base-src\" \"$BASE_SHA\""):
			baseSrc = s.Env["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
		case strings.HasPrefix(s.Uses, "actions/setup-go@"):
			if s.With["go-version-file"] != "${{ runner.temp }}/base-src/go.mod" {
				t.Errorf("review's Go version comes from %q; the pull request's go.mod must not choose it", s.With["go-version-file"])
			}
		case strings.HasPrefix(s.Uses, "actions/download-artifact@"):
			if s.With["name"] != "head-rendered" || !s.ContinueOnError {
				t.Errorf("review fetches %q (continue-on-error %v); want head-rendered, tolerating its absence", s.With["name"], s.ContinueOnError)
			}
		}
		// Code of the pull request never runs here: Go is built in the
		// base's source only, and only that build runs.
		for _, line := range strings.Split(s.Run, "\n") {
			for _, f := range strings.Fields(line) {
				if f == "go" && !strings.HasPrefix(strings.TrimSpace(line), "cd \"$RUNNER_TEMP/base-src\" && go build ") {
					t.Errorf("review runs Go outside the base's source: %q", line)
				}
			}
			for _, cmd := range regexp.MustCompile(`&&|\|\||[;|]`).Split(line, -1) {
				if f := strings.Fields(strings.Trim(strings.TrimSpace(cmd), "'")); len(f) > 0 &&
					(f[0] == "make" || f[0] == "sh" || f[0] == "bash" || strings.Contains(f[0], "/") && !strings.HasPrefix(f[0], "\"$RUNNER_TEMP/peerform\"")) {
					t.Errorf("review runs a file of the pull request: %q", line)
				}
			}
			if strings.Contains(line, "peerform") && !strings.HasPrefix(strings.TrimSpace(strings.Trim(line, "'")), "\"$RUNNER_TEMP/peerform\" ") &&
				!strings.Contains(line, "-o \"$RUNNER_TEMP/peerform\"") {
				t.Errorf("review runs a peerform other than the base's build: %q", line)
			}
		}
		if strings.Contains(s.Run, "review") && (s.If != "${{ !cancelled() }}" || s.Env["GITHUB_TOKEN"] != "${{ github.token }}" ||
			!strings.Contains(s.Run, "--head-rendered \"$RUNNER_TEMP/head-rendered\"")) {
			t.Errorf("review step: if %q, token %q, %q; it must run after a failed validation, get the job token and the head build's configs", s.If, s.Env["GITHUB_TOKEN"], s.Run)
		}
	}
	if !baseSrc {
		t.Error("review does not check out the base commit (github.event.pull_request.base.sha) to build peerform from")
	}
	if !runsInOrder(review, "git worktree add", "cd \"$RUNNER_TEMP/base-src\" && go build -o \"$RUNNER_TEMP/peerform\" ./cmd/peerform",
		"\"$RUNNER_TEMP/peerform\" validate --format github", "\"$RUNNER_TEMP/peerform\" review") {
		t.Error("review does not build from the base, validate --format github, then review")
	}
}

// uses reports whether a job uses an action with the given name input.
func uses(j job, action, name string) bool {
	for _, s := range j.Steps {
		if strings.HasPrefix(s.Uses, action) && s.With["name"] == name {
			return true
		}
	}
	return false
}

func TestDeployWorkflow(t *testing.T) {
	w, raw := loadWorkflow(t, "deploy.yml")
	checkCommon(t, "deploy.yml", w)
	var push struct {
		Branches []string `yaml:"branches"`
	}
	node, ok := w.On["push"]
	if !ok || len(w.On) != 1 || node.Decode(&push) != nil || len(push.Branches) != 1 || push.Branches[0] != "main" {
		t.Errorf("deploy.yml must run on push to main only: %v", keys(w.On))
	}
	if w.Concurrency.Group != "deploy-${{ github.repository }}" || w.Concurrency.CancelInProgress {
		t.Errorf("concurrency = %+v, want one group per repository that never cancels a deploy", w.Concurrency)
	}
	want := map[string]string{"contents": "read", "pull-requests": "write"}
	if !equalMaps(w.Permissions, want) {
		t.Errorf("permissions = %v, want %v", w.Permissions, want)
	}
	for name, job := range w.Jobs {
		if len(job.Permissions) > 0 {
			t.Errorf("deploy.yml: job %s widens permissions; keep them at the top", name)
		}
		for _, s := range job.Steps {
			if strings.HasPrefix(s.Uses, "actions/checkout@") && s.With["fetch-depth"] != "0" {
				t.Errorf("deploy.yml: checkout without fetch-depth: 0")
			}
		}
		if !runsInOrder(job, "go build", "peerform\" deploy", "peerform\" check", "peerform\" review --comment-deploy") {
			t.Error("deploy.yml does not build, deploy, check, then comment")
		}
	}
	if !strings.Contains(raw, "chmod 600 \"$HOME/.ssh/peerform_deploy\"") {
		t.Error("the SSH key file is not made mode 600")
	}
	for name, job := range w.Jobs {
		if job.Environment != "production" {
			t.Errorf("job %s: environment %q, want production (its secrets and protection rules)", name, job.Environment)
		}
		for _, s := range job.Steps {
			for k, v := range s.Env {
				if strings.Contains(v, "secrets.") && !strings.HasPrefix(k, "PEERFORM_SECRET_") && !strings.HasPrefix(k, "SSH_") {
					t.Errorf("step %q passes a secret as %s; use PEERFORM_SECRET_<NAME> or the SSH variables", s.Name, k)
				}
			}
			if strings.Contains(s.Run, "--comment-deploy") && s.If != "${{ always() }}" {
				t.Errorf("the outcome comment must be posted even when the deploy failed (if: %q)", s.If)
			}
		}
	}
}

func keys(m map[string]yaml.Node) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}
