package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/peerform/peerform/internal/repo/gitfs"
	"github.com/peerform/peerform/internal/testutil"
)

// TestCommitStateData: a commit's data files are exported to a private
// scratch directory for the loaders, regular files only; what is missing
// says so, and a symbolic link is refused rather than followed.
func TestCommitStateData(t *testing.T) {
	dir := t.TempDir()
	testutil.WriteFile(t, dir, "a.txt", []byte("alpha"))
	os.MkdirAll(filepath.Join(dir, "snap", "sub"), 0o755)
	testutil.WriteFile(t, filepath.Join(dir, "snap"), "net.json", []byte("{}"))
	testutil.WriteFile(t, filepath.Join(dir, "snap", "sub"), "deeper.json", []byte("{}"))
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	testutil.Git(t, dir, "init", "-q", "-b", "main")
	commit := testutil.CommitAll(t, dir, "data")
	repo, err := gitfs.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := commitState(context.Background(), repo, gitfs.Hash(commit), "main", "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	root, err := st.dataRoot("a.txt", "snap")
	if err != nil {
		t.Fatal(err)
	}
	if root == dir || !strings.HasPrefix(root, os.TempDir()) {
		t.Errorf("data root %s is not a scratch directory", root)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "a.txt")); string(b) != "alpha" {
		t.Errorf("a.txt = %q", b)
	}
	if _, err := os.Stat(filepath.Join(root, "snap", "net.json")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(root, "snap", "sub")); err == nil {
		t.Error("a snapshot's subdirectory was exported")
	}
	if info, _ := os.Stat(root); info.Mode().Perm() != 0o700 {
		t.Errorf("scratch mode %v", info.Mode().Perm())
	}
	if _, err := st.dataRoot("missing.json"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := st.dataRoot("link.txt"); err == nil {
		t.Error("a symbolic link was exported")
	}
	if _, err := st.dataRoot("../etc"); err == nil {
		t.Error("a path outside the repository was accepted")
	}

	// The same content has the same digest wherever it lies.
	d1, err := digest(root, []string{"a.txt", "snap"})
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := digest(dir, []string{"a.txt", "snap"})
	d3, _ := digest(dir, []string{"a.txt", "snap"}, "RIPE")
	if d1 != d2 || d1 == d3 {
		t.Errorf("digests %s %s %s", d1, d2, d3)
	}
	st.Close()
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Error("close left the scratch directory")
	}
}

// TestRepoTemplates: a repository's templates/ folder replaces the
// built-in templates of its platforms; a symbolic link in it is refused.
func TestRepoTemplates(t *testing.T) {
	dir := t.TempDir()
	tm, desc, err := RepoTemplates(os.DirFS(dir), "")
	if err != nil || desc != "built-in" || !tm.Has("frr") {
		t.Fatalf("no templates/: %q %v", desc, err)
	}
	os.MkdirAll(filepath.Join(dir, "templates", "frr"), 0o755)
	testutil.WriteFile(t, filepath.Join(dir, "templates"), "README.md", []byte("# not a platform"))
	testutil.WriteFile(t, filepath.Join(dir, "templates", "frr"), "router.tmpl", []byte(`{{define "router"}}own{{end}}`))
	_, desc, err = RepoTemplates(os.DirFS(dir), "")
	if err != nil || !strings.HasPrefix(desc, "templates/ (frr; built-in for the rest), content ") {
		t.Errorf("desc %q, %v", desc, err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "templates", "frr", "evil.tmpl")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := RepoTemplates(os.DirFS(dir), ""); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a symlinked template: %v", err)
	}
}

// TestDigestRefusesSpecialFiles: data files in the working tree are read
// only when they are regular files: a FIFO would block, a link could lead
// out of the repository.
func TestDigestRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	if err := syscall.Mkfifo(filepath.Join(dir, "data", "fifo.rpsl"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "data", "link.rpsl")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"data/fifo.rpsl", "data/link.rpsl", "data"} {
		if _, err := digest(dir, []string{p}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s: %v", p, err)
		}
	}
}
