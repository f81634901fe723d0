package gitfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

const (
	hashA = "2e65efe2a145dda7ee51d1741299f848e5bf752e"
	hashB = "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d"
)

func FuzzParseLsTree(f *testing.F) {
	f.Add([]byte("100644 blob " + hashA + "      12\tREADME.md\x00040000 tree " + hashB + "       -\tpeers\x00"))
	f.Add([]byte("120000 blob " + hashA + "       7\tlink\x00160000 commit " + hashB + "       -\tsub\x00"))
	f.Add([]byte("100755 blob " + hashA + " 1\twith\ttab\x00"))
	f.Add([]byte("999999 blob xyz -1\t\x00"))
	f.Fuzz(func(t *testing.T, out []byte) {
		entries, err := parseLsTree(out)
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.name == "" || strings.Contains(e.name, "/") {
				t.Fatalf("accepted entry name %q", e.name)
			}
			if _, err := parseHash(string(e.hash)); err != nil {
				t.Fatalf("accepted hash %q", e.hash)
			}
			if e.size < 0 {
				t.Fatalf("accepted negative size %d", e.size)
			}
		}
	})
}

func FuzzParseDiffTree(f *testing.F) {
	f.Add([]byte("A\x00peers/AS13335.hcl\x00M\x00policies/network.hcl\x00D\x00peers/AS64502.hcl\x00"))
	f.Add([]byte("T\x00link\x00"))
	f.Add([]byte("R100\x00a\x00"))
	f.Add([]byte("A\x00"))
	f.Fuzz(func(t *testing.T, out []byte) {
		changes, err := parseDiffTree(out)
		if err != nil {
			return
		}
		for _, c := range changes {
			if c.Path == "" || c.Action < Insert || c.Action > Delete {
				t.Fatalf("accepted change %+v", c)
			}
		}
	})
}

// FuzzTreeFSPaths opens arbitrary names in a real commit's tree: nothing
// outside the tree is reachable and nothing panics.
func FuzzTreeFSPaths(f *testing.F) {
	h := newHistory(f)
	r, err := Open(context.Background(), h.repo.dir, &Options{Backend: GoGit})
	if err != nil {
		f.Fatal(err)
	}
	fsys, err := r.FS(context.Background(), h.f2)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{".", "peers", "peers/AS13335.hcl", "../etc/passwd", "/etc/passwd", "peers//x", "peers/./x", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		file, err := fsys.Open(name)
		if !fs.ValidPath(name) {
			if !errors.Is(err, fs.ErrInvalid) {
				t.Fatalf("Open(%q) of an invalid path: %v", name, err)
			}
			return
		}
		if err == nil {
			file.Close()
		}
		_, _ = fs.ReadFile(fsys, name)
		_, _ = fs.ReadDir(fsys, name)
	})
}

// BenchmarkChanges measures the three-dot diff of a pull request on a
// repository with many peers, per backend.
func BenchmarkChanges(b *testing.B) {
	r := newTestRepo(b)
	for i := range 300 {
		r.write(fmt.Sprintf("peers/AS%d.hcl", 64600+i), fmt.Sprintf("peer \"AS%d\" {}\n", 64600+i))
	}
	base := r.commit("300 peers")
	r.git("checkout", "-q", "-b", "pr")
	r.write("peers/AS13335.hcl", "peer \"AS13335\" {}\n")
	head := r.commit("add AS13335")
	for _, be := range []Backend{GoGit, CLI} {
		b.Run(be.String(), func(b *testing.B) {
			ctx := context.Background()
			repo, err := Open(ctx, r.dir, &Options{Backend: be})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				ch, err := repo.Changes(ctx, base, head, "peers", "policies")
				if err != nil || len(ch) != 1 {
					b.Fatalf("Changes = %v, %v", ch, err)
				}
			}
		})
	}
}

// BenchmarkReadPeers reads every peer file of a commit, as the intent
// loader does, per backend.
func BenchmarkReadPeers(b *testing.B) {
	r := newTestRepo(b)
	for i := range 100 {
		r.write(fmt.Sprintf("peers/AS%d.hcl", 64600+i), fmt.Sprintf("peer \"AS%d\" {\n  name = \"Peer %d\"\n}\n", 64600+i, i))
	}
	head := r.commit("100 peers")
	for _, be := range []Backend{GoGit, CLI} {
		b.Run(be.String(), func(b *testing.B) {
			ctx := context.Background()
			repo, err := Open(ctx, r.dir, &Options{Backend: be})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				fsys, err := repo.FS(ctx, head)
				if err != nil {
					b.Fatal(err)
				}
				ents, err := fs.ReadDir(fsys, "peers")
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range ents {
					if _, err := fs.ReadFile(fsys, "peers/"+e.Name()); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
