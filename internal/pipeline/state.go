package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/peerform/peerform/internal/repo/gitfs"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/render"
)

// Bounds on the data files read from a commit: they are exported to a
// scratch directory for the loaders, one file at a time.
const (
	maxDataFileBytes = 256 << 20
	maxDataDirFiles  = 256
)

// State is one state of the peering repository — a commit's tree
// read from git, or the working tree — which plans and reviews render
// from its own files: its intents, the data files its policies name and
// its templates/ folder.
type State struct {
	label string
	fsys  fs.FS
	// dir is the working tree; empty for a commit, whose data files are
	// exported into scratch when a loader asks for them.
	dir     string
	data    fs.FS // the commit's tree with the larger bound for data files
	scratch string
}

// WorktreeState is the repository as it is on disk.
func WorktreeState(o Options) *State {
	return &State{label: "working tree", fsys: repofs.Dir(o.Dir), dir: o.Dir}
}

// commitState is the repository as it is in a commit, read from git: the
// commit's tree, or its folder sub. Close removes what it exported.
func commitState(ctx context.Context, repo *gitfs.Repo, commit gitfs.Hash, label string, sub string) (*State, error) {
	tree, err := repo.FS(ctx, commit)
	if err != nil {
		return nil, err
	}
	data, err := repo.FSLimit(ctx, commit, maxDataFileBytes)
	if err != nil {
		return nil, err
	}
	if sub != "" && sub != "." {
		if tree, err = fs.Sub(tree, sub); err != nil {
			return nil, err
		}
		if data, err = fs.Sub(data, sub); err != nil {
			return nil, err
		}
	}
	return &State{label: label, fsys: tree, data: data}, nil
}

// RevisionState returns the peering repository as it is in a commit: the
// commit's tree, or the subdirectory of it that Options.Dir points into.
func RevisionState(ctx context.Context, o Options, repo *gitfs.Repo, rev string) (*State, error) {
	h, err := repo.Resolve(ctx, rev)
	if err != nil {
		return nil, err
	}
	rel, err := relativeTo(repo.Root(), o.Dir)
	if err != nil {
		return nil, err
	}
	return commitState(ctx, repo, h, fmt.Sprintf("%s (%s)", rev, h.Short()), rel)
}

// relativeTo returns dir relative to root, slash-separated, for fs.Sub.
func relativeTo(root, dir string) (string, error) {
	absRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if absDir, err = filepath.EvalSymlinks(absDir); err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absRoot, absDir)
	if err != nil || rel == ".." || filepath.IsAbs(rel) || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
		return "", fmt.Errorf("%s is not inside the git repository %s", dir, root)
	}
	return filepath.ToSlash(rel), nil
}

// Label names the state in messages: "working tree", "main (1a2b3c4)".
func (s *State) Label() string { return s.label }

// Close removes the scratch copies of a commit's data files.
func (s *State) Close() {
	if s.scratch != "" {
		os.RemoveAll(s.scratch)
		s.scratch = ""
	}
}

// dataRoot returns a directory on disk under which the state's
// repository-relative files and directories (a snapshot directory's
// regular files) can be read by their relative paths: the working tree
// itself, or a private scratch directory they are exported to from the
// commit. A missing path is an error wrapping fs.ErrNotExist; symbolic
// links and other special files are refused.
func (s *State) dataRoot(paths ...string) (string, error) {
	if s.dir != "" {
		return s.dir, nil
	}
	if s.scratch == "" {
		dir, err := os.MkdirTemp("", "peerform-data-")
		if err != nil {
			return "", err
		}
		s.scratch = dir
	}
	for _, p := range paths {
		if err := s.export(p); err != nil {
			return "", err
		}
	}
	return s.scratch, nil
}

// export copies one file, or the regular files of one directory, from the
// commit into scratch (once).
func (s *State) export(p string) error {
	p = path.Clean(p)
	if !fs.ValidPath(p) || p == "." {
		return fmt.Errorf("%s: not a path inside the repository", p)
	}
	if _, err := os.Lstat(filepath.Join(s.scratch, filepath.FromSlash(p))); err == nil {
		return nil
	}
	info, err := fs.Stat(s.data, p)
	if err != nil {
		return err
	}
	switch {
	case info.Mode().IsRegular():
		return s.exportFile(p)
	case info.IsDir():
		entries, err := fs.ReadDir(s.data, p)
		if err != nil {
			return err
		}
		if len(entries) > maxDataDirFiles {
			return fmt.Errorf("%s: more than %d entries", p, maxDataDirFiles)
		}
		if err := os.MkdirAll(filepath.Join(s.scratch, filepath.FromSlash(p)), 0o700); err != nil {
			return err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				if err := s.exportFile(path.Join(p, e.Name())); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return fmt.Errorf("%s: not a regular file or directory (%s)", p, info.Mode().Type())
}

func (s *State) exportFile(p string) error {
	b, err := fs.ReadFile(s.data, p)
	if err != nil {
		return err
	}
	dst := filepath.Join(s.scratch, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o600)
}

// digest identifies the content of repository-relative files and
// directories under root (as dataRoot returns it), with extra settings
// that shape what is loaded from them. Only regular files are read: a
// symbolic link, a FIFO or a device is an error, before anything blocks
// on it or reads outside the repository.
func digest(root string, paths []string, extra ...string) (string, error) {
	h := sha256.New()
	for _, e := range extra {
		fmt.Fprintf(h, "%q\n", e)
	}
	for _, p := range paths {
		full := filepath.Join(root, filepath.FromSlash(p))
		info, err := os.Lstat(full)
		if err != nil {
			return "", err
		}
		files := []string{full}
		if info.IsDir() {
			entries, err := os.ReadDir(full)
			if err != nil {
				return "", err
			}
			files = files[:0]
			for _, e := range entries {
				if !e.IsDir() {
					files = append(files, filepath.Join(full, e.Name()))
				}
			}
		}
		for _, f := range files {
			if err := hashFile(h, root, f); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile adds a regular file's name and content to h, streaming: a
// snapshot in the working tree may be large.
func hashFile(h io.Writer, root, file string) error {
	rel, _ := filepath.Rel(root, file)
	f, err := openRegular(file)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.ToSlash(rel), err)
	}
	defer f.Close()
	fmt.Fprintf(h, "%q\n", filepath.ToSlash(rel))
	_, err = io.Copy(h, f)
	return err
}

// RepoTemplates returns the templates a state renders with: those in
// flagDir (--templates) when given, else the built-in ones with the
// platforms of the state's own templates/ folder in their place. The
// description says which, for plans and reviews.
func RepoTemplates(fsys fs.FS, flagDir string) (*render.Templates, string, error) {
	if flagDir != "" {
		tm, err := LoadTemplates(flagDir)
		return tm, "--templates " + flagDir, err
	}
	builtin, err := render.DefaultTemplates()
	if err != nil {
		return nil, "", err
	}
	files, err := templateFiles(fsys)
	if err != nil || len(files) == 0 {
		return builtin, "built-in", err
	}
	sub, err := fs.Sub(fsys, repoTemplatesDir)
	if err != nil {
		return nil, "", err
	}
	own, err := render.LoadTemplates(sub)
	if err != nil {
		return nil, "", fmt.Errorf("%s/: %w", repoTemplatesDir, err)
	}
	h := sha256.New()
	var platforms []string
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, "", err
		}
		fmt.Fprintf(h, "%q %d\n", f, len(b))
		h.Write(b)
		if p := path.Base(path.Dir(f)); !slices.Contains(platforms, p) {
			platforms = append(platforms, p)
		}
	}
	return builtin.Override(own), fmt.Sprintf("%s/ (%s; built-in for the rest), content %s", repoTemplatesDir,
		strings.Join(platforms, ", "), shortDigest(hex.EncodeToString(h.Sum(nil)))), nil
}

// repoTemplatesDir is the folder of a repository's own templates, laid out
// like --templates: <platform>/*.tmpl.
const repoTemplatesDir = "templates"

// isRepoTemplate reports whether a repository path is one of the
// repository's own templates (templates/<platform>/*.tmpl).
func isRepoTemplate(p string) bool {
	ok, _ := path.Match(repoTemplatesDir+"/*/*.tmpl", p)
	return ok
}

// templateFiles lists the <platform>/*.tmpl files of templates/, sorted.
// Everything on the way must be a real directory or regular file: a
// symbolic link could make a pull request render a file from outside the
// repository.
func templateFiles(fsys fs.FS) ([]string, error) {
	info, err := fs.Lstat(fsys, repoTemplatesDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, nil
	}
	dirs, err := fs.ReadDir(fsys, repoTemplatesDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, err := fs.ReadDir(fsys, path.Join(repoTemplatesDir, d.Name()))
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			name := path.Join(repoTemplatesDir, d.Name(), f.Name())
			switch {
			case !strings.HasSuffix(f.Name(), ".tmpl"):
			case !f.Type().IsRegular():
				return nil, fmt.Errorf("%s: not a regular file", name)
			default:
				out = append(out, name)
			}
		}
	}
	return out, nil
}
