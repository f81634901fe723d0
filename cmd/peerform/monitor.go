package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/ops/history"
	"github.com/peerform/peerform/internal/ops/monitor"
	"github.com/peerform/peerform/internal/pipeline"
)

type monitorOptions struct {
	app      *app
	query    pipeline.RolloutQuery
	listen   string
	interval time.Duration
	history  string
	rollout  rolloutFunc
}

func newCmdMonitor(a *app, runF func(*monitorOptions) error) *cobra.Command {
	opts := &monitorOptions{app: a, rollout: repoRollout}
	cmd := &cobra.Command{
		Use:     "monitor",
		GroupID: "routers",
		Short:   "Watch every intended BGP session and export Prometheus metrics",
		Long: `Monitor runs until stopped (SIGINT, SIGTERM). Every --interval it reads
the BGP sessions of every router of an environment, the way 'peerform
check' does but keeping one management connection per router, and serves
what it saw on http://--listen/metrics for Prometheus:

  peerform_session_up, _admin_down, _state, _uptime_seconds,
  _down_seconds, _flaps_total, _prefixes_received and _prefix_limit (per
  family), _rpki_invalid_routes, _last_error_info; peerform_router_up

labelled by router, neighbor, peer_asn and peer. Alerting rules for them
(session down, prefixes above 90 % of max-prefix, flapping, router not
readable) are in docs/monitoring/peerform-alerts.yml; docs/monitoring.md
explains them.

Every poll is also recorded in the session history file (--history,
bounded, one entry per session): since when a session is down, when it was
last up, how often it flapped. 'peerform prune' reads it. The intended
sessions are read from the repository at start: restart the monitor after
a deploy.

Exit status: 0 when stopped by a signal, 1 when the history cannot be
written, 2 on usage or internal errors.`,
		Example: `  # Production routers, scraped by a local Prometheus
  peerform monitor --listen 127.0.0.1:9473

  # The lab, polled every second
  peerform monitor --env lab --interval 1s --history /tmp/lab-sessions.json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.interval < 100*time.Millisecond {
				return usageErrorf("--interval must be at least 100ms")
			}
			if runF != nil {
				return runF(opts)
			}
			return monitorRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	addRolloutFlags(f, &opts.query)
	f.StringVar(&opts.listen, "listen", "127.0.0.1:9473", "serve metrics on `host:port`")
	f.DurationVar(&opts.interval, "interval", 30*time.Second, "poll every router every `d`")
	f.StringVar(&opts.history, "history", history.DefaultPath(), "session history `file`")
	return cmd
}

func monitorRun(ctx context.Context, opts *monitorOptions) error {
	a := opts.app
	ro, err := opts.rollout(ctx, a, opts.query)
	if err != nil {
		return err
	}
	m, err := monitor.New(ro.Targets, monitor.Options{Interval: opts.interval, HistoryPath: opts.history, Log: a.logger()})
	if err != nil {
		return findingsf("%v", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m)
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return usageErrorf("--listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Timeout: 10 * time.Second}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 15 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(a.io.ErrOut, "peerform monitor: %d routers every %s, metrics on http://%s/metrics\n", len(ro.Targets), opts.interval, ln.Addr())

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()
	var runErr error
	select {
	case runErr = <-ran:
	case err := <-served:
		stop()
		<-ran
		return fmt.Errorf("serving metrics: %w", err)
	}
	shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if runErr != nil {
		return findingsf("%v", runErr)
	}
	return nil
}
