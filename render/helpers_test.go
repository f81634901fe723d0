package render

import (
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/rpki"
)

// A test case directory holds:
//
//	repo/       a peering repository (policies/ and peers/)
//	irr.json    hand-written IRR expansions: {"REF": {"asns", "ipv4", "ipv6", "error"}}
//	vrps.json   optional VRPs (Routinator JSON)
//	peeringdb/  optional PeeringDB snapshot
//	want/       golden configs, <router>.<platform>.conf
type irrFixture struct {
	ASNs  []bgp.ASN      `json:"asns"`
	IPv4  []netip.Prefix `json:"ipv4"`
	IPv6  []netip.Prefix `json:"ipv6"`
	Error string         `json:"error"`
}

// loadCase builds the model of a test case.
func loadCase(t testing.TB, dir string) *model.Model {
	t.Helper()
	repo, diags := intent.LoadDir(filepath.Join(dir, "repo"))
	if diags.HasErrors() {
		t.Fatalf("%s: %s", dir, diags.Error())
	}
	in := model.Inputs{}
	if b, err := os.ReadFile(filepath.Join(dir, "irr.json")); err == nil {
		var fx map[string]irrFixture
		if err := json.Unmarshal(b, &fx); err != nil {
			t.Fatalf("%s/irr.json: %v", dir, err)
		}
		in.IRR = map[bgp.ObjectRef]irr.Result{}
		for k, v := range fx {
			ref, err := bgp.ParseObjectRef(k)
			if err != nil {
				t.Fatalf("%s/irr.json: %v", dir, err)
			}
			r := irr.Result{ASNs: v.ASNs, V4: v.IPv4, V6: v.IPv6, Source: "fixture"}
			if v.Error != "" {
				r = irr.Result{Err: errors.New(v.Error), Source: "fixture"}
			}
			in.IRR[ref] = r
		}
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if f, err := os.Open(filepath.Join(dir, "vrps.json")); err == nil {
		vrps, _, err := rpki.LoadJSON(f, rpki.LoadOptions{Now: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)})
		f.Close()
		if err != nil {
			t.Fatalf("%s/vrps.json: %v", dir, err)
		}
		in.RPKI = rpki.NewTable(vrps)
	}
	if _, err := os.Stat(filepath.Join(dir, "peeringdb")); err == nil {
		st, err := peeringdb.LoadDir(filepath.Join(dir, "peeringdb"))
		if err != nil {
			t.Fatal(err)
		}
		in.PeeringDB = st
	}
	m, diags := model.Build(repo, in)
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			t.Fatalf("%s: model: %s", dir, d.Error())
		}
	}
	return m
}

// withPlatform returns a copy of the model whose routers all use one
// platform, so that every case is rendered for every platform.
func withPlatform(m *model.Model, p platform.Name) *model.Model {
	c := *m
	c.Routers = nil
	for _, r := range m.Routers {
		rc := *r
		rc.Platform = p
		c.Routers = append(c.Routers, &rc)
	}
	return &c
}

func defaultTemplates(t testing.TB) *Templates {
	t.Helper()
	tm, err := DefaultTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
