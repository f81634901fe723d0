package proposal_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/peerform/peerform/internal/change/review"
	"github.com/peerform/peerform/internal/repo/proposal"
	"github.com/peerform/peerform/internal/repo/proposal/proposaltest"
)

var files = map[string]string{
	"peers/AS64501.hcl":    "peer \"AS64501\" {}\n",
	"peers/AS64502.hcl":    "peer \"AS64502\" {}\n",
	"policies/network.hcl": "network {}\n",
	"README.md":            "example\n",
}

// gitRepo makes a repository whose one commit holds files, with a
// working tree change that must survive.
func gitRepo(t *testing.T) (string, *git.Repository) {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := r.Worktree()
	for p, c := range files {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
		wt.Add(p)
	}
	if _, err := wt.Commit("base", &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@example.net", When: time.Unix(0, 0)}}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("edited, not committed\n"), 0o644)
	return dir, r
}

func treeFiles(t *testing.T, r *git.Repository, ref plumbing.ReferenceName) (map[string]string, *object.Commit) {
	t.Helper()
	h, err := r.Reference(ref, true)
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.CommitObject(h.Hash())
	if err != nil {
		t.Fatal(err)
	}
	tree, _ := c.Tree()
	out := map[string]string{}
	tree.Files().ForEach(func(f *object.File) error {
		s, _ := f.Contents()
		out[f.Name] = s
		return nil
	})
	return out, c
}

func TestLocal(t *testing.T) {
	dir, r := gitRepo(t)
	head, _ := r.Head()
	c := proposal.Change{Branch: "peerform/prune-2026-12-07", Title: "Remove AS64502", Body: "evidence",
		Remove: []string{"peers/AS64502.hcl"}, Write: map[string][]byte{"peers/AS64504.hcl": []byte("peer \"AS64504\" {}\n")}}
	h, err := proposal.Local(dir, c, proposal.Author{Name: "peerform", Email: "p@example.net", When: time.Unix(1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	got, commit := treeFiles(t, r, plumbing.NewBranchReferenceName(c.Branch))
	want := maps.Clone(files)
	delete(want, "peers/AS64502.hcl")
	want["peers/AS64504.hcl"] = "peer \"AS64504\" {}\n"
	if !maps.Equal(got, want) || commit.Hash.String() != h || commit.Message != "Remove AS64502\n\nevidence\n" ||
		len(commit.ParentHashes) != 1 || commit.ParentHashes[0] != head.Hash() {
		t.Errorf("branch holds %v, commit %s %q", got, commit.Hash, commit.Message)
	}
	// Nothing else moved: HEAD, its branch, the working tree.
	if now, _ := r.Head(); now.Name() != head.Name() || now.Hash() != head.Hash() {
		t.Errorf("HEAD moved to %s", now)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "README.md")); string(b) != "edited, not committed\n" {
		t.Errorf("working tree changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "peers", "AS64502.hcl")); err != nil {
		t.Errorf("the removed file left the working tree: %v", err)
	}
	// Removing every file of a directory removes the directory.
	c2 := proposal.Change{Branch: "empty-peers", Title: "t", Remove: []string{"peers/AS64501.hcl", "peers/AS64502.hcl"}}
	if _, err := proposal.Local(dir, c2, proposal.Author{}); err != nil {
		t.Fatal(err)
	}
	got, commit = treeFiles(t, r, plumbing.NewBranchReferenceName("empty-peers"))
	tree, _ := commit.Tree()
	if _, err := tree.FindEntry("peers"); err == nil || len(got) != 2 {
		t.Errorf("an emptied directory stays: %v", got)
	}
}

func TestLocalRefuses(t *testing.T) {
	dir, _ := gitRepo(t)
	for name, c := range map[string]proposal.Change{
		"existing branch": {Branch: "master", Title: "t", Remove: []string{"README.md"}},
		"missing file":    {Branch: "b1", Title: "t", Remove: []string{"peers/AS1.hcl"}},
		"a directory":     {Branch: "b2", Title: "t", Remove: []string{"peers"}},
		"dot-dot":         {Branch: "b3", Title: "t", Remove: []string{"../x"}},
		"absolute":        {Branch: "b4", Title: "t", Remove: []string{"/etc/passwd"}},
		"into .git":       {Branch: "b5", Title: "t", Write: map[string][]byte{".git/hooks/post-commit": []byte("x")}},
		"bad branch":      {Branch: "a..b", Title: "t", Remove: []string{"README.md"}},
		"branch option":   {Branch: "-f", Title: "t", Remove: []string{"README.md"}},
		"two-line title":  {Branch: "b6", Title: "t\nx", Remove: []string{"README.md"}},
		"nothing":         {Branch: "b7", Title: "t"},
		"file as dir":     {Branch: "b8", Title: "t", Write: map[string][]byte{"README.md/x": []byte("x")}},
	} {
		if _, err := proposal.Local(dir, c, proposal.Author{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPullRequest(t *testing.T) {
	gh := proposaltest.New(t, "example", "peering", "main", files)
	pub := &review.Publisher{WriteGap: time.Millisecond} // GitHub's pacing, shortened
	if err := pub.Connect("t0ken", gh.URL(), nil); err != nil {
		t.Fatal(err)
	}
	c := proposal.Change{Branch: "peerform/prune-2026-12-07", Title: "Remove AS64502", Body: "evidence", Remove: []string{"peers/AS64502.hcl"}}
	pr, err := proposal.PullRequest(context.Background(), pub.Client, proposal.Repo{Owner: "example", Name: "peering", Base: "main"}, c)
	if err != nil {
		t.Fatal(err)
	}
	opened := gh.Opened()
	want := maps.Clone(files)
	delete(want, "peers/AS64502.hcl")
	if pr.GetNumber() != 1 || len(opened) != 1 || !maps.Equal(opened[0].Files, want) || opened[0].Title != c.Title ||
		opened[0].Body != "evidence" || opened[0].Head != c.Branch {
		t.Fatalf("opened %+v", opened)
	}
	// The same branch again is refused by GitHub, and said so.
	if _, err := proposal.PullRequest(context.Background(), pub.Client, proposal.Repo{Owner: "example", Name: "peering", Base: "main"}, c); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second pull request from the same branch: %v", err)
	}
	// A file that is not there: GitHub refuses the tree.
	c.Branch, c.Remove = "other", []string{"peers/AS1.hcl"}
	if _, err := proposal.PullRequest(context.Background(), pub.Client, proposal.Repo{Owner: "example", Name: "peering", Base: "main"}, c); err == nil {
		t.Error("a removal of a missing file went through")
	}
}
