package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// FormatVersion is the version of the JSON output; it changes only when a
// field changes meaning or disappears.
const FormatVersion = 2

// TextOptions tune the human output.
type TextOptions struct {
	// NoDiff leaves the config diffs out: summaries and sessions only.
	NoDiff bool
	// Color marks additions and removals with ANSI colors (terminals).
	Color bool
}

// WriteText prints the plan for people: a line per router with its
// action and summary, the sessions added, removed and changed, the diff,
// and a closing count, like "Plan: 1 router to update, 1 unchanged."
func (p *Plan) WriteText(w io.Writer, opts TextOptions) error {
	ew := &errWriter{w: w}
	ew.printf("Plan: %s -> %s\n", p.Base, p.Head)
	for _, r := range p.Routers {
		ew.printf("\n%s %s (%s): %s\n", r.Action.Symbol(), r.Router, r.Platform, r.Summary())
		for _, s := range r.Added {
			ew.printf("    + %s\n", sessionLine(s))
		}
		for _, s := range r.Removed {
			ew.printf("    - %s\n", sessionLine(s))
		}
		for _, s := range r.Changed {
			ew.printf("    ~ %s: %s\n", sessionLine(s), strings.Join(s.Changes, ", "))
		}
		if r.Diff != "" && !opts.NoDiff {
			ew.printf("\n")
			for _, line := range strings.SplitAfter(strings.TrimSuffix(r.Diff, "\n"), "\n") {
				ew.printf("    %s", colorize(line, opts.Color))
			}
			ew.printf("\n")
		}
	}
	if len(p.Management) > 0 || len(p.DeployPolicy) > 0 {
		ew.printf("\nManagement (how routers are reached and deployed; no config shows this):\n")
		for _, r := range p.Management {
			ew.printf("  %s:\n", r.Router)
			for _, c := range r.Changes {
				ew.printf("    %s\n", settingLine(c))
			}
			if r.LeavesEnvironment != "" {
				ew.printf("    ! leaves environment %s: deploy --env %s no longer manages it\n", r.LeavesEnvironment, r.LeavesEnvironment)
			}
		}
		if len(p.DeployPolicy) > 0 {
			ew.printf("  deploy policy:\n")
			for _, c := range p.DeployPolicy {
				ew.printf("    %s\n", settingLine(c))
			}
		}
	}
	if len(p.Statuses) > 0 {
		ew.printf("\nStatus changes:\n")
		for _, c := range p.Statuses {
			ew.printf("  %s\n", c.Line())
		}
	}
	if len(p.DataChanges) > 0 {
		ew.printf("\nData changed:\n")
		for _, c := range p.DataChanges {
			ew.printf("  %s\n", c.Line())
		}
	}
	ew.printf("\n%s\n", p.countLine())
	if slices.Equal(p.BaseData, p.Data) {
		ew.printf("Data: %s.\n", sourcesLine(p.Data))
	} else {
		ew.printf("Data: base %s; head %s.\n", sourcesLine(p.BaseData), sourcesLine(p.Data))
	}
	return ew.err
}

func settingLine(c Setting) string {
	return fmt.Sprintf("~ %s: %s -> %s", c.Name, settingValue(c.Old), settingValue(c.New))
}

func settingValue(v string) string {
	if v == "" {
		return "(unset)"
	}
	return fmt.Sprintf("%q", v)
}

func sourcesLine(ss []Source) string {
	if len(ss) == 0 {
		return "none"
	}
	parts := make([]string, len(ss))
	for i, d := range ss {
		parts[i] = d.Name + " " + d.Version
	}
	return strings.Join(parts, ", ")
}

func sessionLine(s Session) string {
	return fmt.Sprintf("%s at %s, %s %s (%s)", s.Peer, s.IXP, s.Family, s.Neighbor, s.Name)
}

func colorize(line string, on bool) string {
	if !on {
		return line
	}
	nl := ""
	if strings.HasSuffix(line, "\n") {
		line, nl = strings.TrimSuffix(line, "\n"), "\n"
	}
	switch {
	case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
		return "\x1b[1m" + line + "\x1b[0m" + nl
	case strings.HasPrefix(line, "+"):
		return "\x1b[32m" + line + "\x1b[0m" + nl
	case strings.HasPrefix(line, "-"):
		return "\x1b[31m" + line + "\x1b[0m" + nl
	case strings.HasPrefix(line, "@@"):
		return "\x1b[36m" + line + "\x1b[0m" + nl
	}
	return line + nl
}

func (p *Plan) countLine() string {
	c := p.Counts()
	if !p.Changed() {
		return fmt.Sprintf("No changes: %d %s as before.", c[NoOp], routers(c[NoOp]))
	}
	var parts []string
	for _, a := range []Action{Create, Update, Delete} {
		if c[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s to %s", c[a], routers(c[a]), a))
		}
	}
	if c[NoOp] > 0 {
		parts = append(parts, fmt.Sprintf("%d unchanged", c[NoOp]))
	}
	return "Plan: " + strings.Join(parts, ", ") + "."
}

func routers(n int) string {
	if n == 1 {
		return "router"
	}
	return "routers"
}

// WriteJSON prints the plan for scripts. Lists are never null.
func (p *Plan) WriteJSON(w io.Writer) error {
	c := p.Counts()
	doc := struct {
		FormatVersion int     `json:"format_version"`
		Changed       bool    `json:"changed"`
		Summary       summary `json:"summary"`
		Plan
	}{FormatVersion, p.Changed(), summary{Create: c[Create], Update: c[Update], Delete: c[Delete], NoOp: c[NoOp]}, *p}
	nonNil(&doc.Routers)
	nonNil(&doc.BaseData)
	nonNil(&doc.Data)
	nonNil(&doc.DataChanges)
	nonNil(&doc.Management)
	nonNil(&doc.DeployPolicy)
	nonNil(&doc.Statuses)
	for i := range doc.DataChanges {
		nonNil(&doc.DataChanges[i].Details)
		nonNil(&doc.DataChanges[i].Affects)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// nonNil makes a nil list an empty one, so that JSON never has null.
func nonNil[T any](s *[]T) {
	if *s == nil {
		*s = []T{}
	}
}

type summary struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
	NoOp   int `json:"no_op"`
}

// MarshalJSON adds the summary line to each router.
func (r Router) MarshalJSON() ([]byte, error) {
	type plain Router
	return json.Marshal(struct {
		plain
		Summary string `json:"summary"`
	}{plain(r), r.Summary()})
}

// errWriter keeps the first write error so printing code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
