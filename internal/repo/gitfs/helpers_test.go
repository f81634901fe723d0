package gitfs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testRepo is a real repository on disk, built with the git command so
// that the tests read what git itself wrote.
type testRepo struct {
	t       testing.TB
	dir     string
	commits int
}

func newTestRepo(t testing.TB) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("the git command is not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	return r
}

// git runs a git command in the repository with a fixed identity, no user
// or system configuration and increasing commit dates, so hashes are
// reproducible.
func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	return runGit(r.t, r.dir, r.commits, args...)
}

func runGit(t testing.TB, dir string, n int, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	date := fmt.Sprintf("2024-01-01T00:%02d:00Z", n%60)
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.net", "GIT_AUTHOR_DATE="+date,
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.net", "GIT_COMMITTER_DATE="+date,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func (r *testRepo) write(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRepo) remove(name string) {
	r.t.Helper()
	r.git("rm", "-q", "--", name)
}

// commit stages everything and commits it, returning the new commit's hash.
func (r *testRepo) commit(msg string) Hash {
	r.t.Helper()
	r.commits++
	r.git("add", "-A")
	r.git("commit", "-q", "--allow-empty", "-m", msg)
	return Hash(r.git("rev-parse", "HEAD"))
}

// history is the shared scenario: main and a feature branch that forked
// at c0, like a pull request whose base moved on after it was opened.
type history struct {
	repo       *testRepo
	c0, c1     Hash // main: fork point, then a later commit
	f1, f2     Hash // feature: two commits on top of c0
	unrelated  Hash // an orphan branch with no common history
	annotated  Hash // what tag v1 (annotated) points at
	shortFork  string
	peerAt0    string
	policyAt0  string
	policyAtF2 string
}

func newHistory(t testing.TB) *history {
	t.Helper()
	r := newTestRepo(t)
	h := &history{repo: r}
	h.peerAt0 = "peer \"AS64501\" {\n  name = \"Doc Transit Alpha\"\n}\n"
	h.policyAt0 = "network {\n  asn = 64500\n}\n"
	r.write("peers/AS64501.hcl", h.peerAt0)
	r.write("peers/AS64502.hcl", "peer \"AS64502\" {}\n")
	r.write("policies/network.hcl", h.policyAt0)
	r.write("README.md", "# peering\n")
	r.write("templates/frr/peer.tmpl", "neighbor {{.Addr}}\n")
	r.write("scripts/run.sh", "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(r.dir, "scripts/run.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	h.c0 = r.commit("base")
	r.git("tag", "-a", "-m", "first", "v1")
	h.annotated = h.c0
	h.shortFork = string(h.c0[:7])

	r.git("checkout", "-q", "-b", "feature")
	r.write("peers/AS13335.hcl", "peer \"AS13335\" {\n  name = \"Cloudflare\"\n}\n")
	h.policyAtF2 = "network {\n  asn = 64500\n  name = \"Example\"\n}\n"
	r.write("policies/network.hcl", h.policyAtF2)
	r.remove("peers/AS64502.hcl")
	r.write("README.md", "# peering, changed\n")
	h.f1 = r.commit("add AS13335")
	r.write("peers/AS13335.hcl", "peer \"AS13335\" {\n  name = \"Cloudflare\"\n  import = \"AS-CLOUDFLARE\"\n}\n")
	h.f2 = r.commit("AS13335: import")

	r.git("checkout", "-q", "main")
	r.write("peers/AS64503.hcl", "peer \"AS64503\" {}\n")
	h.c1 = r.commit("add AS64503 on main")

	r.git("checkout", "-q", "--orphan", "other")
	r.git("rm", "-q", "-r", "--cached", ".")
	h.unrelated = r.commit("unrelated root")
	r.git("checkout", "-q", "-f", "main")
	return h
}

// eachBackend runs f once per backend, each with its own Repo.
func eachBackend(t *testing.T, dir string, f func(t *testing.T, r *Repo)) {
	t.Helper()
	for _, b := range []Backend{GoGit, CLI} {
		t.Run(b.String(), func(t *testing.T) {
			r, err := Open(context.Background(), dir, &Options{Backend: b})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if r.Backend() != b {
				t.Fatalf("Backend() = %v, want %v", r.Backend(), b)
			}
			f(t, r)
		})
	}
}
