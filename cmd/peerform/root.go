package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/pipeline"
)

// app holds what every command shares: the streams, the global flags and a
// logger. Commands receive it instead of reading package-level state.
type app struct {
	io *ioStreams
	// repoDir is the peering repository (peers/ and policies/).
	repoDir string
	// peeringdb is a snapshot directory or file, or "api" for the live API
	// (with the local cache); empty means the repository's default.
	peeringdb string
	// offline forbids every network access to PeeringDB.
	offline bool
	verbose bool
}

func (a *app) logger() *slog.Logger {
	level := slog.LevelWarn
	if a.verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(a.io.ErrOut, &slog.HandlerOptions{Level: level}))
}

// pipeline is what the pipeline needs of the global flags and streams:
// progress lines go to stderr on a terminal only.
func (a *app) pipeline() pipeline.Options {
	o := pipeline.Options{Dir: a.repoDir, PeeringDB: a.peeringdb, Offline: a.offline, Logger: a.logger(), Warnings: a.io.ErrOut}
	if a.io.ErrTTY {
		o.Progress = a.io.ErrOut
	}
	return o
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "peerform <command>",
		Short: "Peering as code: validate, score, plan and deploy BGP peerings",
		Long: `peerform runs a peering repository: one HCL file per peer in peers/, our
network, routers, IXPs and filters in policies/. On a pull request it
validates the intents, scores new peers and shows each router's config diff;
on merge it deploys the changed routers with commit-confirmed rollback.`,
		Example: `  # Is the repository valid? (run it from the repository root)
  peerform validate

  # Who should we peer with, and how good is one candidate?
  peerform suggest --top 10
  peerform score AS64504

  # What would each router's config look like, and what changes since main?
  peerform render --out rendered/
  peerform plan --base origin/main

  # The comment a pull request gets, printed instead of posted
  peerform review --base origin/main --head HEAD --dry-run

  # On merge: push the changed routers, then wait for their sessions
  peerform deploy && peerform check --wait 60s`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(a.io.In)
	root.SetOut(a.io.Out)
	root.SetErr(a.io.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{err}
	})
	// A repository named with -C must exist (init creates its own).
	root.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if !c.Flags().Changed("repo") || c.Name() == "init" {
			return nil
		}
		switch fi, err := os.Stat(a.repoDir); {
		case errors.Is(err, fs.ErrNotExist):
			return usageErrorf("-C %s: the directory does not exist", a.repoDir)
		case err != nil:
			return usageErrorf("-C %s: %v", a.repoDir, err)
		case !fi.IsDir():
			return usageErrorf("-C %s: not a directory", a.repoDir)
		}
		return nil
	}

	pf := root.PersistentFlags()
	pf.StringVarP(&a.repoDir, "repo", "C", ".", "peering repository `dir` (holds peers/ and policies/)")
	pf.StringVar(&a.peeringdb, "peeringdb", "", "PeeringDB source: a snapshot `dir` or file, or \"api\" (default: the repository's snapshot, else the cache)")
	pf.BoolVar(&a.offline, "offline", false, "never contact PeeringDB or other network services")
	pf.BoolVarP(&a.verbose, "verbose", "v", false, "log what is being done to stderr")

	root.AddGroup(
		&cobra.Group{ID: "intent", Title: "Working with intents:"},
		&cobra.Group{ID: "data", Title: "External data:"},
		&cobra.Group{ID: "routers", Title: "Routers:"},
	)
	for _, c := range []*cobra.Command{
		newCmdInit(a, nil),
		newCmdValidate(a, nil),
		newCmdFmt(a, nil),
		newCmdRender(a, nil),
		newCmdPlan(a, nil),
		newCmdIRR(a),
		newCmdRPKI(a),
		newCmdPeeringDB(a),
		newCmdIXF(a),
		newCmdScore(a, nil),
		newCmdSuggest(a, nil),
		newCmdEvaluate(a, nil),
		newCmdModel(a),
		newCmdReview(a, nil),
		newCmdDeploy(a, nil),
		newCmdCheck(a, nil),
		newCmdMonitor(a, nil),
		newCmdPrune(a, nil),
		newCmdRequest(a, nil),
		newCmdTraffic(a),
	} {
		root.AddCommand(c)
	}
	root.AddCommand(exitCodesTopic())
	return root
}

func exitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "What peerform's exit codes mean",
		Long: `peerform exits with:
  0  success: nothing to report
  1  findings: validation errors, files that need formatting, sessions not
     Established, a deploy that was rolled back, an RPKI-invalid route
     (rpki validate), an AS-SET that could not be expanded (irr expand),
     a review whose verdict fails
  2  usage error (bad flag or argument) or an internal failure, or a
     second SIGINT/SIGTERM, which exits without waiting for rollbacks

SIGINT or SIGTERM (a cancelled CI job) stops a command: deploy first rolls
back every change it has not confirmed, then exits 1 with its report.

plan --detailed-exitcode changes the meaning for scripts: 0 when no router
changes, 1 when some router changes, 2 on an error.`,
	}
}

// run executes peerform with args and returns the process exit code.
func run(args []string, ios *ioStreams) int {
	return runContext(context.Background(), args, ios)
}

// runContext is run with a context that stops the command when it is
// cancelled (main cancels it on SIGINT and SIGTERM).
func runContext(ctx context.Context, args []string, ios *ioStreams) int {
	a := &app{io: ios}
	root := newRootCmd(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil && err.Error() != "" {
		fmt.Fprintln(ios.ErrOut, "Error:", err)
		if isUsage(err) || isCobraUsageError(err) {
			fmt.Fprintln(ios.ErrOut, "Run 'peerform --help' for usage.")
		}
	}
	return code
}

// isCobraUsageError recognises the errors cobra itself returns for unknown
// commands and flags, which are usage errors too.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand")
}

// usageArgs wraps a cobra argument check so that a wrong argument count
// exits 2 with a usage hint, like a bad flag.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}
