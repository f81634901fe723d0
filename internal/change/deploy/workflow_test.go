package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/testutil"
	"gopkg.in/yaml.v3"
)

// deployScript is a script that runs peerform deploy in CI: the deploy
// workflow's Deploy step, and the reusable action's Run step (the same
// cancellation handling, for repositories that use the action), with the
// environment it runs in and the directory it keeps its state in, below
// $RUNNER_TEMP.
type deployScript struct {
	name, run, state string
	env              func(runnerTemp string) []string
}

func deployScripts(t *testing.T) []deployScript {
	t.Helper()
	var w struct {
		Jobs map[string]struct {
			Steps []struct {
				ID  string `yaml:"id"`
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	readYAML(t, ".github/workflows/deploy.yml", &w)
	var workflow string
	for _, j := range w.Jobs {
		for _, s := range j.Steps {
			if s.ID == "deploy" {
				workflow = s.Run
			}
		}
	}
	if workflow == "" {
		t.Fatal("deploy.yml has no step with id deploy")
	}
	var a struct {
		Runs struct {
			Steps []struct {
				Name string `yaml:"name"`
				Run  string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	readYAML(t, "action.yml", &a)
	var action string
	for _, s := range a.Runs.Steps {
		if s.Name == "Run peerform" {
			action = s.Run
		}
	}
	if action == "" {
		t.Fatal("action.yml has no step named Run peerform")
	}
	return []deployScript{
		{"deploy.yml", workflow, "deploy", func(string) []string { return nil }},
		{"action.yml", action, "peerform-deploy", func(rt string) []string {
			return []string{"PEERFORM=" + filepath.Join(rt, "peerform"), "COMMAND=deploy", "ARGS=", "GITHUB_TOKEN="}
		}},
	}
}

func readYAML(t *testing.T, rel string, v any) {
	t.Helper()
	raw, err := os.ReadFile(testutil.Path(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
}

// stepRun starts the script the way the runner does (bash -e), with a
// stand-in for peerform that takes rollback seconds to roll back after its
// first SIGINT and exits with code otherwise.
func stepRun(t *testing.T, script deployScript, rollback time.Duration, code int) (cmd *exec.Cmd, runnerTemp string) {
	t.Helper()
	runnerTemp = t.TempDir()
	stub := "#!/bin/sh\n" +
		"trap 'echo interrupted; sleep " + strconv.Itoa(int(rollback.Seconds())) + "; echo rolled back > \"$RUNNER_TEMP/rolled-back\"; exit 1' INT\n" +
		"echo deploying\n" +
		"[ " + strconv.Itoa(code) + " -ne 99 ] && exit " + strconv.Itoa(code) + "\n" +
		"while :; do sleep 0.1; done\n"
	if err := os.WriteFile(filepath.Join(runnerTemp, "peerform"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script.run)
	cmd.Env = append(append(os.Environ(), "RUNNER_TEMP="+runnerTemp), script.env(runnerTemp)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, runnerTemp
}

// The step exits with peerform's status.
func TestDeployWorkflowStatus(t *testing.T) {
	t.Parallel()
	for _, script := range deployScripts(t) {
		for _, code := range []int{0, 1} {
			cmd, _ := stepRun(t, script, 0, code)
			err := cmd.Wait()
			if got := cmd.ProcessState.ExitCode(); got != code {
				t.Errorf("%s: peerform exits %d, the step %d (%v)", script.name, code, got, err)
			}
		}
	}
}

// When the run is cancelled, the runner sends the step's shell SIGINT,
// then SIGTERM 7.5 s later, then kills its process tree 2.5 s after
// that. A peerform that needs longer than that to roll back still
// finishes: it runs outside the step's process tree, and gets the first
// signal, once, also when the cancel comes before the step has learnt
// peerform's process (then peerform stops, whether or not it had started
// changing anything).
func TestDeployWorkflowCancel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		early bool
		after time.Duration // from the start of the step, when early
	}{
		{"during the deploy", false, 0},
		{"at once", true, 0},
		{"while the step starts peerform", true, 300 * time.Millisecond},
	} {
		for _, script := range deployScripts(t) {
			t.Run(script.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				cancelStep(t, script, tc.early, tc.after)
			})
		}
	}
}

func cancelStep(t *testing.T, script deployScript, early bool, after time.Duration) {
	t.Helper()
	cmd, runnerTemp := stepRun(t, script, 12*time.Second, 99)
	state := filepath.Join(runnerTemp, script.state)
	deadline := time.Now().Add(40 * time.Second)
	time.Sleep(after)
	for !early && !strings.Contains(readFile(filepath.Join(state, "log")), "deploying") {
		if time.Now().After(deadline) {
			t.Fatal("peerform did not start")
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(7500 * time.Millisecond)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(2500 * time.Millisecond)
	for _, pid := range descendants(cmd.Process.Pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if early && readFile(filepath.Join(state, "pid")) == "" {
		return // cancelled before peerform was started: nothing runs
	}
	// The session's shell records peerform's status when it ends.
	for time.Now().Before(deadline) && readFile(filepath.Join(state, "status")) == "" {
		time.Sleep(200 * time.Millisecond)
	}
	log := readFile(filepath.Join(state, "log"))
	if readFile(filepath.Join(state, "status")) == "" {
		t.Fatalf("peerform still runs after the step was killed; its log:\n%s", log)
	}
	if strings.Count(log, "interrupted") > 1 {
		t.Errorf("peerform got %d interrupts, want 1:\n%s", strings.Count(log, "interrupted"), log)
	}
	if !early && (readFile(filepath.Join(runnerTemp, "rolled-back")) == "" || !strings.Contains(log, "interrupted")) {
		t.Errorf("peerform did not finish its rollback after the step was killed; its log:\n%s", log)
	}
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

// descendants lists the processes below pid, as the runner's kill of a
// process tree finds them (by parent, whatever their session).
func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat := readFile(filepath.Join("/proc", e.Name(), "stat"))
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		if i := strings.LastIndexByte(stat, ')'); i > 0 {
			if f := strings.Fields(stat[i+1:]); len(f) > 1 {
				parent[p], _ = strconv.Atoi(f[1])
			}
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for c, pp := range parent {
			if pp == p {
				out = append(out, c)
				walk(c)
			}
		}
	}
	walk(pid)
	return out
}
