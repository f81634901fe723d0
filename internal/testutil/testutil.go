// Package testutil locates, from any package's tests, the repository's own
// files (the example peering repository, templates, workflows) and the
// real data set kept beside the repository in ../shared/data.
package testutil

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var root = sync.OnceValues(func() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
})

// Root returns the repository root: the nearest directory holding go.mod
// above the test's working directory (its package's folder).
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := root()
	if err != nil {
		tb.Fatalf("no go.mod above the test's directory: %v", err)
	}
	return dir
}

// Path returns the repository's file or folder at the slash-separated
// path rel, e.g. "data/peeringdb".
func Path(tb testing.TB, rel string) string {
	tb.Helper()
	return filepath.Join(Root(tb), filepath.FromSlash(rel))
}

// Shared returns the real data at the slash-separated path rel below
// ../shared/data beside the repository (PeeringDB snapshots, AS
// relationships, population grids). A fresh clone has none of it: the test
// is then skipped, saying where the data is expected.
func Shared(tb testing.TB, rel string) string {
	tb.Helper()
	p := sharedPath(tb, rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("real data %s is absent: it is kept beside the repository in ../shared/data and never committed (%v)", p, err)
	}
	return p
}

// HasShared reports whether ../shared/data holds rel, for tests that use
// the real data when it is there and still run without it.
func HasShared(tb testing.TB, rel string) bool {
	tb.Helper()
	_, err := os.Stat(sharedPath(tb, rel))
	return err == nil
}

func sharedPath(tb testing.TB, rel string) string {
	tb.Helper()
	return filepath.Join(filepath.Dir(Root(tb)), "shared", "data", filepath.FromSlash(rel))
}

// LabRequired reports whether PEERFORM_LAB=required: a test that needs a
// real daemon (BIRD, FRR, GoBGP, stayrtr, netconfd, sshd) then fails when
// it cannot start one instead of skipping, as CI wants. PEERCTL_LAB, the
// variable's name before peerform, is still read for one release.
func LabRequired() bool {
	for _, v := range []string{"PEERFORM_LAB", "PEERCTL_LAB"} {
		if os.Getenv(v) == "required" {
			return true
		}
	}
	return false
}
