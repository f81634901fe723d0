package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/*/want/")

// goldenCases are the test cases under testdata/: the example repository
// and one targeted case for each situation a config must get right.
var goldenCases = []string{
	"example",      // the example repository with IRR data and VRPs
	"ipv6-only",    // a peer with an IPv6 session only; RPKI "tag" with an RTR cache
	"two-ixps",     // a peer at two IXPs on two routers; RTR caches, MD5, GTSM, BFD, restart
	"route-server", // two route servers from PeeringDB; bogon exceptions; gshut not honoured
	"shutdown",     // a peer in graceful shutdown next to one that is not; warn only
	"no-irr",       // failed, missing and one-family IRR data: deny-all
	"lifecycle",    // statuses: maintenance of a peer, a router and an IXP, decommissioning, requested, declined
}

// TestGolden renders every router of every case for every platform,
// compares each config with its golden file and puts every BIRD and FRR
// config through the real parser.
func TestGolden(t *testing.T) {
	tm := defaultTemplates(t)
	for _, c := range goldenCases {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join("testdata", c)
			m := loadCase(t, dir)
			seen := map[string]bool{}
			for _, platform := range tm.Platforms() {
				out, err := RenderAll(withPlatform(m, platform), tm)
				if err != nil {
					t.Fatalf("%s: %v", platform, err)
				}
				for _, o := range out {
					name := o.Router + "." + string(platform) + ".conf"
					seen[name] = true
					compareGolden(t, filepath.Join(dir, "want", name), o.Config)
					switch platform {
					case "bird2":
						checkBIRD(t, c+"/"+name, o.Config)
					case "frr":
						checkFRR(t, c+"/"+name, o.Config)
					}
				}
			}
			// A golden file nothing renders any more is stale.
			files, _ := filepath.Glob(filepath.Join(dir, "want", "*.conf"))
			for _, f := range files {
				if !seen[filepath.Base(f)] {
					if *update {
						os.Remove(f)
					} else {
						t.Errorf("%s: no longer rendered; run go test ./render -update to remove it", f)
					}
				}
			}
		})
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%v (run go test ./render -update to create it)", err)
		return
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs (- golden, + rendered); if the change is intended, run go test ./render -update and review the diff:\n%s",
			path, udiff.Unified(path, "rendered", string(want), string(got)))
	}
}

// TestDeterministic renders the same model many times and from freshly
// built models: the bytes never change.
func TestDeterministic(t *testing.T) {
	tm := defaultTemplates(t)
	for _, c := range goldenCases {
		dir := filepath.Join("testdata", c)
		first, err := RenderAll(loadCase(t, dir), tm)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			again, err := RenderAll(loadCase(t, dir), tm)
			if err != nil {
				t.Fatal(err)
			}
			for j := range first {
				if !bytes.Equal(first[j].Config, again[j].Config) {
					t.Fatalf("%s/%s: rendering %d differs from the first", c, first[j].Router, i+2)
				}
			}
		}
	}
}
