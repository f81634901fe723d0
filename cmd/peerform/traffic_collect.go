package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/internal/sources/flows"
)

type trafficCollectOptions struct {
	app    *app
	flags  trafficFlags
	listen string
	replay string
	port   uint16
	flush  time.Duration
	json   bool
}

func newCmdTrafficCollect(a *app, runF func(*trafficCollectOptions) error) *cobra.Command {
	opts := &trafficCollectOptions{app: a}
	cmd := &cobra.Command{
		Use:   "collect",
		Short: "Receive NetFlow v9, IPFIX and sFlow from our routers into the store",
		Long: `Collect listens for flow datagrams (NetFlow v9, IPFIX, sFlow v5 on one UDP
port), attributes every flow with the RIB dump and the policy's links,
and adds it to the store's 5-minute buckets, writing every --flush and on
exit (SIGINT, SIGTERM). Exporters that announce no sampling rate get
traffic { sampling_rate }. Bad input is counted and skipped, never fatal:
malformed datagrams, data before its template, absurd sampling rates or
volumes, clocks more than 2 minutes ahead or an hour behind. Memory is
bounded (exporters, templates per exporter, series per day). The RIB dump
is read when collect starts: restart it to follow a newer dump.

--replay decodes a packet capture (tcpdump -w) instead, with the times it
recorded, and exits.`,
		Example: `  # Listen on the collector port the routers export to
  peerform traffic collect --listen 0.0.0.0:2055

  # Replay a capture of exports, with a RIB dump from BIRD
  peerform traffic collect --replay flows.pcap --rib bird-rib.mrt`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.replay != "" && cmd.Flags().Changed("listen") {
				return usageErrorf("--listen and --replay exclude each other")
			}
			if opts.flush < time.Second {
				return usageErrorf("--flush must be at least 1s")
			}
			if runF != nil {
				return runF(opts)
			}
			return trafficCollectRun(cmd.Context(), opts)
		},
	}
	opts.flags.add(cmd, true)
	cmd.Flags().StringVar(&opts.listen, "listen", "127.0.0.1:2055", "UDP `address` to receive flows on")
	cmd.Flags().StringVar(&opts.replay, "replay", "", "decode the datagrams of a pcap `file` instead of listening")
	cmd.Flags().Uint16Var(&opts.port, "port", 0, "with --replay, only datagrams to this UDP `port` (0: any)")
	cmd.Flags().DurationVar(&opts.flush, "flush", time.Minute, "write the store every `interval`")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the final counters as JSON")
	return cmd
}

// collectReport is what collect prints when it ends, and the --json shape.
type collectReport struct {
	Decoder   flows.Stats            `json:"decoder"`
	Aggregate traffic.AggregateStats `json:"aggregate"`
	Routes    int                    `json:"routes"`
	Store     string                 `json:"store"`
}

func trafficCollectRun(ctx context.Context, opts *trafficCollectOptions) error {
	a := opts.app
	env, err := a.loadTraffic(opts.flags, true)
	if err != nil {
		return err
	}
	limits := flows.Limits{}
	if env.repo != nil {
		limits.DefaultSamplingRate, limits.Allow = env.repo.Traffic.SamplingRate, env.repo.Traffic.Exporters
	}
	dec, err := flows.NewDecoder(limits)
	if err != nil {
		return err
	}
	unlock, err := env.store.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	ag := traffic.NewAggregator(env.store, env.attr)
	log := a.logger()
	emit := func(r flows.Record) {
		if _, err := ag.Add(r); err != nil {
			log.Error("adding a flow", "err", err)
		}
	}
	if opts.replay != "" {
		f, err := repofs.Open(filepath.Dir(opts.replay), filepath.Base(opts.replay))
		if err != nil {
			return fmt.Errorf("replay %s: %w", opts.replay, err)
		}
		defer f.Close()
		if _, err := flows.Replay(f, opts.port, dec, emit); err != nil {
			return fmt.Errorf("replay %s: %w", opts.replay, err)
		}
	} else if err := listen(ctx, opts, dec, ag, emit); err != nil {
		return err
	}
	if err := ag.Flush(time.Now(), 0); err != nil {
		return err
	}
	if err := env.store.Rotate(time.Now()); err != nil {
		return err
	}
	rep := collectReport{Decoder: dec.Stats(), Aggregate: ag.Stats(), Routes: env.ribs.Routes, Store: env.store.Dir}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printCollect(a.io.Out, rep)
	return nil
}

// listen runs the collector until a signal, flushing every opts.flush.
func listen(ctx context.Context, opts *trafficCollectOptions, dec *flows.Decoder, ag *traffic.Aggregator, emit func(flows.Record)) error {
	addr, err := net.ResolveUDPAddr("udp", opts.listen)
	if err != nil {
		return usageErrorf("--listen %q: %v", opts.listen, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return fmt.Errorf("listening for flows: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	log := opts.app.logger()
	log.Info("collecting flows", "listen", conn.LocalAddr().String())
	go func() {
		t := time.NewTicker(opts.flush)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				// Keep the open days a late flow can still reach.
				if err := ag.Flush(now, flows.DefaultLimits.MaxFlowAge); err != nil {
					log.Error("writing the traffic store", "err", err)
				}
				log.Info("flows", "decoder", dec.Stats(), "aggregate", ag.Stats())
			}
		}
	}()
	return flows.Serve(ctx, conn, dec, emit)
}

func printCollect(w io.Writer, r collectReport) {
	d := r.Decoder
	fmt.Fprintf(w, "%d datagrams: %d flow records kept", d.Datagrams, d.Records)
	if s := d.Skipped(); s > 0 {
		fmt.Fprintf(w, ", %d skipped (sampling rate %d, volume %d, address %d, clock %d)", s, d.BadSamplingRate, d.BadVolume, d.BadAddress, d.Clock)
	}
	fmt.Fprintln(w)
	if n := d.Malformed + d.Unsupported + d.NoExporter + d.UnknownTemplate; n > 0 {
		fmt.Fprintf(w, "skipped datagrams: %d malformed, %d not flows, %d from refused exporters; %d data sets before their template\n",
			d.Malformed, d.Unsupported, d.NoExporter, d.UnknownTemplate)
	}
	fmt.Fprintf(w, "attributed %d flows (%s) with %d routes; %d without a direction\n",
		r.Aggregate.Records, volume(r.Aggregate.Bytes), r.Routes, r.Aggregate.Unattributed)
	fmt.Fprintf(w, "store: %s\n", r.Store)
}
