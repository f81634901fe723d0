package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// WriteFile writes data to dir/name, failing the test on error.
func WriteFile(tb testing.TB, dir, name string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// CopyDir copies the files of src (not its subdirectories' contents) into
// dst, which it creates.
func CopyDir(tb testing.TB, src, dst string) {
	tb.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		WriteFile(tb, dst, e.Name(), data)
	}
}

// Git runs git in dir with a fixed identity and no user or system
// configuration, and returns its trimmed output; a failure fails the test.
func Git(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.net", "GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.net")
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// CommitAll commits everything in dir's work tree and returns the commit.
func CommitAll(tb testing.TB, dir, msg string) string {
	tb.Helper()
	Git(tb, dir, "add", "-A")
	Git(tb, dir, "commit", "-q", "-m", msg)
	return Git(tb, dir, "rev-parse", "HEAD")
}
