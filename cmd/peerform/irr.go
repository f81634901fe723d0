package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/irr"
)

func newCmdIRR(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "irr <command>",
		GroupID: "data",
		Short:   "Query the IRR: expand AS-SETs into prefix lists",
		Long: `Commands that read the Internet Routing Registry the way bgpq4 does (the
IRRd whois protocol), natively, pipelined and cached. The prefix lists of
peers' import filters come from here.`,
	}
	cmd.AddCommand(newCmdIRRExpand(a, nil))
	return cmd
}

type irrExpandOptions struct {
	app       *app
	refs      []bgp.ObjectRef
	servers   []string
	snapshots []string
	// snapshotDir is the repository the policy's snapshots are read
	// from; "" for --snapshot files, which the operator names.
	snapshotDir string
	// allowASN are the ASN classes the repository lets peers use
	// (allow_peer_asn): members of those classes stay in sets.
	allowASN   []bgp.Class
	allowNames []string // --allow-asn
	sources    []string
	depth      int
	aggregate  bool
	json       bool
	noCache    bool
	cacheTTL   time.Duration
	timeout    time.Duration
	noA        bool
}

func newCmdIRRExpand(a *app, runF func(*irrExpandOptions) error) *cobra.Command {
	opts := &irrExpandOptions{app: a}
	cmd := &cobra.Command{
		Use:   "expand AS-SET...",
		Short: "Expand AS-SETs into member ASNs and IPv4/IPv6 prefixes",
		Long: `Expand asks an IRR server (IRRd whois protocol, as bgpq4 does) for the member
ASNs of each AS-SET and the prefixes registered for them. Several AS-SETs are
expanded in one run: queries are pipelined over a few connections, and
members they share are asked once. Answers are cached in .peerform/irr/ in
the repository for --cache-ttl.

With --snapshot, nothing is asked: the AS-SETs are expanded from RPSL files,
such as the registries' database dumps (ripe.db.as-set.gz, ripe.db.route.gz,
radb.db.gz, plain or gzipped) or data/irr/example.rpsl, with the same results
a server holding those objects would give. This works with --offline.
--sources then selects and orders the files' IRR sources (default: all).

Without --server and --snapshot, the repository's irr block decides
(servers, sources, snapshot), so the answer is what peerform's filters use.

An argument is an AS-SET ("AS-EXAMPLE", "AS64500:AS-CUSTOMERS"), an AS-SET in
one IRR source ("RIPE::AS-EXAMPLE") or a single AS ("AS64500"). --depth
limits how deep nested AS-SETs are followed (like bgpq4 -L).

An AS-SET that cannot be expanded, or has no prefixes of a family, gives an
empty list: peerform renders that as deny-all for the peer, never accept-all.
An AS-SET that exists with no members is empty, not missing. Bogon ASNs in a
set (reserved, private, documentation, IANA-reserved: the ranges the rendered
bogon-ASN filter rejects) are dropped with their prefixes, with a warning,
except the classes the repository's allow_peer_asn allows. The next server
is asked whenever one fails: unreachable, a broken-off or refused answer, or
silent for 15 s.

Exit status: 0 when every AS-SET was expanded (warnings go to stderr), 1 when
one or more could not be, 2 on a usage error.`,
		Example: `  # Prefixes and members of one AS-SET from RADB
  peerform irr expand AS-EXAMPLE

  # Several at once, RIPE before RADB, as aggregated prefix-list ranges
  peerform irr expand AS-EXAMPLE AS-CLOUDFLARE --sources RIPE,RADB --aggregate

  # Only the set as registered in RIPE, two levels deep
  peerform irr expand RIPE::AS-EXAMPLE --depth 2

  # Another server, JSON for scripts
  peerform irr expand AS-EXAMPLE --server rr.ntt.net:43 --json | jq '.results[0].ipv4'

  # From RIPE's database dumps, without a network
  peerform irr expand AS-EXAMPLE --offline --snapshot ripe.db.as-set.gz --snapshot ripe.db.route.gz`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, s := range args {
				ref, err := bgp.ParseObjectRef(s)
				if err != nil {
					return &usageError{err}
				}
				opts.refs = append(opts.refs, ref)
			}
			if opts.depth < 0 {
				return usageErrorf("--depth must be 0 (no limit) or more, not %d", opts.depth)
			}
			if len(opts.snapshots) > 0 && cmd.Flags().Changed("server") {
				return usageErrorf("--server and --snapshot exclude each other: a snapshot is expanded without a server")
			}
			if !cmd.Flags().Changed("server") && !cmd.Flags().Changed("snapshot") {
				opts.fromPolicy(cmd.Flags().Changed("sources"))
			}
			if cmd.Flags().Changed("allow-asn") {
				opts.allowASN = nil
				for _, name := range opts.allowNames {
					c, ok := bgp.ParseAllowedClass(name)
					if !ok {
						return usageErrorf("--allow-asn takes private or documentation, not %q", name)
					}
					opts.allowASN = append(opts.allowASN, c)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return irrExpandRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&opts.servers, "server", []string{irr.DefaultServer}, "IRR `host:port`; repeat or separate with commas for fallbacks")
	f.StringArrayVar(&opts.snapshots, "snapshot", nil, "expand from this RPSL `file` (plain or gzip) instead of a server; repeat for more")
	f.StringSliceVar(&opts.sources, "sources", nil, "IRR source `list` in priority order, e.g. RIPE,RADB (default: the server's)")
	f.IntVar(&opts.depth, "depth", 0, "follow nested AS-SETs at most `n` levels (0: no limit)")
	f.BoolVar(&opts.aggregate, "aggregate", false, "print prefixes as aggregated prefix-list ranges (like bgpq4 -A)")
	f.BoolVar(&opts.json, "json", false, "print JSON")
	f.BoolVar(&opts.noCache, "no-cache", false, "neither read nor write the answer cache")
	f.DurationVar(&opts.cacheTTL, "cache-ttl", time.Hour, "how long cached answers are used")
	f.DurationVar(&opts.timeout, "timeout", 5*time.Minute, "give up after this long in total")
	f.BoolVar(&opts.noA, "no-a", false, "do not use the server's !a query; ask per member AS instead")
	f.StringArrayVar(&opts.allowNames, "allow-asn", nil, "keep member ASNs of this `class` (private, documentation; repeatable) instead of dropping them as bogons (default: the repository's allow_peer_asn; like bgpq4 -p)")
	return cmd
}

// fromPolicy takes the servers, sources and snapshots of the repository's
// irr block, when there is a repository, so that `irr expand` answers as
// the filters peerform renders would. Flags win; keepSources says --sources
// was given.
func (opts *irrExpandOptions) fromPolicy(keepSources bool) {
	repo, diags := intent.LoadDir(opts.app.repoDir)
	if diags.HasErrors() || repo.Network.ASN == 0 {
		return // no usable repository here: the flags' defaults apply
	}
	if len(repo.IRR.Snapshot) > 0 {
		// Read as repository files (irr.LoadOptions.BaseDir): regular,
		// inside the repository, never through a symbolic link.
		opts.snapshots, opts.snapshotDir = repo.IRR.Snapshot, opts.app.repoDir
	} else if len(repo.IRR.Servers) > 0 {
		opts.servers = repo.IRR.Servers
	}
	if !keepSources {
		opts.sources = repo.IRR.Sources
	}
	opts.allowASN = repo.Network.AllowPeerASN
}

func irrExpandRun(ctx context.Context, opts *irrExpandOptions) error {
	a := opts.app
	if ctx == nil {
		ctx = context.Background()
	}
	client, from, err := irrExpandClient(ctx, opts)
	if err != nil {
		return err
	}
	if a.io.ErrTTY {
		fmt.Fprintf(a.io.ErrOut, "Expanding %d AS-SET(s) %s…\n", len(opts.refs), from)
	}
	results := client.Expand(ctx, opts.refs)

	failed := 0
	for _, ref := range opts.refs {
		r := results[ref]
		if r.Err != nil {
			failed++
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(a.io.ErrOut, "warning: %s: %s\n", ref, w)
		}
	}
	if opts.json {
		err = writeIRRJSON(a, opts, results)
	} else {
		err = writeIRRText(a, opts, results)
	}
	if err != nil {
		return err
	}
	if failed > 0 {
		return findingsf("%d of %d AS-SET(s) could not be expanded", failed, len(opts.refs))
	}
	return nil
}

// irrExpandClient makes the client the options ask for: one that reads
// snapshot files in process, or one that asks servers (which --offline
// forbids) through the cache. from says which, for the progress line.
func irrExpandClient(ctx context.Context, opts *irrExpandOptions) (client *irr.Client, from string, err error) {
	a := opts.app
	o := irr.Options{Sources: opts.sources, MaxDepth: opts.depth, TotalTimeout: opts.timeout, NoA: opts.noA,
		AllowASN: opts.allowASN, Logger: a.logger()}
	if len(opts.snapshots) > 0 {
		db, rep, err := irr.LoadSnapshots(ctx, opts.snapshots, irr.LoadOptions{BaseDir: opts.snapshotDir, Logger: a.logger()})
		if err != nil {
			return nil, "", err
		}
		for _, w := range rep.Warnings {
			fmt.Fprintf(a.io.ErrOut, "warning: snapshot: %s\n", w)
		}
		if a.io.ErrTTY {
			fmt.Fprintf(a.io.ErrOut, "Loaded %s.\n", db.Stats())
		}
		o.DB = db
		from = "from " + db.Name()
	} else {
		if a.offline {
			return nil, "", fmt.Errorf("irr expand queries an IRR server, which --offline forbids; expand from files with --snapshot")
		}
		if !opts.noCache {
			if o.Cache, err = irr.OpenCache(filepath.Join(a.repoDir, irr.DefaultCacheDir), irr.CacheOptions{TTL: opts.cacheTTL}); err != nil {
				return nil, "", err
			}
		}
		o.Servers = opts.servers
		from = "via " + opts.servers[0]
	}
	client, err = irr.New(o)
	if err != nil {
		return nil, "", &usageError{err}
	}
	return client, from, nil
}

func writeIRRText(a *app, opts *irrExpandOptions, results map[bgp.ObjectRef]irr.Result) error {
	// Large sets print tens of thousands of lines: one write each would
	// cost more than the expansion.
	w := bufio.NewWriterSize(a.io.Out, 64*1024)
	for i, ref := range opts.refs {
		r := results[ref]
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (%s)\n", ref, r.Source)
		if r.Err != nil {
			fmt.Fprintf(w, "  error: %v\n  filters deny everything\n", r.Err)
			continue
		}
		asns := make([]string, len(r.ASNs))
		for i, n := range r.ASNs {
			asns[i] = n.String()
		}
		fmt.Fprintf(w, "  ASNs (%d): %s\n", len(asns), strings.Join(asns, " "))
		for _, fam := range []struct {
			name string
			ps   []netip.Prefix
		}{{"IPv4", r.V4}, {"IPv6", r.V6}} {
			fmt.Fprintf(w, "  %s (%d prefixes", fam.name, len(fam.ps))
			var ranges []irr.Range
			if opts.aggregate {
				ranges = irr.Aggregate(fam.ps)
				fmt.Fprintf(w, ", %d ranges", len(ranges))
			}
			fmt.Fprintln(w, "):")
			if len(fam.ps) == 0 {
				fmt.Fprintln(w, "    none: deny all")
			}
			if opts.aggregate {
				for _, rg := range ranges {
					fmt.Fprintf(w, "    %s\n", rg)
				}
				continue
			}
			var buf []byte
			for _, p := range fam.ps {
				buf = append(p.AppendTo(append(buf[:0], "    "...)), '\n')
				w.Write(buf)
			}
		}
	}
	return w.Flush()
}

// irrJSONResult is one reference in --json output; lists are never null.
type irrJSONResult struct {
	Ref      string         `json:"ref"`
	Source   string         `json:"source"`
	Fetched  *time.Time     `json:"fetched,omitempty"`
	ASNs     []bgp.ASN      `json:"asns"`
	IPv4     []netip.Prefix `json:"ipv4"`
	IPv6     []netip.Prefix `json:"ipv6"`
	Ranges4  []irrJSONRange `json:"ipv4_ranges,omitempty"`
	Ranges6  []irrJSONRange `json:"ipv6_ranges,omitempty"`
	Warnings []string       `json:"warnings"`
	Error    *string        `json:"error"`
}

type irrJSONRange struct {
	Prefix netip.Prefix `json:"prefix"`
	Min    int          `json:"min_length"`
	Max    int          `json:"max_length"`
}

func writeIRRJSON(a *app, opts *irrExpandOptions, results map[bgp.ObjectRef]irr.Result) error {
	doc := struct {
		FormatVersion int             `json:"format_version"`
		Results       []irrJSONResult `json:"results"`
	}{FormatVersion: 1, Results: []irrJSONResult{}}
	for _, ref := range opts.refs {
		r := results[ref]
		jr := irrJSONResult{
			Ref: ref.String(), Source: r.Source, ASNs: irrNonNil(r.ASNs),
			IPv4: irrNonNil(r.V4), IPv6: irrNonNil(r.V6), Warnings: irrNonNil(r.Warnings),
		}
		if !r.Fetched.IsZero() {
			jr.Fetched = &r.Fetched
		}
		if r.Err != nil {
			msg := r.Err.Error()
			jr.Error = &msg
		}
		if opts.aggregate {
			jr.Ranges4, jr.Ranges6 = jsonRanges(r.V4), jsonRanges(r.V6)
		}
		doc.Results = append(doc.Results, jr)
	}
	w := bufio.NewWriterSize(a.io.Out, 64*1024)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return w.Flush()
}

func jsonRanges(ps []netip.Prefix) []irrJSONRange {
	out := []irrJSONRange{}
	for _, r := range irr.Aggregate(ps) {
		out = append(out, irrJSONRange{r.Prefix, r.Min, r.Max})
	}
	return out
}

func irrNonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
