package repofs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestOpen(t *testing.T) {
	repo := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.txt")
	mustWrite(t, outside, "outside")
	mustWrite(t, filepath.Join(repo, "peers", "AS1.hcl"), "peer")
	mustWrite(t, filepath.Join(repo, "real", "x.hcl"), "x")
	for link, target := range map[string]string{
		"peers/environ.hcl": "/proc/self/environ",
		"peers/out.hcl":     outside,
		"peers/in.hcl":      "AS1.hcl", // inside the repository: refused all the same
		"linked":            "real",
	} {
		if err := os.Symlink(target, filepath.Join(repo, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(repo, "peers", "fifo.hcl"), 0o644); err != nil {
		t.Fatal(err)
	}

	f, err := Open(repo, "peers/AS1.hcl")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "peer" {
		t.Errorf("read %q", b)
	}
	for _, name := range []string{"peers/environ.hcl", "peers/out.hcl", "peers/in.hcl", "linked/x.hcl", "peers/fifo.hcl", "peers"} {
		if f, err := Open(repo, name); !errors.Is(err, ErrNotRegular) {
			t.Errorf("Open(%s) = %v, %v; want ErrNotRegular", name, f, err)
		}
	}
	for _, name := range []string{"../x", "/etc/passwd", "peers/../../x"} {
		if _, err := Open(repo, name); err == nil {
			t.Errorf("Open(%s) succeeded", name)
		}
	}
	if _, err := Open(repo, "peers/none.hcl"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}

	fsys := Dir(repo)
	entries, err := fs.ReadDir(fsys, "peers")
	if err != nil || len(entries) != 5 {
		t.Fatalf("ReadDir: %v %v", entries, err)
	}
	if _, err := fs.ReadFile(fsys, "peers/environ.hcl"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadFile through the FS: %v", err)
	}
	if b, err := fs.ReadFile(fsys, "real/x.hcl"); err != nil || string(b) != "x" {
		t.Errorf("ReadFile(real/x.hcl) = %q, %v", b, err)
	}
}

func mustWrite(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
