package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/sources/peeringdb"
)

type peeringDBSyncOptions struct {
	app      *app
	since    time.Time
	cacheDir string // empty: the policy's, else .peerform/peeringdb
	apiURL   string
	json     bool
}

func newCmdPeeringDBSync(a *app, runF func(*peeringDBSyncOptions) error) *cobra.Command {
	opts := &peeringDBSyncOptions{app: a}
	var since string
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Bring the local PeeringDB cache up to date with the API",
		Long: `Sync fetches PeeringDB's org, fac, ix, ixfac, ixlan, ixpfx, net, netfac and
netixlan objects into the cache directory, one <type>.json.gz each, in the
shape --peeringdb DIR reads. The first sync fetches everything, page by
page; later ones ask only for what changed since the last (?since=) and
merge it by id, dropping deleted objects. Files are replaced atomically, so
an interrupted sync leaves a usable cache and resumes where it stopped.

--since fetches every type's changes since a given time instead: an RFC 3339
time, a date, Unix seconds, or a duration back from now.

Set ` + peeringdb.APIKeyEnv + ` to a PeeringDB API key (read-only is enough):
anonymous clients are throttled hard. On a 429 answer peerform waits as
Retry-After says, within a 5-minute budget for the whole sync.`,
		Example: `  # Fill or update .peerform/peeringdb/ in the repository
  PEERINGDB_API_KEY=... peerform peeringdb sync

  # Re-fetch everything changed in the last two days
  peerform peeringdb sync --since 48h

  # Then use the cache without touching the network
  peerform peeringdb show AS64501 --peeringdb api --offline`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if since != "" {
				t, err := parsePeeringDBSince(since, time.Now())
				if err != nil {
					return usageErrorf("--since: %v", err)
				}
				opts.since = t
			}
			if a.offline {
				return usageErrorf("sync talks to the PeeringDB API, which --offline forbids")
			}
			if runF != nil {
				return runF(opts)
			}
			return peeringDBSyncRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "", "fetch changes since `time` (2026-01-02, RFC 3339, Unix seconds, or a duration like 48h)")
	f.StringVar(&opts.cacheDir, "cache", "", "cache `dir` (default: the policy's peeringdb { cache }, else .peerform/peeringdb in the repository)")
	f.StringVar(&opts.apiURL, "api-url", peeringdb.DefaultBaseURL, "PeeringDB API `url` (a mirror or a local peeringdb-server)")
	f.BoolVar(&opts.json, "json", false, "print the result as JSON")
	return cmd
}

// parsePeeringDBSince reads a point in time: RFC 3339, a date (UTC), Unix seconds,
// or a duration before now.
func parsePeeringDBSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (2026-01-02, 2026-01-02T15:04:05Z, Unix seconds or a duration like 48h)", s)
}

func peeringDBSyncRun(ctx context.Context, opts *peeringDBSyncOptions) error {
	a := opts.app
	cfg := a.peeringDBConfig()
	if opts.cacheDir != "" {
		cfg.Cache = opts.cacheDir
	}
	src := a.peeringDBSource(cfg, func(p peeringdb.Progress) { fmt.Fprintf(a.io.ErrOut, "%s\n", p.Message) })
	src.Client.BaseURL = opts.apiURL
	client, err := peeringdb.NewClient(src.Client)
	if err != nil {
		return &usageError{err}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	start := time.Now()
	res, err := client.Sync(ctx, src.ResolvedCacheDir(), opts.since)
	if err != nil {
		return err
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	tw := tabwriter.NewWriter(a.io.Out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\trows\tfetched\tdeleted\tsince\t")
	for _, t := range res.Types {
		since := "everything"
		if !t.Since.IsZero() {
			since = t.Since.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\n", t.Type, t.Rows, t.Fetched, t.Deleted, since)
	}
	tw.Flush()
	fmt.Fprintf(a.io.Out, "Synced %s in %s: %d requests, %s waiting on throttling.\n",
		res.Dir, time.Since(start).Round(time.Millisecond), res.Requests, res.Waited.Round(time.Millisecond))
	return nil
}
