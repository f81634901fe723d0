package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/rpki"
)

type rpkiValidateOptions struct {
	app    *app
	source rpkiSource
	prefix netip.Prefix
	origin bgp.ASN
	json   bool
}

func newCmdRPKIValidate(a *app, runF func(*rpkiValidateOptions) error) *cobra.Command {
	opts := &rpkiValidateOptions{app: a}
	cmd := &cobra.Command{
		Use:   "validate PREFIX ASN",
		Short: "Show the RPKI state of a route and the VRPs that decided it",
		Long: `Validate does RFC 6811 route origin validation of one route, PREFIX
originated by ASN, and lists every VRP covering the prefix with what it says:
the route is valid when one of them names ASN with a maxLength at least the
prefix length, invalid when VRPs cover it but none does, notfound when no VRP
covers it. Use AS0 for a route whose AS_PATH ends in an AS_SET: it is never
valid.

Exit status: 0 when the route is valid or notfound, 1 when it is invalid,
2 when the VRPs could not be loaded or on a usage error.`,
		Example: `  # Against a local stayrtr or Routinator
  peerform rpki validate 192.0.2.0/24 AS64500 --rtr 127.0.0.1:8282

  # Against an rpki-client JSON file, with local exceptions
  peerform rpki validate 2001:db8::/32 64500 --vrps rpki.json --slurm slurm.json

  # From the repository's rpki block, for a script
  peerform rpki validate 198.51.100.0/24 AS64501 --json | jq -r .state`,
		Args: usageArgs(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := netip.ParsePrefix(args[0])
			if err != nil {
				return usageErrorf("PREFIX: %v", err)
			}
			if opts.origin, err = bgp.ParseASN(args[1]); err != nil {
				return usageErrorf("ASN: %v", err)
			}
			opts.prefix = p.Masked()
			if len(opts.source.rtr) > 0 && opts.source.vrps != "" {
				return usageErrorf("--rtr and --vrps are alternatives: give one")
			}
			if err := opts.source.resolve(a); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return rpkiValidateRun(cmd.Context(), opts)
		},
	}
	opts.source.addFlags(cmd)
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

// validateJSON is the --json output.
type validateJSON struct {
	Prefix   netip.Prefix  `json:"prefix"`
	Origin   bgp.ASN       `json:"origin"`
	State    rpki.State    `json:"state"`
	Covering []coveringVRP `json:"covering"`
	Source   string        `json:"source"` // "rtr" or "file"
	From     string        `json:"from"`   // cache address or file path
	Serial   *uint32       `json:"serial,omitempty"`
	VRPs     int           `json:"vrps"`
	about    string
}

type coveringVRP struct {
	rpki.VRP
	Matches bool   `json:"matches"`
	Reason  string `json:"reason"`
}

func rpkiValidateRun(ctx context.Context, opts *rpkiValidateOptions) error {
	a := opts.app
	data, err := opts.source.fetch(ctx, a)
	if err != nil {
		return err
	}
	res := data.Table.Explain(opts.prefix, opts.origin)
	out := validateJSON{Prefix: res.Prefix, Origin: res.Origin, State: res.State, Covering: []coveringVRP{},
		Source: data.Source, From: data.Where, VRPs: data.Table.Len(), about: data.describe()}
	if data.Snap != nil {
		out.Serial = &data.Snap.Serial
	}
	for _, v := range res.Covering {
		out.Covering = append(out.Covering, coveringVRP{v, v.Matches(res.Prefix, res.Origin), v.Why(res.Prefix, res.Origin)})
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		err = enc.Encode(out)
	} else {
		err = writeValidateText(a, out)
	}
	if err != nil {
		return err
	}
	if res.State == rpki.Invalid {
		return errFindings
	}
	return nil
}

func writeValidateText(a *app, out validateJSON) error {
	fmt.Fprintf(a.io.Out, "%s %s: %s\n", out.Prefix, out.Origin, out.State)
	if len(out.Covering) == 0 {
		fmt.Fprintln(a.io.Out, "  no VRP covers this prefix")
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', 0)
	for _, c := range out.Covering {
		fmt.Fprintf(tw, "  %s\t%s\n", c.VRP, c.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(a.io.Out, "(checked against %s)\n", out.about)
	return err
}
