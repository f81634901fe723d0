package main

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

type peeringDBShowOptions struct {
	app  *app
	asn  bgp.ASN
	json bool
}

func newCmdPeeringDBShow(a *app, runF func(*peeringDBShowOptions) error) *cobra.Command {
	opts := &peeringDBShowOptions{app: a}
	cmd := &cobra.Command{
		Use:   "show AS<n>",
		Short: "Show a network: its facilities and IXPs, addresses and port speeds",
		Long: `Show prints what PeeringDB says about one network: its type, traffic ratio,
prefix counts and AS-SET, the facilities it is in (with coordinates), and the
IXPs it is at, with each port's addresses and speed and the network's total
capacity per IXP. An IXP's coordinates are the centre of its facilities.

Exit status: 0 when the network was found, 1 when the snapshot knows nothing
about it, 2 on a usage error or when the data cannot be loaded.`,
		Example: `  # From the repository's own snapshot (or the cache)
  peerform peeringdb show AS64501

  # From a snapshot directory
  peerform peeringdb show AS20940 --peeringdb ../shared/data/peeringdb/netixlan-2021-09

  # From the live API (synced into the cache first), for scripts
  peerform peeringdb show AS13335 --peeringdb api --json | jq '.pops[] | select(.kind == "ix") | .name'`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			asn, err := bgp.ParseASN(args[0])
			if err != nil {
				return &usageError{err}
			}
			opts.asn = asn
			if runF != nil {
				return runF(opts)
			}
			return peeringDBShowRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

// pdbShowPoP is a PoP with the network's ports there (IXPs only).
type pdbShowPoP struct {
	peeringdb.PoP
	Ports []peeringdb.NetIXLAN `json:"ports"`
}

type pdbShowResult struct {
	FormatVersion int            `json:"format_version"`
	ASN           bgp.ASN        `json:"asn"`
	Net           *peeringdb.Net `json:"net"`     // null when only ports or facilities are known
	ASSets        []string       `json:"as_sets"` // "SOURCE::NAME", as bgpq4 takes them
	Warnings      []string       `json:"warnings"`
	PoPs          []pdbShowPoP   `json:"pops"`
	Source        peeringdb.Meta `json:"source"`
}

func peeringDBShowRun(ctx context.Context, opts *peeringDBShowOptions) error {
	a := opts.app
	store, err := a.openPeeringDB(ctx, a.peeringDBConfig())
	if err != nil {
		return err
	}
	res := pdbShowResult{FormatVersion: 1, ASN: opts.asn, ASSets: []string{}, Warnings: []string{}, PoPs: []pdbShowPoP{}, Source: store.Meta()}
	if n, ok := store.Net(opts.asn); ok {
		res.Net = &n
		refs, warns := peeringdb.ParseIRRASSet(n.IRRASSet)
		for _, r := range refs {
			res.ASSets = append(res.ASSets, r.String())
		}
		res.Warnings = append(res.Warnings, warns...)
	}
	for _, p := range store.PoPs(opts.asn) {
		sp := pdbShowPoP{PoP: p, Ports: []peeringdb.NetIXLAN{}}
		if p.Kind == peeringdb.KindIX {
			sp.Ports = store.NetIXLANs(opts.asn, p.ID)
		}
		res.PoPs = append(res.PoPs, sp)
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if res.Net != nil || len(res.PoPs) > 0 {
		writePeeringDBShow(a.io.Out, res)
	}
	if res.Net == nil && len(res.PoPs) == 0 {
		return findingsf("%s is not in the PeeringDB data from %s", opts.asn, res.Source.Source)
	}
	return nil
}
