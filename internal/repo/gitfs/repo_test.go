package gitfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	git "github.com/go-git/go-git/v5"
)

func TestResolve(t *testing.T) {
	h := newHistory(t)
	eachBackend(t, h.repo.dir, func(t *testing.T, r *Repo) {
		ctx := context.Background()
		for rev, want := range map[string]Hash{
			"main":               h.c1,
			"HEAD":               h.c1,
			"feature":            h.f2,
			"feature~1":          h.f1,
			"refs/heads/feature": h.f2,
			"v1":                 h.annotated, // annotated tag, peeled to its commit
			h.shortFork:          h.c0,
			string(h.c0):         h.c0,
		} {
			got, err := r.Resolve(ctx, rev)
			if err != nil {
				t.Errorf("Resolve(%q): %v", rev, err)
				continue
			}
			if got != want {
				t.Errorf("Resolve(%q) = %s, want %s", rev, got, want)
			}
		}
		for _, rev := range []string{"nope", "feature~9", "0123456789012345678901234567890123456789", "refs/heads/nope~1"} {
			if _, err := r.Resolve(ctx, rev); !errors.Is(err, ErrUnknownRevision) {
				t.Errorf("Resolve(%q) error = %v, want ErrUnknownRevision", rev, err)
			}
		}
		for _, rev := range []string{"", "-x", "--all", "a b", "a\nb", "main:README.md", ":/base", "main@{upstream}", "v1^{tree}", "main..feature"} {
			_, err := r.Resolve(ctx, rev)
			if err == nil || errors.Is(err, ErrUnknownRevision) {
				t.Errorf("Resolve(%q) error = %v, want a rejected argument", rev, err)
			}
		}
	})
}

func TestMergeBase(t *testing.T) {
	h := newHistory(t)
	eachBackend(t, h.repo.dir, func(t *testing.T, r *Repo) {
		ctx := context.Background()
		got, err := r.MergeBase(ctx, h.c1, h.f2)
		if err != nil || got != h.c0 {
			t.Errorf("MergeBase(main, feature) = %s, %v; want %s", got, err, h.c0)
		}
		if got, err := r.MergeBase(ctx, h.c0, h.f2); err != nil || got != h.c0 {
			t.Errorf("MergeBase(ancestor, feature) = %s, %v; want %s", got, err, h.c0)
		}
		if _, err := r.MergeBase(ctx, h.c1, h.unrelated); !errors.Is(err, ErrNoMergeBase) {
			t.Errorf("MergeBase(unrelated) error = %v, want ErrNoMergeBase", err)
		}
	})
}

func TestChangesThreeDot(t *testing.T) {
	h := newHistory(t)
	eachBackend(t, h.repo.dir, func(t *testing.T, r *Repo) {
		ctx := context.Background()
		got, err := r.Changes(ctx, h.c1, h.f2, "peers/", "policies")
		if err != nil {
			t.Fatal(err)
		}
		// AS64503 was added on main after the fork: a pull request
		// does not show it. README.md is outside the prefixes.
		want := []Change{
			{Path: "peers/AS13335.hcl", Action: Insert},
			{Path: "peers/AS64502.hcl", Action: Delete},
			{Path: "policies/network.hcl", Action: Modify},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Changes = %v\nwant      %v", got, want)
		}

		// Two-dot between the branch tips does see main's new peer
		// (as a deletion, since feature lacks it).
		got, err = r.Diff(ctx, h.c1, h.f2, "peers")
		if err != nil {
			t.Fatal(err)
		}
		want = []Change{
			{Path: "peers/AS13335.hcl", Action: Insert},
			{Path: "peers/AS64502.hcl", Action: Delete},
			{Path: "peers/AS64503.hcl", Action: Delete},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Diff = %v\nwant   %v", got, want)
		}

		all, err := r.Changes(ctx, h.c1, h.f2)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 || all[0].Path != "README.md" {
			t.Errorf("Changes without prefixes = %v, want README.md and the three intents", all)
		}

		// "pe" is not a prefix of "peers/…": prefixes are directories.
		if got, err := r.Changes(ctx, h.c1, h.f2, "pe"); err != nil || len(got) != 0 {
			t.Errorf("Changes(pe) = %v, %v; want none", got, err)
		}
		if _, err := r.Changes(ctx, h.c1, h.f2, "../etc"); err == nil {
			t.Error("Changes(../etc) succeeded, want an error")
		}
	})
}

func TestFS(t *testing.T) {
	h := newHistory(t)
	// Uncommitted and untracked files must not leak into a commit's tree.
	h.repo.write("peers/AS64501.hcl", "edited in the working tree\n")
	h.repo.write("peers/untracked.hcl", "not committed\n")
	eachBackend(t, h.repo.dir, func(t *testing.T, r *Repo) {
		ctx := context.Background()
		at0, err := r.FS(ctx, h.c0)
		if err != nil {
			t.Fatal(err)
		}
		if err := fstest.TestFS(at0, "peers/AS64501.hcl", "peers/AS64502.hcl", "policies/network.hcl",
			"README.md", "templates/frr/peer.tmpl", "scripts/run.sh"); err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, at0, "peers/AS64501.hcl"); got != h.peerAt0 {
			t.Errorf("peers/AS64501.hcl at c0 = %q, want %q", got, h.peerAt0)
		}
		if got := readFile(t, at0, "policies/network.hcl"); got != h.policyAt0 {
			t.Errorf("policies/network.hcl at c0 = %q", got)
		}
		if _, err := fs.Stat(at0, "peers/untracked.hcl"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("untracked file visible in the tree: %v", err)
		}
		fi, err := fs.Stat(at0, "scripts/run.sh")
		if err != nil || fi.Mode() != 0o755 {
			t.Errorf("scripts/run.sh mode = %v, %v; want -rwxr-xr-x", fi, err)
		}
		fi, err = fs.Stat(at0, "policies/network.hcl")
		if err != nil || fi.Size() != int64(len(h.policyAt0)) {
			t.Errorf("Stat size = %v, %v; want %d", fi, err, len(h.policyAt0))
		}

		atF2, err := r.FS(ctx, h.f2)
		if err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, atF2, "policies/network.hcl"); got != h.policyAtF2 {
			t.Errorf("policies/network.hcl at f2 = %q, want %q", got, h.policyAtF2)
		}
		matches, err := fs.Glob(atF2, "peers/*.hcl")
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"peers/AS13335.hcl", "peers/AS64501.hcl"}; !reflect.DeepEqual(matches, want) {
			t.Errorf("Glob(peers/*.hcl) at f2 = %v, want %v", matches, want)
		}
		sub, err := fs.Sub(atF2, "peers")
		if err != nil {
			t.Fatal(err)
		}
		if got := readFile(t, sub, "AS13335.hcl"); !strings.Contains(got, "AS-CLOUDFLARE") {
			t.Errorf("fs.Sub(peers)/AS13335.hcl = %q", got)
		}
		for _, bad := range []string{"/etc/passwd", "../x", "peers/../README.md", "peers/"} {
			if _, err := atF2.Open(bad); !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("Open(%q) error = %v, want fs.ErrInvalid", bad, err)
			}
		}
		if _, err := fs.ReadFile(atF2, "peers"); err == nil {
			t.Error("ReadFile(directory) succeeded")
		}
		if _, err := fs.ReadDir(atF2, "README.md"); err == nil {
			t.Error("ReadDir(file) succeeded")
		}
	})
}

func readFile(t *testing.T, fsys fs.FS, name string) string {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatalf("ReadFile(%s): %v", name, err)
	}
	return string(b)
}

func TestFSLimitsAndLinks(t *testing.T) {
	r := newTestRepo(t)
	r.write("small.txt", "ok\n")
	r.write("big.bin", strings.Repeat("x", 4096))
	if err := os.Symlink("/etc/passwd", filepath.Join(r.dir, "peers.hcl")); err != nil {
		t.Fatal(err)
	}
	c := r.commit("limits")
	for _, b := range []Backend{GoGit, CLI} {
		t.Run(b.String(), func(t *testing.T) {
			ctx := context.Background()
			repo, err := Open(ctx, r.dir, &Options{Backend: b, MaxFileSize: 1024})
			if err != nil {
				t.Fatal(err)
			}
			fsys, err := repo.FS(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fs.ReadFile(fsys, "big.bin"); !errors.Is(err, ErrFileTooLarge) {
				t.Errorf("ReadFile(big.bin) error = %v, want ErrFileTooLarge", err)
			}
			if fi, err := fs.Stat(fsys, "big.bin"); err != nil || fi.Size() != 4096 {
				t.Errorf("Stat(big.bin) = %v, %v; want size 4096", fi, err)
			}
			if got := readFile(t, fsys, "small.txt"); got != "ok\n" {
				t.Errorf("small.txt = %q", got)
			}
			// A larger bound for one tree (data snapshots) leaves the
			// repository's bound as it was.
			data, err := repo.FSLimit(ctx, c, 8192)
			if err != nil {
				t.Fatal(err)
			}
			if b, err := fs.ReadFile(data, "big.bin"); err != nil || len(b) != 4096 {
				t.Errorf("FSLimit: ReadFile(big.bin) = %d bytes, %v", len(b), err)
			}
			if again, _ := repo.FS(ctx, c); again != nil {
				if _, err := fs.ReadFile(again, "big.bin"); !errors.Is(err, ErrFileTooLarge) {
					t.Errorf("FS after FSLimit: %v, want ErrFileTooLarge", err)
				}
			}
			// The link's target is never followed, inside the tree or out.
			if _, err := fsys.Open("peers.hcl"); !errors.Is(err, ErrSymlink) {
				t.Errorf("Open(symlink) error = %v, want ErrSymlink", err)
			}
			ents, err := fs.ReadDir(fsys, ".")
			if err != nil {
				t.Fatal(err)
			}
			var modes []string
			for _, e := range ents {
				modes = append(modes, e.Name()+" "+e.Type().String())
			}
			want := []string{"big.bin ----------", "peers.hcl L---------", "small.txt ----------"}
			if !reflect.DeepEqual(modes, want) {
				t.Errorf("ReadDir(.) = %q, want %q", modes, want)
			}

			// The CLI backend enforces the bound itself too, whatever the
			// listing said.
			if _, err := repo.b.readBlob(ctx, entryHash(t, fsys, "big.bin"), 100); !errors.Is(err, ErrFileTooLarge) {
				t.Errorf("readBlob over the limit: %v, want ErrFileTooLarge", err)
			}
		})
	}
}

func entryHash(t *testing.T, fsys fs.FS, name string) Hash {
	t.Helper()
	tf := fsys.(*treeFS)
	e, err := tf.lookup("stat", name)
	if err != nil {
		t.Fatal(err)
	}
	return e.hash
}

func TestShallowClone(t *testing.T) {
	h := newHistory(t)
	dst := filepath.Join(t.TempDir(), "shallow")
	runGit(t, filepath.Dir(dst), 0, "clone", "-q", "--depth", "1", "--branch", "feature", "file://"+h.repo.dir, dst)
	eachBackend(t, dst, func(t *testing.T, r *Repo) {
		ctx := context.Background()
		for _, rev := range []string{string(h.c0), "HEAD~1"} {
			_, err := r.Resolve(ctx, rev)
			if !errors.Is(err, ErrShallow) {
				t.Errorf("Resolve(%s) in a shallow clone: %v, want ErrShallow", rev, err)
			}
			if err != nil && !strings.Contains(err.Error(), "fetch-depth: 0") {
				t.Errorf("error does not say what to do: %v", err)
			}
		}
		head, err := r.Resolve(ctx, "HEAD")
		if err != nil || head != h.f2 {
			t.Fatalf("Resolve(HEAD) = %s, %v", head, err)
		}
		// The head tree is complete even though history is not.
		fsys, err := r.FS(ctx, head)
		if err != nil {
			t.Fatal(err)
		}
		readFile(t, fsys, "peers/AS13335.hcl")
	})

	// The base branch fetched shallowly too: both tips exist, but their
	// common history does not.
	runGit(t, dst, 0, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
	eachBackend(t, dst, func(t *testing.T, r *Repo) {
		ctx := context.Background()
		base, err := r.Resolve(ctx, "origin/main")
		if err != nil || base != h.c1 {
			t.Fatalf("Resolve(origin/main) = %s, %v", base, err)
		}
		if _, err := r.Changes(ctx, base, h.f2, "peers"); !errors.Is(err, ErrShallow) {
			t.Errorf("Changes in a shallow clone: %v, want ErrShallow", err)
		}
	})
}

func TestFullClone(t *testing.T) {
	h := newHistory(t)
	dst := filepath.Join(t.TempDir(), "full")
	runGit(t, filepath.Dir(dst), 0, "clone", "-q", "--branch", "feature", "file://"+h.repo.dir, dst)
	eachBackend(t, dst, func(t *testing.T, r *Repo) {
		ctx := context.Background()
		base, err := r.Resolve(ctx, "origin/main")
		if err != nil || base != h.c1 {
			t.Fatalf("Resolve(origin/main) = %s, %v", base, err)
		}
		changes, err := r.Changes(ctx, base, h.f2, "peers", "policies")
		if err != nil || len(changes) != 3 {
			t.Errorf("Changes = %v, %v; want 3", changes, err)
		}
	})
}

// TestFallbackToCLI builds repositories that go-git v5 refuses and checks
// that Open switches to the git command and everything still works.
func TestFallbackToCLI(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(r *testRepo)
	}{
		{"worktreeConfig", func(r *testRepo) { r.git("config", "extensions.worktreeConfig", "true") }},
		{"sparse-checkout", func(r *testRepo) { r.git("sparse-checkout", "set", "peers") }},
		{"format-1-worktreeConfig", func(r *testRepo) {
			r.git("config", "core.repositoryformatversion", "1")
			r.git("config", "extensions.worktreeConfig", "true")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHistory(t)
			tc.setup(h.repo)
			// Make sure the case is real: go-git must refuse it.
			_, err := git.PlainOpen(h.repo.dir)
			if !refusedByGoGit(err) {
				t.Fatalf("go-git opened the repository (err = %v); the test no longer exercises the fallback", err)
			}
			ctx := context.Background()
			if _, err := Open(ctx, h.repo.dir, &Options{Backend: GoGit}); err == nil {
				t.Error("Open with Backend GoGit succeeded on a refused repository")
			}
			r, err := Open(ctx, h.repo.dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.Backend() != CLI {
				t.Fatalf("Backend() = %v, want git", r.Backend())
			}
			base, err := r.Resolve(ctx, "main")
			if err != nil {
				t.Fatal(err)
			}
			changes, err := r.Changes(ctx, base, h.f2, "peers", "policies")
			if err != nil || len(changes) != 3 {
				t.Errorf("Changes = %v, %v", changes, err)
			}
			fsys, err := r.FS(ctx, h.f2)
			if err != nil {
				t.Fatal(err)
			}
			// Sparse checkout limits the working tree, never the trees.
			if got := readFile(t, fsys, "policies/network.hcl"); got != h.policyAtF2 {
				t.Errorf("policies/network.hcl = %q", got)
			}
		})
	}
}

func TestOpenFromSubdirWorktreeAndBare(t *testing.T) {
	h := newHistory(t)
	wt := filepath.Join(t.TempDir(), "wt")
	h.repo.git("worktree", "add", "-q", wt, "feature")
	bare := filepath.Join(t.TempDir(), "bare.git")
	runGit(t, filepath.Dir(bare), 0, "clone", "-q", "--bare", "file://"+h.repo.dir, bare)

	for _, tc := range []struct {
		name, dir, root, rev string
		want                 Hash
	}{
		{"subdir", filepath.Join(h.repo.dir, "peers"), h.repo.dir, "HEAD", h.c1},
		{"linked-worktree", wt, wt, "HEAD", h.f2},
		{"bare", bare, bare, "feature", h.f2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, tc.dir, func(t *testing.T, r *Repo) {
				root, _ := filepath.EvalSymlinks(tc.root)
				got, _ := filepath.EvalSymlinks(r.Root())
				if got != root {
					t.Errorf("Root() = %s, want %s", r.Root(), tc.root)
				}
				h2, err := r.Resolve(context.Background(), tc.rev)
				if err != nil || h2 != tc.want {
					t.Errorf("Resolve(%s) = %s, %v; want %s", tc.rev, h2, err, tc.want)
				}
			})
		})
	}
}

func TestOpenNotARepository(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(dir))
	for _, b := range []Backend{Auto, GoGit, CLI} {
		if _, err := Open(context.Background(), dir, &Options{Backend: b}); err == nil {
			t.Errorf("Open(%v) of a plain directory succeeded", b)
		}
	}
}

func TestContextCancelled(t *testing.T) {
	h := newHistory(t)
	eachBackend(t, h.repo.dir, func(t *testing.T, r *Repo) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := r.Resolve(ctx, "main"); !errors.Is(err, context.Canceled) {
			t.Errorf("Resolve with a cancelled context: %v", err)
		}
		if _, err := r.MergeBase(ctx, h.c1, h.f2); !errors.Is(err, context.Canceled) {
			t.Errorf("MergeBase with a cancelled context: %v", err)
		}
	})
}
