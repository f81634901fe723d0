package main

import (
	"context"
	"fmt"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/repo/skeleton"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

type initOptions struct {
	app       *app
	asn       bgp.ASN
	dir       string
	platforms []string
	prefixes  []netip.Prefix
	action    string
	irrServer string
}

// maxInitPrefixes bounds what init takes from the IRR as our prefixes: past
// it the route objects are not a list to write by hand.
const maxInitPrefixes = 200

func newCmdInit(a *app, runF func(*initOptions) error) *cobra.Command {
	opts := &initOptions{app: a}
	var asn string
	var prefixes []string
	cmd := &cobra.Command{
		Use:     "init --asn AS<n>",
		GroupID: "intent",
		Short:   "Start a peering repository for our network from PeeringDB",
		Long: `Init writes the first files of a peering repository for our network:

  policies/network.hcl  our network (name and AS-SET from PeeringDB, our
                        prefixes), the IRR and an rpki block to fill in
  policies/ixps.hcl     the exchanges PeeringDB has us at, with their LANs
  policies/routers.hcl  one router stub per --platform, with our addresses
                        on each exchange from PeeringDB
  policies/filters.hcl, policies/scoring.hcl
                        the import policy, scoring and economics defaults
  peers/README.md       how to add a peer
  .github/workflows/pr.yml, deploy.yml
                        review on pull requests, deploy on merge, through
                        peerform's reusable action

It never overwrites a file: when one of them exists it writes nothing.
PeeringDB data is untrusted: names that could change a router config are
replaced by safe ones, and addresses outside the exchange's LANs are left
out (each said on stderr).

Our prefixes are not in PeeringDB: give them with --prefix, or init asks the
IRR for the route objects of our AS (not with --offline).

Then set each router's host in policies/routers.hcl and run validate.`,
		Example: `  # From the live PeeringDB, into a new directory
  peerform init --asn AS64500 --dir peering --prefix 198.51.100.0/24 --prefix 2001:db8:100::/48

  # Two routers, FRR and BIRD 2, from a snapshot, offline
  peerform init --asn 64500 --platform frr,bird2 --peeringdb ./snapshot --offline --prefix 198.51.100.0/24`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := bgp.ParseASN(asn)
			if err != nil {
				return usageErrorf("--asn: %v", err)
			}
			opts.asn = n
			for _, s := range prefixes {
				p, err := netip.ParsePrefix(s)
				if err != nil || p != p.Masked() {
					return usageErrorf("--prefix %q is not a prefix like 198.51.100.0/24", s)
				}
				opts.prefixes = append(opts.prefixes, p)
			}
			if opts.dir == "" {
				opts.dir = a.repoDir
			}
			if runF != nil {
				return runF(opts)
			}
			return initRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&asn, "asn", "", "our network's AS number, `AS<n>` or n (required)")
	f.StringVar(&opts.dir, "dir", "", "the new repository's `directory` (default: -C, the current directory)")
	f.StringSliceVar(&opts.platforms, "platform", []string{"bird2"}, "one router stub per `platform`: bird2, frr, junos, iosxr, eos, netconf (repeatable)")
	f.StringSliceVar(&prefixes, "prefix", nil, "a `prefix` our network announces (repeatable; default: our route objects in the IRR)")
	f.StringVar(&opts.action, "action", defaultActionRef(), "the reusable `action` the workflows use, owner/repo@ref")
	f.StringVar(&opts.irrServer, "irr-server", intent.DefaultIRRServer, "IRR `host:port` asked for our route objects when --prefix is not given")
	_ = cmd.MarkFlagRequired("asn")
	return cmd
}

// defaultActionRef pins the workflows to this build's release; a build
// that is not a release uses the main branch (pin a release instead).
func defaultActionRef() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return "peerform/peerform@" + bi.Main.Version
	}
	return "peerform/peerform@main"
}

func initRun(ctx context.Context, opts *initOptions) error {
	a := opts.app
	a.repoDir = opts.dir // the PeeringDB cache goes into the new repository
	if a.peeringdb == "" {
		a.peeringdb = "api"
	}
	store, err := a.openPeeringDB(ctx, intent.PeeringDB{Cache: peeringdb.DefaultCacheDir})
	if err != nil {
		return fmt.Errorf("PeeringDB: %w", err)
	}
	if _, ok := store.Net(opts.asn); !ok {
		return findingsf("%s is not in the PeeringDB data from %s", opts.asn, store.Meta().Source)
	}
	if len(opts.prefixes) == 0 {
		if opts.prefixes, err = irrPrefixes(ctx, a, opts); err != nil {
			return err
		}
	}
	res, err := skeleton.Build(store, skeleton.Options{ASN: opts.asn, Platforms: opts.platforms, Prefixes: opts.prefixes, ActionRef: opts.action})
	if err != nil {
		return usageErrorf("%v", err)
	}
	if err := skeleton.Write(opts.dir, res.Files); err != nil {
		return err
	}
	for _, n := range res.Notes {
		fmt.Fprintf(a.io.ErrOut, "Note: %s.\n", n)
	}
	for _, f := range res.Files {
		fmt.Fprintf(a.io.Out, "wrote %s\n", f.Path)
	}
	fmt.Fprintf(a.io.Out, "\nNext: set each router's host in policies/routers.hcl, list RTR caches in the rpki block, then\n  peerform -C %s validate\n  peerform -C %s suggest --top 10\n", opts.dir, opts.dir)
	return nil
}

// irrPrefixes asks the IRR for the route objects of our AS.
func irrPrefixes(ctx context.Context, a *app, opts *initOptions) ([]netip.Prefix, error) {
	if a.offline {
		return nil, usageErrorf("give our prefixes with --prefix: PeeringDB does not list them, and --offline forbids asking the IRR")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	client, err := irr.New(irr.Options{Servers: []string{opts.irrServer}, Logger: a.logger(), TotalTimeout: time.Minute})
	if err != nil {
		return nil, usageErrorf("--irr-server: %v", err)
	}
	ref := bgp.ObjectRef{Name: opts.asn.String()}
	res := client.Expand(ctx, []bgp.ObjectRef{ref})[ref]
	prefixes := append(res.V4, res.V6...)
	switch {
	case res.Err != nil:
		return nil, fmt.Errorf("asking %s for the route objects of %s: %w; give our prefixes with --prefix", opts.irrServer, opts.asn, res.Err)
	case len(prefixes) == 0:
		return nil, findingsf("%s has no route objects of %s; give our prefixes with --prefix", opts.irrServer, opts.asn)
	case len(prefixes) > maxInitPrefixes:
		return nil, findingsf("%s has %d route objects of %s; give the prefixes we announce with --prefix", opts.irrServer, len(prefixes), opts.asn)
	}
	fmt.Fprintf(a.io.ErrOut, "Note: our prefixes are the %d route objects of %s in %s; check them in policies/network.hcl.\n", len(prefixes), opts.asn, opts.irrServer)
	return prefixes, nil
}
