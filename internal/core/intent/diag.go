package intent

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Counts returns the number of errors and warnings in diags.
func Counts(diags hcl.Diagnostics) (errors, warnings int) {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Sorted returns diags ordered the way a reader walks the repository:
// those about no file first, then by file, line and column; otherwise in
// the order found.
func Sorted(diags hcl.Diagnostics) hcl.Diagnostics {
	out := slices.Clone(diags)
	slices.SortStableFunc(out, func(a, b *hcl.Diagnostic) int {
		switch {
		case a.Subject == nil || b.Subject == nil:
			return cmp.Compare(btoi(a.Subject != nil), btoi(b.Subject != nil))
		}
		return cmp.Or(cmp.Compare(a.Subject.Filename, b.Subject.Filename),
			cmp.Compare(a.Subject.Start.Line, b.Subject.Start.Line), cmp.Compare(a.Subject.Start.Column, b.Subject.Start.Column))
	})
	return out
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// maxSnippet bounds the source line shown under a diagnostic.
const maxSnippet = 160

// WriteText prints diagnostics sorted by file and position, each as
// "file:line:col: severity: summary: detail" (the form compilers use, which
// editors and CI jump to), then the source line with a caret under the
// column when files has it. Source text is shown with control and
// non-ASCII characters replaced, so a hostile file cannot drive the
// terminal. color makes the severity bold and coloured.
func WriteText(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, color bool) error {
	var b strings.Builder
	for _, d := range Sorted(diags) {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if color {
			code := "31"
			if sev == "warning" {
				code = "33"
			}
			sev = "\x1b[1;" + code + "m" + sev + "\x1b[0m"
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject == nil {
			fmt.Fprintf(&b, "%s: %s\n", sev, msg)
			continue
		}
		pos := d.Subject.Start
		fmt.Fprintf(&b, "%s:%d:%d: %s: %s\n", d.Subject.Filename, pos.Line, pos.Column, sev, msg)
		if f := files[d.Subject.Filename]; f != nil {
			if line, ok := sourceLine(f.Bytes, pos.Line); ok {
				fmt.Fprintf(&b, "%5d | %s\n      | %s^\n", pos.Line, line, strings.Repeat(" ", min(max(pos.Column-1, 0), len(line))))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// sourceLine is line n (from 1) of src, printable ASCII only, bounded.
func sourceLine(src []byte, n int) (string, bool) {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			return "", false
		}
		src = src[j+1:]
	}
	if j := bytes.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	if len(src) > maxSnippet {
		src = append(src[:maxSnippet:maxSnippet], "…"...)
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case r == '…' || r >= 0x20 && r < 0x7f:
			return r
		}
		return '?'
	}, string(src)), true
}

// JSONDiagnostic is the stable JSON shape of one diagnostic (the same shape
// `terraform validate -json` uses, so existing tooling reads it).
type JSONDiagnostic struct {
	Severity string     `json:"severity"`
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *JSONRange `json:"range,omitempty"`
}

// JSONRange locates a diagnostic; lines and columns start at 1.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is a position in a file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// ToJSON converts diagnostics to their JSON shape; the result is never nil.
func ToJSON(diags hcl.Diagnostics) []JSONDiagnostic {
	out := make([]JSONDiagnostic, 0, len(diags))
	for _, d := range diags {
		jd := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
		}
		if d.Subject != nil {
			jd.Range = &JSONRange{
				Filename: d.Subject.Filename,
				Start:    JSONPos{d.Subject.Start.Line, d.Subject.Start.Column, d.Subject.Start.Byte},
				End:      JSONPos{d.Subject.End.Line, d.Subject.End.Column, d.Subject.End.Byte},
			}
		}
		out = append(out, jd)
	}
	return out
}

// WriteJSON prints a validation result as one JSON document.
func WriteJSON(w io.Writer, diags hcl.Diagnostics) error {
	errs, warns := Counts(diags)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		FormatVersion string           `json:"format_version"`
		Valid         bool             `json:"valid"`
		ErrorCount    int              `json:"error_count"`
		WarningCount  int              `json:"warning_count"`
		Diagnostics   []JSONDiagnostic `json:"diagnostics"`
	}{"1.0", errs == 0, errs, warns, ToJSON(diags)})
}

// WriteGitHub prints one GitHub Actions workflow command per diagnostic
// (::error file=…,line=…,col=…::message), which Actions turns into
// annotations on the pull request's changed lines.
func WriteGitHub(w io.Writer, diags hcl.Diagnostics) error {
	for _, d := range diags {
		if _, err := io.WriteString(w, GitHubCommand(d)+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// GitHubCommand formats one diagnostic as a workflow command.
func GitHubCommand(d *hcl.Diagnostic) string {
	level := "error"
	if d.Severity == hcl.DiagWarning {
		level = "warning"
	}
	var props []string
	if s := d.Subject; s != nil && s.Filename != "" {
		props = append(props, "file="+escapeProperty(s.Filename))
		if s.Start.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", s.Start.Line), fmt.Sprintf("col=%d", s.Start.Column))
			if s.End.Line >= s.Start.Line {
				props = append(props, fmt.Sprintf("endLine=%d", s.End.Line))
				if s.End.Line == s.Start.Line && s.End.Column > s.Start.Column {
					props = append(props, fmt.Sprintf("endColumn=%d", s.End.Column))
				}
			}
		}
	}
	props = append(props, "title="+escapeProperty(d.Summary))
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + d.Detail
	}
	return "::" + level + " " + strings.Join(props, ",") + "::" + escapeData(msg)
}

// escapeData and escapeProperty follow the workflow command encoding of
// the Actions toolkit, so a message can never end the command early.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
