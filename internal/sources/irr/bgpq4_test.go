package irr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/irr"
)

// requireBGPQ4 returns the bgpq4 binary, or skips the test when it is not
// installed. In CI (CI set) a missing bgpq4 fails instead: the cross-checks
// are the proof that our expansion is right.
func requireBGPQ4(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("bgpq4")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("bgpq4 is not installed (Debian package bgpq4); the IRR cross-checks need it")
		}
		tb.Skip("bgpq4 is not installed (apt-get install bgpq4); skipping the cross-check against it")
	}
	return path
}

// bgpq4 runs bgpq4 against server with args and returns its stdout.
func bgpq4(tb testing.TB, bin, server string, args ...string) []byte {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-h", server}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("bgpq4 %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// bgpq4Ranges runs bgpq4 in JSON prefix-list mode ("-j -l X") and returns
// the entries as ranges (exact prefixes have Min = Max = length).
func bgpq4Ranges(tb testing.TB, bin, server string, args ...string) []irr.Range {
	tb.Helper()
	out := bgpq4(tb, bin, server, append([]string{"-j", "-l", "X"}, args...)...)
	var doc map[string][]struct {
		Prefix string `json:"prefix"`
		Exact  bool   `json:"exact"`
		GE     *int   `json:"greater-equal"`
		LE     *int   `json:"less-equal"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		tb.Fatalf("bgpq4 %v: bad JSON: %v\n%s", args, err, out)
	}
	var rs []irr.Range
	for _, e := range doc["X"] {
		p, err := netip.ParsePrefix(e.Prefix)
		if err != nil {
			tb.Fatalf("bgpq4 %v: prefix %q: %v", args, e.Prefix, err)
		}
		r := irr.Range{Prefix: p, Min: p.Bits(), Max: p.Bits()}
		if !e.Exact {
			if e.GE != nil {
				r.Min = *e.GE
			}
			if e.LE != nil {
				r.Max = *e.LE
			}
		}
		rs = append(rs, r)
	}
	return rs
}

// bgpq4Prefixes is bgpq4Ranges for a list without aggregation.
func bgpq4Prefixes(tb testing.TB, bin, server string, args ...string) []netip.Prefix {
	tb.Helper()
	var ps []netip.Prefix
	for _, r := range bgpq4Ranges(tb, bin, server, args...) {
		if !r.Exact() {
			tb.Fatalf("bgpq4 %v returned a range %v without -A", args, r)
		}
		ps = append(ps, r.Prefix)
	}
	slices.SortFunc(ps, irr.ComparePrefix)
	return ps
}

// bgpq4ASNs runs "bgpq4 -t -j" (an AS-path list) and returns the ASNs.
func bgpq4ASNs(tb testing.TB, bin, server string, args ...string) []bgp.ASN {
	tb.Helper()
	out := bgpq4(tb, bin, server, append([]string{"-t", "-j"}, args...)...)
	var doc map[string][]uint32
	if err := json.Unmarshal(out, &doc); err != nil {
		tb.Fatalf("bgpq4 -t %v: bad JSON: %v\n%s", args, err, out)
	}
	var asns []bgp.ASN
	for _, a := range doc["NN"] {
		asns = append(asns, bgp.ASN(a))
	}
	slices.Sort(asns)
	return asns
}

func rangesString(rs []irr.Range) string {
	var b bytes.Buffer
	for i, r := range rs {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 20 {
			b.WriteString("… (" + strconv.Itoa(len(rs)) + " in all)")
			break
		}
		b.WriteString(r.String())
	}
	return b.String()
}
