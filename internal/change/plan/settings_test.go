package plan

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
)

func loadPolicy(t *testing.T, src string) *intent.Repo {
	t.Helper()
	repo, diags := intent.Load(fstest.MapFS{"policies/p.hcl": {Data: []byte(src)}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return repo
}

func TestManagement(t *testing.T) {
	base := loadPolicy(t, policy+"deploy {\n  parallel = 1\n}\n")
	changed := strings.NewReplacer(
		`host     = "r1.example.net"`, "host     = \"r1.attacker.example\"\n  password_env = \"PEERFORM_SECRET_R1\"\n  environment = \"lab\"\n  port = 2222",
		"parallel = 1", "parallel = 2",
	).Replace(policy + "deploy {\n  parallel = 1\n}\n")
	head := loadPolicy(t, changed+"router \"r3\" {\n  platform = \"eos\"\n  host = \"r3\"\n}\n")
	routers, deploy := Management(base, head, "production")
	want := []RouterSettings{
		{Router: "r1", LeavesEnvironment: "production", Changes: []Setting{
			{"environment", "production", "lab"}, {"host", "r1.example.net", "r1.attacker.example"},
			{"port", "22", "2222"}, {"password_env", "", "PEERFORM_SECRET_R1"},
		}},
		{Router: "r3", Changes: []Setting{
			{"platform", "", "eos"}, {"environment", "", "production"}, {"host", "", "r3"}, {"port", "", "22"},
			{"transport", "", "ssh"}, {"user", "", "peerform"},
		}},
	}
	if !reflect.DeepEqual(routers, want) {
		t.Errorf("routers =\n%+v\nwant\n%+v", routers, want)
	}
	if !reflect.DeepEqual(deploy, []Setting{{"parallel", "1", "2"}}) {
		t.Errorf("deploy = %+v", deploy)
	}
	if r, d := Management(base, base, "production"); len(r)+len(d) != 0 {
		t.Errorf("no change gives %v %v", r, d)
	}

	// The plan shows them, in text and JSON, and counts them as changes.
	p := &Plan{Base: "a", Head: "b", Management: routers, DeployPolicy: deploy,
		DataChanges: []DataChange{{Source: "IRR", Old: "snapshot a.rpsl", New: "snapshot a.rpsl", Details: []string{"route objects 1 -> 3 (+2)"}, Affects: []bgp.ASN{64501, 6939}}}}
	if !p.Changed() {
		t.Error("a management change is not a change")
	}
	var text, js bytes.Buffer
	if err := p.WriteText(&text, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"  r1:\n    ~ environment: \"production\" -> \"lab\"\n",
		"    ~ password_env: (unset) -> \"PEERFORM_SECRET_R1\"\n",
		"    ! leaves environment production: deploy --env production no longer manages it\n",
		"  deploy policy:\n    ~ parallel: \"1\" -> \"2\"\n",
		"Data changed:\n  IRR snapshot a.rpsl, route objects 1 -> 3 (+2); affects AS64501, AS6939\n",
	} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("text lacks %q:\n%s", w, text.String())
		}
	}
	if err := p.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion int              `json:"format_version"`
		Changed       bool             `json:"changed"`
		Management    []RouterSettings `json:"management"`
		DataChanges   []DataChange     `json:"data_changes"`
		BaseData      []Source         `json:"data_base"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil || doc.FormatVersion != 2 || !doc.Changed || len(doc.Management) != 2 ||
		doc.DataChanges[0].Affects[0] != 64501 || doc.BaseData == nil {
		t.Errorf("JSON %v:\n%s", err, js.String())
	}
}

func TestDataChangeLine(t *testing.T) {
	c := DataChange{Source: "RPKI", Old: "data/rpki/vrps.json", New: "none", Details: []string{"VRPs 9 -> 0 (-9)"}}
	if got := c.Line(); got != "RPKI data/rpki/vrps.json -> none, VRPs 9 -> 0 (-9); affects no peer" {
		t.Errorf("Line() = %q", got)
	}
}
