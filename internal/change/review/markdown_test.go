package review

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/repo/gitfs"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// cityPopulation is a small synthetic population: a few cities as points.
// Coverage is approximated by the discs around the sites, enough for
// affinity to be computed from real geometry in these tests.
type cityPopulation []struct{ lat, lon, people float64 }

var europe = cityPopulation{
	{52.37, 4.90, 900_000},    // Amsterdam
	{52.09, 5.12, 360_000},    // Utrecht
	{50.11, 8.68, 750_000},    // Frankfurt
	{51.51, -0.13, 9_000_000}, // London
	{48.86, 2.35, 2_100_000},  // Paris
}

func (c cityPopulation) Near(lat, lon, km float64) float64 {
	sum := 0.0
	for _, p := range c {
		if score.DistanceKm(lat, lon, p.lat, p.lon) <= km {
			sum += p.people
		}
	}
	return sum
}

type cityArea struct {
	pop   cityPopulation
	sites []score.LatLon
	km    float64
}

func (c cityPopulation) Cover(sites []score.LatLon, km float64) score.Area {
	return cityArea{pop: c, sites: sites, km: km}
}

func (a cityArea) has(i int) bool {
	for _, s := range a.sites {
		if score.DistanceKm(s.Lat, s.Lon, a.pop[i].lat, a.pop[i].lon) <= a.km {
			return true
		}
	}
	return false
}

func (a cityArea) Population() float64 {
	sum := 0.0
	for i, p := range a.pop {
		if a.has(i) {
			sum += p.people
		}
	}
	return sum
}

func (a cityArea) Overlap(other score.Area) float64 {
	o := other.(cityArea)
	sum := 0.0
	for i, p := range a.pop {
		if a.has(i) && o.has(i) {
			sum += p.people
		}
	}
	return sum
}

// cloudflareResult scores a candidate present at both demo IXPs and in
// Paris against our network, with the real score package.
func cloudflareResult(t testing.TB) *score.Result {
	t.Helper()
	ams := score.PoP{Key: "ix:90001", Name: "DOC-IX Amsterdam", City: "Amsterdam", Lat: 52.335, Lon: 4.92, HasLocation: true}
	fra := score.PoP{Key: "ix:90002", Name: "DOC-IX Frankfurt", City: "Frankfurt", Lat: 50.1109, Lon: 8.6821, HasLocation: true}
	lon := score.PoP{Key: "fac:90104", Name: "Doc DC London", City: "London", Lat: 51.5072, Lon: -0.1276, HasLocation: true}
	par := score.PoP{Key: "fac:90105", Name: "Doc DC Paris", City: "Paris", Lat: 48.8566, Lon: 2.3522, HasLocation: true}
	withCap := func(p score.PoP, mbps float64) score.PoP { p.CapacityMbps = mbps; return p }
	// Common: both IXPs. Only we are in London, only they in Paris, so
	// each side gains coverage.
	us := score.Network{ASN: 64500, Name: "Example Networks", Ratio: score.Balanced,
		PoPs: []score.PoP{withCap(ams, 10000), withCap(fra, 20000), withCap(lon, 1000)}, DeclaredTrafficMbps: 2000}
	them := score.Network{ASN: 13335, Name: "Cloudflare", Ratio: score.MostlyOutbound,
		PoPs: []score.PoP{withCap(ams, 100000), withCap(fra, 100000), withCap(par, 100000)}}
	p := score.DefaultParams()
	res := score.Score(score.Prepare(us, europe, p), score.Prepare(them, europe, p), p,
		billing.Prices{Transit: []billing.Transit{{Name: "upstream", USDPerMbps: 0.40, BurstUSDPerMbps: 0.40, Billed: billing.Max}},
			PortUSDPerMonth: map[string]float64{"ix:90001": 1200}, DefaultPortUSDPerMonth: 800, CrossConnectUSDPerMonth: 300})
	return &res
}

// fixedResult is a scoring result written out, so the golden files change
// only when the review's rendering does, not when scoring is tuned.
func fixedResult() *score.Result {
	ams := score.CommonPoP{Key: "ix:90001", Name: "DOC-IX Amsterdam", City: "Amsterdam", RequesterCapacityMbps: 10000, CandidateCapacityMbps: 100000}
	fra := score.CommonPoP{Key: "ix:90002", Name: "DOC-IX Frankfurt", City: "Frankfurt", RequesterCapacityMbps: 20000, CandidateCapacityMbps: 100000}
	return &score.Result{
		Requester: score.Party{ASN: 64500, Name: "Example Networks", Ratio: score.Balanced, Traffic: 2000, PoPs: 3},
		Candidate: score.Party{ASN: 13335, Name: "Cloudflare", Ratio: score.MostlyOutbound, Traffic: 5100, PoPs: 3},
		Felicity:  0.6127, Willingness: 0.5774, Affinity: 0.6188, AlphaRequester: 0.4412, AlphaCandidate: 0.8679,
		Recommended: true, Threshold: 0.55, Beta: 0.15, Gamma: 0.85,
		CommonPoPs: []score.CommonPoP{ams, fra}, APCRequester: 3, APCCandidate: 3, Exact: true,
		APC: []score.Ranked{
			{Contract: score.Contract{Positions: []int{0, 1}, Out: 2000, In: 5100, RankR: 1, RankC: 1, OmegaR: 1, OmegaC: 1, OmegaRC: 1}, PoPs: []score.CommonPoP{ams, fra}},
			{Contract: score.Contract{Positions: []int{1}, Out: 1333.3, In: 2550, RankR: 2, RankC: 3, OmegaR: 0.6667, OmegaC: 0.3333, OmegaRC: 0.4714}, PoPs: []score.CommonPoP{fra}},
			{Contract: score.Contract{Positions: []int{0}, Out: 666.7, In: 2550, RankR: 3, RankC: 2, OmegaR: 0.3333, OmegaC: 0.6667, OmegaRC: 0.4714}, PoPs: []score.CommonPoP{ams}},
		},
		Economics:   fixedOutcome(2000),
		TrafficUnit: "Mbps",
		Notes:       []string{"AS13335 is assumed Mostly Outbound by policy"},
	}
}

// fixedOutcome is the business case of fixedResult's best contract with
// ports costing peering a month: 5,100 Mbps in and 2,000 out moved off
// transit at $0.40/Mbps (2,040 a month), and AS13335's paid offer (we
// pay $0.10/Mbps: 510).
func fixedOutcome(peering float64) *score.Outcome {
	cmp := billing.Compare(billing.Case{
		Routes:     []billing.Route{{Provider: billing.Transit{Name: "upstream", USDPerMbps: 0.40, BurstUSDPerMbps: 0.40, Billed: billing.Max}, Moved: billing.Flat(5100, 2000)}},
		PeeringUSD: peering, Paid: &billing.Paid{WePay: true, USDPerMbps: 0.10, Billed: billing.Max}})
	return &score.Outcome{PoPs: []string{"ix:90001", "ix:90002"}, Priced: true, TrafficSource: "measured",
		MovedInMbps: 5100, MovedOutMbps: 2000, MovedMbps: 5100, PeeringUSD: peering, Comparison: &cmp}
}

func sampleInputs(t testing.TB) Inputs {
	return Inputs{
		Base: "2e65efe2a145dda7ee51d1741299f848e5bf752e",
		Head: "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d",
		Changes: []gitfs.Change{
			{Path: "peers/AS13335.hcl", Action: gitfs.Insert},
			{Path: "policies/network.hcl", Action: gitfs.Modify},
		},
		Diagnostics: hcl.Diagnostics{{
			Severity: hcl.DiagWarning, Summary: "No max_prefix for IPv6",
			Detail:  "PeeringDB has no IPv6 prefix count for AS13335; the default of 100 applies.",
			Subject: &hcl.Range{Filename: "peers/AS13335.hcl", Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 17}},
		}},
		Scores: []PeerScore{{ASN: 13335, Name: "Cloudflare", Result: fixedResult()}},
		Routers: []RouterDiff{{
			Router: "ams-edge1", Platform: "frr", Summary: "1 session added",
			Diff: "--- ams-edge1 (base)\n+++ ams-edge1 (head)\n@@ -12,3 +12,6 @@\n router bgp 64500\n  bgp router-id 192.0.2.1\n+ neighbor 192.0.2.20 remote-as 13335\n+ neighbor 192.0.2.20 description AS13335 Cloudflare\n+ neighbor 192.0.2.20 ttl-security hops 1\n",
		}},
		BaseData: []DataVersion{{Name: "PeeringDB", Version: "data/peeringdb, 2024-05-01T00:00:00Z"}, {Name: "RPKI", Version: "serial 4242"}},
		HeadData: []DataVersion{{Name: "PeeringDB", Version: "data/peeringdb, 2024-05-01T00:00:00Z"}, {Name: "RPKI", Version: "serial 4242"}},
		Planned:  true,
	}
}

// likelyButCostsInputs is sampleInputs with ports that cost more than
// the transit the peer would save.
func likelyButCostsInputs(t testing.TB) Inputs {
	in := sampleInputs(t)
	res := fixedResult()
	res.Economics = fixedOutcome(2646)
	in.Scores = []PeerScore{{ASN: 13335, Name: "Cloudflare", Result: res}}
	return in
}

func brokenInputs() Inputs {
	rng := func(line, c0, c1 int) *hcl.Range {
		return &hcl.Range{Filename: "peers/AS64511.hcl", Start: hcl.Pos{Line: line, Column: c0}, End: hcl.Pos{Line: line, Column: c1}}
	}
	return Inputs{
		Base:    "2e65efe2a145dda7ee51d1741299f848e5bf752e",
		Head:    "8f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6",
		Changes: []gitfs.Change{{Path: "peers/AS64511.hcl", Action: gitfs.Insert}},
		Diagnostics: hcl.Diagnostics{
			{Severity: hcl.DiagError, Summary: "Unsupported argument", Detail: `An argument named "md5_password" is not expected here. Did you mean "md5"?`, Subject: rng(4, 3, 15)},
			{Severity: hcl.DiagError, Summary: "Invalid AS-SET", Detail: "\"AS-EVIL|x`y\" is not an AS-SET name: use letters, digits, - and :.", Subject: rng(3, 12, 26)},
		},
		Scores:  []PeerScore{{ASN: 64511, Unscored: "the intent file has errors"}},
		Planned: true,
	}
}

func TestMarkdownGolden(t *testing.T) {
	big := sampleInputs(t)
	var diff strings.Builder
	diff.WriteString("--- fra-edge1 (base)\n+++ fra-edge1 (head)\n@@ -1,400 +1,400 @@\n")
	for i := range 400 {
		fmt.Fprintf(&diff, "+protocol bgp peer_%d from peers { neighbor 192.0.2.%d as %d; }\n", i, 130+i%120, 64600+i)
	}
	big.Routers = append(big.Routers, RouterDiff{Router: "fra-edge1", Platform: "bird2", Summary: "400 sessions added", Diff: diff.String()})

	for _, tc := range []struct {
		name  string
		in    Inputs
		limit int
	}{
		{"new_peer", sampleInputs(t), 0},
		{"broken_peer", brokenInputs(), 0},
		{"truncated_diff", big, 9000},
		{"data_management_code", selfChangeInputs(), 0},
		{"likely_but_costs", likelyButCostsInputs(t), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Markdown(Build(tc.in), tc.limit)
			if tc.limit > 0 && len(got) > tc.limit {
				t.Errorf("%d bytes, limit %d", len(got), tc.limit)
			}
			golden(t, filepath.Join("testdata", "golden", tc.name+".md"), got)
		})
	}
}

// selfChangeInputs is a pull request that changes data, a router's
// management, a template and peerform's code, with what the head's own
// build rendered.
func selfChangeInputs() Inputs {
	data := []DataVersion{{Name: "PeeringDB", Version: "data/peeringdb (2026-01-01T00:00:00Z), content 6929f0d304be"},
		{Name: "Templates", Version: "built-in"}}
	return Inputs{
		Base: "2e65efe2a145dda7ee51d1741299f848e5bf752e", Head: "d00491fd7e5bb6fa28c517a0bb32b8b506539d4d",
		Changes: []gitfs.Change{{Path: "policies/routers.hcl", Action: gitfs.Modify}},
		Diagnostics: hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Router leaves the environment",
			Detail:  "fra-edge1 is no longer in environment production.",
			Subject: &hcl.Range{Filename: "policies/routers.hcl", Start: hcl.Pos{Line: 15, Column: 1}, End: hcl.Pos{Line: 15, Column: 20}}}},
		Routers: []RouterDiff{{Router: "ams-edge1", Platform: "frr", Summary: "update: 1 session changed",
			Diff: "--- a/ams-edge1.conf\n+++ b/ams-edge1.conf\n@@ -1,2 +1,2 @@\n-ip prefix-list AS64501_V4 seq 5 permit 11.64.0.0/22\n+ip prefix-list AS64501_V4 seq 5 permit 8.0.0.0/8\n"}},
		Planned:  true,
		BaseData: data, HeadData: []DataVersion{data[0], {Name: "Templates", Version: "templates/ (frr; built-in for the rest), content 1a2b3c4d5e6f"}},
		DataChanges: []plan.DataChange{{Source: "IRR", Old: "snapshot data/irr/example.rpsl", New: "snapshot data/irr/example.rpsl",
			Details: []string{"route objects 22 -> 24 (+2)"}, Affects: []bgp.ASN{6939, 64501}}},
		Management: []plan.RouterSettings{{Router: "fra-edge1", LeavesEnvironment: "production", Changes: []plan.Setting{
			{Name: "environment", Old: "production", New: "staging"}, {Name: "password_env", Old: "", New: "PEERFORM_SECRET_FRA_LOGIN"}}}},
		DeployPolicy: []plan.Setting{{Name: "parallel", Old: "1", New: "2"}},
		Code:         []string{"render/view.go"},
		Templates:    []string{"templates/frr/router.tmpl"},
		Workflows:    []string{".github/workflows/pr.yml"},
		HeadBuild: &HeadBuild{Missing: []string{"fra-edge1"}, Routers: []RouterDiff{{Router: "ams-edge1", Platform: "frr", Summary: "update",
			Diff: "--- a/ams-edge1.conf\n+++ b/ams-edge1.conf\n@@ -1,1 +1,2 @@\n router bgp 64500\n+ shutdown\n"}}},
		Reviewer: "built from 2e65efe2a145",
	}
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./review -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from the output; review the diff and run go test ./review -run %s -update\n--- got:\n%s", file, t.Name(), got)
	}
}

func TestBuild(t *testing.T) {
	r := Build(sampleInputs(t))
	if r.Verdict != Warn {
		t.Errorf("verdict = %v, want warn (one warning)", r.Verdict)
	}
	if len(r.Peers) != 1 {
		t.Fatalf("peers = %+v", r.Peers)
	}
	p := r.Peers[0]
	if p.ASN != 13335 || p.Change != "added" || p.File != "peers/AS13335.hcl" || p.Unscored != "" {
		t.Errorf("peer = %+v", p)
	}
	res := fixedResult()
	if p.Felicity != res.Felicity || p.Willingness != res.Willingness || p.Affinity != res.Affinity || p.Verdict != res.Verdict() {
		t.Errorf("scores differ from the result: %+v vs F=%v W=%v A=%v", p, res.Felicity, res.Willingness, res.Affinity)
	}
	if len(p.APC) == 0 || len(p.APC) > 3 || p.APC[0].Rank != 1 || len(p.APC[0].PoPs) == 0 {
		t.Fatalf("APC = %+v", p.APC)
	}
	if p.APC[0].Willingness != res.APC[0].OmegaRC || !strings.Contains(p.APC[0].PoPs[0], "(") {
		t.Errorf("first contract = %+v", p.APC[0])
	}
	if r.Findings[0].File != "peers/AS13335.hcl" || r.Findings[0].Line != 1 || r.Findings[0].Severity != SeverityWarning {
		t.Errorf("findings = %+v", r.Findings)
	}
	if got := []FileChange{{"peers/AS13335.hcl", "added"}, {"policies/network.hcl", "modified"}}; fmt.Sprint(r.Files) != fmt.Sprint(got) {
		t.Errorf("files = %v", r.Files)
	}

	// A result from the real score package goes through as well.
	real := cloudflareResult(t)
	in := sampleInputs(t)
	in.Scores = []PeerScore{{ASN: 13335, Result: real}}
	rp := Build(in).Peers[0]
	if rp.Name != "Cloudflare" || rp.Felicity != real.Felicity || len(rp.APC) != min(3, len(real.APC)) || rp.Unscored != "" {
		t.Errorf("peer from a real result = %+v", rp)
	}
	if len(rp.APC) > 0 && (rp.APC[0].Willingness != real.APC[0].OmegaRC || rp.TrafficUnit != "%") {
		t.Errorf("first contract = %+v, unit %q", rp.APC[0], rp.TrafficUnit)
	}

	b := Build(brokenInputs())
	if b.Verdict != Fail || len(b.Findings) != 2 || b.Findings[0].Line != 3 {
		t.Errorf("broken: verdict %v, findings %+v (want errors sorted by line)", b.Verdict, b.Findings)
	}
	if b.Peers[0].Unscored != "the intent file has errors" {
		t.Errorf("broken peer = %+v", b.Peers[0])
	}
	if clean := Build(Inputs{}); clean.Verdict != Pass {
		t.Errorf("empty inputs: verdict %v", clean.Verdict)
	}
}

func TestPeerFile(t *testing.T) {
	for in, want := range map[string]bgp.ASN{"peers/AS13335.hcl": 13335, "peers/as64501.hcl.json": 64501} {
		if got, ok := PeerFile(in); !ok || got != want {
			t.Errorf("PeerFile(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"peers/README.md", "policies/AS1.hcl", "peers/sub/AS1.hcl", "peers/ASX.hcl", "peers/64500.hcl"} {
		if _, ok := PeerFile(in); ok {
			t.Errorf("PeerFile(%q) accepted", in)
		}
	}
}

// TestMarkdownLimits: whatever the inputs, the comment fits, and what is
// cut is cut in order (diffs, findings, peers) with a note.
func TestMarkdownLimits(t *testing.T) {
	hugeDiff := strings.Repeat("+ neighbor 192.0.2.20 remote-as 13335\n", 3000)
	var routers []RouterDiff
	for i := range 8 {
		routers = append(routers, RouterDiff{Router: fmt.Sprintf("edge%d", i), Platform: "frr", Diff: hugeDiff})
	}
	fs := findings(50)

	r := Build(sampleInputs(t))
	r.Routers, r.Findings = routers, fs
	out := Markdown(r, 0)
	if len(out) >= MaxCommentChars {
		t.Fatalf("%d bytes", len(out))
	}
	if !strings.Contains(out, "more lines not shown; run `peerform plan` for the whole diff") {
		t.Error("no truncation note on the diffs")
	}
	if strings.Count(out, "Unsupported argument") != 50 {
		t.Error("findings were cut although cutting diffs was enough")
	}
	if strings.Count(out, "<details>") != 8 || strings.Count(out, "</details>") != 8 {
		t.Error("unbalanced <details>")
	}
	if strings.Count(out, "```")%2 != 0 {
		t.Error("an unclosed code fence")
	}

	r.Findings = findings(5000)
	out = Markdown(r, 0)
	if len(out) >= MaxCommentChars || !strings.Contains(out, "diff is left out") || !strings.Contains(out, "more findings not shown here") {
		t.Errorf("%d bytes; notes missing", len(out))
	}

	for _, limit := range []int{300, 1000, 4000} {
		out = Markdown(r, limit)
		if len(out) > limit || !strings.HasPrefix(out, Marker+"\n") || !utf8.ValidString(out) {
			t.Errorf("limit %d: %d bytes, prefix %q", limit, len(out), out[:min(40, len(out))])
		}
	}
}

// TestMarkdownHostileText: text from a pull request cannot break out of
// its place in the comment.
func TestMarkdownHostileText(t *testing.T) {
	evil := "x\n::error::injected\n</details><script>alert(1)</script> | col ``` fence [link](http://evil) @team $x$ and $y$"
	r := Report{
		Verdict:      Fail,
		Files:        []FileChange{{Path: "peers/`AS1`|.hcl", Change: "added"}},
		Peers:        []PeerReport{{ASN: 1, Name: evil, Unscored: evil}},
		Findings:     []Finding{{Severity: SeverityError, File: "peers/AS1.hcl", Line: 1, Title: evil, Message: evil}},
		Routers:      []RouterDiff{{Router: evil, Platform: platform.Name(evil), Summary: evil, Diff: "+```\n+</details>\n+ok\n"}},
		BaseData:     []DataVersion{{Name: evil, Version: evil}},
		HeadData:     []DataVersion{{Name: evil, Version: evil + "2"}},
		DataChanges:  []plan.DataChange{{Source: evil, Old: evil, New: evil + "2", Details: []string{evil}, Affects: []bgp.ASN{1}}},
		Management:   []plan.RouterSettings{{Router: evil, Changes: []plan.Setting{{Name: evil, Old: evil, New: evil}}, LeavesEnvironment: evil}},
		DeployPolicy: []plan.Setting{{Name: evil, Old: evil, New: evil}},
		Code:         []string{evil},
		Templates:    []string{evil},
		Workflows:    []string{evil},
		HeadBuild:    &HeadBuild{Routers: []RouterDiff{{Router: evil, Platform: platform.Name(evil), Summary: evil, Diff: "+```\n+</details>\n+ok\n"}}, Missing: []string{evil}},
		Reviewer:     evil,
		Notes:        []string{evil},
	}
	out := Markdown(r, 0)
	for _, bad := range []string{"<script>", "</details><", "\n::"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
	if regexp.MustCompile(`(^|[^\\])\]\(`).MatchString(out) {
		t.Errorf("an unescaped link:\n%s", out)
	}
	// Outside code blocks (where "</details>" is text) the tags pair up.
	prose := regexp.MustCompile("(?s)````diff\n.*?\n````").ReplaceAllString(out, "")
	// One for the router, one for the head build's rendering of it.
	if strings.Count(prose, "<details>") != 2 || strings.Count(prose, "</details>") != 2 {
		t.Errorf("unbalanced <details>:\n%s", out)
	}
	if !strings.Contains(out, "````diff") {
		t.Errorf("the diff's own ``` was not out-fenced:\n%s", out)
	}
}

func TestNumberFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{usd(1234.4), `\$1,234`}, {usd(-1151), `−\$1,151`}, {usd(0), `\$0`}, {usd(math.NaN()), "—"},
		{traffic(12345, "Mbps"), "12,345 Mbps"}, {traffic(12.5, "Mbps"), "12.5 Mbps"}, {traffic(42.25, "%"), "42.2 % of ours"},
		{num(math.Inf(1), 2), "—"}, {num(0.5006, 3), "0.501"},
		{code("a`b"), "``a`b``"}, {code("`x"), "`` `x ``"}, {code("a|b"), "`a\\|b`"},
		{shortRev("2e65efe2a145dda7ee51d1741299f848e5bf752e", "?"), "2e65efe2a145"}, {shortRev("origin/main; rm", "?"), "origin/mainrm"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func FuzzMarkdown(f *testing.F) {
	f.Add("Cloudflare", "An argument named \"md5\" is not expected here.", "+ neighbor 192.0.2.20\n", 3, 2000)
	f.Add("```", "</details>\n::error::", "```\n````", 200, 500)
	f.Fuzz(func(t *testing.T, name, msg, diff string, n, limit int) {
		n = min(max(n, 0), 3000)
		r := Report{Verdict: Fail, Peers: []PeerReport{{ASN: 64500, Name: name, APC: []Contract{{Rank: 1, PoPs: []string{name}}}}},
			Routers:     []RouterDiff{{Router: name, Platform: "frr", Diff: diff}},
			DataChanges: []plan.DataChange{{Source: name, Old: msg, New: name, Details: []string{msg}}},
			Management:  []plan.RouterSettings{{Router: name, Changes: []plan.Setting{{Name: name, Old: msg, New: name}}, LeavesEnvironment: msg}},
			Code:        []string{name}, Workflows: []string{msg},
			HeadBuild: &HeadBuild{Routers: []RouterDiff{{Router: name, Platform: platform.Name(msg), Diff: diff}}, Missing: []string{name}}}
		for i := range n {
			r.Findings = append(r.Findings, Finding{File: name, Line: i, Title: msg, Message: msg})
		}
		out := Markdown(r, limit)
		want := limit
		if limit <= 0 || limit >= MaxCommentChars {
			want = MaxCommentChars - 1
		}
		if len(out) > max(want, len(Marker)+1) {
			t.Fatalf("%d bytes > limit %d", len(out), want)
		}
		if !strings.HasPrefix(out, Marker) {
			t.Fatal("marker missing")
		}
		if !utf8.ValidString(out) {
			t.Fatal("invalid UTF-8 in the comment")
		}
	})
}

// BenchmarkMarkdown renders a normal review and one that must be cut to
// fit (eight 3,000-line diffs and 5,000 findings), which searches the caps.
func BenchmarkMarkdown(b *testing.B) {
	normal := Build(sampleInputs(b))
	huge := normal
	for i := range 8 {
		huge.Routers = append(huge.Routers, RouterDiff{Router: fmt.Sprintf("edge%d", i), Platform: "frr",
			Diff: strings.Repeat("+ neighbor 192.0.2.20 remote-as 13335\n", 3000)})
	}
	huge.Findings = findings(5000)
	for _, bc := range []struct {
		name string
		r    Report
	}{{"normal", normal}, {"truncated", huge}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if out := Markdown(bc.r, 0); len(out) >= MaxCommentChars {
					b.Fatal("too long")
				}
			}
		})
	}
}

func TestBuildScopesWarningsToTheChange(t *testing.T) {
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagWarning, Summary: "in the new file", Subject: &hcl.Range{Filename: "peers/AS64504.hcl", Start: hcl.Pos{Line: 1, Column: 1}}},
		{Severity: hcl.DiagWarning, Summary: "elsewhere", Subject: &hcl.Range{Filename: "peers/AS65537.hcl", Start: hcl.Pos{Line: 3, Column: 3}}},
		{Severity: hcl.DiagError, Summary: "an error elsewhere", Subject: &hcl.Range{Filename: "peers/AS6939.hcl", Start: hcl.Pos{Line: 2, Column: 3}}},
		{Severity: hcl.DiagWarning, Summary: "no place"},
	}
	peerOnly := []gitfs.Change{{Path: "peers/AS64504.hcl", Action: gitfs.Insert}}
	r := Build(Inputs{Diagnostics: diags, Changes: peerOnly})
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.Title)
	}
	want := []string{"an error elsewhere", "no place", "in the new file"}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	if !slices.ContainsFunc(r.Notes, func(n string) bool {
		return strings.HasPrefix(n, "1 warning(s) about files this change does not touch")
	}) {
		t.Errorf("no note about the hidden warning: %v", r.Notes)
	}
	// A policy change can affect every peer: nothing is left out.
	all := Build(Inputs{Diagnostics: diags, Changes: append(peerOnly, gitfs.Change{Path: "policies/filters.hcl", Action: gitfs.Modify})})
	if len(all.Findings) != len(diags) {
		t.Errorf("with a policy change, %d of %d findings kept", len(all.Findings), len(diags))
	}
}

// TestMoneySaysMeasuredOrModelled: the business case says where its
// volume comes from, and shows every arrangement at ±50 %.
func TestMoneySaysMeasuredOrModelled(t *testing.T) {
	money := func(source string, days int) string {
		var b strings.Builder
		renderMoney(&b, Money{Comparison: *fixedOutcome(1500).Comparison, TrafficSource: source, MeasuredDays: days})
		return b.String()
	}
	measured := money("flows", 30)
	// Transit 0.40 × 5,100 = 2,040 against 1,500 of ports: saves 540;
	// at half (2,550 Mbps) transit costs 1,020, cheapest by 480; at 1.5×
	// 3,060. Paid: 1,500 + 0.10 × 5,100 = 2,010. Break-even 3,750 Mbps.
	for _, want := range []string{"measured over 30 days", "| **as measured**: 5,100 Mbps | \\$2,040 | \\$1,500 | \\$2,010 | settlement-free, saves \\$540 |",
		"| half: 2,550 Mbps | \\$1,020 | \\$1,500 | \\$1,755 | transit, by \\$480 |", "| one and a half times: 7,650 Mbps | \\$3,060 |",
		"Paid (we pay)", "above 3,750 Mbps"} {
		if !strings.Contains(measured, want) {
			t.Errorf("measured lacks %q:\n%s", want, measured)
		}
	}
	if modelled := money("peeringdb", 0); !strings.Contains(modelled, "modelled from the traffic declared in PeeringDB") || !strings.Contains(modelled, "as modelled") {
		t.Errorf("modelled: %s", modelled)
	}
	if unknown := money("", 0); !strings.Contains(unknown, "No traffic volume is known") || strings.Contains(unknown, "| Transit |") {
		t.Errorf("unknown volume: %s", unknown)
	}
}

// TestLikelyButCostsSaysSoInWords: a peer likely to agree whose ports
// cost more than the transit it saves gets no ✅: its verdict says, in
// words, that it costs money and is for resilience or latency only.
func TestLikelyButCostsSaysSoInWords(t *testing.T) {
	res := fixedResult()
	res.Economics = fixedOutcome(2646) // ports 2,646 against 2,040 of transit: −606 a month
	md := Markdown(Build(Inputs{Changes: []gitfs.Change{{Path: "peers/AS13335.hcl", Action: gitfs.Insert}},
		Scores: []PeerScore{{ASN: 13335, Result: res}}}), MaxCommentChars)
	want := "⚠️ not recommended: likely to agree but costs \\$606/month more than transit: consider only for resilience or latency (felicity 0.613, threshold 0.55)"
	if !strings.Contains(md, want) {
		t.Errorf("comment lacks %q:\n%s", want, md)
	}
	if strings.Contains(md, "✅ recommended") {
		t.Errorf("a peer that loses money is marked recommended:\n%s", md)
	}
	// The same peer when peering pays: recommended, with the saving.
	res.Economics = fixedOutcome(1500)
	md = Markdown(Build(Inputs{Changes: []gitfs.Change{{Path: "peers/AS13335.hcl", Action: gitfs.Insert}},
		Scores: []PeerScore{{ASN: 13335, Result: res}}}), MaxCommentChars)
	if want := "✅ recommended: likely to agree and saves \\$540/month (felicity 0.613, threshold 0.55)"; !strings.Contains(md, want) {
		t.Errorf("comment lacks %q:\n%s", want, md)
	}
	// Below the threshold the money does not make it a recommendation.
	res.Recommended = false
	md = Markdown(Build(Inputs{Changes: []gitfs.Change{{Path: "peers/AS13335.hcl", Action: gitfs.Insert}},
		Scores: []PeerScore{{ASN: 13335, Result: res}}}), MaxCommentChars)
	if !strings.Contains(md, "not recommended: unlikely to agree (felicity 0.613") || strings.Contains(md, "✅ recommended") {
		t.Errorf("unlikely peer:\n%s", md)
	}
}

// TestRenderLikelihood: under the likelihood profile a peer's section
// leads with the probability, keeps W, A and the paper felicity as
// components, lists the factors each way (escaped), and still shows APC*.
func TestRenderLikelihood(t *testing.T) {
	res := fixedResult()
	res.PaperFelicity = res.Felicity
	res.Likelihood = &likelihood.Prediction{Probability: 0.2346, Threshold: 0.03, Recommended: true,
		For:     []likelihood.Factor{{Text: "shares 2 IXPs and 0 facilities in 2 metros", Weight: 0.8}},
		Against: []likelihood.Factor{{Text: "their peering policy is <b>Selective</b>", Weight: -0.4}}}
	res.Felicity = 0.2346
	md := Markdown(Build(Inputs{Changes: []gitfs.Change{{Path: "peers/AS13335.hcl", Action: gitfs.Insert}},
		Scores: []PeerScore{{ASN: 13335, Result: res}}}), MaxCommentChars)
	for _, want := range []string{"✅ recommended: likely to agree and saves \\$40/month (23.5% likely to agree, threshold 3.0%)", "| **23.5%** | 0.577 | 0.619 |", "| 0.613 |",
		"**For:** shares 2 IXPs", "(+0.80)", "**Against:**", "(-0.40)", "Where to peer"} {
		if !strings.Contains(md, want) {
			t.Errorf("comment lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "<b>Selective") {
		t.Errorf("factor text not escaped:\n%s", md)
	}
}

// TestContractsSayModelledNextToMeasuredMoney: APC* ranks contracts on the
// traffic model; when the money above them is measured, the contracts'
// traffic column says it is modelled, so the two figures are not read as
// one.
func TestContractsSayModelledNextToMeasuredMoney(t *testing.T) {
	for source, want := range map[string]string{"flows": "| Our outbound moved (modelled) |", "measured": "| Our outbound moved |"} {
		res := fixedResult()
		res.Economics = fixedOutcome(1500)
		res.Economics.TrafficSource = source
		md := Markdown(Build(Inputs{Changes: []gitfs.Change{{Path: "peers/AS13335.hcl", Action: gitfs.Insert}},
			Scores: []PeerScore{{ASN: 13335, Result: res}}}), MaxCommentChars)
		if !strings.Contains(md, want) {
			t.Errorf("traffic from %q: comment lacks %q:\n%s", source, want, md)
		}
	}
}
