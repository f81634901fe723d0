package review

import (
	"fmt"
	"strings"

	"github.com/peerform/peerform/internal/change/plan"
)

// renderStatuses shows the lifecycle changes as a table: what each one
// does on the routers, and a warning where a step was skipped.
func renderStatuses(b *strings.Builder, changes []plan.StatusChange) {
	if len(changes) == 0 {
		return
	}
	fmt.Fprintf(b, "#### Status changes (%d)\n\n", len(changes))
	b.WriteString("| | Base | Head | Effect |\n|---|---|---|---|\n")
	for i, c := range changes {
		if i == maxListed {
			fmt.Fprintf(b, "\n_…and %d more; run `peerform plan` to see them._\n", len(changes)-i)
			break
		}
		effect := text(c.Effect)
		if c.Warning != "" {
			effect += " ⚠️ " + text(c.Warning)
		}
		fmt.Fprintf(b, "| %s %s | %s | %s | %s |\n", text(c.Kind), code(c.Name), statusCell(string(c.From)), statusCell(string(c.To)), effect)
	}
	b.WriteString("\n")
}

func statusCell(s string) string {
	if s == "" {
		return "_none_"
	}
	return code(s)
}
