package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/irr/irrtest"
)

func irrTestServer(t *testing.T) *irrtest.Server {
	t.Helper()
	db := irr.NewDB()
	db.AddSet("RADB", "AS-EXAMPLE", "AS64500", "AS-EXAMPLE-CUSTOMERS")
	db.AddSet("RADB", "AS-EXAMPLE-CUSTOMERS", "AS64501")
	db.AddRoute("RADB", "198.51.100.0/25", 64500)
	db.AddRoute("RADB", "198.51.100.128/25", 64501)
	db.AddRoute("RADB", "2001:db8:100::/48", 64500)
	return irrtest.Start(t, db, irrtest.Options{})
}

func TestIRRExpandText(t *testing.T) {
	srv := irrTestServer(t)
	out, errOut, code := runPeerform(t, "irr", "expand", "AS-EXAMPLE", "--server", srv.Addr, "--no-cache", "--aggregate", "--allow-asn", "documentation")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"ASNs (2): AS64500 AS64501", "IPv4 (2 prefixes, 1 ranges):", "198.51.100.0/24 ge 25 le 25", "2001:db8:100::/48"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestIRRExpandJSONAndFailure(t *testing.T) {
	srv := irrTestServer(t)
	repo := t.TempDir()
	out, errOut, code := runPeerform(t, "irr", "expand", "AS-EXAMPLE", "AS-NOPE", "--server", srv.Addr, "--json", "-C", repo, "--allow-asn", "documentation")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1 for a set that does not exist\n%s%s", code, out, errOut)
	}
	var doc struct {
		FormatVersion int `json:"format_version"`
		Results       []struct {
			Ref   string   `json:"ref"`
			ASNs  []uint32 `json:"asns"`
			IPv4  []string `json:"ipv4"`
			IPv6  []string `json:"ipv6"`
			Error *string  `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	if len(doc.Results) != 2 || doc.Results[0].Ref != "AS-EXAMPLE" || len(doc.Results[0].IPv4) != 2 {
		t.Fatalf("unexpected results: %+v", doc.Results)
	}
	if nope := doc.Results[1]; nope.Error == nil || nope.IPv4 == nil || len(nope.IPv4) != 0 {
		t.Errorf("AS-NOPE: want an error and empty (not null) lists: %+v", nope)
	}
	if !strings.Contains(errOut, "deny everything") {
		t.Errorf("no deny-all warning on stderr: %q", errOut)
	}
}

func TestIRRExpandUsage(t *testing.T) {
	repo := t.TempDir()
	for _, args := range [][]string{
		{"irr", "expand"},
		{"irr", "expand", "not a set"},
		{"irr", "expand", "AS-X", "--depth", "-1"},
		{"irr", "expand", "AS-X", "--server", "no-port"},
	} {
		if _, _, code := runPeerform(t, append(args, "-C", repo)...); code != exitError {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if _, _, code := runPeerform(t, "--offline", "irr", "expand", "AS-X"); code != exitError {
		t.Errorf("--offline: exit %d, want 2", code)
	}
}

func TestIRRExpandFlags(t *testing.T) {
	var got *irrExpandOptions
	a := &app{io: &ioStreams{}}
	cmd := newCmdIRRExpand(a, func(o *irrExpandOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"ripe::as-foo", "AS13335", "--server", "a:43,b:43", "--sources", "RIPE,RADB", "--depth", "2"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.refs[0].String() != "RIPE::AS-FOO" || got.refs[1].String() != "AS13335" ||
		strings.Join(got.servers, " ") != "a:43 b:43" || strings.Join(got.sources, " ") != "RIPE RADB" || got.depth != 2 {
		t.Errorf("options = %+v", got)
	}
}

// irr expand --snapshot reads RPSL files, also offline, and gives what a
// server with the same objects gives.
func TestIRRExpandSnapshot(t *testing.T) {
	example := filepath.Join("..", "..", "data", "irr", "example.rpsl")
	repo := t.TempDir()
	out, errOut, code := runPeerform(t, "--offline", "irr", "expand", "AS-ALPHA", "AS65537:AS-DELTA", "RIPE::AS-AKAMAI",
		"--snapshot", example, "--sources", "RIPE,ARIN,RADB", "--json", "-C", repo, "--allow-asn", "documentation")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1 for AS65537:AS-DELTA, which the example does not have\n%s%s", code, out, errOut)
	}
	var doc struct {
		Results []struct {
			Ref    string   `json:"ref"`
			Source string   `json:"source"`
			ASNs   []uint32 `json:"asns"`
			IPv4   []string `json:"ipv4"`
			IPv6   []string `json:"ipv6"`
			Error  *string  `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	alpha, delta, akamai := doc.Results[0], doc.Results[1], doc.Results[2]
	if fmt.Sprint(alpha.ASNs) != "[64501 64511]" || len(alpha.IPv4) != 4 || len(alpha.IPv6) != 1 ||
		alpha.Source != "snapshot "+example+" (sources RIPE,ARIN,RADB)" {
		t.Errorf("AS-ALPHA: %+v", alpha)
	}
	if delta.Error == nil || len(delta.IPv4)+len(delta.IPv6) != 0 {
		t.Errorf("AS65537:AS-DELTA: %+v", delta)
	}
	if fmt.Sprint(akamai.ASNs) != "[20940]" {
		t.Errorf("RIPE::AS-AKAMAI takes RADB's stale copy: %+v", akamai)
	}
	if !strings.Contains(errOut, "warning: AS65537:AS-DELTA: expansion failed, filters deny everything") {
		t.Errorf("no deny-all warning on stderr:\n%s", errOut)
	}
	if entries, _ := os.ReadDir(repo); len(entries) != 0 {
		t.Errorf("a snapshot expansion wrote to the repository (the cache?): %d entries", len(entries))
	}

	// A gzipped dump with a malformed object: read, with a warning.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("as-set: AS-X\nmembers: AS64500\nsource: RIPE\n\nroute: 198.51.100.0/24\norigin: ASX\nsource: RIPE\n\nroute: 198.51.100.0/24\norigin: AS64500\nsource: RIPE\n"))
	zw.Close()
	dump := filepath.Join(t.TempDir(), "ripe.db.gz")
	if err := os.WriteFile(dump, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runPeerform(t, "irr", "expand", "AS-X", "--snapshot", dump, "-C", repo, "--allow-asn", "documentation")
	if code != exitOK || !strings.Contains(out, "198.51.100.0/24") || !strings.Contains(errOut, "the origin is not an AS number") {
		t.Errorf("gzip dump: exit %d\n%s%s", code, out, errOut)
	}

	for _, args := range [][]string{
		{"AS-X", "--snapshot", dump, "--server", "rr.ntt.net:43"},
		{"AS-X", "--snapshot", filepath.Join(repo, "missing.rpsl")},
		{"AS-X", "--snapshot", dump, "--sources", "RADB"},
	} {
		if _, errOut, code := runPeerform(t, append(append([]string{"irr", "expand"}, args...), "-C", repo)...); code != exitError {
			t.Errorf("%q: exit %d, want 2\n%s", args, code, errOut)
		}
	}
}

// The example repository's irr.snapshot: without it --offline means no
// IRR data; a snapshot file that cannot be read is an error of the
// repository; what a snapshot skips is reported.
func TestIRRSnapshotPolicy(t *testing.T) {
	render := func(dir string) (string, string, int) {
		return runPeerform(t, "render", "-C", dir, "--offline", "--out", "-", "--router", "fra-edge1")
	}
	dir := renderExampleRepo(t)
	network := filepath.Join(dir, "policies", "network.hcl")
	b, err := os.ReadFile(network)
	if err != nil {
		t.Fatal(err)
	}
	withSnapshot := string(b)
	writeFile(t, filepath.Join(dir, "policies"), "network.hcl",
		[]byte(regexp.MustCompile(`(?m)^\s*snapshot\s*=\s*\["data/irr[^\n]*\n`).ReplaceAllString(withSnapshot, "")))
	out, errOut, code := render(dir)
	if code != exitOK || !strings.Contains(errOut, "No IRR data (--offline)") || strings.Contains(out, "11.64.0.0/22") {
		t.Errorf("without a snapshot: exit %d, prefix list present: %v\n%s", code, strings.Contains(out, "11.64.0.0/22"), errOut)
	}

	writeFile(t, filepath.Join(dir, "policies"), "network.hcl", []byte(withSnapshot))
	snapshot, err := os.ReadFile(filepath.Join(dir, "data", "irr", "example.rpsl"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "data", "irr"), "example.rpsl", append(snapshot, "\nroute: 11.99.0.0/16\norigin: nobody\nsource: RADB\n"...))
	out, errOut, code = render(dir)
	if code != exitOK || !strings.Contains(out, "11.64.0.0/22") || !strings.Contains(errOut, "Parts of the IRR snapshot ignored") {
		t.Errorf("a malformed object: exit %d\n%s", code, errOut)
	}

	if err := os.Remove(filepath.Join(dir, "data", "irr", "example.rpsl")); err != nil {
		t.Fatal(err)
	}
	// A file the repository names and does not have is its error (exit 1,
	// at the file), not peerform's.
	if _, errOut, code = render(dir); code != exitFindings || !strings.Contains(errOut, "IRR data cannot be read") || !strings.Contains(errOut, "example.rpsl") {
		t.Errorf("a missing snapshot: exit %d\n%s", code, errOut)
	}
}

// TestIRRExpandUsesPolicy: without --server or --snapshot, irr expand
// answers from the repository's irr block (here its snapshot), offline.
func TestIRRExpandUsesPolicy(t *testing.T) {
	dir := exampleRepo(t)
	out, errOut, code := runPeerform(t, "irr", "expand", "-C", dir, "--offline", "AS-ALPHA")
	if code != exitOK || !strings.Contains(out, "data/irr/example.rpsl (sources") || !strings.Contains(out, "11.64.0.0/22") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

// Without a repository's allow_peer_asn or --allow-asn, documentation
// ASNs in a set are bogons: dropped with their prefixes, and said so.
func TestIRRExpandDropsBogons(t *testing.T) {
	srv := irrTestServer(t)
	out, errOut, code := runPeerform(t, "irr", "expand", "AS-EXAMPLE", "--server", srv.Addr, "--no-cache", "-C", t.TempDir())
	if code != exitOK || strings.Contains(out, "198.51.100") || !strings.Contains(errOut, "AS64500 in AS-EXAMPLE is a bogon ASN (RFC 5398 documentation)") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
	if _, _, code := runPeerform(t, "irr", "expand", "AS-EXAMPLE", "--allow-asn", "public"); code != exitError {
		t.Errorf("--allow-asn public: exit %d, want %d", code, exitError)
	}
}
