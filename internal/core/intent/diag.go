package intent

import (
	"encoding/json"
	"fmt"
	"io"
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

// WriteText prints diagnostics the way HCL tools do: summary, location,
// the source lines with the problem underlined, and the detail.
func WriteText(w io.Writer, diags hcl.Diagnostics, files map[string]*hcl.File, color bool) error {
	return hcl.NewDiagnosticTextWriter(w, files, 100, color).WriteDiagnostics(diags)
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
