package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/pipeline"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

type trafficTopOptions struct {
	app    *app
	flags  trafficFlags
	period periodFlags
	class  string
	by     string
	top    int
	json   bool
}

func newCmdTrafficTop(a *app, runF func(*trafficTopOptions) error) *cobra.Command {
	opts := &trafficTopOptions{app: a}
	cmd := &cobra.Command{
		Use:   "top",
		Short: "Rank ASes by measured traffic, with the 95th percentile per direction",
		Long: `Top ranks the remote ASes (the origin of the route a flow's remote address
follows) by the traffic of the period that crossed links of --class, and
gives per direction the 95th percentile of the 5-minute rates (sort the
samples, drop the top 5 %, take the highest left: how transit is billed),
the average rate and the neighbor ASes it crossed. The period ends with
the store's last day unless --to says otherwise; days without data are
left out and the header says how many were measured.`,
		Example: `  # Transit traffic per remote AS over the last 30 days of data
  peerform traffic top

  # Every class, by neighbor AS, as JSON
  peerform traffic top --class all --by neighbor --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.period.resolve(); err != nil {
				return err
			}
			if opts.class != "all" {
				if _, err := traffic.ParseClass(opts.class); err != nil {
					return &usageError{err}
				}
			}
			if opts.by != "remote" && opts.by != "neighbor" {
				return usageErrorf("--by is remote or neighbor, not %q", opts.by)
			}
			if opts.top < 0 {
				return usageErrorf("--top must be 0 (all) or more")
			}
			if runF != nil {
				return runF(opts)
			}
			return trafficTopRun(cmd.Context(), opts)
		},
	}
	opts.flags.add(cmd, false)
	opts.period.add(cmd, 30)
	cmd.Flags().StringVar(&opts.class, "class", "transit", "links to count: transit, ixp, pni, unknown or all")
	cmd.Flags().StringVar(&opts.by, "by", "remote", "group by remote AS or by neighbor AS")
	cmd.Flags().IntVar(&opts.top, "top", 20, "show the `N` largest (0: all)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

func classFilter(s string) traffic.Filter {
	if s == "all" {
		return traffic.Filter{}
	}
	c, _ := traffic.ParseClass(s)
	return traffic.Filter{Classes: []traffic.Class{c}}
}

func trafficTopRun(ctx context.Context, opts *trafficTopOptions) error {
	a := opts.app
	env, err := a.loadTraffic(opts.flags, false)
	if err != nil {
		return err
	}
	end, err := pipeline.StoreEnd(env.store)
	if err != nil {
		return err
	}
	rep, err := env.store.Top(traffic.TopOptions{Period: opts.period.period(end), Filter: classFilter(opts.class),
		ByNeighbor: opts.by == "neighbor", N: opts.top})
	if err != nil {
		return err
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"class": opts.class, "by": opts.by, "report": rep}); err != nil {
			return err
		}
	} else {
		printTop(a.io.Out, rep, opts.class, a.asNames(ctx, env.repo))
	}
	if rep.Days == 0 {
		return findingsf("no measured traffic in %s (store %s)", rep.From.Format(time.DateOnly)+" – "+rep.To.Format(time.DateOnly), env.store.Dir)
	}
	return nil
}

// asNames returns PeeringDB's network names when a snapshot or cache is
// at hand (never fetching), else a function that knows none.
func (a *app) asNames(ctx context.Context, repo *intent.Repo) func(bgp.ASN) string {
	cfg := intent.PeeringDB{Cache: peeringdb.DefaultCacheDir}
	if repo != nil {
		cfg = repo.PeeringDB
	}
	src := a.peeringDBSource(cfg, nil)
	src.Offline, src.Client.Offline = true, true
	store, err := peeringdb.Open(ctx, src)
	if err != nil {
		a.logger().Debug("no PeeringDB names", "err", err)
		return func(bgp.ASN) string { return "" }
	}
	return func(asn bgp.ASN) string {
		n, _ := store.Net(asn)
		return n.Name
	}
}

func printTop(w io.Writer, rep traffic.Report, class string, name func(bgp.ASN) string) {
	fmt.Fprintf(w, "%s traffic, %s: %s measured, 95th percentile of %d 5-minute samples\n",
		class, traffic.Period{From: rep.From, To: rep.To}, plural(rep.Days, "day"), rep.Buckets)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "#\tASN\tNAME\tIN P95\tOUT P95\tIN AVG\tOUT AVG\tVIA\t")
	for i, r := range rep.Rows {
		as := r.AS.String()
		if r.AS == 0 {
			as = "(no AS)"
		}
		var via []string
		for _, v := range r.Via {
			via = append(via, v.String())
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", i+1, as, truncate(name(r.AS), 24), mbps(r.In.P95Mbps), mbps(r.Out.P95Mbps),
			mbps(r.In.AvgMbps), mbps(r.Out.AvgMbps), strings.Join(via, " "))
	}
	tw.Flush()
}

// volume prints a byte count in decimal units.
func volume(b uint64) string {
	v, units := float64(b), []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v, i = v/1000, i+1
	}
	return fmt.Sprintf("%.3g %s", v, units[i])
}

// mbps prints a rate with a unit that keeps it short.
func mbps(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.2f Gbps", v/1000)
	case v >= 1:
		return fmt.Sprintf("%.1f Mbps", v)
	case v > 0:
		return fmt.Sprintf("%.0f kbps", v*1000)
	}
	return "0"
}
