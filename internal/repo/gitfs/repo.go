package gitfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"
)

// DefaultMaxFileSize bounds a blob read from a tree when Options.MaxFileSize
// is zero. Intents are a few kilobytes; a demo PeeringDB snapshot a few
// megabytes.
const DefaultMaxFileSize = 16 << 20

// Errors callers may test for with errors.Is.
var (
	// ErrShallow means a commit or the history between two commits is
	// missing because the clone is shallow.
	ErrShallow = errors.New("the commit is not in this clone, which is shallow; use fetch-depth: 0 " +
		"(actions/checkout) or run git fetch --unshallow")
	// ErrUnknownRevision means the revision names no commit in a complete clone.
	ErrUnknownRevision = errors.New("unknown revision")
	// ErrNoMergeBase means two commits share no history.
	ErrNoMergeBase = errors.New("the commits have no common ancestor")
	// ErrFileTooLarge is returned when opening a blob larger than the limit.
	ErrFileTooLarge = errors.New("file too large")
	// ErrSymlink is returned when opening a symbolic link: trees are read
	// as they are committed and links are never followed.
	ErrSymlink = errors.New("symbolic links in a git tree are not followed")
)

// Backend names the implementation that reads the repository.
type Backend int

const (
	// Auto uses go-git and falls back to the git command when go-git
	// refuses the repository.
	Auto Backend = iota
	// GoGit uses go-git only.
	GoGit
	// CLI uses the git command only.
	CLI
)

func (b Backend) String() string {
	switch b {
	case Auto:
		return "auto"
	case GoGit:
		return "go-git"
	case CLI:
		return "git"
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// Hash is a full hexadecimal object name (40 characters for SHA-1
// repositories, 64 for SHA-256 ones).
type Hash string

// Short is the first 12 characters, for messages.
func (h Hash) Short() string {
	if len(h) > 12 {
		return string(h[:12])
	}
	return string(h)
}

// Action says what happened to a path between two commits.
type Action int

// The actions, named as in go-git's merkletrie. A rename is a Delete and an
// Insert; a type change (file to symlink) is a Modify.
const (
	Insert Action = iota + 1
	Modify
	Delete
)

func (a Action) String() string {
	switch a {
	case Insert:
		return "insert"
	case Modify:
		return "modify"
	case Delete:
		return "delete"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Change is one path that differs between two commits.
type Change struct {
	Path   string // slash-separated, relative to the repository root
	Action Action
}

// Options tune Open. The zero value is ready to use.
type Options struct {
	// Backend forces an implementation; Auto (the zero value) is right
	// outside tests.
	Backend Backend
	// MaxFileSize bounds blobs read through FS; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Git is the git executable for the CLI backend; "" means "git" on PATH.
	Git string
	// Logger receives a note when gitfs falls back to the git command;
	// nil discards it.
	Logger *slog.Logger
}

// backend is what each implementation provides; Repo adds argument checks,
// the shallow-clone diagnosis and the three-dot logic on top.
type backend interface {
	resolve(ctx context.Context, rev string) (Hash, error)
	mergeBase(ctx context.Context, a, b Hash) (Hash, bool, error)
	diff(ctx context.Context, from, to Hash, prefixes []string) ([]Change, error)
	rootTree(ctx context.Context, commit Hash) (Hash, error)
	objects
	shallow(ctx context.Context) (bool, error)
}

// Repo is an open repository. Its methods may be called from several
// goroutines.
type Repo struct {
	root    string
	kind    Backend
	b       backend
	maxFile int64
}

// Open opens the repository containing dir (dir itself or a parent, like
// git does). With Backend Auto it tries go-git and falls back to the git
// command when go-git refuses the repository format.
func Open(ctx context.Context, dir string, opts *Options) (*Repo, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Backend != CLI {
		gg, root, err := openGoGit(dir)
		switch {
		case err == nil:
			return &Repo{root: root, kind: GoGit, b: gg, maxFile: o.MaxFileSize}, nil
		case o.Backend == GoGit || !refusedByGoGit(err):
			return nil, fmt.Errorf("opening git repository %s: %w", dir, err)
		}
		log.Info("go-git cannot read this repository; using the git command instead", "dir", dir, "reason", err)
	}
	c, root, err := openCLI(ctx, dir, o.Git)
	if err != nil {
		return nil, fmt.Errorf("opening git repository %s: %w", dir, err)
	}
	return &Repo{root: root, kind: CLI, b: c, maxFile: o.MaxFileSize}, nil
}

// Root is the top of the working tree (the git directory for a bare
// repository).
func (r *Repo) Root() string { return r.root }

// Backend says which implementation is reading the repository: GoGit or CLI.
func (r *Repo) Backend() Backend { return r.kind }

// Resolve turns a revision (a branch, tag, "HEAD~1", a full or abbreviated
// hash, "origin/main") into the hash of the commit it names.
func (r *Repo) Resolve(ctx context.Context, rev string) (Hash, error) {
	if err := checkRev(rev); err != nil {
		return "", err
	}
	h, err := r.b.resolve(ctx, rev)
	if err == nil {
		return h, nil
	}
	if errors.Is(err, ErrUnknownRevision) {
		if sh, serr := r.b.shallow(ctx); serr == nil && sh {
			return "", fmt.Errorf("revision %q: %w", rev, ErrShallow)
		}
	}
	return "", fmt.Errorf("revision %q: %w", rev, err)
}

// MergeBase returns the best common ancestor of a and b, where a pull
// request's diff starts.
func (r *Repo) MergeBase(ctx context.Context, a, b Hash) (Hash, error) {
	h, ok, err := r.b.mergeBase(ctx, a, b)
	if err == nil && ok {
		return h, nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if sh, serr := r.b.shallow(ctx); serr == nil && sh {
		// A shallow clone cuts history: a missing parent or no common
		// ancestor both mean "fetch more", not "unrelated histories".
		return "", fmt.Errorf("merge base of %s and %s: %w", a.Short(), b.Short(), ErrShallow)
	}
	if err != nil {
		return "", fmt.Errorf("merge base of %s and %s: %w", a.Short(), b.Short(), err)
	}
	return "", fmt.Errorf("merge base of %s and %s: %w", a.Short(), b.Short(), ErrNoMergeBase)
}

// Changes lists the paths under the given prefixes that head changes
// relative to base, as GitHub shows a pull request: from the merge base of
// base and head to head, so commits added to base after the fork do not
// appear. Prefixes are directories ("peers", "policies/"); none means the
// whole tree. The result is sorted by path.
func (r *Repo) Changes(ctx context.Context, base, head Hash, prefixes ...string) ([]Change, error) {
	mb, err := r.MergeBase(ctx, base, head)
	if err != nil {
		return nil, err
	}
	return r.Diff(ctx, mb, head, prefixes...)
}

// Diff lists the paths under the given prefixes that differ between two
// commits (two-dot semantics), sorted by path.
func (r *Repo) Diff(ctx context.Context, from, to Hash, prefixes ...string) ([]Change, error) {
	ps, err := cleanPrefixes(prefixes)
	if err != nil {
		return nil, err
	}
	changes, err := r.b.diff(ctx, from, to, ps)
	if err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", from.Short(), to.Short(), err)
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Path < changes[j].Path })
	return changes, nil
}

// FS returns the tree of a commit as a read-only file system. Paths are
// slash-separated and relative to the repository root, as io/fs wants.
// Files larger than Options.MaxFileSize cannot be opened.
func (r *Repo) FS(ctx context.Context, commit Hash) (fs.FS, error) {
	return r.FSLimit(ctx, commit, r.maxFile)
}

// FSLimit is FS with another bound on the size of a file: data snapshots
// may be larger than intents.
func (r *Repo) FSLimit(ctx context.Context, commit Hash, maxFile int64) (fs.FS, error) {
	root, err := r.b.rootTree(ctx, commit)
	if err != nil {
		return nil, fmt.Errorf("tree of %s: %w", commit.Short(), err)
	}
	return newTreeFS(ctx, r.b, root, maxFile), nil
}

// checkRev rejects revisions that could be taken for options or that no
// ref name can contain, before they reach either backend.
func checkRev(rev string) error {
	switch {
	case rev == "":
		return fmt.Errorf("empty revision")
	case len(rev) > 1024:
		return fmt.Errorf("revision too long (%d bytes)", len(rev))
	case strings.HasPrefix(rev, "-"):
		return fmt.Errorf("revision %q: must not start with '-'", rev)
	case strings.ContainsAny(rev, "\x00\n\r\t "):
		return fmt.Errorf("revision %q: contains a space or control character", rev)
	case strings.Contains(rev, ":"), strings.Contains(rev, "@{"), strings.Contains(rev, "^{"), strings.Contains(rev, ".."):
		// Only names and hashes with ~n and ^n suffixes: go-git silently
		// ignores the other forms (rev:path, @{upstream}, ^{tree}, ranges)
		// and would answer with a different commit than git.
		return fmt.Errorf("revision %q: use a branch, tag or commit hash, optionally with ~n or ^n", rev)
	}
	return nil
}

// cleanPrefixes normalises "peers/" and "./peers" to "peers" and rejects
// paths that leave the repository.
func cleanPrefixes(prefixes []string) ([]string, error) {
	out := make([]string, 0, len(prefixes))
	for _, p := range prefixes {
		c := strings.Trim(strings.TrimPrefix(p, "./"), "/")
		if c == "" || c == "." {
			return nil, nil // the whole tree
		}
		if !fs.ValidPath(c) {
			return nil, fmt.Errorf("path prefix %q: not a clean relative path", p)
		}
		out = append(out, c)
	}
	return out, nil
}

// underPrefix reports whether path is one of the prefixes or inside one.
func underPrefix(path string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}
