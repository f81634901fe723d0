package plan

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/core/intent"
)

func loadRepo(t *testing.T, files map[string]string) *intent.Repo {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	repo, diags := intent.Load(fsys)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return repo
}

func peerFile(asn, status string) string {
	s := "peer \"" + asn + "\" {\n  name = \"P\"\n  import = \"" + asn + "\"\n  export = \"AS64500\"\n"
	if status != "" {
		s += "  status = \"" + status + "\"\n"
	}
	return s + "}\n"
}

func TestStatuses(t *testing.T) {
	base := loadRepo(t, map[string]string{
		"policies/p.hcl":    policy,
		"peers/AS64501.hcl": peerFile("AS64501", ""),
		"peers/AS64502.hcl": peerFile("AS64502", "decommissioning"),
		"peers/AS64503.hcl": peerFile("AS64503", ""),
		"peers/AS64510.hcl": peerFile("AS64510", ""),
	})
	head := loadRepo(t, map[string]string{
		"policies/p.hcl": strings.Replace(strings.Replace(policy, "  host     = \"r2.example.net\"\n", "  host     = \"r2.example.net\"\n  status = \"maintenance\"\n", 1),
			"  ipv4_lan = \"192.0.2.0/25\"\n", "  ipv4_lan = \"192.0.2.0/25\"\n  status = \"maintenance\"\n", 1),
		"peers/AS64501.hcl": peerFile("AS64501", "maintenance"),
		"peers/AS64504.hcl": peerFile("AS64504", "requested"),
		"peers/AS64510.hcl": peerFile("AS64510", ""),
	})
	got := Statuses(base, head)
	var lines []string
	for _, c := range got {
		lines = append(lines, c.Line())
	}
	want := []string{
		"peer AS64501: active -> maintenance (sessions drained: GRACEFUL_SHUTDOWN to the peer, local-pref 0)",
		"peer AS64502: decommissioning -> none (file removed: its configuration is removed)",
		"peer AS64503: active -> none (file removed: its configuration is removed); removed without status = \"decommissioning\" first: live sessions are torn down by the config removal instead of being shut down and checked",
		"peer AS64504: none -> requested (tracked and scored, nothing configured yet)",
		"router r2: active -> maintenance (every session drained: GRACEFUL_SHUTDOWN to the peers, local-pref 0)",
		"ixp IX-ONE: active -> maintenance (every session drained: GRACEFUL_SHUTDOWN to the peers, local-pref 0)",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("status changes:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if len(Statuses(head, head)) != 0 {
		t.Errorf("a state compared with itself has status changes")
	}
	var text bytes.Buffer
	if err := (&Plan{Statuses: got}).WriteText(&text, TextOptions{}); err != nil || !strings.Contains(text.String(), "Status changes:\n  peer AS64501: active -> maintenance") {
		t.Errorf("plan text (%v):\n%s", err, text.String())
	}
}
