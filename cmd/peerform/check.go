package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/pipeline"
)

type checkOptions struct {
	app     *app
	query   pipeline.RolloutQuery
	wait    time.Duration
	json    bool
	rollout rolloutFunc
	dial    deploy.DialFunc // nil: the real drivers
}

func newCmdCheck(a *app, runF func(*checkOptions) error) *cobra.Command {
	opts := &checkOptions{app: a, rollout: repoRollout}
	cmd := &cobra.Command{
		Use:     "check",
		GroupID: "routers",
		Short:   "Show every intended BGP session with its state, routes and RPKI-invalid count",
		Long: `Check logs in to every router of an environment (read only) and lists
each session the repository intends: state, uptime, prefixes accepted per
family against the max-prefix limit, and RPKI-invalid routes accepted
(which a working filter keeps at 0). With --wait it polls until every
intended session is Established or the time is up.

When the repository's rpki.vrps_file has ASPAs ("aspas"), check also
reads the routes each BIRD and FRR router accepted and verifies their AS
paths (draft-ietf-sidrops-aspa-verification: upstream, or downstream for
a peer whose role is "customer"), since those routers cannot: the
ASPA-invalid routes of a session are a warning in NOTE and aspa_invalid
in --json (-1: not checked). They do not change the exit status.

A router that does not report BGP state (a netconf router whose NETCONF
server implements the module's configuration only) shows what can be
known: each intended neighbor configured with its peer AS, or not, and
its state as Unknown. Such a session counts as fine for the exit status
when it is configured as intended; it is counted apart in the output.

Exit status: 0 when every intended session is Established (or, on a
router that reports no state, configured as intended), 1 when one is not
(or a router cannot be read), 2 on usage or internal errors.`,
		Example: `  # Right now
  peerform check

  # After a deploy: give sessions 30 seconds to come up
  peerform check --wait 30s

  # One router, for scripts
  peerform check --router ams-edge1 --json | jq '.sessions[] | select(.established | not)'`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.wait < 0 {
				return usageErrorf("--wait cannot be negative")
			}
			if runF != nil {
				return runF(opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addRolloutFlags(f, &opts.query)
	f.DurationVar(&opts.wait, "wait", 0, "wait up to `d` for every intended session to be Established")
	f.BoolVar(&opts.json, "json", false, "print the sessions as JSON")
	return cmd
}

func checkRun(ctx context.Context, opts *checkOptions) error {
	a := opts.app
	q := opts.query
	q.ReadOnly = true
	ro, err := opts.rollout(ctx, a, q)
	if err != nil {
		return err
	}
	var prog func(deploy.Event)
	if a.io.ErrTTY || opts.wait > 0 {
		prog = progressPrinter(a.io.ErrOut)
	}
	rep := deploy.Check(ctx, ro.Targets, deploy.CheckOptions{Wait: opts.wait, Dial: opts.dial, Progress: prog, ASPAs: ro.ASPAs})
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			FormatVersion int `json:"format_version"`
			deploy.CheckReport
		}{1, rep}); err != nil {
			return err
		}
	} else {
		printSessions(a.io.Out, rep)
	}
	if !rep.OK {
		// As intended: Established, or down when shut down on purpose.
		fine := slices.DeleteFunc(slices.Clone(rep.Sessions), func(c deploy.SessionCheck) bool { return c.Established == c.Shutdown })
		return findingsf("%d of %d intended sessions not as intended (Established, or down when decommissioning), %d routers unreadable",
			len(rep.Sessions)-len(fine)-rep.StateUnknown, len(rep.Sessions), len(rep.Errors))
	}
	return nil
}

func printSessions(w io.Writer, rep deploy.CheckReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROUTER\tNEIGHBOR\tPEER\tSTATE\tUPTIME\tIPV4 RCVD/MAX\tIPV6 RCVD/MAX\tRPKI-INVALID\tNOTE")
	for _, s := range rep.Sessions {
		note := s.Reason
		if len(s.Warnings) > 0 {
			note = strings.TrimPrefix(note+"; "+strings.Join(s.Warnings, "; "), "; ")
		}
		uptime, invalid := "-", "?"
		if s.Established {
			uptime = s.Uptime.Round(time.Second).String()
		}
		if s.RPKIInvalid >= 0 {
			invalid = fmt.Sprint(s.RPKIInvalid)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Router, s.Neighbor, s.PeerASN, s.Peer, s.State, uptime,
			count(s, bgp.IPv4), count(s, bgp.IPv6), invalid, note)
	}
	tw.Flush()
	for r, e := range rep.Errors {
		fmt.Fprintf(w, "%s: %s\n", r, e)
	}
	if rep.StateUnknown > 0 {
		fmt.Fprintf(w, "%d sessions are configured as intended on routers that report no session state: their state is unknown\n", rep.StateUnknown)
	}
}

// count shows "received/max" for one family, "-" when the session does
// not carry it.
func count(s deploy.SessionCheck, f bgp.Family) string {
	n, ok := s.Received[f]
	max := s.MaxPrefix[f]
	switch {
	case !ok && max == 0:
		return "-"
	case max == 0:
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d/%d", n, max)
}
