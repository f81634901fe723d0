package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/rpki"
)

type rpkiStatusOptions struct {
	app    *app
	source rpkiSource
	json   bool
}

func newCmdRPKIStatus(a *app, runF func(*rpkiStatusOptions) error) *cobra.Command {
	opts := &rpkiStatusOptions{app: a}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what each configured RTR cache or VRP file serves",
		Long: `Status connects to each RTR cache (in parallel), takes one complete VRP set
and shows the cache's session ID, serial, protocol version, intervals and
IPv4/IPv6 VRP counts. For a VRP file it shows when the validator wrote it
and how many entries were dropped as unusable.

Exit status: 0 when every source answered, 1 when one or more did not,
2 on a usage error.`,
		Example: `  # The caches in the repository's rpki block
  peerform rpki status

  # Two caches given here, as JSON
  peerform rpki status --rtr rpki1.example.net:323 --rtr rpki2.example.net:323 --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.source.resolve(a); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return rpkiStatusRun(cmd.Context(), opts)
		},
	}
	opts.source.addFlags(cmd)
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

// sourceStatus is one line of the report, and the --json shape.
type sourceStatus struct {
	Source string `json:"source"` // "rtr" or "file"
	From   string `json:"from"`
	Error  string `json:"error,omitempty"`
	// Skipped says why the source was not asked (an RTR cache with
	// --offline).
	Skipped   string           `json:"skipped,omitempty"`
	Version   *uint8           `json:"version,omitempty"`
	SessionID *uint16          `json:"session_id,omitempty"`
	Serial    *uint32          `json:"serial,omitempty"`
	VRPsV4    int              `json:"vrps_ipv4"`
	VRPsV6    int              `json:"vrps_ipv6"`
	Updated   time.Time        `json:"updated,omitzero"` // RTR: when received; file: when generated
	Refresh   string           `json:"refresh,omitempty"`
	Retry     string           `json:"retry,omitempty"`
	Expire    string           `json:"expire,omitempty"`
	Load      *rpki.LoadReport `json:"load,omitempty"`

	// ASPAs counts the customer ASes with an ASPA: from a file's
	// "aspas", or from an RTR cache speaking version 2.
	ASPAs int `json:"aspas"`
}

func rpkiStatusRun(ctx context.Context, opts *rpkiStatusOptions) error {
	a := opts.app
	var sources []rpkiSource
	if opts.source.vrps != "" {
		sources = append(sources, rpkiSource{vrps: opts.source.vrps, slurm: opts.source.slurm})
	}
	for _, addr := range opts.source.rtr {
		sources = append(sources, rpkiSource{rtr: []string{addr}, slurm: opts.source.slurm, timeout: opts.source.timeout})
	}
	report := make([]sourceStatus, len(sources))
	var wg sync.WaitGroup
	for i, src := range sources {
		if len(src.rtr) > 0 && a.offline {
			report[i] = sourceStatus{Source: "rtr", From: src.rtr[0], Skipped: "not contacted (--offline)"}
			continue
		}
		wg.Go(func() { report[i] = statusOf(ctx, a, src) })
	}
	wg.Wait()

	failed := 0
	for _, st := range report {
		if st.Error != "" {
			failed++
		}
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		for _, st := range report {
			writeStatusText(a, st)
		}
	}
	if failed > 0 {
		return findingsf("%d of %d RPKI sources did not answer", failed, len(report))
	}
	return nil
}

func statusOf(ctx context.Context, a *app, src rpkiSource) sourceStatus {
	data, err := src.fetch(ctx, a)
	if err != nil {
		st := sourceStatus{Source: "file", From: src.vrps, Error: err.Error()}
		if len(src.rtr) > 0 {
			st.Source, st.From = "rtr", src.rtr[0]
		}
		return st
	}
	st := sourceStatus{Source: data.Source, From: data.Where,
		VRPsV4: data.Table.Count(bgp.IPv4), VRPsV6: data.Table.Count(bgp.IPv6), ASPAs: data.ASPAs.Len(), Load: data.Report}
	if s := data.Snap; s != nil {
		st.Version, st.SessionID, st.Serial = &s.Version, &s.SessionID, &s.Serial
		st.Updated = s.Updated.UTC().Truncate(time.Second)
		st.Refresh, st.Retry, st.Expire = s.Refresh.String(), s.Retry.String(), s.Expire.String()
	}
	if r := data.Report; r != nil {
		st.Updated = r.Generated
	}
	return st
}

func writeStatusText(a *app, st sourceStatus) {
	w := a.io.Out
	fmt.Fprintf(w, "%s %s\n", st.Source, st.From)
	if st.Skipped != "" {
		fmt.Fprintf(w, "  %s\n", st.Skipped)
		return
	}
	if st.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", st.Error)
		return
	}
	if st.SessionID != nil {
		fmt.Fprintf(w, "  session %d, serial %d, RTR version %d\n", *st.SessionID, *st.Serial, *st.Version)
		fmt.Fprintf(w, "  intervals: refresh %s, retry %s, expire %s\n", st.Refresh, st.Retry, st.Expire)
	}
	fmt.Fprintf(w, "  VRPs: %d IPv4, %d IPv6\n", st.VRPsV4, st.VRPsV6)
	switch {
	case st.Version != nil && *st.Version < 2:
		fmt.Fprintf(w, "  ASPAs: none (RTR version %d carries none; version 2 does)\n", *st.Version)
	case st.ASPAs > 0 || st.Version != nil:
		fmt.Fprintf(w, "  ASPAs: %d\n", st.ASPAs)
	}
	switch {
	case st.Load != nil && st.Updated.IsZero():
		fmt.Fprintln(w, "  generated: unknown (no metadata)")
	case st.Load != nil:
		fmt.Fprintf(w, "  generated: %s (%s)\n", st.Updated.Format(time.RFC3339), age(time.Since(st.Updated)))
	default:
		fmt.Fprintf(w, "  last update: %s\n", st.Updated.Format(time.RFC3339))
	}
	if r := st.Load; r != nil && r.Dropped()+r.Masked > 0 {
		fmt.Fprintf(w, "  dropped: %d bad prefix, %d bad ASN, %d bad maxLength, %d expired, %d duplicate; %d with host bits cleared\n",
			r.BadPrefix, r.BadASN, r.BadMaxLength, r.Expired, r.Duplicate, r.Masked)
	}
}
