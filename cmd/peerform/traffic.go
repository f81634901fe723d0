package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/sources/rib"
)

func newCmdTraffic(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "traffic",
		GroupID: "data",
		Short:   "Measured traffic: collect flows, import tables, rank ASes, verify moves",
		Long: `Traffic measures what peering would move. Our border routers export flows
(NetFlow v9, IPFIX, sFlow) to 'traffic collect', or the tables of tools we
already run are imported ('traffic import': Akvorado, pmacct, nfdump, a
plain CSV). Each flow is attributed with our routes (an MRT dump of a
border router's table, traffic { rib }) to a direction, the neighbor AS it
crossed, the remote AS it came from or went to, and the class of link
(transit, IXP, PNI) the policy's link blocks and IXP LANs give. The
store keeps 5-minute buckets per UTC day (docs/traffic.md).

'traffic top' ranks ASes by their 95th percentile per direction, as
transit is billed; 'suggest --traffic' ranks candidates by the transit
traffic that would move to them; 'traffic verify' tells whether traffic
moved to a new peer's sessions after a deploy.`,
	}
	cmd.AddCommand(newCmdTrafficCollect(a, nil), newCmdTrafficImport(a, nil), newCmdTrafficTop(a, nil), newCmdTrafficVerify(a, nil))
	return cmd
}

// trafficFlags override the repository's traffic block.
type trafficFlags struct {
	store, rib string
}

func (f *trafficFlags) add(cmd *cobra.Command, withRIB bool) {
	cmd.Flags().StringVar(&f.store, "store", "", "traffic store `dir` (default: traffic { store } of the repository, else .peerform/traffic)")
	if withRIB {
		cmd.Flags().StringVar(&f.rib, "rib", "", "MRT RIB dump `file` to attribute flows with (default: traffic { rib })")
	}
}

// trafficEnv is what the traffic commands share.
type trafficEnv struct {
	repo  *intent.Repo // nil outside a repository
	store *traffic.Store
	attr  *traffic.Attributor
	ribs  rib.Report
}

// loadTraffic reads the repository's traffic policy (when there is one),
// opens the store and, with routes, loads the RIB dump.
func (a *app) loadTraffic(f trafficFlags, routes bool) (*trafficEnv, error) {
	env := &trafficEnv{attr: &traffic.Attributor{}}
	cfg := intent.Traffic{Store: intent.DefaultTrafficStore}
	dir := a.repoDir
	if repo, diags := intent.LoadDir(a.repoDir); repo != nil && repo.Network.ASN != 0 {
		if diags.HasErrors() {
			return nil, fmt.Errorf("the repository has validation errors (run peerform validate): %w", diags)
		}
		env.repo, cfg = repo, repo.Traffic
	}
	env.store = traffic.StoreOf(cfg, dir)
	if f.store != "" {
		env.store.Dir = f.store
	}
	ribPath := cfg.RIB
	if ribPath != "" {
		ribPath = filepath.Join(dir, ribPath)
	}
	if f.rib != "" {
		ribPath = f.rib
	}
	var table *rib.Table
	if routes && ribPath != "" {
		var err error
		if table, env.ribs, err = rib.LoadFile(ribPath, rib.Options{}); err != nil {
			return nil, err
		}
	}
	if env.repo != nil {
		env.attr = traffic.NewAttributor(env.repo, table)
	} else {
		env.attr.Routes = table
	}
	return env, nil
}
