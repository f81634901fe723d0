package proposal

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// Repo is a GitHub repository and the branch changes are proposed to.
type Repo struct {
	Owner, Name string
	Base        string // the branch the pull request targets, e.g. "main"
}

// PullRequest proposes the change on GitHub as one commit on a new
// branch from the tip of r.Base, and a pull request of it into r.Base. It
// uses the Git data API, so nothing is checked out anywhere: a tree on top
// of the base's tree (removals as entries without a blob), a commit, the
// branch, the pull request.
func PullRequest(ctx context.Context, gh *github.Client, r Repo, c Change) (*github.PullRequest, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	base, _, err := gh.Git.GetRef(ctx, r.Owner, r.Name, "heads/"+r.Base)
	if err != nil {
		return nil, fmt.Errorf("reading branch %s: %w", r.Base, err)
	}
	parentSHA := base.GetObject().GetSHA()
	parent, _, err := gh.Git.GetCommit(ctx, r.Owner, r.Name, parentSHA)
	if err != nil {
		return nil, fmt.Errorf("reading commit %s: %w", parentSHA, err)
	}
	var entries []*github.TreeEntry
	for _, p := range c.paths() {
		e := &github.TreeEntry{Path: github.String(p), Mode: github.String("100644"), Type: github.String("blob")}
		if data, ok := c.Write[p]; ok {
			e.Content = github.String(string(data))
		}
		// An entry with neither SHA nor content deletes the path.
		entries = append(entries, e)
	}
	tree, _, err := gh.Git.CreateTree(ctx, r.Owner, r.Name, parent.GetTree().GetSHA(), entries)
	if err != nil {
		return nil, fmt.Errorf("creating the tree: %w", err)
	}
	commit, _, err := gh.Git.CreateCommit(ctx, r.Owner, r.Name, &github.Commit{
		Message: github.String(c.message()), Tree: tree, Parents: []*github.Commit{{SHA: github.String(parentSHA)}},
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("creating the commit: %w", err)
	}
	if _, _, err := gh.Git.CreateRef(ctx, r.Owner, r.Name, &github.Reference{
		Ref: github.String("refs/heads/" + c.Branch), Object: &github.GitObject{SHA: commit.SHA},
	}); err != nil {
		return nil, fmt.Errorf("creating branch %s: %w", c.Branch, err)
	}
	pr, _, err := gh.PullRequests.Create(ctx, r.Owner, r.Name, &github.NewPullRequest{
		Title: github.String(c.Title), Body: github.String(c.Body), Head: github.String(c.Branch), Base: github.String(r.Base),
	})
	if err != nil {
		return nil, fmt.Errorf("opening the pull request: %w", err)
	}
	return pr, nil
}
