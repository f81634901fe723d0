package render

import (
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// TestOverride: a repository's own platform folder replaces the built-in
// templates of that platform only.
func TestOverride(t *testing.T) {
	own, err := LoadTemplates(fstest.MapFS{"frr/router.tmpl": {Data: []byte(`{{define "router"}}own {{.Router}}{{end}}`)}})
	if err != nil {
		t.Fatal(err)
	}
	tm := defaultTemplates(t).Override(own)
	m := loadCase(t, filepath.Join("testdata", "shutdown"))
	frr, err := Render(withPlatform(m, "frr"), "r1", tm)
	if err != nil || string(frr) != "own r1" {
		t.Errorf("frr = %q, %v", frr, err)
	}
	bird, err := Render(withPlatform(m, "bird2"), "r1", tm)
	if err != nil || !strings.Contains(string(bird), "protocol bgp") {
		t.Errorf("bird2 is not the built-in: %q, %v", bird, err)
	}
	if b, _ := Render(withPlatform(m, "frr"), "r1", defaultTemplates(t)); string(b) == "own r1" {
		t.Error("Override changed the templates it started from")
	}
}

// TestConfigBounded: a template that would write without end is stopped
// at MaxConfigBytes.
func TestConfigBounded(t *testing.T) {
	loop := `{{define "router"}}{{range 1000000}}{{range 1000}}` + strings.Repeat("x", 100) + `{{end}}{{end}}{{end}}`
	tm, err := LoadTemplates(fstest.MapFS{"frr/router.tmpl": {Data: []byte(loop)}})
	if err != nil {
		t.Fatal(err)
	}
	m := withPlatform(loadCase(t, filepath.Join("testdata", "shutdown")), "frr")
	if _, err := Render(m, "r1", tm); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v", err)
	}
}
