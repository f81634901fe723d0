package main

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/rpki"
	"github.com/peerform/peerform/internal/sources/rpki/rpkitest"
)

func testVRPs() []rpki.VRP {
	return []rpki.VRP{
		{Prefix: netip.MustParsePrefix("192.0.2.0/24"), MaxLen: 24, ASN: 64500},
		{Prefix: netip.MustParsePrefix("198.51.100.0/22"), MaxLen: 24, ASN: 64501},
		{Prefix: netip.MustParsePrefix("2001:db8:100::/48"), MaxLen: 48, ASN: 64500},
	}
}

func writeVRPFile(t *testing.T, dir string) string {
	t.Helper()
	var b bytes.Buffer
	if err := rpkitest.WriteVRPs(&b, testVRPs()); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "vrps.json", b.Bytes())
	return filepath.Join(dir, "vrps.json")
}

func TestNewCmdRPKIValidate(t *testing.T) {
	var got *rpkiValidateOptions
	cmd := newCmdRPKIValidate(&app{io: &ioStreams{}}, func(o *rpkiValidateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"192.0.2.7/24", "as64500", "--vrps", "x.json", "--slurm", "s.json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.prefix != netip.MustParsePrefix("192.0.2.0/24") || got.origin != bgp.ASN(64500) || got.source.vrps != "x.json" || got.source.slurm != "s.json" {
		t.Errorf("options: %+v", got)
	}
}

func TestRPKIValidateFile(t *testing.T) {
	file := writeVRPFile(t, t.TempDir())
	tests := []struct {
		args     []string
		code     int
		contains string
	}{
		{[]string{"192.0.2.0/24", "AS64500"}, exitOK, "192.0.2.0/24 AS64500: valid"},
		{[]string{"198.51.101.0/24", "64501"}, exitOK, "198.51.100.0/22-24 AS64501  matches"},
		{[]string{"192.0.2.0/25", "AS64500"}, exitFindings, "too specific: /25 is longer than maxLength 24"},
		{[]string{"192.0.2.0/24", "AS64501"}, exitFindings, "authorises AS64500, not AS64501"},
		{[]string{"203.0.113.0/24", "AS64500"}, exitOK, "no VRP covers this prefix"},
		{[]string{"192.0.2.0/24", "AS0"}, exitFindings, "route has no single origin AS"},
	}
	for _, tt := range tests {
		args := append([]string{"rpki", "validate"}, tt.args...)
		out, errOut, code := runPeerform(t, append(args, "--vrps", file)...)
		if code != tt.code || !strings.Contains(out, tt.contains) {
			t.Errorf("%v: exit %d, want %d; output %q does not contain %q\n%s", tt.args, code, tt.code, out, tt.contains, errOut)
		}
	}

	out, _, code := runPeerform(t, "rpki", "validate", "192.0.2.0/25", "AS64500", "--vrps", file, "--json")
	var res struct {
		State    rpki.State `json:"state"`
		Covering []struct {
			Prefix netip.Prefix `json:"prefix"`
			Reason string       `json:"reason"`
		} `json:"covering"`
		VRPs int `json:"vrps"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitFindings {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, out)
	}
	if res.State != rpki.Invalid || len(res.Covering) != 1 || res.VRPs != 3 {
		t.Errorf("--json result %+v", res)
	}
}

func TestRPKIUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"rpki", "validate", "192.0.2.0/24"},
		{"rpki", "validate", "192.0.2.0", "AS1", "--vrps", "x"},
		{"rpki", "validate", "192.0.2.0/24", "ASX", "--vrps", "x"},
		{"rpki", "validate", "192.0.2.0/24", "AS1", "--vrps", "x", "--rtr", "127.0.0.1:1"},
		{"rpki", "validate", "192.0.2.0/24", "AS1", "--rtr", "127.0.0.1:1", "--offline"},
		{"rpki", "validate", "192.0.2.0/24", "AS1", "-C", t.TempDir()}, // no source anywhere
		{"rpki", "status", "extra"},
	} {
		if _, errOut, code := runPeerform(t, args...); code != exitError || !strings.Contains(errOut, "Error:") {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitError, errOut)
		}
	}
}

// The rpki block of the repository's policies is the default source.
func TestRPKIFromRepositoryPolicy(t *testing.T) {
	repo := exampleRepo(t)
	writeVRPFile(t, repo)
	writeFile(t, repo, "policies/rpki.hcl", []byte("rpki {\n  vrps_file = \"vrps.json\"\n}\n"))
	out, errOut, code := runPeerform(t, "rpki", "validate", "2001:db8:100::/48", "AS64500", "-C", repo)
	if code != exitOK || !strings.Contains(out, ": valid") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// Against a real stayrtr: validate and status over RTR, and a dead cache.
func TestRPKIAgainstStayRTR(t *testing.T) {
	cache := rpkitest.Start(t, testVRPs())
	out, errOut, code := runPeerform(t, "rpki", "validate", "198.51.100.0/24", "AS64501", "--rtr", cache.Addr)
	if code != exitOK || !strings.Contains(out, "valid") || !strings.Contains(out, "from RTR cache "+cache.Addr) {
		t.Errorf("validate: exit %d\n%s%s", code, out, errOut)
	}

	out, errOut, code = runPeerform(t, "rpki", "status", "--rtr", cache.Addr, "--json")
	var st []sourceStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != exitOK {
		t.Fatalf("status: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if len(st) != 1 || st[0].SessionID == nil || st[0].Serial == nil || st[0].VRPsV4 != 2 || st[0].VRPsV6 != 1 || st[0].Updated.IsZero() {
		t.Errorf("status %+v", st)
	}
	// stayrtr answers our RTR version 2 query in version 1: no ASPAs.
	out, _, _ = runPeerform(t, "rpki", "status", "--rtr", cache.Addr)
	if !strings.Contains(out, "ASPAs: none (RTR version 1 carries none") {
		t.Errorf("status does not say that the cache sent no ASPAs:\n%s", out)
	}

	cache.Stop()
	out, errOut, code = runPeerform(t, "rpki", "status", "--rtr", cache.Addr)
	if code != exitFindings || !strings.Contains(out, "error: RTR cache "+cache.Addr) {
		t.Errorf("dead cache: exit %d, want %d\n%s%s", code, exitFindings, out, errOut)
	}
}
