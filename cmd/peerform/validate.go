package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/pipeline"
)

type validateOptions struct {
	app    *app
	format string
}

func newCmdValidate(a *app, runF func(*validateOptions) error) *cobra.Command {
	opts := &validateOptions{app: a}
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "validate",
		GroupID: "intent",
		Short:   "Check every peer and policy file and report all problems",
		Long: `Validate loads peers/*.hcl and policies/*.hcl and reports every problem it
finds, each pointing at file:line:col: syntax errors, unknown or missing
attributes, duplicate peers, labels that disagree with file names, bad AS
numbers, AS-SETs and addresses, references to routers or IXPs that do not
exist, and text that could change a router config (newlines, quotes, braces,
semicolons, non-ASCII look-alikes) — all in one run.

When the intents are valid they are also checked against PeeringDB (the
repository's snapshot, the cache, or --peeringdb): peers that share no IXP
with us, PeeringDB addresses outside the exchange LANs, missing prefix counts.
These are warnings.

Exit status: 0 when there are no errors (warnings are allowed), 1 when there
are errors, 2 when the command itself fails.`,
		Example: `  # Human-readable report with source snippets
  peerform validate

  # Another checkout
  peerform validate --repo ../peering

  # Annotations on a pull request (in GitHub Actions)
  peerform validate --format github

  # For scripts (--json is the same as --format json)
  peerform validate --json | jq '.diagnostics[] | .range.filename'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON {
				if cmd.Flags().Changed("format") && opts.format != "json" {
					return usageErrorf("--json and --format %s disagree", opts.format)
				}
				opts.format = "json"
			}
			switch opts.format {
			case "text", "json", "github":
			default:
				return usageErrorf("--format is text, json or github, not %q", opts.format)
			}
			if runF != nil {
				return runF(opts)
			}
			return validateRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.format, "format", "text", "output `format`: text, json or github (workflow-command annotations)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (the same as --format json)")
	return cmd
}

func validateRun(opts *validateOptions) error {
	a := opts.app
	repo, diags := intent.LoadDir(a.repoDir)
	if !diags.HasErrors() {
		more, err := pipeline.CheckAgainstData(context.Background(), a.pipeline(), repo)
		if err != nil {
			return err
		}
		diags = append(diags, more...)
	}
	diags = intent.Sorted(diags)
	errs, warns := intent.Counts(diags)
	var err error
	switch opts.format {
	case "json":
		err = intent.WriteJSON(a.io.Out, diags)
	case "github":
		err = intent.WriteGitHub(a.io.Out, diags)
	default:
		if err = intent.WriteText(a.io.Out, diags, repo.Files, a.io.OutTTY); err == nil {
			fmt.Fprintf(a.io.Out, "%s: %d peers, %d routers, %d IXPs; %s, %s.\n",
				verdict(errs), len(repo.Peers), len(repo.Routers), len(repo.IXPs), plural(errs, "error"), plural(warns, "warning"))
		}
	}
	if err != nil {
		return err
	}
	if errs > 0 {
		return errFindings
	}
	return nil
}

func verdict(errs int) string {
	if errs > 0 {
		return "Invalid"
	}
	return "Valid"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
