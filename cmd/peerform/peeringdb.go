package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

func newCmdPeeringDB(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "peeringdb <command>",
		GroupID: "data",
		Short:   "Sync and query PeeringDB: presence, addresses, speeds, prefix counts",
		Long: `PeeringDB says which networks are present at which facilities and exchange
points, with which addresses, port speeds, traffic ratio, prefix counts and
AS-SET. peerform derives sessions, max-prefix limits and scores from it.

Every command takes its PeeringDB data from the global --peeringdb option:

  --peeringdb DIR    a snapshot directory of <type>.json[.gz] files in the
                     API's shape (or a single-file dump), never the network
  --peeringdb api    the live API through the cache (.peerform/peeringdb/ in
                     the repository, or the policy's peeringdb { cache }),
                     synced when older than an hour; with --offline only the
                     cache is read
  (not given)        the policy's peeringdb { snapshot }, else the cache

The API key is read from ` + peeringdb.APIKeyEnv + ` and never printed.
Without it PeeringDB throttles requests hard; peerform waits as asked
(Retry-After) within a budget, then gives up.`,
	}
	cmd.AddCommand(newCmdPeeringDBSync(a, nil), newCmdPeeringDBShow(a, nil))
	return cmd
}

// peeringDBConfig returns the repository's peeringdb policy block, or the
// defaults when the repository cannot be read (peeringdb show works
// outside a repository).
func (a *app) peeringDBConfig() intent.PeeringDB {
	if repo, _ := intent.LoadDir(a.repoDir); repo != nil {
		return repo.PeeringDB
	}
	return intent.PeeringDB{Cache: peeringdb.DefaultCacheDir}
}

// peeringDBSource turns the global options and the policy into a source.
func (a *app) peeringDBSource(cfg intent.PeeringDB, progress func(peeringdb.Progress)) peeringdb.Source {
	return a.pipeline().PeeringDBSource(cfg, progress)
}

// openPeeringDB loads the PeeringDB data a command uses (see
// pipeline.Options.OpenPeeringDB).
func (a *app) openPeeringDB(ctx context.Context, cfg intent.PeeringDB) (*peeringdb.Store, error) {
	return a.pipeline().OpenPeeringDB(ctx, cfg)
}
