package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelFitRoundTrip fits a model on the example snapshot, writes it,
// and scores with it through --model; a model that needs topology refuses
// to run without a relationships file.
func TestModelFitRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "rel.txt", []byte("64500|64501|0\n64502|64503|0\n64500|64510|0\n64501|64504|-1\n"))
	rel, model := filepath.Join(dir, "rel.txt"), filepath.Join(dir, "m.json")
	out, errOut, code := runPeerform(t, "model", "fit", "--repo", "../..", "--as-rel", rel, "--out", model, "--folds", "2", "--json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var prov map[string]any
	if err := json.Unmarshal([]byte(out), &prov); err != nil {
		t.Fatal(err)
	}
	if prov["labels"] != "rel.txt (relationship 0 = peers)" || prov["folds"] != 2.0 || !strings.Contains(prov["command"].(string), "model fit") {
		t.Errorf("provenance %v", prov)
	}
	out, errOut, code = runPeerform(t, "score", "AS64502", "--repo", "../..", "--model", model, "--json")
	if code != exitOK || !strings.Contains(out, `"likelihood"`) {
		t.Fatalf("score with the fitted model: exit %d\n%s%s", code, out, errOut)
	}

	// The same with topology features: the model then needs the file.
	topo := filepath.Join(dir, "t.json")
	if _, errOut, code := runPeerform(t, "model", "fit", "--repo", "../..", "--as-rel", rel, "--relationships", rel,
		"--out", topo, "--folds", "2"); code != exitOK {
		t.Fatalf("topology fit: exit %d %s", code, errOut)
	}
	if _, errOut, code := runPeerform(t, "score", "AS64502", "--repo", "../..", "--model", topo); code != exitError ||
		!strings.Contains(errOut, "relationships") {
		t.Errorf("topology model without relationships: exit %d %s", code, errOut)
	}
	// Hostile model files: not JSON, a directory, a symlink.
	writeFile(t, dir, "bad.json", []byte(`{"format_version": 1, "features": ["x"]}`))
	if err := os.Symlink(model, filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"bad.json", ".", "link.json", "missing.json"} {
		if _, errOut, code := runPeerform(t, "score", "AS64502", "--repo", "../..", "--model", filepath.Join(dir, bad)); code != exitError {
			t.Errorf("%s: exit %d %s", bad, code, errOut)
		}
	}
	for _, args := range [][]string{{"model"}, {"model", "fit"}, {"model", "fit", "--as-rel", rel, "--out", model, "--folds", "1"},
		{"model", "fit", "--as-rel", rel, "--out", model, "--exclude", "ASX"}} {
		if _, _, code := runPeerform(t, append(args, "--repo", "../..")...); code != exitError {
			t.Errorf("%v: exit %d, want %d", args, code, exitError)
		}
	}
}
