package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/ixf"
)

func newCmdIXF(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "ixf <command>",
		GroupID: "data",
		Short:   "Read and fetch IX-F member exports (an exchange's own member list)",
		Long: `An IX-F member export is the JSON member list an exchange point publishes in
the Euro-IX schema (IXP Manager serves it at /api/v4/member-export/ixf/1.0):
who is connected to its LAN, with which addresses. Committed to the
repository and named in the exchange's ixp block, it is a second source of
peer addresses next to PeeringDB:

  ixp "DOC-IX-AMS" {
    peeringdb_ix = 90001
    ixf_export   = "data/ixf/doc-ix-ams.json"
    ixf_ixp_id   = 1 # only when the file lists several IXPs
  }

Where the two disagree about a peer's addresses, the exchange's export wins
and validate, plan and review warn (docs/intents.md, "IX-F member exports
and PeeringDB"). Schema versions 0.6, 0.7 and 1.0 are read.`,
	}
	cmd.AddCommand(newCmdIXFShow(a, nil), newCmdIXFFetch(a, nil))
	return cmd
}

type ixfShowOptions struct {
	app  *app
	file string
	asns []bgp.ASN
	json bool
}

func newCmdIXFShow(a *app, runF func(*ixfShowOptions) error) *cobra.Command {
	opts := &ixfShowOptions{app: a}
	var asns []string
	cmd := &cobra.Command{
		Use:   "show FILE",
		Short: "Show what peerform reads from an IX-F export: IXPs, members, skipped entries",
		Long: `Show reads FILE, a path inside the repository (-C), as validate does — a
regular file only, strictly and within bounds — and prints the export's
version and timestamp, its IXPs with their ixp_id and VLAN prefixes, how
many members each has, and every entry or value that was skipped, with its
line and why. With --asn, the addresses of those members.

Exit status: 0 when everything in the file is usable, 1 when entries were
skipped or the file cannot be read, 2 on a usage error.`,
		Example: `  peerform ixf show data/ixf/doc-ix-ams.json
  peerform ixf show data/ixf/doc-ix-ams.json --asn AS64504
  peerform ixf show data/ixf/doc-ix-ams.json --json | jq '.problems[]'`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.file = filepath.ToSlash(filepath.Clean(args[0]))
			for _, s := range asns {
				asn, err := bgp.ParseASN(s)
				if err != nil {
					return usageErrorf("--asn %s: %v", s, err)
				}
				opts.asns = append(opts.asns, asn)
			}
			if runF != nil {
				return runF(opts)
			}
			return ixfShowRun(opts)
		},
	}
	cmd.Flags().StringArrayVar(&asns, "asn", nil, "list this member's addresses (repeatable)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

// ixfShowJSON is the --json output of ixf show.
type ixfShowJSON struct {
	File      string          `json:"file"`
	Version   string          `json:"version"`
	Timestamp time.Time       `json:"timestamp"`
	IXPs      []ixfIXPJSON    `json:"ixps"`
	Members   []ixfMemberJSON `json:"members,omitempty"`
	Problems  []ixf.Problem   `json:"problems"`
}

type ixfIXPJSON struct {
	IXPID       int64          `json:"ixp_id"`
	Shortname   string         `json:"shortname,omitempty"`
	PeeringDBID int            `json:"peeringdb_id,omitempty"`
	Prefixes    []netip.Prefix `json:"prefixes"`
	Members     int            `json:"members"`
}

type ixfMemberJSON struct {
	ASN   bgp.ASN       `json:"asn"`
	Line  int           `json:"line,omitempty"`
	Ports []ixfPortJSON `json:"ports"`
}

type ixfPortJSON struct {
	IXPID       int64      `json:"ixp_id"`
	VLANID      int64      `json:"vlan_id"`
	Addr        netip.Addr `json:"address"`
	Active      bool       `json:"active"`
	State       string     `json:"state,omitempty"`
	RouteServer bool       `json:"routeserver"`
	MaxPrefix   int        `json:"max_prefix,omitempty"`
	ASMacro     string     `json:"as_macro,omitempty"`
}

func ixfShowRun(opts *ixfShowOptions) error {
	e, err := ixf.ReadFile(opts.app.repoDir, opts.file, ixf.Limits{})
	var fe *ixf.Error
	switch {
	case errors.As(err, &fe):
		return findingsf("%s: %v", opts.file, err)
	case err != nil:
		return err
	}
	out := ixfShowJSON{File: opts.file, Version: e.Version, Timestamp: e.Timestamp, Problems: e.Problems}
	if out.Problems == nil {
		out.Problems = []ixf.Problem{}
	}
	for _, x := range e.IXPs {
		id := x.ID
		ex, err := e.Exchange(opts.file, &id)
		if err != nil {
			return err
		}
		out.IXPs = append(out.IXPs, ixfIXPJSON{IXPID: x.ID, Shortname: x.Shortname, PeeringDBID: x.PeeringDBID, Prefixes: x.Prefixes(), Members: ex.Members()})
	}
	for _, asn := range opts.asns {
		m := ixfMemberJSON{ASN: asn, Ports: []ixfPortJSON{}}
		for _, em := range e.Members {
			if em.ASN != asn {
				continue
			}
			m.Line = em.Line
			for _, p := range em.Ports {
				m.Ports = append(m.Ports, ixfPortJSON{IXPID: p.IXPID, VLANID: p.VLANID, Addr: p.Addr, Active: p.Active, State: p.State,
					RouteServer: p.RouteServer, MaxPrefix: p.MaxPrefix, ASMacro: p.ASMacro.String()})
			}
		}
		out.Members = append(out.Members, m)
	}
	w := opts.app.io.Out
	if opts.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		printIXFShow(w, out)
	}
	if len(e.Problems) > 0 {
		return errFindings
	}
	return nil
}

func printIXFShow(w io.Writer, out ixfShowJSON) {
	fmt.Fprintf(w, "%s: IX-F schema %s, exported %s\n\n", out.File, out.Version, out.Timestamp.Format(time.RFC3339))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IXP_ID\tSHORTNAME\tPEERINGDB\tPREFIXES\tMEMBERS")
	for _, x := range out.IXPs {
		pdb := "-"
		if x.PeeringDBID != 0 {
			pdb = fmt.Sprint(x.PeeringDBID)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\n", x.IXPID, orDash(x.Shortname), pdb, orDash(joinPrefixes(x.Prefixes)), x.Members)
	}
	tw.Flush()
	for _, m := range out.Members {
		fmt.Fprintf(w, "\n%s", m.ASN)
		if len(m.Ports) == 0 {
			fmt.Fprintln(w, ": not listed, or no usable address")
			continue
		}
		fmt.Fprintf(w, " (line %d):\n", m.Line)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  IXP_ID\tVLAN\tADDRESS\tSTATE\tROUTESERVER\tMAX_PREFIX\tAS_MACRO")
		for _, p := range m.Ports {
			state := "active"
			if !p.Active {
				state = "not active (" + p.State + ")"
			}
			vlan := "-"
			if p.VLANID >= 0 {
				vlan = fmt.Sprint(p.VLANID)
			}
			mp := "-"
			if p.MaxPrefix > 0 {
				mp = fmt.Sprint(p.MaxPrefix)
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%v\t%s\t%s\n", p.IXPID, vlan, p.Addr, state, p.RouteServer, mp, orDash(p.ASMacro))
		}
		tw.Flush()
	}
	if len(out.Problems) == 0 {
		fmt.Fprintln(w, "\nNothing skipped.")
		return
	}
	fmt.Fprintf(w, "\n%d skipped:\n", len(out.Problems))
	for _, p := range out.Problems {
		fmt.Fprintf(w, "  %s:%d: %s: %s\n", out.File, p.Line, p.Path, p.Message)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinPrefixes(ps []netip.Prefix) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += " "
		}
		s += p.String()
	}
	return s
}

type ixfFetchOptions struct {
	app     *app
	url     string
	out     string
	timeout time.Duration
	json    bool
}

func newCmdIXFFetch(a *app, runF func(*ixfFetchOptions) error) *cobra.Command {
	opts := &ixfFetchOptions{app: a}
	cmd := &cobra.Command{
		Use:   "fetch URL --out FILE",
		Short: "Download an exchange's IX-F export into the repository",
		Long: `Fetch downloads the IX-F member export at URL (http or https) and writes it
to FILE exactly as served, after reading it the way validate will: a body
larger than 32 MiB, a download that takes longer than --timeout, or a body
that is not an export peerform can read is refused and FILE is left as it
was. FILE is replaced atomically. Commit it and name it in the exchange's
ixp block (ixf_export); the pull request's review shows which peers the
new export changes.

Exit status: 0 when written with nothing skipped, 1 when written but
entries were skipped (listed on stderr), 2 when nothing was written.`,
		Example: `  peerform ixf fetch https://portal.ix.example.net/api/v4/member-export/ixf/1.0 --out data/ixf/doc-ix-ams.json
  git add data/ixf/doc-ix-ams.json && git commit -m "DOC-IX-AMS member export"`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.url = args[0]
			switch {
			case opts.out == "":
				return usageErrorf("--out FILE is required")
			case opts.timeout <= 0:
				return usageErrorf("--timeout must be positive")
			case a.offline:
				return usageErrorf("ixf fetch downloads from the network, which --offline forbids")
			}
			if runF != nil {
				return runF(opts)
			}
			return ixfFetchRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.out, "out", "", "write the export to `file`")
	cmd.Flags().DurationVar(&opts.timeout, "timeout", 60*time.Second, "give up after `d` (the whole download)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print what was written as JSON")
	return cmd
}

// ixfFetchJSON is the --json output of ixf fetch.
type ixfFetchJSON struct {
	URL       string        `json:"url"`
	File      string        `json:"file"`
	Bytes     int           `json:"bytes"`
	Version   string        `json:"version"`
	Timestamp time.Time     `json:"timestamp"`
	IXPs      []int64       `json:"ixp_ids"`
	Members   int           `json:"members"`
	Problems  []ixf.Problem `json:"problems"`
}

func ixfFetchRun(ctx context.Context, opts *ixfFetchOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	body, e, err := ixf.Fetch(ctx, opts.url, ixf.FetchOptions{Timeout: opts.timeout, UserAgent: "peerform"})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(opts.out), 0o755); err != nil {
		return err
	}
	if err := writeFileAtomic(opts.out, body); err != nil {
		return err
	}
	res := ixfFetchJSON{URL: opts.url, File: opts.out, Bytes: len(body), Version: e.Version, Timestamp: e.Timestamp,
		Members: len(e.Members), Problems: e.Problems}
	if res.Problems == nil {
		res.Problems = []ixf.Problem{}
	}
	for _, x := range e.IXPs {
		res.IXPs = append(res.IXPs, x.ID)
	}
	slices.Sort(res.IXPs)
	w := opts.app.io.Out
	if opts.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(w, "wrote %s: %d bytes, IX-F schema %s exported %s, ixp_id %v, %d members\n",
			opts.out, res.Bytes, res.Version, res.Timestamp.Format(time.RFC3339), res.IXPs, res.Members)
	}
	if len(e.Problems) == 0 {
		return nil
	}
	for _, p := range e.Problems {
		fmt.Fprintf(opts.app.io.ErrOut, "%s:%d: skipped %s: %s\n", opts.out, p.Line, p.Path, p.Message)
	}
	return errFindings
}
