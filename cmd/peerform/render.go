package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/pipeline"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/render"
)

type renderOptions struct {
	app       *app
	out       string
	routers   []string
	templates string
	json      bool
}

func newCmdRender(a *app, runF func(*renderOptions) error) *cobra.Command {
	opts := &renderOptions{app: a}
	cmd := &cobra.Command{
		Use:     "render",
		GroupID: "intent",
		Short:   "Render each router's configuration from the intents",
		Long: `Render resolves the intents against PeeringDB, the IRR and RPKI (see
--peeringdb and --offline) and writes each router's configuration, from the
templates of its platform (bird2, frr, junos, iosxr, eos; netconf routers get
their peerform-bgp edit-config payload), to DIR/<router>.conf. The templates
are the built-in ones, except for the platforms the repository's own
templates/ folder has (<platform>/*.tmpl), or those of --templates; plan,
review and deploy use the same.

Every config has the safe defaults: no route without a policy (RFC 8212),
bogon prefixes and AS numbers, prefix-length limits, the peer's IRR prefix
list (deny-all when the IRR has nothing), RPKI invalid = reject, max-prefix
per family, GTSM, BFD and graceful shutdown (RFC 8326) as the peer file
says. MD5 passwords appear as PEERFORM-SECRET-<NAME> placeholders: deploy
fills them in from the environment, so rendered configs hold no secret.

Rendering is deterministic: the same repository and data give the same
bytes. With --offline no IRR server is asked and every peer is deny-all.

Exit status: 0 when every router rendered, 1 when the repository has errors
or a router could not be rendered, 2 on a usage or internal error.`,
		Example: `  # Every router into ./rendered/
  peerform render

  # One router to stdout
  peerform render --router fra-edge1 --out -

  # Without network access, from your own templates
  peerform render --offline --templates ./my-templates --out /tmp/configs`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.out == "" {
				return usageErrorf("--out must name a directory, or - for stdout")
			}
			if runF != nil {
				return runF(opts)
			}
			return renderRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.out, "out", "rendered", "write DIR/<router>.conf into `dir` (- prints to stdout)")
	f.StringArrayVar(&opts.routers, "router", nil, "render only this router (repeatable)")
	f.StringVar(&opts.templates, "templates", "", "load templates from `dir`/<platform>/*.tmpl instead of the built-in ones")
	f.BoolVar(&opts.json, "json", false, "print what was written as JSON")
	return cmd
}

func renderRun(ctx context.Context, opts *renderOptions) error {
	a := opts.app
	tm, _, err := pipeline.RepoTemplates(repofs.Dir(a.repoDir), opts.templates)
	if err != nil {
		return err
	}
	m, repo, diags, err := pipeline.LoadModel(ctx, a.pipeline(), repofs.Dir(a.repoDir))
	printDiagnostics(a, diags, repo)
	if err != nil {
		return err
	}
	if m == nil {
		return findingsf("the repository has errors; run peerform validate")
	}
	if err := pipeline.CheckRouters(opts.routers, repo.Routers); err != nil {
		return err
	}
	outs, renderErr := pipeline.RenderRouters(m, tm, opts.routers)
	written := []renderedFile{}
	for _, o := range outs {
		path, err := writeConfig(a, opts.out, o)
		if err != nil {
			return err
		}
		written = append(written, renderedFile{Router: o.Router, Platform: o.Platform, Path: path, Sessions: len(o.View.Sessions), Bytes: len(o.Config)})
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			FormatVersion int            `json:"format_version"`
			Routers       []renderedFile `json:"routers"`
		}{1, written}); err != nil {
			return err
		}
	} else if opts.out != "-" {
		for _, w := range written {
			fmt.Fprintf(a.io.Out, "%s (%s): %d sessions, %d bytes -> %s\n", w.Router, w.Platform, w.Sessions, w.Bytes, w.Path)
		}
	}
	noteNoSessions(a, written, len(repo.Peers))
	if renderErr != nil {
		return findingsf("%v", renderErr)
	}
	return nil
}

// noteNoSessions says, on stderr, what to add when a router renders no
// BGP session: a config with none is valid but peers with nobody.
func noteNoSessions(a *app, written []renderedFile, peers int) {
	for _, w := range written {
		if w.Sessions > 0 {
			continue
		}
		if peers == 0 {
			fmt.Fprintf(a.io.ErrOut, "Note: %s has no BGP session: there is no peer yet. Add one as peers/AS<n>.hcl (peers/README.md, 'peerform suggest' for who).\n", w.Router)
		} else {
			fmt.Fprintf(a.io.ErrOut, "Note: %s has no BGP session: no peer is at its exchanges with an address PeeringDB knows. Write the addresses in the peer files, session \"<IXP>\" { ipv4 = \"…\" } (validate's warnings say which peers).\n", w.Router)
		}
	}
}

type renderedFile struct {
	Router   string        `json:"router"`
	Platform platform.Name `json:"platform"`
	Path     string        `json:"path"`
	Sessions int           `json:"sessions"`
	Bytes    int           `json:"bytes"`
}

// writeConfig writes one config, atomically (a temporary file renamed
// into place), or prints it when out is "-". The output directory is not
// followed through a symbolic link (a repository may hold a rendered/
// link pointing anywhere), and nothing is written outside it.
func writeConfig(a *app, out string, o render.Output) (string, error) {
	if out == "-" {
		_, err := a.io.Out.Write(o.Config)
		return "-", err
	}
	if err := noSymlinks(out); err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	root, err := os.OpenRoot(out)
	if err != nil {
		return "", err
	}
	defer root.Close()
	name := o.Router + ".conf"
	path := filepath.Join(out, name)
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	tmpName := "." + name + "." + hex.EncodeToString(suffix)
	tmp, err := root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return "", err
	}
	defer root.Remove(tmpName)
	if _, err := tmp.Write(o.Config); err != nil {
		tmp.Close()
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	// A rename replaces a symbolic link at the destination; it does not
	// write through it.
	return path, root.Rename(tmpName, name)
}

// noSymlinks refuses an output directory that is a symbolic link, or, for
// a relative path, that is reached through one.
func noSymlinks(dir string) error {
	dir = filepath.Clean(dir)
	check := []string{dir}
	if !filepath.IsAbs(dir) {
		check = nil
		for p := dir; p != "." && p != string(filepath.Separator); p = filepath.Dir(p) {
			check = append(check, p)
		}
	}
	for _, p := range check {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link: render does not write through one", p)
		}
	}
	return nil
}
