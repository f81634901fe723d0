package gitfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Bounds on what the git command may print. Tree listings and diffs of a
// peering repository are kilobytes; anything near these limits is hostile.
const (
	maxListingOutput = 64 << 20
	maxStderr        = 4 << 10
)

// gitCLI reads a repository by running the git command. Only plumbing
// commands are used, so user configuration (diff.renames, color, pagers)
// does not change their output.
type gitCLI struct {
	git string
	dir string
}

func openCLI(ctx context.Context, dir, gitPath string) (*gitCLI, string, error) {
	if gitPath == "" {
		gitPath = "git"
	}
	c := &gitCLI{git: gitPath, dir: dir}
	out, err := c.run(ctx, maxListingOutput, "rev-parse", "--show-toplevel")
	if err != nil {
		// A bare repository has no working tree; its git directory is
		// the root.
		var berr error
		if out, berr = c.run(ctx, maxListingOutput, "rev-parse", "--absolute-git-dir"); berr != nil {
			return nil, "", err
		}
	}
	c.dir = strings.TrimRight(string(out), "\n")
	return c, c.dir, nil
}

// cmdError is a git command that exited non-zero, with the start of what it
// printed on stderr.
type cmdError struct {
	args   []string
	code   int
	stderr string
}

func (e *cmdError) Error() string {
	msg := fmt.Sprintf("git %s: exit status %d", strings.Join(e.args, " "), e.code)
	if e.stderr != "" {
		msg += ": " + e.stderr
	}
	return msg
}

// errOutputTooLarge is returned by run when the command prints more than
// its limit.
var errOutputTooLarge = errors.New("output too large")

// run executes git in the repository and returns at most limit bytes of
// standard output; more is errOutputTooLarge and the command is killed.
func (c *gitCLI) run(ctx context.Context, limit int64, args ...string) ([]byte, error) {
	full := append([]string{"-C", c.dir, "--literal-pathspecs"}, args...)
	cmd := exec.CommandContext(ctx, c.git, full...)
	cmd.Env = append(os.Environ(),
		"GIT_TERMINAL_PROMPT=0", // never wait for a password on a CI runner
		"GIT_OPTIONAL_LOCKS=0",  // a read must not take the index lock
		"LC_ALL=C",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &capWriter{w: &stderr, n: maxStderr}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("running git: %w", err)
	}
	out, rerr := io.ReadAll(io.LimitReader(stdout, limit+1))
	tooLarge := int64(len(out)) > limit
	if tooLarge {
		_ = cmd.Process.Kill()
	}
	_, _ = io.Copy(io.Discard, stdout) // let git exit if it is still writing
	werr := cmd.Wait()
	switch {
	case tooLarge:
		return nil, fmt.Errorf("git %s: %w (limit %d bytes)", args[0], errOutputTooLarge, limit)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case werr != nil:
		var ee *exec.ExitError
		if errors.As(werr, &ee) {
			first, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
			return out, &cmdError{args: args, code: ee.ExitCode(), stderr: first}
		}
		return nil, fmt.Errorf("git %s: %w", args[0], werr)
	case rerr != nil:
		return nil, fmt.Errorf("git %s: reading output: %w", args[0], rerr)
	}
	return out, nil
}

// capWriter keeps the first n bytes written and drops the rest, so a
// chatty command cannot grow an error message without bound.
type capWriter struct {
	w io.Writer
	n int
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.n > 0 {
		k := min(len(p), c.n)
		_, _ = c.w.Write(p[:k])
		c.n -= k
	}
	return len(p), nil
}

// exitCode returns the exit status of a failed git command, or -1 when the
// error is something else (git missing, context cancelled).
func exitCode(err error) int {
	var ce *cmdError
	if errors.As(err, &ce) {
		return ce.code
	}
	return -1
}

func (c *gitCLI) revParse(ctx context.Context, expr string) (Hash, error) {
	out, err := c.run(ctx, 4096, "rev-parse", "--verify", "--quiet", "--end-of-options", expr)
	if err != nil {
		if exitCode(err) > 0 {
			return "", fmt.Errorf("%w: %w", ErrUnknownRevision, err)
		}
		return "", err
	}
	h, err := parseHash(strings.TrimSpace(string(out)))
	if err != nil {
		return "", fmt.Errorf("git rev-parse %s: %w", expr, err)
	}
	return h, nil
}

func (c *gitCLI) resolve(ctx context.Context, rev string) (Hash, error) {
	return c.revParse(ctx, rev+"^{commit}")
}

func (c *gitCLI) rootTree(ctx context.Context, commit Hash) (Hash, error) {
	return c.revParse(ctx, string(commit)+"^{tree}")
}

func (c *gitCLI) mergeBase(ctx context.Context, a, b Hash) (Hash, bool, error) {
	out, err := c.run(ctx, 4096, "merge-base", "--end-of-options", string(a), string(b))
	if err != nil {
		if exitCode(err) == 1 && len(bytes.TrimSpace(out)) == 0 {
			return "", false, nil // no common ancestor
		}
		return "", false, err
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	h, err := parseHash(first)
	if err != nil {
		return "", false, fmt.Errorf("git merge-base: %w", err)
	}
	return h, true, nil
}

func (c *gitCLI) diff(ctx context.Context, from, to Hash, prefixes []string) ([]Change, error) {
	args := []string{"diff-tree", "-r", "-z", "--no-renames", "--name-status", string(from), string(to), "--"}
	args = append(args, prefixes...)
	out, err := c.run(ctx, maxListingOutput, args...)
	if err != nil {
		return nil, err
	}
	changes, err := parseDiffTree(out)
	if err != nil {
		return nil, err
	}
	// The pathspec already filtered; filtering again keeps both backends
	// on one definition of "under a prefix".
	kept := changes[:0]
	for _, ch := range changes {
		if underPrefix(ch.Path, prefixes) {
			kept = append(kept, ch)
		}
	}
	return kept, nil
}

func (c *gitCLI) readTree(ctx context.Context, tree Hash) ([]entry, error) {
	out, err := c.run(ctx, maxListingOutput, "ls-tree", "-z", "--long", "--full-tree", "--end-of-options", string(tree))
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", tree.Short(), err)
	}
	return parseLsTree(out)
}

func (c *gitCLI) readBlob(ctx context.Context, blob Hash, max int64) ([]byte, error) {
	out, err := c.run(ctx, max, "cat-file", "blob", string(blob))
	if errors.Is(err, errOutputTooLarge) {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrFileTooLarge, max)
	}
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", blob.Short(), err)
	}
	return out, nil
}

func (c *gitCLI) shallow(ctx context.Context) (bool, error) {
	out, err := c.run(ctx, 64, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(out)) == "true", nil
}

// parseHash accepts a full SHA-1 or SHA-256 object name in lower-case hex.
func parseHash(s string) (Hash, error) {
	if len(s) != 40 && len(s) != 64 {
		return "", fmt.Errorf("not an object name: %q", truncate(s, 80))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", fmt.Errorf("not an object name: %q", truncate(s, 80))
		}
	}
	return Hash(s), nil
}

// parseDiffTree reads `git diff-tree -z --name-status` output: a status
// letter and a path, each NUL-terminated.
func parseDiffTree(out []byte) ([]Change, error) {
	var changes []Change
	fields := bytes.Split(out, []byte{0})
	if n := len(fields); n > 0 && len(fields[n-1]) == 0 {
		fields = fields[:n-1]
	}
	if len(fields)%2 != 0 {
		return nil, fmt.Errorf("git diff-tree: odd number of fields (%d)", len(fields))
	}
	for i := 0; i < len(fields); i += 2 {
		status, p := string(fields[i]), string(fields[i+1])
		if status == "" || p == "" {
			return nil, fmt.Errorf("git diff-tree: empty status or path at field %d", i)
		}
		var a Action
		switch status[0] {
		case 'A':
			a = Insert
		case 'D':
			a = Delete
		case 'M', 'T':
			a = Modify
		default:
			return nil, fmt.Errorf("git diff-tree: unexpected status %q for %q", truncate(status, 8), truncate(p, 200))
		}
		changes = append(changes, Change{Path: p, Action: a})
	}
	return changes, nil
}

// parseLsTree reads `git ls-tree -z --long` output: lines of
// "<mode> <type> <object> <size>\t<name>", NUL-terminated, where size is
// "-" for trees and submodules.
func parseLsTree(out []byte) ([]entry, error) {
	var entries []entry
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, name, ok := bytes.Cut(rec, []byte{'\t'})
		if !ok || len(name) == 0 || bytes.ContainsRune(name, '/') {
			return nil, fmt.Errorf("git ls-tree: malformed entry %q", truncate(string(rec), 200))
		}
		f := strings.Fields(string(meta))
		if len(f) != 4 {
			return nil, fmt.Errorf("git ls-tree: malformed entry %q", truncate(string(rec), 200))
		}
		mode, err := strconv.ParseUint(f[0], 8, 32)
		if err != nil {
			return nil, fmt.Errorf("git ls-tree: bad mode %q", truncate(f[0], 20))
		}
		h, err := parseHash(f[2])
		if err != nil {
			return nil, fmt.Errorf("git ls-tree: %w", err)
		}
		e := entry{name: string(name), mode: fsMode(uint32(mode)), hash: h}
		if f[3] != "-" {
			if e.size, err = strconv.ParseInt(f[3], 10, 64); err != nil || e.size < 0 {
				return nil, fmt.Errorf("git ls-tree: bad size %q", truncate(f[3], 20))
			}
		}
		entries = append(entries, e)
	}
	return entries, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
