package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/repo/repofs"
)

type fmtOptions struct {
	app   *app
	check bool
	paths []string
}

func newCmdFmt(a *app, runF func(*fmtOptions) error) *cobra.Command {
	opts := &fmtOptions{app: a}
	cmd := &cobra.Command{
		Use:     "fmt [PATH...]",
		GroupID: "intent",
		Short:   "Rewrite HCL files in the canonical format",
		Long: `Fmt rewrites HCL files in the canonical style (indentation, aligned '=',
spacing), keeping comments and the order of everything. With no PATH it
formats peers/ and policies/ of the repository; a PATH may be a file or a
directory (searched recursively). Files with syntax errors are reported and
left untouched. JSON files (.hcl.json) are not changed.

It prints the name of every file that changed (or, with --check, would
change). With --check nothing is written and the exit status is 1 when any
file needs formatting — use it in CI.`,
		Example: `  # Format the whole repository
  peerform fmt

  # Fail a CI job if anything is not formatted
  peerform fmt --check

  # Just one new peer file
  peerform fmt peers/AS13335.hcl`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.paths = args
			if runF != nil {
				return runF(opts)
			}
			return fmtRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.check, "check", false, "only list files that need formatting; exit 1 if there are any")
	return cmd
}

func fmtRun(opts *fmtOptions) error {
	a := opts.app
	paths := opts.paths
	if len(paths) == 0 {
		for _, d := range []string{intent.PeersDir, intent.PoliciesDir} {
			if p := filepath.Join(a.repoDir, d); isDir(p) {
				paths = append(paths, p)
			}
		}
	}
	files, err := hclFiles(paths)
	if err != nil {
		return err
	}
	var changed, broken int
	for _, name := range files {
		src, err := readHCLFile(name)
		if err != nil {
			broken++
			fmt.Fprintf(a.io.ErrOut, "%s: not formatted: %v\n", name, err)
			continue
		}
		out, diags := intent.Format(src, name)
		if diags.HasErrors() {
			broken++
			_ = intent.WriteText(a.io.ErrOut, diags, map[string]*hcl.File{name: {Bytes: src}}, a.io.ErrTTY)
			fmt.Fprintf(a.io.ErrOut, "%s: not formatted: fix the syntax errors first\n", name)
			continue
		}
		if string(out) == string(src) {
			continue
		}
		changed++
		if !opts.check {
			if err := writeFileAtomic(name, out); err != nil {
				return err
			}
		}
		fmt.Fprintln(a.io.Out, name)
	}
	switch {
	case broken > 0:
		return findingsf("%s could not be formatted", plural(broken, "file"))
	case opts.check && changed > 0:
		verb := "need"
		if changed == 1 {
			verb = "needs"
		}
		return findingsf("%s %s formatting; run 'peerform fmt'", plural(changed, "file"), verb)
	}
	return nil
}

// readHCLFile reads a file to format: a regular file (not a symbolic
// link, which may point anywhere, nor a FIFO, which would block) of at
// most intent.MaxFileBytes.
func readHCLFile(name string) ([]byte, error) {
	f, err := repofs.Open(filepath.Dir(name), filepath.Base(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, intent.MaxFileBytes+1))
	if err == nil && len(src) > intent.MaxFileBytes {
		err = fmt.Errorf("larger than %d bytes", intent.MaxFileBytes)
	}
	return src, err
}

// hclFiles expands the arguments into HCL native-syntax files, sorted.
func hclFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(path, ".hcl") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return files, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// writeFileAtomic replaces name with data through a temporary file and a
// rename, so an interrupted fmt never leaves a half-written intent (nor
// ixf fetch a half-written export). A new file gets mode 0644.
func writeFileAtomic(name string, data []byte) error {
	mode := fs.FileMode(0o644)
	switch st, err := os.Stat(name); {
	case err == nil:
		mode = st.Mode().Perm()
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), ".peerform-fmt-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
