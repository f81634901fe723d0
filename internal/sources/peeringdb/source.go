package peeringdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// SourceAPI is the --peeringdb value that selects the live API (through the
// cache).
const SourceAPI = "api"

// Source says where Open takes PeeringDB data from. It mirrors the global
// --peeringdb and --offline options and the policy's peeringdb block.
type Source struct {
	// Spec is the --peeringdb value: a snapshot directory or dump file,
	// SourceAPI, or empty for the repository's default.
	Spec string
	// RepoDir is the peering repository; Snapshot and CacheDir are relative
	// to it unless absolute.
	RepoDir string
	// Snapshot is the policy's default snapshot directory (may be empty).
	Snapshot string
	// CacheDir is where the API is cached (default DefaultCacheDir).
	CacheDir string
	// Offline forbids any network access: "api" then reads the cache only.
	Offline bool
	// MaxAge is how old the cache may be before "api" syncs it again
	// (default 1 hour).
	MaxAge time.Duration
	// Client configures the API client for "api".
	Client ClientOptions
	// Limits and Logger are used for loading.
	Limits Limits
	Logger *slog.Logger
}

// ResolvedCacheDir returns the cache directory Source uses.
func (src Source) ResolvedCacheDir() string {
	return src.repoPath(src.CacheDir, DefaultCacheDir)
}

func (src Source) repoPath(p, def string) string {
	if p == "" {
		p = def
	}
	if filepath.IsAbs(p) || src.RepoDir == "" {
		return p
	}
	return filepath.Join(src.RepoDir, p)
}

// Open loads the PeeringDB data a command should use:
//   - Spec is a path: that snapshot directory or dump file (no network);
//   - Spec is "api": the cache, synced first when it is older than MaxAge
//     and not Offline; if that sync fails, a cache that has data is used
//     with a warning;
//   - Spec is empty: the policy's snapshot when it exists, else the cache.
func Open(ctx context.Context, src Source) (*Store, error) {
	log := src.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	loader := Loader{Limits: src.Limits, Logger: log}
	cache := src.ResolvedCacheDir()
	switch src.Spec {
	case SourceAPI:
		if err := src.refresh(ctx, cache, log); err != nil {
			return nil, err
		}
		return loadCache(loader, cache)
	case "":
		if src.Snapshot != "" {
			snap := src.repoPath(src.Snapshot, "")
			if _, err := os.Stat(snap); err == nil {
				return loader.LoadDir(snap)
			}
			log.Warn("the policy's PeeringDB snapshot is missing; trying the cache", "snapshot", snap, "cache", cache)
		}
		if st, err := loadCache(loader, cache); err == nil {
			return st, nil
		} else if !errors.Is(err, ErrNoData) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: the repository has no snapshot and %s is empty; pass --peeringdb DIR, or --peeringdb api to use the live API (or fill the cache with `peerform peeringdb sync`)", ErrNoData, cache)
	default:
		return loader.LoadDir(src.Spec)
	}
}

// refresh syncs the cache when it is stale, unless offline.
func (src Source) refresh(ctx context.Context, cache string, log *slog.Logger) error {
	st, err := readSyncState(cache)
	maxAge := src.MaxAge
	if maxAge <= 0 {
		maxAge = time.Hour
	}
	if src.Offline {
		return nil
	}
	if err == nil && time.Since(st.Synced) < maxAge {
		return nil
	}
	c, err := NewClient(src.Client)
	if err != nil {
		return err
	}
	if _, err := c.Sync(ctx, cache, time.Time{}); err != nil {
		if ctx.Err() != nil || !cacheHas(cache, "net") {
			return err
		}
		log.Warn("PeeringDB sync failed; using the cached data", "cache", cache, "synced", st.Synced, "err", err)
	}
	return nil
}

func loadCache(loader Loader, cache string) (*Store, error) {
	if _, err := os.Stat(cache); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no PeeringDB cache at %s; run `peerform peeringdb sync` (not --offline) first", ErrNoData, cache)
	}
	return loader.LoadDir(cache)
}
