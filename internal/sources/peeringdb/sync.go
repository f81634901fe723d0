package peeringdb

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// DefaultCacheDir is where the live API is cached, relative to the
// repository.
const DefaultCacheDir = ".peerform/peeringdb"

// stateFile records, in a cache directory, when each type was last synced
// and what to pass as ?since= next time.
const stateFile = "sync-state.json"

// syncOverlap is subtracted from the newest "updated" seen when asking for
// changes since then: a row committed late with an earlier timestamp is
// fetched again rather than missed. Re-fetched rows merge idempotently.
const syncOverlap = 10 * time.Minute

type syncState struct {
	Version int                  `json:"version"`
	BaseURL string               `json:"base_url"`
	Synced  time.Time            `json:"synced"` // last time every type synced
	Types   map[string]typeState `json:"types"`
}

type typeState struct {
	// Newest is the newest "updated" time among the rows received so far.
	Newest time.Time `json:"newest"`
	Synced time.Time `json:"synced"`
	Rows   int       `json:"rows"`
}

// SyncResult says what a Sync did.
type SyncResult struct {
	Dir      string           `json:"dir"`
	Types    []TypeSyncResult `json:"types"`
	Requests int              `json:"requests"`
	// Waited is the time spent waiting on throttling and retries.
	Waited time.Duration `json:"waited_ns"`
	Synced time.Time     `json:"synced"`
}

// TypeSyncResult is the outcome for one object type.
type TypeSyncResult struct {
	Type string `json:"type"`
	// Since is the ?since= time asked for; zero for a full fetch.
	Since   time.Time `json:"since,omitzero"`
	Fetched int       `json:"fetched"` // rows received
	Deleted int       `json:"deleted"` // rows removed because their status was no longer "ok"
	Rows    int       `json:"rows"`    // rows in the cache afterwards
}

// Sync brings the cache directory up to date with the API and writes one
// <type>.json.gz per object type, in the shape LoadDir reads.
//
// With a zero since, each type is fetched incrementally from its last sync
// (with ?since=), or in full when it was never synced. A non-zero since
// asks every type for the rows changed since then and merges them into
// what is cached. Merging is by id; rows whose status is not "ok" (deleted,
// pending) are removed. Each file is replaced atomically (temporary file,
// fsync, rename) and the state is saved after each type, so an interrupted
// sync loses nothing and resumes where it stopped.
func (c *Client) Sync(ctx context.Context, cacheDir string, since time.Time) (res SyncResult, err error) {
	res.Dir = cacheDir
	if c.opts.Offline {
		return res, ErrOffline
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return res, fmt.Errorf("creating PeeringDB cache: %w", err)
	}
	unlock, err := lockDir(cacheDir)
	if err != nil {
		return res, err
	}
	defer unlock()

	st, err := readSyncState(cacheDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return res, err
	}
	if st.BaseURL != "" && st.BaseURL != c.base.String() {
		// Ids from another server do not merge: start again.
		c.log.Warn("PeeringDB cache was filled from another server; fetching everything again", "was", st.BaseURL)
		st = syncState{}
	}
	st.Version, st.BaseURL = 1, c.base.String()
	if st.Types == nil {
		st.Types = map[string]typeState{}
	}
	if c.Anonymous() {
		c.log.Warn("no PeeringDB API key: anonymous access is throttled; set " + APIKeyEnv)
		c.progress(Progress{Message: "anonymous access: PeeringDB throttles it hard; set " + APIKeyEnv + " for faster syncs"})
	}

	s := &session{}
	defer func() { res.Requests, res.Waited = s.requests, s.waited }()
	for _, typ := range objectTypes {
		ts := st.Types[typ]
		ask := since
		if ask.IsZero() && !ts.Newest.IsZero() && cacheHas(cacheDir, typ) {
			ask = ts.Newest.Add(-syncOverlap)
		}
		tr, newest, err := c.syncType(ctx, s, cacheDir, typ, ask)
		if err != nil {
			return res, err
		}
		res.Types = append(res.Types, tr)
		if newest.After(ts.Newest) {
			ts.Newest = newest
		}
		ts.Synced, ts.Rows = time.Now().UTC(), tr.Rows
		st.Types[typ] = ts
		if err := writeSyncState(cacheDir, st); err != nil {
			return res, err
		}
	}
	st.Synced = time.Now().UTC()
	res.Synced = st.Synced
	return res, writeSyncState(cacheDir, st)
}

// syncType fetches one type and merges it into its cache file. It returns
// the newest "updated" time among the rows received.
func (c *Client) syncType(ctx context.Context, s *session, dir, typ string, since time.Time) (TypeSyncResult, time.Time, error) {
	tr := TypeSyncResult{Type: typ, Since: since}
	fetched, err := c.fetchType(ctx, s, typ, since)
	if err != nil {
		return tr, time.Time{}, err
	}
	tr.Fetched = len(fetched)
	rows := map[int]apiRow{}
	if !since.IsZero() {
		if rows, err = c.readCache(dir, typ); err != nil {
			return tr, time.Time{}, err
		}
	}
	var newest time.Time
	for _, r := range fetched {
		if r.Updated.After(newest) {
			newest = r.Updated
		}
		if r.Status == "ok" || r.Status == "" {
			rows[r.ID] = r
		} else if _, had := rows[r.ID]; had {
			delete(rows, r.ID)
			tr.Deleted++
		}
	}
	tr.Rows = len(rows)
	if err := writeCacheFile(dir, typ, rows); err != nil {
		return tr, time.Time{}, err
	}
	return tr, newest, nil
}

// readCache reads a type's cached rows by id; a missing file is empty.
func (c *Client) readCache(dir, typ string) (map[int]apiRow, error) {
	rows := map[int]apiRow{}
	path := filepath.Join(dir, typ+".json.gz")
	err := readFile(path, c.opts.Limits, func(r io.Reader) error {
		_, err := walkSingle(r, c.opts.Limits.MaxRows, func(dec *json.Decoder, _ int) error {
			row, err := decodeAPIRow(dec, typ)
			if err == nil {
				rows[row.ID] = row
			}
			return err
		})
		return err
	})
	if errors.Is(err, os.ErrNotExist) {
		return rows, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading PeeringDB cache %s: %w", path, err)
	}
	return rows, nil
}

func cacheHas(dir, typ string) bool {
	_, err := os.Stat(filepath.Join(dir, typ+".json.gz"))
	return err == nil
}

// writeCacheFile writes {"data": [rows by id], "meta": {"generated": now}}
// gzip-compressed, atomically. A plain <type>.json left in the directory
// would make the snapshot ambiguous, so it is removed.
func writeCacheFile(dir, typ string, rows map[int]apiRow) error {
	ids := slices.Sorted(maps.Keys(rows))
	err := writeAtomic(dir, typ+".json.gz", func(w io.Writer) error {
		zw := gzip.NewWriter(w)
		bw := bufio.NewWriter(zw)
		bw.WriteString(`{"data":[`)
		for i, id := range ids {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.Write(rows[id].Raw)
		}
		now := time.Now()
		bw.WriteString(`],"meta":{"generated":` + strconv.FormatInt(now.Unix(), 10) + `}}`)
		if err := bw.Flush(); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("writing PeeringDB cache %s: %w", typ, err)
	}
	if err := os.Remove(filepath.Join(dir, typ+".json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing stale %s.json: %w", typ, err)
	}
	return nil
}

// writeAtomic writes dir/name through a temporary file in the same
// directory, synced to disk, then renamed over the target, so readers see
// the old file or the new one, never half of one.
func writeAtomic(dir, name string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

func readSyncState(dir string) (syncState, error) {
	var st syncState
	f, err := os.Open(filepath.Join(dir, stateFile))
	if err != nil {
		return st, err
	}
	defer f.Close()
	dec := json.NewDecoder(io.LimitReader(f, 1<<20))
	if err := dec.Decode(&st); err != nil {
		return syncState{}, fmt.Errorf("reading %s: %w", filepath.Join(dir, stateFile), err)
	}
	return st, nil
}

func writeSyncState(dir string, st syncState) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	err = writeAtomic(dir, stateFile, func(w io.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("saving PeeringDB sync state: %w", err)
	}
	return nil
}

// lockDir keeps two syncs from interleaving in one cache directory. A lock
// older than an hour is from a sync that died and is taken over.
func lockDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, ".sync.lock")
	for range 2 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "%d\n", os.Getpid())
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("locking PeeringDB cache: %w", err)
		}
		fi, statErr := os.Stat(path)
		if statErr != nil || time.Since(fi.ModTime()) < time.Hour {
			return nil, fmt.Errorf("PeeringDB cache %s is being synced by another process (remove %s if it is not)", dir, path)
		}
		os.Remove(path)
	}
	return nil, fmt.Errorf("locking PeeringDB cache %s: could not take over a stale lock", dir)
}
