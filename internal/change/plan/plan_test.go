package plan

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/render"
)

const policy = `network {
  asn            = 64500
  name           = "Test Networks"
  prefixes       = ["198.51.100.0/24", "2001:db8:100::/48"]
  allow_peer_asn = ["documentation"]
}
ixp "IX-ONE" {
  ipv4_lan = "192.0.2.0/25"
  ipv6_lan = "2001:db8:ffff:1::/64"
}
ixp "IX-TWO" {
  ipv4_lan = "192.0.2.128/25"
  ipv6_lan = "2001:db8:ffff:2::/64"
}
router "r1" {
  platform = "bird2"
  host     = "r1.example.net"
  ixp "IX-ONE" {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
}
router "r2" {
  platform = "frr"
  host     = "r2.example.net"
  ixp "IX-TWO" {
    ipv4 = "192.0.2.129"
    ipv6 = "2001:db8:ffff:2::1"
  }
}
`

const peerA = `peer "AS64501" {
  name   = "Alpha"
  import = "AS-ALPHA"
  export = "AS64500"
  session "IX-ONE" {
    ipv4 = "192.0.2.11"
    ipv6 = "2001:db8:ffff:1::11"
  }
}
`

const peerB = `peer "AS64502" {
  name   = "Beta"
  import = "AS-BETA"
  export = "AS64500"
  session "IX-TWO" {
    ipv4 = "192.0.2.140"
  }
}
`

func renderFS(t *testing.T, files map[string]string) []render.Output {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, data := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(data)}
	}
	repo, diags := intent.Load(fsys)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	in := model.Inputs{IRR: map[bgp.ObjectRef]irr.Result{}}
	for _, ref := range model.ImportRefs(repo) {
		in.IRR[ref] = irr.Result{ASNs: []bgp.ASN{64501}, V4: []netip.Prefix{netip.MustParsePrefix("198.18.0.0/24")}}
	}
	m, _ := model.Build(repo, in)
	tm, err := render.DefaultTemplates()
	if err != nil {
		t.Fatal(err)
	}
	out, err := render.RenderAll(m, tm)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func routerPlan(t *testing.T, p *Plan, name string) Router {
	t.Helper()
	for _, r := range p.Routers {
		if r.Router == name {
			return r
		}
	}
	t.Fatalf("no plan for %s", name)
	return Router{}
}

func TestNewPeerAtOneIXP(t *testing.T) {
	base := renderFS(t, map[string]string{"policies/p.hcl": policy, "peers/AS64501.hcl": peerA})
	head := renderFS(t, map[string]string{"policies/p.hcl": policy, "peers/AS64501.hcl": peerA, "peers/AS64502.hcl": peerB})
	p := Compute(base, head, "base", "head")
	r1, r2 := routerPlan(t, p, "r1"), routerPlan(t, p, "r2")
	if r1.Action != NoOp || r1.Diff != "" {
		t.Errorf("r1 is not at the new peer's IXP but gets %s:\n%s", r1.Action, r1.Diff)
	}
	if r2.Action != Update || len(r2.Added) != 1 || len(r2.Removed) != 0 || len(r2.Changed) != 0 {
		t.Fatalf("r2: %s, %+v", r2.Action, r2)
	}
	if s := r2.Added[0]; s.PeerASN != 64502 || s.IXP != "IX-TWO" || s.Family != "ipv4" || s.Neighbor.String() != "192.0.2.140" {
		t.Errorf("added session %+v", s)
	}
	if got := r2.Summary(); got != "1 session added" {
		t.Errorf("summary %q", got)
	}
	for _, want := range []string{"+ neighbor 192.0.2.140 remote-as 64502", "+route-map AS64502_IX_TWO_V4_IN", "+ip prefix-list AS64502_V4"} {
		if !strings.Contains(r2.Diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, r2.Diff)
		}
	}
	for _, line := range strings.Split(r2.Diff, "\n") {
		if strings.HasPrefix(line, "-") && !strings.HasPrefix(line, "---") {
			t.Errorf("adding a peer removed a line: %q", line)
		}
	}
	if c := p.Counts(); c[Update] != 1 || c[NoOp] != 1 || !p.Changed() {
		t.Errorf("counts %v", c)
	}
}

func TestChangedAndRemovedSessions(t *testing.T) {
	changed := strings.Replace(peerA, `export = "AS64500"`, "export = \"AS64500\"\n  bfd = true\n  local_pref = 300\n  max_prefix {\n    ipv4 = 77\n  }", 1)
	changed = strings.Replace(changed, "    ipv6 = \"2001:db8:ffff:1::11\"\n", "", 1)
	base := renderFS(t, map[string]string{"policies/p.hcl": policy, "peers/AS64501.hcl": peerA})
	head := renderFS(t, map[string]string{"policies/p.hcl": policy, "peers/AS64501.hcl": changed})
	r1 := routerPlan(t, Compute(base, head, "base", "head"), "r1")
	if r1.Action != Update || len(r1.Removed) != 1 || len(r1.Changed) != 1 || len(r1.Added) != 0 {
		t.Fatalf("r1: %+v", r1)
	}
	if r1.Removed[0].Family != "ipv6" {
		t.Errorf("removed %+v, want the IPv6 session", r1.Removed[0])
	}
	got := strings.Join(r1.Changed[0].Changes, "; ")
	for _, want := range []string{"max-prefix 100 -> 77", "local-pref 100 -> 300", "BFD on"} {
		if !strings.Contains(got, want) {
			t.Errorf("changes %q lack %q", got, want)
		}
	}
}

func TestCreateAndDeleteRouters(t *testing.T) {
	base := renderFS(t, map[string]string{"policies/p.hcl": policy, "peers/AS64501.hcl": peerA})
	p := Compute(nil, base, "nothing", "head")
	for _, r := range p.Routers {
		if r.Action != Create || !strings.HasPrefix(r.Diff, "--- a/") {
			t.Errorf("%s: %s", r.Router, r.Action)
		}
	}
	p = Compute(base, nil, "base", "nothing")
	for _, r := range p.Routers {
		if r.Action != Delete || (r.Router == "r1" && len(r.Removed) != 2) {
			t.Errorf("%s: %s with %d removed", r.Router, r.Action, len(r.Removed))
		}
	}
	if p = Compute(base, base, "a", "b"); p.Changed() {
		t.Error("identical renderings give a change")
	}
}

func TestOutputs(t *testing.T) {
	base := renderFS(t, map[string]string{"policies/p.hcl": policy, "peers/AS64501.hcl": peerA})
	head := renderFS(t, map[string]string{"policies/p.hcl": policy, "peers/AS64501.hcl": peerA, "peers/AS64502.hcl": peerB})
	p := Compute(base, head, "HEAD~1 (abc1234)", "working tree")

	var text bytes.Buffer
	if err := p.WriteText(&text, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Plan: HEAD~1 (abc1234) -> working tree\n",
		"= r1 (bird2): no changes\n",
		"~ r2 (frr): 1 session added\n",
		"    + AS64502 Beta at IX-TWO, ipv4 192.0.2.140 (AS64502_IX_TWO_V4)\n",
		"Plan: 1 router to update, 1 unchanged.\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text output lacks %q:\n%s", want, text.String())
		}
	}

	var js bytes.Buffer
	if err := p.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion int            `json:"format_version"`
		Changed       bool           `json:"changed"`
		Summary       map[string]int `json:"summary"`
		Routers       []struct {
			Router  string            `json:"router"`
			Action  string            `json:"action"`
			Summary string            `json:"summary"`
			Added   []json.RawMessage `json:"sessions_added"`
			Removed []json.RawMessage `json:"sessions_removed"`
			Diff    *string           `json:"diff"`
		} `json:"routers"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.FormatVersion != FormatVersion || !doc.Changed || doc.Summary["update"] != 1 || doc.Summary["no_op"] != 1 || len(doc.Routers) != 2 {
		t.Fatalf("JSON %s", js.String())
	}
	if r := doc.Routers[1]; r.Action != "update" || r.Summary != "1 session added" || len(r.Added) != 1 || r.Removed == nil || r.Diff == nil {
		t.Errorf("router %+v", r)
	}
	if !strings.Contains(js.String(), `"sessions_removed": []`) {
		t.Error("empty lists must be [] in JSON, not null")
	}

	var none bytes.Buffer
	Compute(base, base, "a", "b").WriteText(&none, TextOptions{})
	if !strings.Contains(none.String(), "No changes: 2 routers as before.") {
		t.Errorf("no-change output:\n%s", none.String())
	}
}
