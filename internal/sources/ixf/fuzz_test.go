package ixf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/testutil"
)

// fuzzLimits keep each input cheap while every limit can still be hit.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxMembers: 64, MaxIXPs: 8, MaxEntries: 16, MaxStringLen: 128, MaxDepth: 12}

// FuzzParse: no input panics or hangs Parse, and whatever it accepts keeps
// the guarantees callers rely on (checkExport), through Exchange too.
func FuzzParse(f *testing.F) {
	for _, p := range []string{testutil.Path(f, "data/ixf/doc-ix-ams.json"), filepath.Join("testdata", "v0.6.json")} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(doc(member("64501", `, "ipv4": {"address": "192.0.2.11", "as_macro": "AS-X", "max_prefix": 5}`),
		member("64501", `, "ipv6": {"address": "2001:db8:ffff:1::11"}`), member("64502", `, "ipv4": {"address": "192.0.2.11"}`))))
	f.Add([]byte(doc(`{"asnum": 64501, "asnum": 1, "connection_list": []}`)))
	f.Add([]byte(`{"version":"1.0","timestamp":"2026-01-01T00:00:00Z","ixp_list":[],"member_list":[[[[[[[[[[[[[[[]]]]]]]]]]]]]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(data, fuzzLimits)
		if err != nil {
			if e != nil {
				t.Fatal("an export with an error")
			}
			return
		}
		checkExport(t, e)
		for i := range e.IXPs {
			id := e.IXPs[i].ID
			x, err := e.Exchange("f", &id)
			if err != nil {
				t.Fatalf("Exchange(%d): %v", id, err)
			}
			for _, m := range e.Members {
				for _, p := range x.Ports(m.ASN) {
					if p.IXPID != id {
						t.Fatalf("port of IXP %d at %d", p.IXPID, id)
					}
				}
			}
		}
	})
}

// BenchmarkParse reads an export the size of a large exchange's: 1,500
// members with two connections of both families each.
func BenchmarkParse(b *testing.B) {
	var members []string
	for i := range 1500 {
		v4, v6 := fmt.Sprintf("10.%d.%d.1", i/250, i%250), fmt.Sprintf("2001:db8:%x::1", i)
		conn := fmt.Sprintf(`{"ixp_id": 1, "state": "active", "if_list": [{"switch_id": 1, "if_speed": 10000}], "vlan_list": [{"vlan_id": 1, "ipv4": {"address": "%s", "as_macro": "AS-M%d", "max_prefix": 100, "routeserver": true, "mac_addresses": ["02:00:00:00:00:01"]}, "ipv6": {"address": "%s", "as_macro": "AS-M%d", "max_prefix": 100, "routeserver": true}}]}`, v4, i, v6, i)
		members = append(members, fmt.Sprintf(`{"asnum": %d, "name": "Member %d", "member_type": "peering", "peering_policy": "open", "connection_list": [%s, %s]}`,
			100000+i, i, conn, strings.Replace(conn, ".1\"", ".2\"", 1)))
	}
	data := []byte(strings.NewReplacer(`"192.0.2.0", "mask_length": 25`, `"10.0.0.0", "mask_length": 8`,
		`"2001:db8:ffff:1::", "mask_length": 64`, `"2001:db8::", "mask_length": 32`).Replace(doc(members...)))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		e, err := Parse(data, Limits{})
		if err != nil || len(e.Members) != 1500 || len(e.Problems) > 0 {
			b.Fatalf("%v, %d members, problems %v", err, len(e.Members), e.Problems[:min(3, len(e.Problems))])
		}
	}
}
