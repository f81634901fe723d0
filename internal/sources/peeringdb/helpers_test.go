package peeringdb

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/peerform/peerform/internal/testutil"
)

func loadDemo(tb testing.TB) *Store {
	tb.Helper()
	s, err := LoadDir(demoDir(tb))
	if err != nil {
		tb.Fatalf("loading the demo snapshot: %v", err)
	}
	return s
}

func mustLoad(tb testing.TB, dir string) *Store {
	tb.Helper()
	s, err := LoadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// writeFiles creates files (name → content) in a new temporary directory.
func writeFiles(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func gz(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// readMaybeGz reads a file, gunzipping it when needed.
func readMaybeGz(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			tb.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := out.ReadFrom(zr); err != nil {
			tb.Fatal(err)
		}
		return out.Bytes()
	}
	return b
}

// demoDir is the example repository's own snapshot (invented rows with
// documentation numbers), which the demo and these tests share.
func demoDir(tb testing.TB) string {
	tb.Helper()
	return testutil.Path(tb, "data/peeringdb")
}
