package lab

import (
	"net/netip"
	"slices"
	"testing"
)

func TestParseGoBGPRIB(t *testing.T) {
	js := `{"198.51.100.0/24":[{"nlri":{"prefix":"198.51.100.0/24"},"age":1765000000,"best":true,
	"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":1,"asns":[64500]}]},{"type":3,"nexthop":"192.0.2.1"},
	{"type":8,"communities":[4294901760,4259841000]}],"stale":false,"source-id":"198.51.100.1","neighbor-ip":"192.0.2.1"}],
	"11.65.0.0/20":[{"nlri":{"prefix":"11.65.0.0/20"},"attrs":[{"type":1,"value":0}],"neighbor-ip":"<nil>"}]}`
	got, err := parseGoBGPRIB([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].From != netip.MustParseAddr("192.0.2.1") || got[0].Prefix != netip.MustParsePrefix("198.51.100.0/24") ||
		!slices.Equal(got[0].Communities, []string{"65535:0", "65000:1000"}) || !got[0].HasCommunity("65535:0") {
		t.Errorf("routes %+v", got)
	}
	if _, err := parseGoBGPRIB([]byte(`{"not a prefix":[{}]}`)); err == nil {
		t.Error("a bad prefix is accepted")
	}
}

func TestParseBIRDCommunities(t *testing.T) {
	out := "Table master4:\n198.51.100.0/24      unicast [lab_ams_edge1_ipv4 08:24:37.123] * (100) [AS64500i]\n" +
		"\tvia 192.0.2.1 on eth-ams\n\tType: BGP univ\n\tBGP.as_path: 64500\n\tBGP.community: (65535,0) (64500,7)\n" +
		"\tBGP.large_community: (64500, 0, 7)\n"
	got := parseBIRDRoutes(out, map[string]netip.Addr{"lab_ams_edge1_ipv4": netip.MustParseAddr("192.0.2.1")})
	if len(got) != 1 || !slices.Equal(got[0].Communities, []string{"(65535,0)", "(64500,7)"}) || !slices.Equal(got[0].LargeCommunities, []string{"(64500, 0, 7)"}) {
		t.Errorf("routes %+v", got)
	}
}
