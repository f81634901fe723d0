package peeringdb

import (
	"math"
	"strings"
	"testing"
)

func TestMaxPrefixes(t *testing.T) {
	pol := MaxPrefixPolicy{HeadroomPercent: 10, Floor4: 10, Floor6: 10, Default4: 100, Default6: 20}
	tests := []struct {
		name           string
		net            *Net
		pol            MaxPrefixPolicy
		ov             MaxPrefixOverride
		want4, want6   int
		origin4        Origin
		origin6        Origin
		warnings       int
		detail4Contain string
	}{
		{"10% headroom, exact in integers", &Net{InfoPrefixes4: 1000, InfoPrefixes6: 200}, pol, MaxPrefixOverride{},
			1100, 220, FromPeeringDB, FromPeeringDB, 0, "info_prefixes4 1000 + 0, +10% headroom"},
		{"rounds up", &Net{InfoPrefixes4: 1001, InfoPrefixes6: 1}, MaxPrefixPolicy{HeadroomPercent: 10}, MaxPrefixOverride{},
			1102, 2, FromPeeringDB, FromPeeringDB, 0, ""},
		{"absolute before percent", &Net{InfoPrefixes4: 90, InfoPrefixes6: 40}, MaxPrefixPolicy{HeadroomPercent: 50, HeadroomAbsolute: 10}, MaxPrefixOverride{},
			150, 75, FromPeeringDB, FromPeeringDB, 0, "+ 10, +50%"},
		{"floor raises a small count", &Net{InfoPrefixes4: 3, InfoPrefixes6: 1}, pol, MaxPrefixOverride{},
			10, 10, FromPeeringDB, FromPeeringDB, 0, "raised to the policy floor 10"},
		{"zero count falls back to the default", &Net{InfoPrefixes4: 800}, pol, MaxPrefixOverride{},
			880, 20, FromPeeringDB, FromDefault, 1, ""},
		{"not in PeeringDB", nil, pol, MaxPrefixOverride{},
			100, 20, FromDefault, FromDefault, 2, "not in PeeringDB"},
		{"override wins and skips headroom and floor", &Net{InfoPrefixes4: 1000, InfoPrefixes6: 200}, pol,
			MaxPrefixOverride{IPv4: 5, Provenance: Provenance{Origin: FromIntent, Detail: "peers/AS1.hcl max_prefix"}},
			5, 220, FromIntent, FromPeeringDB, 0, "peers/AS1.hcl"},
		{"override without provenance", nil, pol, MaxPrefixOverride{IPv6: 7},
			100, 7, FromDefault, FromIntent, 1, ""},
		{"default below the floor is raised", nil, MaxPrefixPolicy{Floor4: 50, Default4: 10}, MaxPrefixOverride{},
			50, 0, FromDefault, FromDefault, 2, "policy default 50"},
		{"negative headroom counts as zero", &Net{InfoPrefixes4: 100, InfoPrefixes6: 100}, MaxPrefixPolicy{HeadroomPercent: -50, HeadroomAbsolute: -5}, MaxPrefixOverride{},
			100, 100, FromPeeringDB, FromPeeringDB, 0, ""},
		{"clamped to 32 bits", &Net{InfoPrefixes4: maxPrefixCount, InfoPrefixes6: 1}, MaxPrefixPolicy{HeadroomPercent: 1 << 30, HeadroomAbsolute: math.MaxInt}, MaxPrefixOverride{IPv6: math.MaxInt},
			math.MaxInt32, math.MaxInt32, FromPeeringDB, FromIntent, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MaxPrefixes(64501, tt.net, tt.pol, tt.ov)
			if got.IPv4.Limit != tt.want4 || got.IPv6.Limit != tt.want6 {
				t.Errorf("limits = %d/%d, want %d/%d", got.IPv4.Limit, got.IPv6.Limit, tt.want4, tt.want6)
			}
			if got.IPv4.Provenance.Origin != tt.origin4 || got.IPv6.Provenance.Origin != tt.origin6 {
				t.Errorf("origins = %s/%s, want %s/%s", got.IPv4.Provenance, got.IPv6.Provenance, tt.origin4, tt.origin6)
			}
			if len(got.Warnings) != tt.warnings {
				t.Errorf("warnings = %q, want %d", got.Warnings, tt.warnings)
			}
			if !strings.Contains(got.IPv4.Provenance.Detail, tt.detail4Contain) {
				t.Errorf("IPv4 provenance %q does not contain %q", got.IPv4.Provenance.Detail, tt.detail4Contain)
			}
		})
	}
}

// TestMaxPrefixesDemo checks the example peers against the example policy
// (policies/filters.hcl: +10%, floors 10/10, defaults 100/20).
func TestMaxPrefixesDemo(t *testing.T) {
	s := loadDemo(t)
	pol := MaxPrefixPolicy{HeadroomPercent: 10, Floor4: 10, Floor6: 10, Default4: 100, Default6: 20}
	for asn, want := range map[uint32][2]int{64501: {13200, 3300}, 64502: {385, 132}, 64503: {880, 20}, 65537: {100, 44}} {
		n, ok := s.Net(asnOf(asn))
		if !ok {
			t.Fatalf("AS%d not in the demo snapshot", asn)
		}
		got := MaxPrefixes(n.ASN, &n, pol, MaxPrefixOverride{})
		if got.IPv4.Limit != want[0] || got.IPv6.Limit != want[1] {
			t.Errorf("AS%d: %d/%d, want %d/%d", asn, got.IPv4.Limit, got.IPv6.Limit, want[0], want[1])
		}
	}
}
