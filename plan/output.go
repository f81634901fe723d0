package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// FormatVersion is the version of the JSON output; it changes only when a
// field changes meaning or disappears.
const FormatVersion = 1

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
	ew.printf("\n%s\n", p.countLine())
	if len(p.Data) > 0 {
		var parts []string
		for _, d := range p.Data {
			parts = append(parts, d.Name+" "+d.Version)
		}
		ew.printf("Data: %s.\n", strings.Join(parts, "; "))
	}
	return ew.err
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
		FormatVersion int      `json:"format_version"`
		Base          string   `json:"base"`
		Head          string   `json:"head"`
		Changed       bool     `json:"changed"`
		Summary       summary  `json:"summary"`
		Routers       []Router `json:"routers"`
		Data          []Source `json:"data"`
	}{FormatVersion, p.Base, p.Head, p.Changed(),
		summary{Create: c[Create], Update: c[Update], Delete: c[Delete], NoOp: c[NoOp]}, p.Routers, p.Data}
	if doc.Routers == nil {
		doc.Routers = []Router{}
	}
	if doc.Data == nil {
		doc.Data = []Source{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
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
