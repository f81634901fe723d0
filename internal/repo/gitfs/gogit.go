package gitfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"sync"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/utils/merkletrie"
)

// goGit reads a repository with go-git. go-git's Repository is not meant
// for concurrent use, so one mutex serialises every call.
type goGit struct {
	mu   sync.Mutex
	repo *git.Repository
}

func openGoGit(dir string) (*goGit, string, error) {
	opts := &git.PlainOpenOptions{
		DetectDotGit: true,
		// Linked worktrees (`git worktree add`) keep objects in the
		// main repository's common directory.
		EnableDotGitCommonDir: true,
	}
	repo, err := git.PlainOpenWithOptions(dir, opts)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		// Detection looks for a .git directory; a bare repository is
		// the directory itself.
		opts.DetectDotGit = false
		repo, err = git.PlainOpenWithOptions(dir, opts)
	}
	if err != nil {
		return nil, "", err
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", err
	}
	if wt, err := repo.Worktree(); err == nil {
		root = wt.Filesystem.Root()
	}
	return &goGit{repo: repo}, root, nil
}

// refusedByGoGit reports whether Open failed because go-git does not
// support the repository's format, which the git command can still read.
func refusedByGoGit(err error) bool {
	return errors.Is(err, git.ErrUnsupportedExtensionRepositoryFormatVersion) ||
		errors.Is(err, git.ErrUnknownExtension) ||
		errors.Is(err, git.ErrUnsupportedRepositoryFormatVersion)
}

func (g *goGit) resolve(ctx context.Context, rev string) (Hash, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	// ResolveRevision peels tags and returns the commit's hash; every
	// failure (no such ref or object, a missing parent, bad syntax) means
	// the revision names no commit here.
	h, err := g.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnknownRevision, err)
	}
	return Hash(h.String()), nil
}

func (g *goGit) commit(h Hash) (*object.Commit, error) {
	c, err := g.repo.CommitObject(plumbing.NewHash(string(h)))
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", h.Short(), err)
	}
	return c, nil
}

func (g *goGit) mergeBase(ctx context.Context, a, b Hash) (Hash, bool, error) {
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	ca, err := g.commit(a)
	if err != nil {
		return "", false, err
	}
	cb, err := g.commit(b)
	if err != nil {
		return "", false, err
	}
	bases, err := ca.MergeBase(cb)
	if err != nil {
		return "", false, err
	}
	if len(bases) == 0 {
		return "", false, nil
	}
	// Criss-cross merges have several best ancestors; take the smallest
	// hash so that the answer does not depend on walk order.
	sort.Slice(bases, func(i, j int) bool { return bases[i].Hash.String() < bases[j].Hash.String() })
	return Hash(bases[0].Hash.String()), true, nil
}

func (g *goGit) diff(ctx context.Context, from, to Hash, prefixes []string) ([]Change, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	trees := make([]*object.Tree, 2)
	for i, h := range []Hash{from, to} {
		c, err := g.commit(h)
		if err != nil {
			return nil, err
		}
		if trees[i], err = c.Tree(); err != nil {
			return nil, fmt.Errorf("tree of %s: %w", h.Short(), err)
		}
	}
	// Diffing whole trees is cheap: unchanged subtrees have equal hashes
	// and are skipped without being read.
	changes, err := object.DiffTreeWithOptions(ctx, trees[0], trees[1], &object.DiffTreeOptions{})
	if err != nil {
		return nil, err
	}
	var out []Change
	for _, ch := range changes {
		act, err := ch.Action()
		if err != nil {
			return nil, err
		}
		c := Change{Path: ch.To.Name}
		switch act {
		case merkletrie.Insert:
			c.Action = Insert
		case merkletrie.Delete:
			c.Action, c.Path = Delete, ch.From.Name
		default:
			c.Action = Modify
		}
		if underPrefix(c.Path, prefixes) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (g *goGit) rootTree(ctx context.Context, commit Hash) (Hash, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	c, err := g.commit(commit)
	if err != nil {
		return "", err
	}
	return Hash(c.TreeHash.String()), nil
}

func (g *goGit) readTree(ctx context.Context, tree Hash) ([]entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	t, err := g.repo.TreeObject(plumbing.NewHash(string(tree)))
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", tree.Short(), err)
	}
	out := make([]entry, 0, len(t.Entries))
	for _, te := range t.Entries {
		e := entry{name: te.Name, mode: fsMode(uint32(te.Mode)), hash: Hash(te.Hash.String())}
		if e.mode.IsRegular() || e.mode.Type() == fsMode(gitModeSymlink).Type() {
			size, err := g.repo.Storer.EncodedObjectSize(te.Hash)
			if err != nil {
				return nil, fmt.Errorf("size of %s: %w", te.Name, err)
			}
			e.size = size
		}
		out = append(out, e)
	}
	return out, nil
}

func (g *goGit) readBlob(ctx context.Context, blob Hash, max int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	b, err := g.repo.BlobObject(plumbing.NewHash(string(blob)))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", blob.Short(), err)
	}
	if b.Size > max {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrFileTooLarge, b.Size, max)
	}
	r, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrFileTooLarge, max)
	}
	return data, nil
}

func (g *goGit) shallow(context.Context) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s, err := g.repo.Storer.Shallow()
	return len(s) > 0, err
}
