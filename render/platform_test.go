package render

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/core/platform"
)

// TestWhatValidatesRenders: a router of every platform either validates
// and renders with the built-in templates, or is refused by validation at
// its platform line; SR OS, which has no built-in templates, validates
// once the repository brings its own, and then renders with them.
func TestWhatValidatesRenders(t *testing.T) {
	const sros = `{{define "router"}}# {{.Router}} ({{.Platform}}), AS{{.ASN}}
{{end}}`
	line := strings.Count(fuzzPolicy[:strings.Index(fuzzPolicy, `platform  = "bird2"`)], "\n") + 1
	for _, p := range platform.All {
		for _, own := range []bool{false, true} {
			fsys := fstest.MapFS{"policies/policy.hcl": {Data: []byte(strings.Replace(fuzzPolicy, `platform  = "bird2"`, `platform  = "`+string(p)+`"`, 1))}}
			if own {
				fsys["templates/sros/router.tmpl"] = &fstest.MapFile{Data: []byte(sros)}
			}
			repo, diags := intent.Load(fsys)
			if p == platform.SROS && !own {
				if len(diags) != 1 || diags[0].Summary != "No templates for this platform" || diags[0].Subject == nil ||
					diags[0].Subject.Filename != "policies/policy.hcl" || diags[0].Subject.Start.Line != line {
					t.Errorf("sros without templates: %v", diags)
				}
				continue
			}
			if diags.HasErrors() {
				t.Errorf("%s (own templates %v): %v", p, own, diags)
				continue
			}
			m, _ := model.Build(repo, model.Inputs{})
			tm := defaultTemplates(t)
			if own {
				sub, err := fs.Sub(fsys, intent.TemplatesDir)
				if err != nil {
					t.Fatal(err)
				}
				mine, err := LoadTemplates(sub)
				if err != nil {
					t.Fatal(err)
				}
				tm = tm.Override(mine)
			}
			out, err := Render(m, "r1", tm)
			if err != nil {
				t.Errorf("%s (own templates %v): validated but does not render: %v", p, own, err)
			}
			if p == platform.SROS && string(out) != "# r1 (sros), AS64500\n" {
				t.Errorf("sros rendered %q", out)
			}
		}
	}
}

// TestTemplateFolders: a templates folder must be named for a templated
// platform.
func TestTemplateFolders(t *testing.T) {
	tmpl := &fstest.MapFile{Data: []byte(`{{define "router"}}x{{end}}`)}
	for dir, want := range map[string]string{"cisco": `unknown platform "cisco"`, "netconf": "built in", "sros": ""} {
		tm, err := LoadTemplates(fstest.MapFS{dir + "/router.tmpl": tmpl})
		if want == "" {
			if err != nil || !tm.Has(platform.SROS) {
				t.Errorf("%s/: %v", dir, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s/: %v, want an error with %q", dir, err, want)
		}
	}
	if got := defaultTemplates(t).Platforms(); len(got) != len(platform.All)-1 || got[len(got)-1] != platform.NETCONF {
		t.Errorf("built-in platforms %v: want every platform but sros", got)
	}
}
