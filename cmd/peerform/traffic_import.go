package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/decide/traffic/importer"
	"github.com/peerform/peerform/internal/repo/repofs"
)

type trafficImportOptions struct {
	app      *app
	flags    trafficFlags
	file     string
	format   string
	class    string
	dir      string
	period   periodFlags
	interval time.Duration
	json     bool
}

func newCmdTrafficImport(a *app, runF func(*trafficImportOptions) error) *cobra.Command {
	opts := &trafficImportOptions{app: a}
	cmd := &cobra.Command{
		Use:   "import --format FORMAT FILE",
		Short: "Import per-AS traffic from Akvorado, pmacct, nfdump or a CSV",
		Long: `Import adds traffic measured by another tool to the store:

  csv       asn,direction,mbps rows (a header names the columns): rates held
            over the period (--days, or --from and --to)
  pmacct    the print plugin's CSV (print_output: csv, aggregate: src_as,
            dst_as[, peer_src_as, peer_dst_as]); with print_history, each
            row covers --interval from its STAMP_INSERTED
  nfdump    flow records from 'nfdump -r FILE -o csv', attributed with the
            RIB and links like collected flows
  akvorado  the JSON answer of the console's /api/v0/console/graph/line
            (one dimension SrcAS or DstAS, units l3bps, bidirectional):
            --direction is the direction of the first axis

AS tables (all but nfdump) count as --class traffic. Rows that do not parse
are skipped and listed; the import then exits 1.`,
		Example: `  # A month of pmacct's 5-minute AS table
  peerform traffic import --format pmacct pmacct-as.csv

  # Last week's inbound traffic by source AS, saved from Akvorado
  peerform traffic import --format akvorado --direction in akvorado.json

  # A plain table of 95th percentiles measured over 30 days
  peerform traffic import --format csv --days 30 top-transit.csv`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.file = args[0]
			if err := opts.period.resolve(); err != nil {
				return err
			}
			if _, err := traffic.ParseClass(opts.class); err != nil {
				return &usageError{err}
			}
			if opts.dir != "" {
				if _, err := traffic.ParseDirection(opts.dir); err != nil {
					return &usageError{err}
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return trafficImportRun(opts)
		},
	}
	opts.flags.add(cmd, true)
	opts.period.add(cmd, 1)
	cmd.Flags().StringVar(&opts.format, "format", "", fmt.Sprintf("input `format`: %v", importer.Formats))
	cmd.Flags().StringVar(&opts.class, "class", "transit", "class of link an AS table's traffic crossed: transit, ixp, pni or unknown")
	cmd.Flags().StringVar(&opts.dir, "direction", "", "Akvorado: direction (in or out) of the graph's first axis")
	cmd.Flags().DurationVar(&opts.interval, "interval", traffic.Bucket, "pmacct: the time a stamped row covers (print_history)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the import report as JSON")
	_ = cmd.MarkFlagRequired("format")
	return cmd
}

func trafficImportRun(opts *trafficImportOptions) error {
	a := opts.app
	env, err := a.loadTraffic(opts.flags, importer.Format(opts.format) == importer.NFDump)
	if err != nil {
		return err
	}
	o := importer.Options{Format: importer.Format(opts.format), Period: opts.period.period(time.Now()), Interval: opts.interval}
	o.Class, _ = traffic.ParseClass(opts.class)
	if opts.dir != "" {
		o.Direction, _ = traffic.ParseDirection(opts.dir)
	}
	if env.repo != nil {
		o.OurASN = env.repo.Network.ASN
	}
	f, err := repofs.Open(filepath.Dir(opts.file), filepath.Base(opts.file))
	if err != nil {
		return fmt.Errorf("import %s: %w", opts.file, err)
	}
	defer f.Close()
	unlock, err := env.store.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	ag := traffic.NewAggregator(env.store, env.attr)
	rep, err := importer.Import(f, o, ag)
	if err != nil {
		return fmt.Errorf("import %s: %w", opts.file, err)
	}
	if err := ag.Flush(time.Now(), 0); err != nil {
		return err
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.io.Out, "imported %d rows (%s) into %s\n", rep.Rows, volume(rep.Bytes), env.store.Dir)
	}
	if rep.Skipped > 0 {
		for _, p := range rep.Problems {
			fmt.Fprintf(a.io.ErrOut, "%s: %s\n", opts.file, p)
		}
		return findingsf("%s: %d rows skipped", opts.file, rep.Skipped)
	}
	return nil
}
