package review

import (
	"fmt"
	"io"
	"strings"
)

// WriteWorkflowCommands prints findings as GitHub Actions workflow commands
// (::error file=…,line=…::message), which the runner shows as annotations
// without needing any token. Messages are escaped so that text from a pull
// request can never start a command of its own.
func WriteWorkflowCommands(w io.Writer, findings []Finding) error {
	for i, f := range findings {
		if i == MaxAnnotations {
			break
		}
		var props []string
		if f.File != "" {
			props = append(props, "file="+escapeProperty(f.File))
			if f.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", f.Line))
				if f.EndLine >= f.Line {
					props = append(props, fmt.Sprintf("endLine=%d", f.EndLine))
				}
				if f.Col > 0 && (f.EndLine == 0 || f.EndLine == f.Line) {
					props = append(props, fmt.Sprintf("col=%d", f.Col))
					if f.EndCol >= f.Col {
						props = append(props, fmt.Sprintf("endColumn=%d", f.EndCol))
					}
				}
			}
		}
		if t := oneLine(f.Title); t != "" {
			props = append(props, "title="+escapeProperty(bounded(t, 255)))
		}
		msg := firstNonEmpty(f.Message, f.Title)
		line := "::" + f.Severity.String()
		if len(props) > 0 {
			line += " " + strings.Join(props, ",")
		}
		line += "::" + escapeData(bounded(msg, 4000)) + "\n"
		if _, err := io.WriteString(w, line); err != nil {
			return err
		}
	}
	return nil
}

// escapeData escapes a command's message as the Actions runner expects.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a command property value, which additionally
// must not contain the ':' and ',' that delimit properties.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
