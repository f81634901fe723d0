package device

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestParseASPath(t *testing.T) {
	for _, c := range []struct {
		in     string
		want   string
		hasSet bool
		err    bool
	}{
		{"", "[]", false, false},
		{" 64501 64511", "[AS64501 AS64511]", false, false},
		{"64501 64501 64511", "[AS64501 AS64501 AS64511]", false, false}, // prepends stay: verification collapses them
		{"64501 {64511 64512}", "[AS64501]", true, false},                // BIRD's AS_SET
		{"64501 {64511,64512}", "[AS64501]", true, false},                // FRR's
		{"64501 {64511}", "[AS64501]", true, false},
		{"(65001 65002) 64501", "[AS64501]", false, false}, // a confederation segment
		{"[65001] 64501 4294967295", "[AS64501 AS4294967295]", false, false},
		{"64501 4294967296", "", false, true},
		{"64501 AS64511", "", false, true},
		{"64501 -1", "", false, true},
		{strings.Repeat("1 ", maxPathASNs+1), "", false, true},
	} {
		p, set, err := parseASPath(c.in)
		if (err != nil) != c.err {
			t.Errorf("%.40q: error %v, want error %t", c.in, err, c.err)
			continue
		}
		if err == nil && (fmt.Sprint(p) != c.want || set != c.hasSet) {
			t.Errorf("%q: %v set %t, want %s set %t", c.in, p, set, c.want, c.hasSet)
		}
	}
}

// The outputs are as BIRD 2.0.12 and FRR 8.4 print them in the lab.
func TestParseBIRDPaths(t *testing.T) {
	out := `BIRD 2.0.12 ready.
Table master4:
11.64.16.0/20        unicast [AS64501_DOC_IX_FRA_V4 08:51:02.613] * (100) [AS64511i]
	via 192.0.2.139 on fra0
	Type: BGP univ
	BGP.origin: IGP
	BGP.as_path: 64501 64502 64511
	BGP.next_hop: 192.0.2.139
	BGP.local_pref: 100
11.64.0.0/22         unicast [AS64501_DOC_IX_FRA_V4 08:51:02.613] * (100) [AS64501i]
	via 192.0.2.139 on fra0
	Type: BGP univ
	BGP.origin: IGP
	BGP.as_path: 64501
	BGP.next_hop: 192.0.2.139
                     unicast [AS64501_DOC_IX_FRA_V4 08:51:02.613] (100) [AS64501i]
	via 192.0.2.139 on fra0
	Type: BGP univ
	BGP.as_path: 64501 {64512 64513}
`
	n := netip.MustParseAddr("192.0.2.139")
	got, err := parseBIRDPaths(out, n)
	if err != nil {
		t.Fatal(err)
	}
	want := "[{192.0.2.139 11.64.16.0/20 [AS64501 AS64502 AS64511] false} {192.0.2.139 11.64.0.0/22 [AS64501] false} {192.0.2.139 11.64.0.0/22 [AS64501] true}]"
	if fmt.Sprint(got) != want {
		t.Errorf("got  %v\nwant %s", got, want)
	}
	if _, err := parseBIRDPaths("1.0.0.0/8 unicast [x] *\n\tBGP.as_path: 1 x\n", n); err == nil {
		t.Error("a broken AS path was accepted")
	}
}

func TestParseFRRPaths(t *testing.T) {
	out := `{"vrfId": 0, "vrfName": "default", "routerId": "198.51.100.1", "defaultLocPrf": 100, "localAS": 64500, "routes": {
 "11.64.16.0/20": [{"valid": true, "bestpath": true, "path": "64501 64502 64511", "origin": "IGP", "peerId": "192.0.2.11"},
                   {"valid": true, "path": "64510 {64511,64512}", "origin": "IGP", "peerId": "::ffff:192.0.2.10"}],
 "198.51.100.0/24": [{"valid": true, "path": "", "origin": "IGP", "peerId": "(unspec)"}]
}}`
	got, err := parseFRRPaths(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "[{192.0.2.11 11.64.16.0/20 [AS64501 AS64502 AS64511] false} {192.0.2.10 11.64.16.0/20 [AS64510] true}]"
	if fmt.Sprint(got) != want {
		t.Errorf("got  %v\nwant %s", got, want)
	}
	for _, bad := range []string{`{"routes": {"x": [{"path": "1", "peerId": "192.0.2.1"}]}}`, `{"routes": {"1.0.0.0/8": [{"path": "a", "peerId": "192.0.2.1"}]}}`, `[`} {
		if _, err := parseFRRPaths(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func FuzzParseASPath(f *testing.F) {
	for _, s := range []string{"64501 {64511,64512}", "(1 2) [3] 4", "{", "}}}", "4294967295"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, _, err := parseASPath(s)
		if err == nil && len(p) > maxPathASNs {
			t.Fatalf("%d ASNs past the bound", len(p))
		}
	})
}
