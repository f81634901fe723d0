package skeleton

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"

	"github.com/peerform/peerform/internal/testutil"
)

// actionMeta is the part of action.yml the tests read.
type actionMeta struct {
	Inputs map[string]struct {
		Required bool   `yaml:"required"`
		Default  string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	Name             string            `yaml:"name"`
	If               string            `yaml:"if"`
	Uses             string            `yaml:"uses"`
	Shell            string            `yaml:"shell"`
	Run              string            `yaml:"run"`
	Env              map[string]string `yaml:"env"`
	WorkingDirectory string            `yaml:"working-directory"`
	With             map[string]string `yaml:"with"`
}

func readAction(t *testing.T) (actionMeta, []byte) {
	t.Helper()
	data, err := os.ReadFile(testutil.Path(t, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta actionMeta
	if err := yaml.Unmarshal(data, &meta); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return meta, data
}

// lint runs actionlint's library on one workflow file of a project rooted
// at root and fails with every error it reports. shellcheck, when
// installed, checks the run: scripts.
func lint(t *testing.T, root, path string, content []byte) {
	t.Helper()
	var out bytes.Buffer
	opts := &actionlint.LinterOptions{}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	} else if testutil.LabRequired() {
		t.Fatal("shellcheck is not installed (Debian package shellcheck) and PEERFORM_LAB=required")
	}
	l, err := actionlint.NewLinter(&out, opts)
	if err != nil {
		t.Fatal(err)
	}
	proj, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(path, content, proj)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint %s:%d:%d: %s [%s]", path, e.Line, e.Column, e.Message, e.Kind)
	}
}

// TestActionPassesActionlint lints action.yml twice: as the local action a
// workflow uses (actionlint then checks its metadata and the inputs given
// to it), and its steps as the steps of a reusable workflow with the same
// inputs (expressions, contexts, shell names, and the scripts through
// shellcheck). Then the workflows init writes.
func TestActionPassesActionlint(t *testing.T) {
	meta, _ := readAction(t)
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(testutil.Path(t, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "action.yml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, ".github/workflows"), 0o755); err != nil {
		t.Fatal(err)
	}
	lint(t, root, filepath.Join(root, ".github/workflows/local.yml"), workflow(prYML, "./"))
	lint(t, root, filepath.Join(root, ".github/workflows/local-deploy.yml"), workflow(deployYML, "./"))

	// The composite steps as a reusable workflow's job.
	var steps bytes.Buffer
	raw := struct {
		Runs struct {
			Steps []yaml.Node `yaml:"steps"`
		} `yaml:"runs"`
	}{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	inputs := map[string]any{}
	for name, in := range meta.Inputs {
		in2 := map[string]any{"type": "string", "required": in.Required}
		if !in.Required {
			in2["default"] = in.Default
		}
		inputs[name] = in2
	}
	wf := map[string]any{
		"on": map[string]any{"workflow_call": map[string]any{"inputs": inputs}},
		"jobs": map[string]any{"action": map[string]any{
			"runs-on": "ubuntu-24.04", "steps": raw.Runs.Steps,
		}},
	}
	if err := yaml.NewEncoder(&steps).Encode(wf); err != nil {
		t.Fatal(err)
	}
	lint(t, root, filepath.Join(root, ".github/workflows/action-steps.yml"), steps.Bytes())

	// What init writes, with the action of a release.
	for _, tmpl := range []string{prYML, deployYML} {
		lint(t, root, filepath.Join(root, ".github/workflows/init.yml"), workflow(tmpl, "peerform/peerform@v1.0.0"))
	}
}

// actionRunner runs action.yml's steps the way the runner does: each run:
// script with bash, its env with the inputs' expressions resolved, in its
// working directory; GITHUB_ENV lines carried to the next steps; steps
// whose if: is false skipped. uses: steps (setup-go) are the runner's: Go
// is already here.
type actionRunner struct {
	t      *testing.T
	meta   actionMeta
	inputs map[string]string
	env    map[string]string
	work   string
	failed bool
}

var exprRe = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// eval evaluates one expression: the contexts a composite step sees, the
// status functions, ==, !=, &&, || and !.
func (r *actionRunner) eval(src string) any {
	r.t.Helper()
	node, perr := actionlint.NewExprParser().Parse(actionlint.NewExprLexer(src + "}}"))
	if perr != nil {
		r.t.Fatalf("expression %q: %v", src, perr)
	}
	var ev func(n actionlint.ExprNode) any
	truthy := func(v any) bool {
		switch v := v.(type) {
		case bool:
			return v
		case string:
			return v != ""
		}
		return v != nil
	}
	ev = func(n actionlint.ExprNode) any {
		switch n := n.(type) {
		case *actionlint.StringNode:
			return n.Value
		case *actionlint.BoolNode:
			return n.Value
		case *actionlint.ObjectDerefNode:
			ctx, ok := n.Receiver.(*actionlint.VariableNode)
			if !ok {
				break
			}
			switch ctx.Name {
			case "inputs":
				v, ok := r.inputs[n.Property]
				if !ok {
					r.t.Fatalf("expression %q: no input %q", src, n.Property)
				}
				return v
			case "github":
				return map[string]string{"server_url": "https://github.com", "repository": "example/peering",
					"run_id": "1", "action_path": r.env["GITHUB_ACTION_PATH"]}[n.Property]
			}
		case *actionlint.NotOpNode:
			return !truthy(ev(n.Operand))
		case *actionlint.CompareOpNode:
			eq := fmt.Sprint(ev(n.Left)) == fmt.Sprint(ev(n.Right))
			switch n.Kind {
			case actionlint.CompareOpNodeKindEq:
				return eq
			case actionlint.CompareOpNodeKindNotEq:
				return !eq
			}
		case *actionlint.LogicalOpNode:
			if n.Kind == actionlint.LogicalOpNodeKindAnd {
				return truthy(ev(n.Left)) && truthy(ev(n.Right))
			}
			return truthy(ev(n.Left)) || truthy(ev(n.Right))
		case *actionlint.FuncCallNode:
			switch n.Callee {
			case "always":
				return true
			case "success":
				return !r.failed
			case "failure":
				return r.failed
			case "cancelled":
				return false
			}
		}
		r.t.Fatalf("expression %q: %T is not understood by this test", src, n)
		return nil
	}
	return ev(node)
}

func (r *actionRunner) expand(s string) string {
	return exprRe.ReplaceAllStringFunc(s, func(m string) string {
		return fmt.Sprint(r.eval(exprRe.FindStringSubmatch(m)[1]))
	})
}

// run runs every step and returns the exit status of the first script that
// failed (0 when none did), with the output of all of them.
func (r *actionRunner) run() (int, string) {
	r.t.Helper()
	var all strings.Builder
	status := 0
	for _, st := range r.meta.Runs.Steps {
		cond := st.If
		if cond == "" {
			cond = "success()"
		}
		if m := exprRe.FindStringSubmatch(cond); m != nil {
			cond = m[1]
		}
		if v, ok := r.eval(cond).(bool); !ok || !v {
			continue
		}
		if st.Uses != "" {
			continue
		}
		if st.Shell != "bash" {
			r.t.Fatalf("step %q: shell %q; composite run steps need shell: bash", st.Name, st.Shell)
		}
		code, out := r.script(st)
		all.WriteString(out)
		if code != 0 && !r.failed {
			status, r.failed = code, true
		}
	}
	return status, all.String()
}

func (r *actionRunner) script(st actionStep) (int, string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The runner writes the script to a file and runs bash with these
	// options (shell: bash).
	file := filepath.Join(r.env["RUNNER_TEMP"], "step.sh")
	if err := os.WriteFile(file, []byte(st.Run), 0o600); err != nil {
		r.t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, "bash", "--noprofile", "--norc", "-eo", "pipefail", file)
	cmd.Dir = r.work
	if st.WorkingDirectory != "" {
		cmd.Dir = filepath.Join(r.work, r.expand(st.WorkingDirectory))
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + r.env["HOME"]}
	for k, v := range r.env {
		env = append(env, k+"="+v)
	}
	for k, v := range st.Env {
		if ex := r.expand(v); !strings.Contains(ex, "${{") {
			env = append(env, k+"="+ex)
		}
	}
	// The job's HOME is a new one; Go's caches stay this machine's.
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS", "GOPROXY", "GOTOOLCHAIN"} {
		v, err := exec.Command("go", "env", k).Output()
		if err != nil {
			r.t.Fatalf("go env %s: %v", k, err)
		}
		env = append(env, k+"="+strings.TrimSpace(string(v)))
	}
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			r.t.Fatalf("step %q: %v", st.Name, err)
		}
		code = ee.ExitCode()
	}
	// GITHUB_ENV: NAME=value lines for the steps that follow.
	if data, err := os.ReadFile(r.env["GITHUB_ENV"]); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				r.env[k] = v
			}
		}
	}
	return code, fmt.Sprintf("== %s (exit %d)\n%s", st.Name, code, out)
}

func newActionRunner(t *testing.T, work string, inputs map[string]string) *actionRunner {
	meta, _ := readAction(t)
	if meta.Runs.Using != "composite" {
		t.Fatalf("action.yml runs.using is %q, want composite", meta.Runs.Using)
	}
	all := map[string]string{}
	for name, in := range meta.Inputs {
		all[name] = in.Default
	}
	for k, v := range inputs {
		if _, ok := meta.Inputs[k]; !ok {
			t.Fatalf("action.yml has no input %q", k)
		}
		all[k] = v
	}
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	runnerTemp := filepath.Join(tmp, "runner")
	for _, d := range []string{home, runnerTemp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	envFile := filepath.Join(tmp, "github_env")
	if err := os.WriteFile(envFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return &actionRunner{t: t, meta: meta, inputs: all, work: work, env: map[string]string{
		"HOME": home, "RUNNER_TEMP": runnerTemp, "GITHUB_ENV": envFile, "GITHUB_ACTION_PATH": testutil.Root(t),
		"GITHUB_WORKSPACE": work, "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "CI": "true",
	}}
}

// TestActionRunsItsSteps runs the action's scripts on the example
// repository: it builds peerform from the action's own checkout and
// validates (annotations, exit 0); an unknown command and a version that
// is not one fail with exit 2 before anything runs; deploy to the lab
// environment with no lab running fails, says so, and exits non-zero.
func TestActionRunsItsSteps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds peerform")
	}
	work := t.TempDir()
	for _, sub := range []string{"peers", "policies", "data"} {
		if err := os.CopyFS(filepath.Join(work, sub), os.DirFS(testutil.Path(t, sub))); err != nil {
			t.Fatal(err)
		}
	}

	r := newActionRunner(t, work, map[string]string{"command": "validate"})
	code, out := r.run()
	if code != 0 || !strings.Contains(out, "::warning file=peers/AS64503.hcl") || !strings.Contains(out, "Building peerform from") {
		t.Fatalf("validate through the action: exit %d\n%s", code, out)
	}
	bin := r.env["PEERFORM"]
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the install step did not leave PEERFORM: %v", err)
	}

	// The same job uses the action again: the build is reused.
	r2 := newActionRunner(t, work, map[string]string{"command": "nonsense"})
	r2.env = r.env
	code, out = r2.run()
	if code != 2 || !strings.Contains(out, "::error::command is validate, review, plan, deploy or check, not nonsense") || strings.Contains(out, "Building") {
		t.Errorf("unknown command: exit %d\n%s", code, out)
	}

	r3 := newActionRunner(t, work, map[string]string{"command": "validate", "version": "v1; rm -rf /"})
	code, out = r3.run()
	if code != 2 || !strings.Contains(out, "is not a module version") {
		t.Errorf("hostile version: exit %d\n%s", code, out)
	}

	// Deploy to the lab routers with no lab set up: they cannot be reached,
	// the deploy fails and the action says so, then removes the key. The
	// workflow passes the MD5 secret the example's peers use with env.
	key := filepath.Join(t.TempDir(), "id")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	keyData, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	r4 := newActionRunner(t, work, map[string]string{"command": "deploy", "args": "--env lab",
		"ssh-key": string(keyData), "ssh-known-hosts": "[127.0.0.1]:2201 " + "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKxg0m1dEbsH8X1YfZTh0oHzQZPgtlUHtGq2iVZm0Dw1"})
	r4.env = r.env
	r4.env["PEERFORM_SECRET_AS20940"] = "not-a-real-secret"
	code, out = r4.run()
	if code == 0 || !strings.Contains(out, "❌ Deploy did not complete (deploy exit 1") || !strings.Contains(out, "lab-ams-edge1  failed") {
		t.Errorf("deploy with no router up: exit %d\n%s", code, out)
	}
	// The key is gone and the agent stopped, as the last step promises.
	if _, err := os.Stat(filepath.Join(r4.env["HOME"], ".ssh/peerform_deploy")); err == nil {
		t.Error("the SSH key is still there after the action")
	}
	if sock := r4.env["SSH_AUTH_SOCK"]; sock == "" {
		t.Error("the SSH key step set no SSH_AUTH_SOCK")
	} else if _, err := os.Stat(sock); err == nil {
		t.Errorf("the ssh-agent still listens on %s", sock)
	}
}
