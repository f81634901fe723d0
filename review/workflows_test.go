package review

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

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
	Jobs map[string]struct {
		Name           string            `yaml:"name"`
		RunsOn         string            `yaml:"runs-on"`
		TimeoutMinutes int               `yaml:"timeout-minutes"`
		Permissions    map[string]string `yaml:"permissions"`
		Environment    string            `yaml:"environment"`
		Steps          []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			With map[string]string `yaml:"with"`
			Env  map[string]string `yaml:"env"`
			Run  string            `yaml:"run"`
			// TimeoutMinutes bounds a step (deploy.yml's deploy step;
			// deploy/workflow_test.go checks its cancellation).
			TimeoutMinutes int `yaml:"timeout-minutes"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", ".github", "workflows", name))
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

func checkCommon(t *testing.T, name string, w workflow) {
	t.Helper()
	for jobName, job := range w.Jobs {
		if job.RunsOn == "" || job.TimeoutMinutes <= 0 || job.TimeoutMinutes > 60 {
			t.Errorf("%s: job %s: runs-on %q, timeout %d min; want a runner and a timeout of at most an hour", name, jobName, job.RunsOn, job.TimeoutMinutes)
		}
		if len(job.Permissions) > 0 {
			t.Errorf("%s: job %s widens permissions; keep them at the top", name, jobName)
		}
		checkouts := 0
		for _, s := range job.Steps {
			if s.Uses != "" && !pinned.MatchString(s.Uses) {
				t.Errorf("%s: %q is not pinned to a version", name, s.Uses)
			}
			if strings.HasPrefix(s.Uses, "actions/checkout@") {
				checkouts++
				if s.With["fetch-depth"] != "0" {
					t.Errorf("%s: checkout without fetch-depth: 0 (the merge base would be missing)", name)
				}
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
func runsInOrder(w workflow, cmds ...string) bool {
	var all strings.Builder
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			all.WriteString(s.Run + "\n")
		}
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
	want := map[string]string{"contents": "read", "pull-requests": "write", "checks": "write"}
	if !equalMaps(w.Permissions, want) {
		t.Errorf("permissions = %v, want %v", w.Permissions, want)
	}
	if !runsInOrder(w, "go build", "peerctl\" validate --format github", "peerctl\" review") {
		t.Error("pr.yml does not build, validate --format github, then review")
	}
	for _, job := range w.Jobs {
		for _, s := range job.Steps {
			if strings.Contains(s.Run, "review") && (s.If != "${{ !cancelled() }}" || s.Env["GITHUB_TOKEN"] != "${{ github.token }}") {
				t.Errorf("review step: if %q, token %q; it must run after a failed validation and get the job token", s.If, s.Env["GITHUB_TOKEN"])
			}
		}
	}
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
	if !runsInOrder(w, "go build", "peerctl\" deploy", "peerctl\" check", "peerctl\" review --comment-deploy") {
		t.Error("deploy.yml does not build, deploy, check, then comment")
	}
	if !strings.Contains(raw, "chmod 600 \"$HOME/.ssh/peerctl_deploy\"") {
		t.Error("the SSH key file is not made mode 600")
	}
	for name, job := range w.Jobs {
		if job.Environment != "production" {
			t.Errorf("job %s: environment %q, want production (its secrets and protection rules)", name, job.Environment)
		}
		for _, s := range job.Steps {
			for k, v := range s.Env {
				if strings.Contains(v, "secrets.") && !strings.HasPrefix(k, "PEERCTL_SECRET_") && !strings.HasPrefix(k, "SSH_") {
					t.Errorf("step %q passes a secret as %s; use PEERCTL_SECRET_<NAME> or the SSH variables", s.Name, k)
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
