package rpki

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestSLURMApply(t *testing.T) {
	f, err := os.Open("testdata/slurm.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := LoadSLURM(f)
	if err != nil {
		t.Fatal(err)
	}
	in := []VRP{
		vrp("192.0.2.0/24", 24, 64500),      // kept
		vrp("198.51.100.0/22", 24, 64501),   // filtered: equal to the filter prefix
		vrp("198.51.101.0/24", 24, 64502),   // filtered: inside it
		vrp("198.51.96.0/20", 24, 64502),    // kept: contains the filter prefix, not inside it
		vrp("203.0.113.0/24", 24, 64503),    // filtered by ASN
		vrp("2001:db8:1::/48", 48, 64504),   // filtered by prefix and ASN
		vrp("2001:db8:2::/48", 48, 64505),   // kept: other ASN
		vrp("2001:db8:100::/48", 48, 64500), // kept, and asserted again: once in the output
	}
	got, filtered := s.Apply(in)
	want := []VRP{
		vrp("192.0.2.0/24", 24, 64500),
		vrp("198.51.96.0/20", 24, 64502),
		vrp("198.51.100.0/24", 24, 64500), // assertion inside a filter: filters do not touch assertions
		vrp("2001:db8:2::/48", 48, 64505),
		vrp("2001:db8:100::/48", 48, 64500),
	}
	if !slices.Equal(got, want) || filtered != 4 {
		t.Errorf("Apply:\n got %v (filtered %d)\nwant %v (filtered 4)", got, filtered, want)
	}
	var nilSLURM *SLURM
	if got, n := nilSLURM.Apply(in[:2]); len(got) != 2 || n != 0 {
		t.Errorf("nil SLURM changed the set: %v", got)
	}
}

func TestLoadSLURMRejects(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"version", `{"slurmVersion": 2}`, "slurmVersion is 2"},
		{"no version", `{}`, "slurmVersion is 0"},
		{"bad filter prefix", `{"slurmVersion": 1, "validationOutputFilters": {"prefixFilters": [{"prefix": "198.51.100.0/33"}]}}`, "prefixFilters[0]"},
		{"host bits", `{"slurmVersion": 1, "validationOutputFilters": {"prefixFilters": [{"prefix": "198.51.100.1/24"}]}}`, "host bits"},
		{"empty filter", `{"slurmVersion": 1, "validationOutputFilters": {"prefixFilters": [{"comment": "oops"}]}}`, "needs a prefix, an asn or both"},
		{"short maxPrefixLength", `{"slurmVersion": 1, "locallyAddedAssertions": {"prefixAssertions": [{"asn": 1, "prefix": "198.51.100.0/24", "maxPrefixLength": 20}]}}`, "maxPrefixLength 20 outside 24-32"},
		{"long maxPrefixLength", `{"slurmVersion": 1, "locallyAddedAssertions": {"prefixAssertions": [{"asn": 1, "prefix": "2001:db8::/32", "maxPrefixLength": 129}]}}`, "outside 32-128"},
		{"ASN too big", `{"slurmVersion": 1, "locallyAddedAssertions": {"prefixAssertions": [{"asn": 4294967296, "prefix": "2001:db8::/32"}]}}`, "decoding SLURM"},
		{"not JSON", `slurm`, "decoding SLURM"},
		{"trailing data", `{"slurmVersion": 1} {}`, "not a single JSON value"},
		{"too large", `{"slurmVersion": 1}` + strings.Repeat(" ", MaxSLURMBytes), "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSLURM(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// Every problem is reported, not only the first.
	_, err := LoadSLURM(strings.NewReader(`{"slurmVersion": 3, "validationOutputFilters": {"prefixFilters": [{}, {"prefix": "x"}]}}`))
	for _, want := range []string{"slurmVersion is 3", "prefixFilters[0]", "prefixFilters[1]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
}

// FuzzLoadSLURM: no input panics, and a SLURM that loads only ever yields
// usable VRPs.
func FuzzLoadSLURM(f *testing.F) {
	f.Add([]byte(`{"slurmVersion": 1, "locallyAddedAssertions": {"prefixAssertions": [{"asn": 1, "prefix": "::/0", "maxPrefixLength": 128}]}}`))
	f.Add([]byte(`{"slurmVersion": 1, "validationOutputFilters": {"prefixFilters": [{"asn": 0}]}}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := LoadSLURM(strings.NewReader(string(in)))
		if err != nil {
			return
		}
		out, _ := s.Apply([]VRP{vrp("192.0.2.0/24", 24, 1), vrp("2001:db8::/32", 48, 0)})
		for _, v := range out {
			if err := v.Check(); err != nil {
				t.Fatalf("SLURM produced an unusable VRP: %v", err)
			}
		}
	})
}
