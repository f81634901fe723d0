package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/change/review"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/repo/gitfs"
	"github.com/peerform/peerform/render"
)

// maxGoFilesPerDir bounds the Go files read in one directory to find the
// //go:embed directives that could embed a changed file.
const maxGoFilesPerDir = 500

// selfChanges picks out, among the paths a change touches, those that
// are peerform itself — Go code, the module files, and files that a
// //go:embed directive in either state embeds (the built-in templates) —
// and the CI configuration under .github/. A review built by the base's
// peerform cannot show what changed code renders, and a changed workflow
// may have produced the review itself: both must be said.
func selfChanges(changes []gitfs.Change, states ...fs.FS) (code, workflows []string) {
	embeds := embedIndex{states: states, patterns: map[string][]string{}}
	for _, ch := range changes {
		p := ch.Path
		switch {
		case strings.HasPrefix(p, ".github/"):
			workflows = append(workflows, p)
		case strings.HasSuffix(p, ".go"), slices.Contains([]string{"go.mod", "go.sum", "go.work", "go.work.sum"}, path.Base(p)):
			code = append(code, p)
		case embeds.embedded(p):
			code = append(code, p)
		}
	}
	return code, workflows
}

// embedIndex finds the //go:embed patterns of the Go files in a directory
// of any of the states, reading each directory once.
type embedIndex struct {
	states   []fs.FS
	patterns map[string][]string // by directory
}

// embedded reports whether a //go:embed directive in p's directory or one
// above it (embed patterns cannot climb up) matches p.
func (e embedIndex) embedded(p string) bool {
	for dir := path.Dir(p); ; dir = path.Dir(dir) {
		rel := p
		if dir != "." {
			rel = strings.TrimPrefix(p, dir+"/")
		}
		for _, pat := range e.dirPatterns(dir) {
			if embedMatch(pat, rel) {
				return true
			}
		}
		if dir == "." {
			return false
		}
	}
}

func (e embedIndex) dirPatterns(dir string) []string {
	if pats, ok := e.patterns[dir]; ok {
		return pats
	}
	var pats []string
	for _, fsys := range e.states {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			continue
		}
		n := 0
		for _, ent := range entries {
			if !ent.Type().IsRegular() || !strings.HasSuffix(ent.Name(), ".go") || strings.HasSuffix(ent.Name(), "_test.go") {
				continue
			}
			if n++; n > maxGoFilesPerDir {
				break
			}
			src, err := fs.ReadFile(fsys, path.Join(dir, ent.Name()))
			if err == nil {
				pats = append(pats, embedPatterns(string(src))...)
			}
		}
	}
	e.patterns[dir] = pats
	return pats
}

// embedPatterns returns the patterns of the //go:embed lines of a Go
// source file, unquoted, without the "all:" prefix.
func embedPatterns(src string) []string {
	var out []string
	for _, line := range strings.Split(src, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "//go:embed")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		for _, f := range strings.Fields(rest) {
			if u, err := strconv.Unquote(f); err == nil {
				f = u
			}
			out = append(out, strings.TrimPrefix(f, "all:"))
		}
	}
	return out
}

// embedMatch reports whether an embed pattern names rel or a directory
// holding it.
func embedMatch(pattern, rel string) bool {
	parts := strings.Split(rel, "/")
	for k := 1; k <= len(parts); k++ {
		if ok, _ := path.Match(pattern, strings.Join(parts[:k], "/")); ok {
			return true
		}
	}
	return false
}

// readHeadBuild reads the configs that peerform built from the head wrote
// into dir (pr.yml's untrusted job: every byte of it is the pull
// request's output) for the planned routers the head has, and compares
// them with what the base renders. A router without a config there is an
// error: merging would deploy code that cannot render it.
func readHeadBuild(dir string, head *intent.Repo, routers []string, base []render.Output) (*review.HeadBuild, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	fail := func(format string, args ...any) {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "The head's build did not render",
			Detail: fmt.Sprintf(format, args...)})
	}
	if info, err := os.Lstat(dir); err != nil || !info.IsDir() {
		fail("There is no output of the head's own build (%s is not a directory): it failed to build or to render, so merging would deploy code that does not work.", dir)
		return nil, diags
	}
	names := routers
	if names == nil {
		for _, r := range head.Routers {
			names = append(names, r.Name)
		}
	}
	hb := &review.HeadBuild{}
	var outs []render.Output
	for _, name := range names {
		r := head.Router(name)
		if r == nil {
			continue
		}
		cfg, err := readUntrusted(filepath.Join(dir, name+".conf"), render.MaxConfigBytes)
		if err != nil {
			hb.Missing = append(hb.Missing, name)
			fail("The head's own build rendered no config for router %s: %v.", name, err)
			continue
		}
		outs = append(outs, render.Output{Router: name, Platform: r.Platform, Config: cfg})
	}
	var before []render.Output
	for _, o := range base {
		if slices.ContainsFunc(outs, func(h render.Output) bool { return h.Router == o.Router }) {
			before = append(before, o)
		}
	}
	for _, r := range plan.Compute(before, outs, "base", "head build").Routers {
		if r.Action != plan.NoOp {
			hb.Routers = append(hb.Routers, routerDiff(r))
		}
	}
	return hb, diags
}

// readUntrusted reads a regular file (never a link, a FIFO or a device)
// of at most max bytes.
func readUntrusted(name string, max int64) ([]byte, error) {
	f, err := openRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("larger than %d bytes", max)
	}
	return b, err
}

// openRegular opens a file that is a regular file itself: a symbolic link
// could lead out of the repository, and opening a FIFO blocks.
func openRegular(name string) (*os.File, error) {
	if info, err := os.Lstat(name); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	// The check before opening keeps a FIFO from blocking us; this one
	// catches a swap in between.
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, errors.New("not a regular file")
	}
	return f, nil
}
