package review

import (
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/core/intent"
)

func TestMarkdownStatuses(t *testing.T) {
	r := Build(Inputs{Base: "a", Head: "b", Statuses: []plan.StatusChange{
		{Kind: "router", Name: "ams-edge1", From: intent.StatusActive, To: intent.StatusMaintenance, Effect: "every session drained"},
		{Kind: "peer", Name: "AS64503", From: intent.StatusActive, Effect: "file removed", Warning: "removed without decommissioning | first"},
	}})
	md := Markdown(r, 0)
	for _, want := range []string{
		"#### Status changes (2)",
		"| router `ams-edge1` | `active` | `maintenance` | every session drained |",
		"| peer `AS64503` | `active` | _none_ | file removed ⚠️ removed without decommissioning \\| first |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the comment lacks %q:\n%s", want, md)
		}
	}
	if md := Markdown(Build(Inputs{Base: "a", Head: "b"}), 0); strings.Contains(md, "Status changes") {
		t.Errorf("a section without status changes")
	}
}
