package irr_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/irr/irrtest"
)

// errClass names the kind of an expansion error, for comparing two
// failures whose texts differ only in where the answers came from.
func errClass(err error) string {
	switch {
	case err == nil:
		return "none"
	case errors.Is(err, irr.ErrNotFound):
		return "not found"
	case errors.Is(err, irr.ErrLimit):
		return "limit"
	case errors.Is(err, irr.ErrProtocol):
		return "reply too large"
	default:
		return "other"
	}
}

// requireSameResult compares an expansion from a DB with one from a
// server: members, prefixes, warnings and the kind of failure.
func requireSameResult(t *testing.T, ref bgp.ObjectRef, local, server irr.Result) {
	t.Helper()
	if !slices.Equal(local.ASNs, server.ASNs) || !slices.Equal(local.V4, server.V4) || !slices.Equal(local.V6, server.V6) {
		t.Errorf("%s: local %v %v %v, server %v %v %v", ref, local.ASNs, local.V4, local.V6, server.ASNs, server.V4, server.V6)
	}
	if lc, sc := errClass(local.Err), errClass(server.Err); lc != sc {
		t.Errorf("%s: local error %v (%s), server error %v (%s)", ref, local.Err, lc, server.Err, sc)
	}
	lw, sw := local.Warnings, server.Warnings
	if errClass(server.Err) == "other" || errClass(server.Err) == "reply too large" {
		// The last warning quotes the error, which names the server.
		lw, sw = lw[:len(lw)-1], sw[:len(sw)-1]
	}
	if !slices.Equal(lw, sw) {
		t.Errorf("%s: warnings differ:\nlocal  %q\nserver %q", ref, lw, sw)
	}
}

// TestLocalMatchesServer expands every set of the cross-check data from
// the DB in process and through the test server holding the same DB (the
// server's answers are checked against bgpq4 by TestCrossCheckBGPQ4), in
// every mode: with and without "!a", with sources, depth limits, pinned
// sources, and the limits.
func TestLocalMatchesServer(t *testing.T) {
	db, sets := crossCheckDB(t)
	sets = append(sets, "RIPE::AS100", "RADB::AS-ALPHA", "AS-MISSING", "AS3001", "RIPE::AS-RAND1")
	refs := mustRefs(t, sets...)
	type mode struct {
		opts  irr.Options
		alone bool // expand each reference in its own call
	}
	modes := []mode{
		{opts: irr.Options{}},
		{opts: irr.Options{NoA: true}},
		{opts: irr.Options{Sources: []string{"RIPE", "RADB"}}},
		{opts: irr.Options{Sources: []string{"RADB"}, NoA: true}},
		{opts: irr.Options{MaxDepth: 1}},
		{opts: irr.Options{MaxDepth: 2, Sources: []string{"RIPE"}}},
		{opts: irr.Options{MaxDepth: 3, NoA: true}},
		{opts: irr.Options{MaxMembers: 3}},
		{opts: irr.Options{MaxMembers: 40, MaxDepth: 10}},
		{opts: irr.Options{MaxPrefixes: 5}},
		// A reply over the limit breaks a server connection, and with
		// it the other queries on it: one reference per call.
		{opts: irr.Options{MaxReplyBytes: 100}, alone: true},
	}
	for _, m := range modes {
		t.Run(fmt.Sprintf("%+v", m.opts), func(t *testing.T) {
			srv := irrtest.Start(t, db, irrtest.Options{NoA: m.opts.NoA})
			netOpts := m.opts
			netOpts.Servers = []string{srv.Addr}
			server := newClient(t, netOpts)
			localOpts := m.opts
			localOpts.DB = db
			local := newClient(t, localOpts)
			expand := func(c *irr.Client) map[bgp.ObjectRef]irr.Result {
				if !m.alone {
					return c.Expand(context.Background(), refs)
				}
				out := map[bgp.ObjectRef]irr.Result{}
				for _, ref := range refs {
					out[ref] = c.Expand(context.Background(), []bgp.ObjectRef{ref})[ref]
				}
				return out
			}
			fromServer, fromDB := expand(server), expand(local)
			for _, ref := range refs {
				requireSameResult(t, ref, fromDB[ref], fromServer[ref])
			}
		})
	}
}

// The example repository's data, as `peerform render` expands it from
// data/irr/example.rpsl, is what a server holding it answers.
func TestLocalMatchesServerExample(t *testing.T) {
	db := irrtest.ExampleDB()
	srv := irrtest.Start(t, db, irrtest.Options{})
	refs := mustRefs(t, "AS-EXAMPLE", "AS13335:AS-CLOUDFLARE", "RIPE::AS-AKAMAI", "AS-AKAMAI", "AS-HURRICANE",
		"AS-ALPHA", "AS64502", "AS-GAMMA", "AS-DOCIX-RS", "AS65537:AS-DELTA", "AS-EPSILON")
	// The example network allows documentation ASNs (allow_peer_asn).
	opts := irr.Options{Sources: []string{"RIPE", "ARIN", "RADB"}, AllowASN: []bgp.Class{bgp.Documentation}}
	netOpts, localOpts := opts, opts
	netOpts.Servers, localOpts.DB = []string{srv.Addr}, db
	fromServer := newClient(t, netOpts).Expand(context.Background(), refs)
	fromDB := newClient(t, localOpts).Expand(context.Background(), refs)
	for _, ref := range refs {
		requireSameResult(t, ref, fromDB[ref], fromServer[ref])
	}
	// AS65537 has no IRR data in the example, deliberately: deny-all.
	if r := fromDB[mustRefs(t, "AS65537:AS-DELTA")[0]]; !errors.Is(r.Err, irr.ErrNotFound) || len(r.V4)+len(r.V6) != 0 {
		t.Errorf("AS65537:AS-DELTA = %+v, want not found", r)
	}
	if r := fromDB[mustRefs(t, "AS-EPSILON")[0]]; r.Err != nil || len(r.V4) != 2 || len(r.V6) != 1 {
		t.Errorf("AS-EPSILON = %+v", r)
	}
}

func TestLocalSourceAndFetched(t *testing.T) {
	db := testDB(t)
	c := newClient(t, irr.Options{DB: db, Sources: []string{"ripe", "RADB"}})
	refs := mustRefs(t, "AS-ALPHA", "RIPE::AS-DELTA")
	res := c.Expand(context.Background(), refs)
	if r := res[refs[0]]; r.Source != "snapshot testdata/crosscheck.rpsl (sources RIPE,RADB)" || !r.Fetched.IsZero() || r.Err != nil {
		t.Errorf("AS-ALPHA: source %q, fetched %v, err %v", r.Source, r.Fetched, r.Err)
	}
	if r := res[refs[1]]; r.Source != "snapshot testdata/crosscheck.rpsl (source RIPE)" {
		t.Errorf("RIPE::AS-DELTA: source %q", r.Source)
	}
}

// Sources a DB does not have: an error at once for the client's own
// list, a failed (deny-all) expansion for a pinned reference.
func TestLocalUnknownSources(t *testing.T) {
	db := testDB(t)
	if _, err := irr.New(irr.Options{DB: db, Sources: []string{"RIPE", "ARIN"}}); err == nil || !strings.Contains(err.Error(), "ARIN") {
		t.Errorf("err = %v, want one naming ARIN", err)
	}
	c := newClient(t, irr.Options{DB: db})
	refs := mustRefs(t, "ARIN::AS-ALPHA", "AS-ALPHA")
	res := c.Expand(context.Background(), refs)
	r := res[refs[0]]
	requireDenyAll(t, r)
	if !strings.Contains(r.Err.Error(), `IRR source "ARIN"`) {
		t.Errorf("err = %v", r.Err)
	}
	if r := res[refs[1]]; r.Err != nil || len(r.V4) == 0 {
		t.Errorf("AS-ALPHA is affected: %+v", r)
	}
}

// A DB answers without a network or cache: servers and cache are not
// used at all.
func TestLocalUsesNoServerOrCache(t *testing.T) {
	dir := t.TempDir()
	cache, err := irr.OpenCache(dir, irr.CacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, irr.Options{DB: testDB(t), Servers: []string{closedPort(t)}, Cache: cache})
	if r := expandOne(t, c, "AS-ALPHA"); r.Err != nil || len(r.ASNs) == 0 {
		t.Fatalf("%+v", r)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("the cache was written: %d files", len(files))
	}
}

func TestLocalCanceled(t *testing.T) {
	c := newClient(t, irr.Options{DB: testDB(t)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ref := mustRefs(t, "AS-ALPHA")[0]
	r := c.Expand(ctx, []bgp.ObjectRef{ref})[ref]
	requireDenyAll(t, r)
	if !errors.Is(r.Err, context.Canceled) {
		t.Errorf("err = %v", r.Err)
	}
}
