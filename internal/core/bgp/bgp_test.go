package bgp

import (
	"net/netip"
	"testing"
)

func TestParseASN(t *testing.T) {
	tests := []struct {
		in      string
		want    ASN
		wantErr bool
	}{
		{"AS64500", 64500, false},
		{"as13335", 13335, false},
		{"13335", 13335, false},
		{"1.10", 65546, false},
		{"AS4294967295", 4294967295, false},
		{"AS4294967296", 0, true},
		{"", 0, true},
		{"AS", 0, true},
		{"AS-13335", 0, true},
		{"AS 13335", 0, true},
		{"+5", 0, true},
		{"1.", 0, true},
		{"1.65536", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseASN(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseASN(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if s := ASN(64500).String(); s != "AS64500" {
		t.Errorf("String = %q", s)
	}
}

func TestASNClass(t *testing.T) {
	for a, want := range map[ASN]Class{
		0: Reserved, 23456: Reserved, 13335: Public, 64496: Documentation, 64511: Documentation,
		64512: Private, 65534: Private, 65535: Reserved, 65536: Documentation, 65552: Public,
		4200000000: Private, 4294967295: Reserved,
	} {
		if got := a.Class(); got != want {
			t.Errorf("%v.Class() = %v, want %v", a, got, want)
		}
	}
}

func TestParseObjectRef(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"AS-CLOUDFLARE", "AS-CLOUDFLARE", false},
		{"as-cloudflare", "AS-CLOUDFLARE", false},
		{"RIPE::AS-FOO", "RIPE::AS-FOO", false},
		{"ripe::AS-FOO", "RIPE::AS-FOO", false},
		{"AS13335", "AS13335", false},
		{"AS13335:AS-CUSTOMERS", "AS13335:AS-CUSTOMERS", false},
		{"AS-FOO:AS-BAR", "AS-FOO:AS-BAR", false},
		{"AS13335:AS65000", "", true},
		{"AS-", "", true},
		{"AS-FOO-", "", true},
		{"FOO", "", true},
		{"AS-FOO BAR", "", true},
		{"AS-FOO;", "", true},
		{"AS-FOO\n", "", true},
		{"::AS-FOO", "", true},
		{"RI PE::AS-FOO", "", true},
		{"RIPE::", "", true},
	}
	for _, tt := range tests {
		got, err := ParseObjectRef(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && got.String() != tt.want) {
			t.Errorf("ParseObjectRef(%q) = %v, %v; want %q err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if r, _ := ParseObjectRef("AS13335"); !r.IsASN() {
		t.Error("AS13335 should be a single AS")
	}
	if r, _ := ParseObjectRef("AS-FOO"); r.IsASN() {
		t.Error("AS-FOO is a set")
	}
}

func TestBogonTablesParse(t *testing.T) {
	for _, b := range append(BogonsV4, BogonsV6...) {
		if !b.Prefix.IsValid() || b.Prefix != b.Prefix.Masked() || b.Reason == "" {
			t.Errorf("bad bogon %v", b)
		}
	}
}

func TestLANEdge(t *testing.T) {
	for _, tc := range []struct{ lan, addr, want string }{
		{"192.0.2.0/25", "192.0.2.0", "network"},
		{"192.0.2.0/25", "192.0.2.127", "broadcast"},
		{"192.0.2.128/25", "192.0.2.255", "broadcast"},
		{"192.0.2.0/25", "192.0.2.1", ""},
		{"192.0.2.0/25", "192.0.2.128", ""}, // outside: not this LAN's
		{"10.0.0.0/8", "10.255.255.255", "broadcast"},
		{"192.0.2.0/31", "192.0.2.0", ""}, // point-to-point: both are hosts
		{"2001:db8:ffff:1::/64", "2001:db8:ffff:1::", "network"},
		{"2001:db8:ffff:1::/64", "2001:db8:ffff:1:ffff:ffff:ffff:ffff", ""}, // no broadcast in IPv6
		{"2001:db8::/127", "2001:db8::", ""},
	} {
		if got := LANEdge(netip.MustParsePrefix(tc.lan), netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("LANEdge(%s, %s) = %q, want %q", tc.lan, tc.addr, got, tc.want)
		}
	}
}
