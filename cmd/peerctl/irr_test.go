package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/peerctl/peerctl/irr"
	"github.com/peerctl/peerctl/irr/irrtest"
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
	out, errOut, code := runPeerctl(t, "irr", "expand", "AS-EXAMPLE", "--server", srv.Addr, "--no-cache", "--aggregate")
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
	out, errOut, code := runPeerctl(t, "irr", "expand", "AS-EXAMPLE", "AS-NOPE", "--server", srv.Addr, "--json", "-C", repo)
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
		if _, _, code := runPeerctl(t, append(args, "-C", repo)...); code != exitError {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if _, _, code := runPeerctl(t, "--offline", "irr", "expand", "AS-X"); code != exitError {
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
