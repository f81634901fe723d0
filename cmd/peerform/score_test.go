package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/score"
)

func TestScoreCommand(t *testing.T) {
	out, errOut, code := runPeerform(t, "score", "AS64502", "--repo", "../..")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"AS64500 Example Networks → AS64502 Doc Content Beta", "probability", "that they agree",
		"components: willingness", "paper felicity", "Where to peer", "Coverage:", "Economics"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "with requester criterion") {
		t.Errorf("the per-criterion table is opt-in:\n%s", out)
	}
	out, _, code = runPeerform(t, "score", "AS64502", "--repo", "../..", "--json")
	if code != exitOK {
		t.Fatalf("--json exit %d", code)
	}
	var lk struct {
		Felicity      float64 `json:"felicity"`
		PaperFelicity float64 `json:"paper_felicity"`
		Likelihood    *struct {
			Probability float64 `json:"probability"`
			Threshold   float64 `json:"threshold"`
			For         []any   `json:"for"`
			Against     []any   `json:"against"`
		} `json:"likelihood"`
		Traffic string `json:"traffic_model"`
	}
	if err := json.Unmarshal([]byte(out), &lk); err != nil {
		t.Fatal(err)
	}
	if lk.Likelihood == nil || lk.Felicity != lk.Likelihood.Probability || lk.Felicity <= 0 || lk.Felicity >= 1 ||
		lk.Traffic != "exchange" || len(lk.Likelihood.For)+len(lk.Likelihood.Against) == 0 {
		t.Errorf("likelihood profile JSON: %s", out)
	}
	out, _, code = runPeerform(t, "score", "AS64502", "--repo", "../..", "--profile", "paper", "--by-criterion")
	if code != exitOK || !strings.Contains(out, "with requester criterion diff") || strings.Contains(out, "probability") {
		t.Errorf("paper profile, --by-criterion: exit %d\n%s", code, out)
	}
	out, _, code = runPeerform(t, "score", "AS64501", "--repo", "../..", "--json", "--holistic", "--profile", "paper")
	if code != exitOK {
		t.Fatalf("--json exit %d", code)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"felicity", "willingness", "affinity", "alpha_requester", "alpha_candidate", "recommended",
		"common_pops", "dropped_pops", "apc", "criterion", "economics", "reverse"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if m["threshold"] != 0.3 || m["holistic"] != true {
		t.Errorf("--holistic: threshold %v holistic %v", m["threshold"], m["holistic"])
	}
}

func TestScoreFlags(t *testing.T) {
	var got *scoreOptions
	cmd := newCmdScore(&app{io: &ioStreams{}}, func(o *scoreOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"as13335", "--requester", "AS64500", "--criterion", "diff", "--threshold", "0.4", "--assume-ratio", "AS174=Balanced"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.candidate != bgp.ASN(13335) || got.requester != "AS64500" || got.flags.criterion != "diff" ||
		got.flags.threshold != 0.4 || !got.flags.thresholdOn || len(got.flags.assumeRatio) != 1 {
		t.Errorf("options %+v", got)
	}
	for _, args := range [][]string{
		{"score"}, {"score", "ASX"}, {"score", "AS1", "--criterion", "best"}, {"score", "AS1", "--threshold", "2"},
		{"score", "AS1", "--assume-ratio", "AS174"}, {"score", "AS1", "--requester", "nope"},
		{"score", "AS1", "--max-common-pops", "-1"}, {"suggest", "--top", "-1"}, {"evaluate"}, {"evaluate", "--as-rel", "x", "--asns", "AS1"},
	} {
		if _, _, code := runPeerform(t, append(args, "--repo", "../..")...); code != exitError {
			t.Errorf("%v: exit %d, want %d", args, code, exitError)
		}
	}
}

// TestScoreUnknownCandidate: a network PeeringDB does not have is a
// finding (exit 1), as for peeringdb show.
func TestScoreUnknownCandidate(t *testing.T) {
	_, errOut, code := runPeerform(t, "score", "AS4242424242", "--repo", "../..")
	if code != exitFindings || !strings.Contains(errOut, "not in the PeeringDB data") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestSuggestCommand(t *testing.T) {
	out, errOut, code := runPeerform(t, "suggest", "--repo", "../..", "--top", "3", "--json", "--include-peers")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var got struct {
		Requester  bgp.ASN      `json:"requester"`
		Candidates []suggestion `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Requester != 64500 || len(got.Candidates) != 3 {
		t.Fatalf("requester %v, %d candidates", got.Requester, len(got.Candidates))
	}
	for i, c := range got.Candidates {
		if c.Rank != i+1 || c.CommonPoPs < 1 || (i > 0 && c.Felicity > got.Candidates[i-1].Felicity) {
			t.Errorf("candidate %d: %+v", i, c)
		}
	}
	out, _, code = runPeerform(t, "suggest", "--repo", "../..", "--include-peers")
	if code != exitOK || !strings.Contains(out, "AS64501") || !strings.Contains(out, "P(AGREE)") || !strings.Contains(out, "(peer)") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	// By default the networks we peer with (peers/) are left out, and
	// the count says so.
	out, errOut, code = runPeerform(t, "suggest", "--repo", "../..", "--json")
	var all struct {
		Candidates []suggestion `json:"candidates"`
		LeftOut    int          `json:"peers_left_out"`
	}
	if err := json.Unmarshal([]byte(out), &all); code != exitOK || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, errOut)
	}
	repo, _ := intent.LoadDir("../..")
	for _, c := range all.Candidates {
		if c.AlreadyPeer || repo.Peer(c.ASN) != nil {
			t.Errorf("%s is our peer, yet suggested", c.ASN)
		}
	}
	if all.LeftOut == 0 || len(all.Candidates) == 0 {
		t.Errorf("%d candidates, %d peers left out", len(all.Candidates), all.LeftOut)
	}
	if _, errOut, _ := runPeerform(t, "suggest", "--repo", "../.."); !strings.Contains(errOut, "we already peer with left out (--include-peers)") {
		t.Errorf("the text output does not say peers are left out:\n%s", errOut)
	}
	out, _, code = runPeerform(t, "suggest", "--repo", "../..", "--profile", "paper")
	if code != exitOK || !strings.Contains(out, "FELICITY") {
		t.Errorf("paper profile: exit %d:\n%s", code, out)
	}
}

// TestSuggestOtherRequester: --requester scores every candidate of
// another network, none of them marked as our peer.
func TestSuggestOtherRequester(t *testing.T) {
	out, errOut, code := runPeerform(t, "suggest", "--repo", "../..", "--requester", "AS64501", "--top", "0", "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var got struct {
		Requester  bgp.ASN      `json:"requester"`
		Scored     int          `json:"scored"`
		Candidates []suggestion `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.Requester != 64501 || len(got.Candidates) == 0 || len(got.Candidates) != got.Scored {
		t.Fatalf("requester %v: %d of %d candidates", got.Requester, len(got.Candidates), got.Scored)
	}
	for _, c := range got.Candidates {
		if c.ASN == 64501 || c.AlreadyPeer || c.Probability == nil || c.Felicity < 0 {
			t.Errorf("candidate %+v", c)
		}
	}
}

func TestEvaluateCommand(t *testing.T) {
	dir := t.TempDir()
	rel := filepath.Join(dir, "rel.txt")
	writeFile(t, dir, "rel.txt", []byte("# test relationships\n64500|64501|0\n64500|64502|0|bgp\n64501|64503|-1\n"))
	csvPath, svgPath := filepath.Join(dir, "s.csv"), filepath.Join(dir, "s.svg")
	out, errOut, code := runPeerform(t, "evaluate", "--repo", "../..", "--as-rel", rel, "--asns", "AS64500,64501,64502,64503",
		"--json", "--csv", csvPath, "--svg", svgPath, "--step", "0.1", "--profile", "paper")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep["pairs"] != 12.0 || rep["p2p_pairs"] != 4.0 || rep["other_pairs"] != 8.0 {
		t.Errorf("report %v", rep)
	}
	for _, k := range []string{"p2p_recommended", "recall", "other_recommended", "sweep"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if sweep, _ := rep["sweep"].([]any); len(sweep) != 11 {
		t.Errorf("sweep has %d points", len(sweep))
	}
	csv, err := os.ReadFile(csvPath)
	if err != nil || strings.Count(string(csv), "\n") != 12 {
		t.Errorf("CSV: %v\n%s", err, csv)
	}
	svg, err := os.ReadFile(svgPath)
	if err != nil || !strings.HasPrefix(string(svg), "<svg") || !strings.Contains(string(svg), "polyline") {
		t.Errorf("SVG: %v", err)
	}

	// The likelihood profile: the model next to the paper and baselines.
	png := filepath.Join(dir, "r.png")
	out, errOut, code = runPeerform(t, "evaluate", "--repo", "../..", "--as-rel", rel, "--asns", "AS64500,64501,64502,64503",
		"--reliability", png)
	if code != exitOK {
		t.Fatalf("likelihood: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"Networks the model never saw", "likelihood model", "paper felicity", "common PoPs", "ROC AUC", "Reliability"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if b, err := os.ReadFile(png); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("reliability PNG: %v", err)
	}
}

func TestDescribeContract(t *testing.T) {
	var all []score.CommonPoP
	for i := 0; i < 10; i++ {
		all = append(all, score.CommonPoP{Key: fmt.Sprintf("ix:%d", i), Name: fmt.Sprintf("IX%d", i), City: "C"})
	}
	tests := []struct {
		pops []score.CommonPoP
		want string
	}{
		{all, "all 10 common PoPs"},
		{append(append([]score.CommonPoP{}, all[:3]...), all[4:]...), "all 10 common PoPs except IX3 (C)"},
		{all[:2], "IX0 (C), IX1 (C)"},
		{all[:2:2], "IX0 (C), IX1 (C)"},
	}
	for _, tt := range tests {
		if got := describeContract(tt.pops, all); got != tt.want {
			t.Errorf("describeContract(%d PoPs) = %q, want %q", len(tt.pops), got, tt.want)
		}
	}
	if got := describeContract(all[:5], all[:7]); got != "all 7 common PoPs except IX5 (C), IX6 (C)" {
		t.Errorf("got %q", got)
	}
	if got := describeContract(all[:8], append(all, all...)); !strings.HasSuffix(got, "and 2 more") {
		t.Errorf("long list: %q", got)
	}
}
