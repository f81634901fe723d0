package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/pipeline"
)

type trafficVerifyOptions struct {
	app      *app
	flags    trafficFlags
	asn      bgp.ASN
	since    string
	sinceT   time.Time
	days     int
	minShare float64
	json     bool
}

func newCmdTrafficVerify(a *app, runF func(*trafficVerifyOptions) error) *cobra.Command {
	opts := &trafficVerifyOptions{app: a}
	cmd := &cobra.Command{
		Use:   "verify AS<n> --since TIME",
		Short: "Did traffic move to a new peer's sessions after a deploy?",
		Long: `Verify compares the traffic to and from an AS (its own and, by our routes,
the networks behind it) in the --days before --since and from --since
until the store's end: how much crossed sessions with the AS itself (IXP
or PNI links whose neighbor is the AS) and how much went elsewhere
(transit, other peers). It exits 0 when at least --min-share of the
traffic since then crossed the new sessions, 1 when it did not (or
nothing was measured since), so a deploy pipeline can check it.`,
		Example: `  # A week after peering with AS64502 was deployed
  peerform traffic verify AS64502 --since 2026-03-10T12:00`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			asn, err := bgp.ParseASN(args[0])
			if err != nil {
				return &usageError{err}
			}
			opts.asn = asn
			if opts.since == "" {
				return usageErrorf("--since is required: when the sessions were deployed")
			}
			if opts.sinceT, err = parseTime("since", opts.since); err != nil {
				return err
			}
			if opts.days < 1 || opts.days > 366 {
				return usageErrorf("--days must be 1 to 366")
			}
			if opts.minShare <= 0 || opts.minShare > 1 {
				return usageErrorf("--min-share must be in (0, 1]")
			}
			if runF != nil {
				return runF(opts)
			}
			return trafficVerifyRun(opts)
		},
	}
	opts.flags.add(cmd, false)
	cmd.Flags().StringVar(&opts.since, "since", "", "when the new sessions were deployed (`time`: 2006-01-02T15:04 or RFC 3339, UTC)")
	cmd.Flags().IntVar(&opts.days, "days", 7, "compare with the `N` days before --since")
	cmd.Flags().Float64Var(&opts.minShare, "min-share", 0.5, "the `share` of traffic that must have moved")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

func trafficVerifyRun(opts *trafficVerifyOptions) error {
	a := opts.app
	env, err := a.loadTraffic(opts.flags, false)
	if err != nil {
		return err
	}
	end, err := pipeline.StoreEnd(env.store)
	if err != nil {
		return err
	}
	before := traffic.Period{From: opts.sinceT.AddDate(0, 0, -opts.days), To: opts.sinceT}
	after := traffic.Period{From: opts.sinceT, To: end}
	if !end.After(opts.sinceT) {
		return findingsf("nothing measured since %s (the store ends %s)", opts.sinceT.Format(time.RFC3339), end.Format(time.RFC3339))
	}
	v, err := env.store.Verify(opts.asn, before, after)
	if err != nil {
		return err
	}
	moved := v.MovedShare() >= opts.minShare
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"verification": v, "moved_share": v.MovedShare(), "moved": moved}); err != nil {
			return err
		}
	} else {
		printVerify(a.io.Out, v, opts.minShare)
	}
	if !moved {
		return errFindings
	}
	return nil
}

func printVerify(w io.Writer, v traffic.Verification, minShare float64) {
	fmt.Fprintf(w, "Traffic to and from %s (and the networks behind it), 95th percentile in / out:\n", v.AS)
	for _, s := range []struct {
		name string
		sp   traffic.Split
	}{{"before", v.Before}, {"after", v.After}} {
		fmt.Fprintf(w, "  %-6s %s (%s measured)\n", s.name, s.sp.Period, plural(s.sp.Days, "day"))
		fmt.Fprintf(w, "    over sessions with %s: %s / %s\n", v.AS, mbps(s.sp.Direct.In.P95Mbps), mbps(s.sp.Direct.Out.P95Mbps))
		fmt.Fprintf(w, "    elsewhere (transit, others): %s / %s", mbps(s.sp.Elsewhere.In.P95Mbps), mbps(s.sp.Elsewhere.Out.P95Mbps))
		if len(s.sp.Elsewhere.Via) > 0 {
			fmt.Fprintf(w, " via %v", s.sp.Elsewhere.Via)
		}
		fmt.Fprintln(w)
	}
	share := v.MovedShare()
	verdict := "MOVED"
	if share < minShare {
		verdict = "NOT MOVED"
	}
	fmt.Fprintf(w, "%s: %.0f %% of the bytes since then crossed sessions with %s (needed %.0f %%)\n", verdict, 100*share, v.AS, 100*minShare)
}
