// Package gitfs reads a git repository the way a review or a plan needs it:
// the tree of any commit as a read-only io/fs.FS (no checkout, the working
// tree is never touched), the merge base of two commits, and the paths a
// pull request changes under given prefixes, with GitHub's three-dot
// semantics (merge base → head).
//
// It uses go-git first. go-git v5 refuses some repositories that git itself
// opens fine — any `[extensions]` entry such as extensions.worktreeConfig,
// which `git sparse-checkout` and `git worktree` write — and then gitfs
// falls back, transparently, to the git command (cat-file, ls-tree,
// merge-base, diff-tree). Both backends give the same answers; the tests
// run every case against both.
//
// Everything read from a tree is bounded: a blob larger than
// Options.MaxFileSize cannot be opened, so a pull request that adds a
// gigabyte file cannot exhaust the job's memory.
//
// A shallow clone (actions/checkout's default fetch-depth: 1) lacks the base
// commit and the history a merge base needs; gitfs reports that as
// ErrShallow with what to change, instead of go-git's misleading
// "reference not found".
package gitfs
