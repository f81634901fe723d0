package peeringdb

import (
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/testutil"
)

func asnOf(n uint32) bgp.ASN { return bgp.ASN(n) }

func refStrings(refs []bgp.ObjectRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.String())
	}
	return out
}

func TestParseIRRASSet(t *testing.T) {
	tests := []struct {
		in       string
		want     []string
		warnings int
		warnHas  string
	}{
		{"", nil, 0, ""},
		{"   ", nil, 0, ""},
		{"AS-FOO", []string{"AS-FOO"}, 0, ""},
		{"as-foo", []string{"AS-FOO"}, 0, ""},
		{"RIPE::AS-FOO", []string{"RIPE::AS-FOO"}, 0, ""},
		{"AS-FOO@RIPE", []string{"RIPE::AS-FOO"}, 0, ""},
		{"as-foo@radb", []string{"RADB::AS-FOO"}, 0, ""},
		{"AS64500", []string{"AS64500"}, 0, ""},
		{"AS64500:AS-CUSTOMERS", []string{"AS64500:AS-CUSTOMERS"}, 0, ""},
		{"RIPE::AS-FOO RIPE::AS-FOO-V6", []string{"RIPE::AS-FOO", "RIPE::AS-FOO-V6"}, 0, ""},
		{"AS-FOO, AS-BAR", []string{"AS-FOO", "AS-BAR"}, 0, ""},
		{"AS-FOO,AS-BAR;AS-BAZ\tAS-QUX\nAS-QUUX", []string{"AS-FOO", "AS-BAR", "AS-BAZ", "AS-QUX", "AS-QUUX"}, 0, ""},
		{"AS-FOO AS-FOO ripe::as-foo AS-FOO@RIPE", []string{"AS-FOO", "RIPE::AS-FOO"}, 0, ""},
		{"as-set:AS-FOO", []string{"AS-FOO"}, 0, ""},
		{"AS-SET AS-FOO", []string{"AS-FOO"}, 0, ""},
		{"AS-SET: AS-FOO", []string{"AS-FOO"}, 0, ""},
		{"RS-FOO", nil, 1, "route-set"},
		{"RIPE::RS-FOO AS-FOO", []string{"AS-FOO"}, 1, "route-set"},
		{"AS64500:RS-FOO", nil, 1, "route-set"},
		{"see our website https://example.net/peering", nil, 1, "https://example.net/peering"},
		{"AS-FOO, see https://example.net", []string{"AS-FOO"}, 1, `"see https://example.net"`},
		{"AS-FOO\x00\n protocol bgp evil {", []string{"AS-FOO"}, 1, `"protocol bgp evil {"`},
		{"AS-FOO@", nil, 1, ""},
		{"@RIPE", nil, 1, ""},
		{"13335", nil, 1, "13335"},
		{strings.Repeat("A", 2000), nil, 1, "2000 bytes"},
		{strings.Repeat("AS-X1 AS-X2 AS-X3 AS-X4 AS-X5 ", 4), []string{"AS-X1", "AS-X2", "AS-X3", "AS-X4", "AS-X5"}, 0, ""},
	}
	for _, tt := range tests {
		got, warns := ParseIRRASSet(tt.in)
		if gs := refStrings(got); !slices.Equal(gs, tt.want) {
			t.Errorf("ParseIRRASSet(%q) = %q, want %q", tt.in, gs, tt.want)
		}
		if len(warns) != tt.warnings || (tt.warnHas != "" && !strings.Contains(strings.Join(warns, " "), tt.warnHas)) {
			t.Errorf("ParseIRRASSet(%q) warnings = %q, want %d containing %q", tt.in, warns, tt.warnings, tt.warnHas)
		}
	}

	var many []string
	for i := range 20 {
		many = append(many, "AS-N"+strings.Repeat("X", i+1))
	}
	got, warns := ParseIRRASSet(strings.Join(many, " "))
	if len(got) != maxASSetRefs || len(warns) != 1 {
		t.Errorf("20 sets: %d refs, warnings %q", len(got), warns)
	}
}

// TestParseIRRASSetReal runs every irr_as_set of the real snapshots
// through the parser: every reference it returns is a valid object name,
// and most networks that fill the field in get at least one.
func TestParseIRRASSetReal(t *testing.T) {
	s := mustLoad(t, testutil.Shared(t, "peeringdb/us-2021-03"))
	var filled, parsed int
	for _, n := range s.Nets() {
		if strings.TrimSpace(n.IRRASSet) == "" {
			continue
		}
		filled++
		refs, _ := ParseIRRASSet(n.IRRASSet)
		if len(refs) > 0 {
			parsed++
		}
		for _, r := range refs {
			if back, err := bgp.ParseObjectRef(r.String()); err != nil || back != r {
				t.Errorf("%s: %q gave unusable reference %v (%v)", n.ASN, n.IRRASSet, r, err)
			}
		}
	}
	if filled == 0 || parsed*100 < filled*95 {
		t.Errorf("only %d of %d irr_as_set values gave a reference", parsed, filled)
	}
	t.Logf("%d of %d irr_as_set values gave at least one reference", parsed, filled)
}

func TestResolveImport(t *testing.T) {
	written := bgp.ObjectRef{Name: "AS-WRITTEN"}
	net := &Net{ID: 7, IRRASSet: "AS-FOO@RIPE AS-FOO-V6@RIPE"}
	refs, prov, warns := ResolveImport(64501, written, net)
	if !slices.Equal(refStrings(refs), []string{"AS-WRITTEN"}) || prov.Origin != FromIntent || len(warns) != 0 {
		t.Errorf("written import: %v %v %v", refs, prov, warns)
	}
	refs, prov, warns = ResolveImport(64501, bgp.ObjectRef{}, net)
	if !slices.Equal(refStrings(refs), []string{"RIPE::AS-FOO", "RIPE::AS-FOO-V6"}) || prov.Origin != FromPeeringDB || len(warns) != 0 {
		t.Errorf("PeeringDB import: %v %v %v", refs, prov, warns)
	}
	refs, prov, warns = ResolveImport(64501, bgp.ObjectRef{}, &Net{IRRASSet: "ask us"})
	if !slices.Equal(refStrings(refs), []string{"AS64501"}) || prov.Origin != FromDefault || len(warns) != 2 {
		t.Errorf("fallback: %v %v %q", refs, prov, warns)
	}
	if refs, _, warns := ResolveImport(64501, bgp.ObjectRef{}, nil); len(refs) != 1 || len(warns) != 1 {
		t.Errorf("not in PeeringDB: %v %q", refs, warns)
	}
}
