// Command peerform-lab starts, inspects and stops the BGP lab of package lab
// from a shell: `make lab-up`, `make lab-down` and `make lab-demo` call it.
// The lab keeps running after `up` returns; `down` stops it by the PIDs
// saved in the lab directory. The lab's world (what its peers announce,
// what its RPKI cache serves) comes from the example repository in -repo.
//
//	peerform-lab up     [-name demo] [-dir lab/run/demo] [-ports lab-ams-edge1=2201,lab-fra-edge1=2202] [-repo .]
//	peerform-lab status [-dir lab/run/demo]
//	peerform-lab routes [-dir lab/run/demo] [-wait 30s] [-v]
//	peerform-lab down   [-dir lab/run/demo]
//
// `routes` asks each router which routes it accepted over the sessions
// that are up, judges every route the peers announce against the
// example's IRR and RPKI data (lab.Topology.Acceptable), prints a summary
// per router, and exits 1 if a router accepted or rejected a route against
// that data.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/lab"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: peerform-lab up|status|routes|down [flags]")
		return 2
	}
	fs := flag.NewFlagSet("peerform-lab "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "demo", "lab name (prefix of its network namespaces)")
	dir := fs.String("dir", "lab/run/demo", "lab directory (configs, keys, sockets, logs, lab.json)")
	ports := fs.String("ports", "lab-ams-edge1=2201,lab-fra-edge1=2202", "SSH port per router, router=port,…")
	repo := fs.String("repo", ".", "up: the example peering repository whose IRR and RPKI data make the lab's world")
	wait := fs.Duration("wait", 0, "up: also wait this long for every peer session to be Established; routes: for the routes to settle")
	verbose := fs.Bool("v", false, "log progress; routes: list every route")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var err error
	switch args[0] {
	case "up":
		o := lab.Options{Name: *name, Dir: *dir, Logger: log}
		if o.Topology, err = lab.Example(ctx, *repo); err == nil {
			err = up(ctx, stdout, o, *ports, *wait)
		}
	case "status":
		err = status(stdout, *dir)
	case "routes":
		err = routes(ctx, stdout, *dir, *wait, *verbose)
	case "down":
		var l *lab.Lab
		if l, err = lab.Load(*dir, log); err == nil {
			err = l.Down(ctx)
		}
	default:
		err = fmt.Errorf("unknown command %q (want up, status or down)", args[0])
	}
	if err != nil {
		fmt.Fprintln(stderr, "peerform-lab:", err)
		if errors.Is(err, lab.ErrUnavailable) {
			return 3
		}
		return 1
	}
	return 0
}

func up(ctx context.Context, stdout io.Writer, o lab.Options, ports string, wait time.Duration) error {
	o.SSHPorts = map[string]int{}
	for _, kv := range strings.Split(ports, ",") {
		if kv == "" {
			continue
		}
		r, p, ok := strings.Cut(kv, "=")
		n, err := strconv.Atoi(p)
		if !ok || err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("bad -ports entry %q (want router=port)", kv)
		}
		o.SSHPorts[r] = n
	}
	start := time.Now()
	l, err := lab.Up(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "lab %s up in %s (dir %s)\n", l.Name, time.Since(start).Round(time.Millisecond), l.Dir)
	printEndpoints(stdout, l)
	if wait > 0 {
		_, err := l.WaitSessions(ctx, l.Topology.Links(), wait)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "all sessions Established %s after up\n", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func status(stdout io.Writer, dir string) error {
	l, err := lab.Load(dir, nil)
	if err != nil {
		return err
	}
	printEndpoints(stdout, l)
	views, err := l.PeerSessions(context.Background())
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(views, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", b)
	return nil
}

func routes(ctx context.Context, stdout io.Writer, dir string, wait time.Duration, all bool) error {
	l, err := lab.Load(dir, nil)
	if err != nil {
		return err
	}
	rep, err := l.WaitRoutes(ctx, wait)
	if err == nil && len(rep.Routes) == 0 {
		// Nothing judged is not a pass.
		return fmt.Errorf("no routes to judge: no session of the lab is Established")
	}
	if all {
		for _, v := range rep.Routes {
			verdict := "accepted"
			if !v.Accepted {
				verdict = "rejected"
			}
			if v.Want != v.Accepted {
				verdict += " (wrong)"
			}
			fmt.Fprintf(stdout, "  %-14s %-7s %-20s %-18s %-17s %s\n", v.Router, v.Peer, v.Neighbor, v.Prefix, verdict, v.Reason)
		}
	}
	for _, r := range rep.Routers() {
		fmt.Fprintf(stdout, "%s: %s\n", r, rep.Summary(r))
	}
	if err != nil {
		for _, v := range rep.Mismatches() {
			fmt.Fprintf(stdout, "  wrong: %s\n", v)
		}
		return err
	}
	fmt.Fprintf(stdout, "every route accepted or rejected as the example's IRR and RPKI data say; in all: %s\n", rep.Summary(""))
	return nil
}

func printEndpoints(w io.Writer, l *lab.Lab) {
	for _, e := range l.Routers {
		fmt.Fprintf(w, "  %-10s %-6s ssh -i %s -o UserKnownHostsFile=%s -p %d %s@%s\n",
			e.Router, e.Platform, l.KeyFile, l.KnownHostsFile, e.SSH.Port(), l.User, e.SSH.Addr())
	}
}
