package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/pipeline"
)

type deployOptions struct {
	app            *app
	query          pipeline.RolloutQuery
	dryRun         bool
	confirmTimeout time.Duration
	verifyTimeout  time.Duration
	parallel       int
	json           bool
	rollout        rolloutFunc
	dial           deploy.DialFunc // nil: the real drivers
}

func newCmdDeploy(a *app, runF func(*deployOptions) error) *cobra.Command {
	opts := &deployOptions{app: a, rollout: repoRollout}
	cmd := &cobra.Command{
		Use:     "deploy",
		GroupID: "routers",
		Short:   "Push rendered configs to the routers that changed, with automatic rollback",
		Long: `Deploy renders every router of an environment and changes those whose
running config differs, one router at a time unless policy (deploy block)
or --parallel allows more, never two routers of a never_together pair at
once. Every router is reached and compared first: an unreachable router or
a refused login stops the deploy before anything changes.

Each change takes the router's lock, keeps the running config, applies the
new one with commit-confirm (BIRD's configure timeout, Junos and IOS-XR
commit confirmed, a NETCONF confirmed commit, emulated on FRR), waits until
every intended session is Established within its max-prefix, and confirms.
A change that does not verify in time is rolled back to the last confirmed
config and stops the rollout; a config the router refuses is never
activated. A change an earlier run left unfinished (a lost connection) is
reported and converged.

What is compared with the rendered config is what each router runs, read
back: FRR's running config; on BIRD the file whose identity (a constant
peerform writes into every config) BIRD reports. A router that runs neither
its last confirmed config nor the rendered one (changed by hand, undone
behind peerform's back) is reported as drift and converged.

SIGINT or SIGTERM (a cancelled CI job) stops the deploy: every change not
yet confirmed is rolled back before peerform exits 1 with its report; a
second signal exits at once (2), leaving an unconfirmed change to the
router's own timer (BIRD, Junos, IOS-XR, EOS, SR OS, NETCONF) or, on FRR,
whose timer is peerform's, to the next run, which converges it.

Routers of the netconf platform are verified by reading their running
configuration back: it must be the rendered payload. Their sessions must
be Established where the router reports BGP state; a router that reports
none (a NETCONF server without the module's state) has its sessions shown
as not verified, with their state Unknown (docs/netconf.md).

Routers are reached over SSH with the router block's user and key file (or
the SSH agent, or the password variable); host keys are checked against
--known-hosts. transport = "netconf" (the netconf platform, and Junos)
uses NETCONF over SSH, port 830 unless given. Secrets (md5 =
secret("NAME")) are read from PEERFORM_SECRET_NAME at this point, checked
against what the router's platform can take before any router is
contacted (a value is refused by the secret's name, exit 1), and never
printed: neither they nor any key read back from a router appear in
diffs, logs or --json.

Exit status: 0 when every router is deployed or unchanged, 1 when one was
rolled back, failed or skipped, 2 on usage or internal errors.`,
		Example: `  # What would change, without touching anything
  peerform deploy --dry-run

  # One router, with a longer confirm window
  peerform deploy --router fra-edge1 --confirm-timeout 5m

  # The lab environment (see lab/README.md), output for scripts
  peerform deploy --env lab --known-hosts lab/run/demo/ssh/known_hosts --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.parallel < 0 || opts.confirmTimeout < 0 || opts.verifyTimeout < 0 {
				return usageErrorf("--parallel, --confirm-timeout and --verify-timeout cannot be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return deployRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addRolloutFlags(f, &opts.query)
	f.BoolVar(&opts.dryRun, "dry-run", false, "connect and compare, change nothing")
	f.DurationVar(&opts.confirmTimeout, "confirm-timeout", 0, "roll a change back unless confirmed within `d` (default: the policy's, else 2m)")
	f.DurationVar(&opts.verifyTimeout, "verify-timeout", 0, "wait up to `d` for the sessions after a change (default: the policy's, else 60s)")
	f.IntVar(&opts.parallel, "parallel", 0, "change up to `n` routers at once (default: the policy's, else 1)")
	f.BoolVar(&opts.json, "json", false, "print the report as JSON")
	return cmd
}

func deployRun(ctx context.Context, opts *deployOptions) error {
	a := opts.app
	ro, err := opts.rollout(ctx, a, opts.query)
	if err != nil {
		return err
	}
	o := ro.Policy
	if opts.parallel > 0 {
		o.Parallel = opts.parallel
	}
	if opts.confirmTimeout > 0 {
		o.ConfirmTimeout = opts.confirmTimeout
	}
	if opts.verifyTimeout > 0 {
		o.VerifyTimeout = opts.verifyTimeout
	}
	o.DryRun, o.Logger, o.Dial = opts.dryRun, a.logger(), opts.dial
	o.Progress = progressPrinter(a.io.ErrOut)
	rep, err := deploy.Run(ctx, ro.Targets, o)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // diffs show "<secret>" as it reads
		if err := enc.Encode(struct {
			FormatVersion int `json:"format_version"`
			deploy.Report
		}{1, rep}); err != nil {
			return err
		}
	} else {
		printDeployReport(a.io.Out, rep, opts.dryRun)
	}
	if !rep.OK {
		return findingsf("the deploy did not complete: see the report")
	}
	return nil
}

func printDeployReport(w io.Writer, rep deploy.Report, dryRun bool) {
	if dryRun {
		for _, r := range rep.Routers {
			if r.Status != deploy.WouldChange {
				continue
			}
			fmt.Fprintf(w, "%s would change:\n", r.Router)
			for _, l := range r.Diff {
				fmt.Fprintf(w, "  %s\n", l)
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUTER\tSTATUS\tCHANGED LINES\tTIME\tDETAIL")
	for _, r := range rep.Routers {
		detail := r.Error
		if detail == "" && r.Status == deploy.Deployed {
			detail = deployedDetail(r)
		}
		if r.Leftover != "" {
			detail = "converged an " + r.Leftover + "; " + detail
		}
		if r.Drift != "" {
			detail = "converged a router found off its last deployed config (" + r.Drift + "); " + detail
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.Router, r.Status, len(r.Diff), r.Applied.Round(10*time.Millisecond), detail)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d routers in %s\n", len(rep.Routers), rep.Duration.Round(10*time.Millisecond))
}

// deployedDetail says how a deployed router was verified: its sessions,
// or (VerifyConfig) its configuration read back, with the sessions whose
// state the router does not report counted apart.
func deployedDetail(r deploy.RouterResult) string {
	unknown := 0
	for _, s := range r.Sessions {
		if s.StateUnknown {
			unknown++
		}
	}
	established := len(r.Sessions) - unknown
	switch {
	case r.Verification != deploy.VerifyConfig:
		return fmt.Sprintf("%d sessions Established", established)
	case unknown == 0:
		return fmt.Sprintf("configuration verified; %d sessions Established", established)
	}
	return fmt.Sprintf("configuration verified; %d sessions Established, %d not verified: the router reports no session state",
		established, unknown)
}
