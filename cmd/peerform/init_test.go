package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/irr/irrtest"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/testutil"
)

// initNetwork picks the network of the snapshot that is at the most
// exchanges with LANs in ixpfx, up to four of them (a small repository,
// yet several exchanges), lowest AS number first.
func initNetwork(t *testing.T, store *peeringdb.Store) bgp.ASN {
	t.Helper()
	best, bestN := bgp.ASN(0), 0
	for _, n := range store.Nets() {
		k := 0
		for _, p := range store.PoPs(n.ASN) {
			if p.Kind == peeringdb.KindIX && len(store.IXPrefixes(p.ID)) > 0 {
				k++
			}
		}
		if k <= 4 && k > bestN {
			best, bestN = n.ASN, k
		}
	}
	if bestN < 2 {
		t.Fatalf("no network of the snapshot is at two exchanges with ixpfx rows")
	}
	return best
}

var (
	ixpBlock  = regexp.MustCompile(`ixp "([A-Z0-9-]+)" \{\s*peeringdb_ix\s*=\s*(\d+)`)
	portBlock = regexp.MustCompile(`(?s)  ixp "([A-Z0-9-]+)" \{\n(.*?)\n  \}`)
	emptyAddr = regexp.MustCompile(`(ipv[46])\s*=\s*"" # set: not in PeeringDB`)
)

// setRouterAddresses does what the operator does after init: sets the
// router's host and, where PeeringDB did not know them, its addresses on
// each exchange (the first host address of the exchange's PeeringDB LAN).
func setRouterAddresses(t *testing.T, dir string, store *peeringdb.Store) {
	t.Helper()
	ixps, err := os.ReadFile(filepath.Join(dir, "policies/ixps.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, m := range ixpBlock.FindAllStringSubmatch(string(ixps), -1) {
		ids[m[1]], _ = strconv.Atoi(m[2])
	}
	path := filepath.Join(dir, "policies/routers.hcl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), `host     = "" # set: a host name or address`, `host     = "edge1.example.net"`, 1)
	text = portBlock.ReplaceAllStringFunc(text, func(block string) string {
		name := portBlock.FindStringSubmatch(block)[1]
		return emptyAddr.ReplaceAllStringFunc(block, func(attr string) string {
			fam := emptyAddr.FindStringSubmatch(attr)[1]
			for _, lan := range store.IXPrefixes(ids[name]) {
				if lan.Addr().Is4() == (fam == "ipv4") {
					return fam + ` = "` + lan.Masked().Addr().Next().String() + `"`
				}
			}
			t.Fatalf("%s: no %s LAN in PeeringDB, yet init asks for an address", name, fam)
			return ""
		})
	})
	if strings.Contains(text, `= ""`) {
		t.Fatalf("an address is still unset:\n%s", text)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInitFromSnapshot starts a repository for a real network of the
// us-2021-03 snapshot, sets only the router's addresses, and runs what a
// new operator runs next: validate, render (checked by BIRD's own parser)
// and suggest.
func TestInitFromSnapshot(t *testing.T) {
	snap := testutil.Shared(t, "peeringdb/us-2021-03")
	store, err := peeringdb.LoadDir(snap)
	if err != nil {
		t.Fatal(err)
	}
	asn := initNetwork(t, store)
	dir := filepath.Join(t.TempDir(), "peering")
	pdb := []string{"--peeringdb", snap, "--offline", "-C", dir}

	out, errOut, code := runPeerform(t, append(pdb, "init", "--asn", asn.String(), "--prefix", "198.51.100.0/24", "--prefix", "2001:db8:100::/48")...)
	if code != exitOK {
		t.Fatalf("init %s: exit %d\n%s%s", asn, code, out, errOut)
	}
	for _, f := range []string{"policies/network.hcl", "policies/ixps.hcl", "policies/routers.hcl", "policies/scoring.hcl",
		".github/workflows/pr.yml", ".github/workflows/deploy.yml"} {
		if !strings.Contains(out, "wrote "+f) {
			t.Errorf("init did not say it wrote %s:\n%s", f, out)
		}
	}
	network, _ := os.ReadFile(filepath.Join(dir, "policies/network.hcl"))
	if !regexp.MustCompile(`asn\s+= `+strconv.FormatUint(uint64(asn), 10)+"\n").Match(network) || !strings.Contains(string(network), "rpki {") {
		t.Errorf("network.hcl lacks our AS or the rpki block:\n%s", network)
	}

	// Before the router's addresses are set, validate says what to set.
	if out, _, code := runPeerform(t, append(pdb, "validate")...); code != exitFindings || !strings.Contains(out, "host must not be empty") {
		t.Errorf("validate of the untouched skeleton: exit %d, want 1 naming the host\n%s", code, out)
	}
	setRouterAddresses(t, dir, store)

	out, errOut, code = runPeerform(t, append(pdb, "validate")...)
	if code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
	}
	rendered := filepath.Join(t.TempDir(), "rendered")
	out, errOut, code = runPeerform(t, append(pdb, "render", "--out", rendered)...)
	if code != exitOK {
		t.Fatalf("render: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "has no BGP session: there is no peer yet") {
		t.Errorf("render of a repository without peers does not say what to add:\n%s", errOut)
	}
	conf := filepath.Join(rendered, "edge1.conf")
	if _, err := os.Stat(conf); err != nil {
		t.Fatalf("render wrote no edge1.conf: %v", err)
	}
	bird, err := exec.LookPath("bird")
	if err != nil {
		if testutil.LabRequired() {
			t.Fatal("bird is not installed (Debian package bird2) and PEERFORM_LAB=required")
		}
		t.Skip("bird is not installed (Debian package bird2); the rendered config is not parsed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if msg, err := exec.CommandContext(ctx, bird, "-p", "-c", conf).CombinedOutput(); err != nil {
		t.Errorf("bird -p rejects the rendered config: %v\n%s", err, msg)
	}
	out, errOut, code = runPeerform(t, append(pdb, "suggest", "--top", "5")...)
	if code != exitOK || !strings.Contains(out+errOut, "candidates scored") {
		t.Fatalf("suggest: exit %d\n%s%s", code, out, errOut)
	}

	// A first peer at one of our exchanges. This snapshot has no
	// addresses (netixlan), so no session can be derived: validate says
	// what to write, and render says the router still has no session.
	peer := sharedPeer(t, store, asn)
	writeFileAt(t, filepath.Join(dir, "peers", peer.String()+".hcl"), fmt.Sprintf("peer %q {\n  name   = \"First peer\"\n  import = %q\n  export = %q\n}\n", peer, peer, asn))
	out, errOut, code = runPeerform(t, append(pdb, "validate")...)
	if code != exitOK || strings.Contains(out, "see the other warnings") || !strings.Contains(out, "PeeringDB lists no address of its ports there") || !strings.Contains(out, "session \"") {
		t.Errorf("validate with a peer PeeringDB has no address of: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := runPeerform(t, append(pdb, "render", "--out", rendered)...); code != exitOK || !strings.Contains(errOut, "no peer is at its exchanges with an address PeeringDB knows") {
		t.Errorf("render with no session: exit %d\n%s%s", code, out, errOut)
	}

	// A second init writes nothing.
	before, _ := os.ReadFile(filepath.Join(dir, "policies/routers.hcl"))
	if _, errOut, code := runPeerform(t, append(pdb, "init", "--asn", asn.String(), "--prefix", "198.51.100.0/24")...); code == exitOK || !strings.Contains(errOut, "never overwrites") {
		t.Errorf("init over an existing repository: exit %d\n%s", code, errOut)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "policies/routers.hcl")); string(after) != string(before) {
		t.Error("a refused init changed policies/routers.hcl")
	}
}

// sharedPeer is another network of the snapshot at one of asn's
// exchanges, the lowest AS number.
func sharedPeer(t *testing.T, store *peeringdb.Store, asn bgp.ASN) bgp.ASN {
	t.Helper()
	for _, n := range store.Nets() {
		if n.ASN == asn {
			continue
		}
		for _, c := range store.CommonPoPs(asn, n.ASN) {
			if c.A.Kind == peeringdb.KindIX {
				return n.ASN
			}
		}
	}
	t.Fatalf("no network shares an exchange with %s", asn)
	return 0
}

func writeFileAt(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestInitUnknownNetwork: a network PeeringDB does not have is a finding.
func TestInitUnknownNetwork(t *testing.T) {
	dir := t.TempDir()
	_, errOut, code := runPeerform(t, "--peeringdb", testutil.Path(t, "data/peeringdb"), "--offline", "init", "--asn", "AS1", "--dir", dir, "--prefix", "198.51.100.0/24")
	if code != exitFindings || !strings.Contains(errOut, "AS1 is not in the PeeringDB data") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("init wrote %d entries for an unknown network", len(entries))
	}
}

// TestInitNeedsPrefixesOffline: our prefixes are not in PeeringDB, and
// --offline forbids asking the IRR.
func TestInitNeedsPrefixesOffline(t *testing.T) {
	_, errOut, code := runPeerform(t, "--peeringdb", testutil.Path(t, "data/peeringdb"), "--offline", "init", "--asn", "AS64500", "--dir", t.TempDir())
	if code != exitError || !strings.Contains(errOut, "--prefix") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// TestInitPrefixesFromIRR: without --prefix, our prefixes are the route
// objects of our AS in the IRR (a real IRRd-protocol server here).
func TestInitPrefixesFromIRR(t *testing.T) {
	srv := irrtest.Start(t, irrtest.ExampleDB(), irrtest.Options{})
	dir := t.TempDir()
	out, errOut, code := runPeerform(t, "--peeringdb", testutil.Path(t, "data/peeringdb"), "init", "--asn", "AS64500", "--dir", dir, "--irr-server", srv.Addr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	network, err := os.ReadFile(filepath.Join(dir, "policies/network.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(network), `prefixes = ["198.51.100.0/24", "2001:db8:100::/48"]`) || !strings.Contains(errOut, "route objects of AS64500") {
		t.Errorf("prefixes not from the IRR:\n%s\n%s", network, errOut)
	}
}
