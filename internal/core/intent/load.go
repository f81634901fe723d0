package intent

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/peerform/peerform/internal/core/platform"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/templates"
)

// Directories of a peering repository.
const (
	PeersDir    = "peers"
	PoliciesDir = "policies"
	// TemplatesDir holds the repository's own templates, one folder per
	// platform, which replace the built-in ones.
	TemplatesDir = "templates"
)

// LoadDir loads the repository rooted at dir, reading only regular files
// inside it (repofs).
func LoadDir(dir string) (*Repo, hcl.Diagnostics) {
	return Load(repofs.Dir(dir))
}

// Load loads the repository whose root (holding peers/ and policies/) is
// fsys. File names in diagnostics are relative to that root, so they can be
// used as GitHub annotation paths directly. The returned Repo is never nil;
// when the diagnostics have errors it holds whatever was valid.
func Load(fsys fs.FS) (*Repo, hcl.Diagnostics) {
	l := &loader{parser: hclparse.NewParser(), ctx: evalContext()}
	peerFiles := l.list(fsys, PeersDir, false)
	policyFiles := l.list(fsys, PoliciesDir, true)

	var policies []*rawPolicyFile
	for _, name := range policyFiles {
		f := l.parse(fsys, name)
		if f == nil {
			continue
		}
		var raw rawPolicyFile
		l.diags = append(l.diags, gohcl.DecodeBody(f.Body, l.evalContext(name), &raw)...)
		policies = append(policies, &raw)
	}
	var peers []*rawPeer
	for _, name := range peerFiles {
		f := l.parse(fsys, name)
		if f == nil {
			continue
		}
		var raw rawPeerFile
		l.diags = append(l.diags, gohcl.DecodeBody(f.Body, l.evalContext(name), &raw)...)
		l.checkPeerFile(name, f, raw.Peers)
		peers = append(peers, raw.Peers...)
	}

	v := &validator{diags: l.diags, ctx: l.ctx, templated: func(p platform.Name) bool {
		return hasTemplates(templates.FS, string(p)) || hasTemplates(fsys, path.Join(TemplatesDir, string(p)))
	}}
	repo := v.build(policies, peers)
	repo.Files = l.parser.Files()
	return repo, capPerFile(dedupe(v.diags), MaxFileDiagnostics)
}

// hasTemplates reports whether fsys has a dir/*.tmpl file.
func hasTemplates(fsys fs.FS, dir string) bool {
	names, err := fs.Glob(fsys, path.Join(dir, "*.tmpl"))
	return err == nil && len(names) > 0
}

// evalContext is what a file's values are evaluated with. JSON strings
// are templates only when evaluated with a context, so JSON files get
// none: their values are literal, as in native files (checkLiterals).
func (l *loader) evalContext(name string) *hcl.EvalContext {
	if strings.HasSuffix(name, ".json") {
		return nil
	}
	return l.ctx
}

type loader struct {
	parser *hclparse.Parser
	ctx    *hcl.EvalContext
	diags  hcl.Diagnostics
	nfiles int
}

// list returns the HCL files directly inside dir, sorted. Other files
// (a README, say) are ignored; subdirectories are reported, since a peer
// file placed in one would silently not be deployed.
func (l *loader) list(fsys fs.FS, dir string, required bool) []string {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if required {
				l.diags = append(l.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Missing policies directory",
					Detail:   "A peering repository needs a policies/ directory with at least a network block describing our own network.",
				})
			}
			return nil
		}
		l.diags = append(l.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read " + dir, Detail: err.Error()})
		return nil
	}
	var names []string
	for _, e := range entries {
		name := path.Join(dir, e.Name())
		if e.IsDir() {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Subdirectory ignored",
				Detail:   fmt.Sprintf("%s is a directory; only files directly in %s/ are read.", name, dir),
				Subject:  &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
			})
			continue
		}
		if !isHCL(e.Name()) {
			continue
		}
		// Checked before anything is opened: a symbolic link may point
		// anywhere (/proc/self/environ), and opening a FIFO blocks.
		if !e.Type().IsRegular() {
			l.diags = append(l.diags, fileDiag(name, hcl.InitialPos, "Not a regular file",
				fmt.Sprintf("%s is %s; files in %s/ must be regular files, so it is not read. Replace it with the file itself.", name, describeType(e.Type()), dir)))
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// describeType names a file type that is not a regular file.
func describeType(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

func isHCL(name string) bool {
	return strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".hcl.json")
}

// parse reads and parses one file after the checks the HCL parser does not
// do: size, encoding and nesting depth. It returns nil when the file cannot
// be parsed at all.
func (l *loader) parse(fsys fs.FS, name string) *hcl.File {
	l.nfiles++
	if l.nfiles > MaxFiles {
		if l.nfiles == MaxFiles+1 {
			l.diags = append(l.diags, fileDiag(name, hcl.InitialPos, "Too many files",
				fmt.Sprintf("A repository may hold at most %d HCL files; the rest are not read.", MaxFiles)))
		}
		return nil
	}
	src, err := readBounded(fsys, name)
	if err != nil {
		l.diags = append(l.diags, fileDiag(name, hcl.InitialPos, "Cannot read file", err.Error()))
		return nil
	}
	if d := checkSource(name, src); d != nil {
		l.diags = append(l.diags, d)
		return nil
	}
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(name, ".json") {
		f, diags = l.parser.ParseJSON(src, name)
	} else {
		f, diags = l.parser.ParseHCL(src, name)
	}
	l.diags = append(l.diags, diags...)
	if diags.HasErrors() {
		return nil
	}
	if diags := checkLiterals(f.Body); diags.HasErrors() {
		l.diags = append(l.diags, diags...)
		return nil
	}
	return f
}

// checkSource applies the checks every file gets before a parser sees it:
// UTF-8, bounded nesting and a bounded number of values (size is bounded
// when reading).
func checkSource(name string, src []byte) *hcl.Diagnostic {
	if len(src) > MaxFileBytes {
		return fileDiag(name, hcl.InitialPos, "File too large", (&tooLargeError{int64(len(src))}).Error())
	}
	if pos, ok := firstInvalidUTF8(src); !ok {
		return fileDiag(name, pos, "File is not UTF-8",
			"HCL files must be UTF-8 encoded; convert the file (for example with iconv) and try again.")
	}
	switch pos, problem := scanSource(src); problem {
	case tooDeep:
		return fileDiag(name, pos, "Nesting too deep",
			fmt.Sprintf("Brackets, braces and template interpolations may be nested at most %d levels deep.", MaxNesting))
	case tooMany:
		return fileDiag(name, pos, "Too many values",
			fmt.Sprintf("A file may hold at most %d values (attributes and list or object items) in all.", MaxItems))
	}
	return nil
}

type tooLargeError struct{ size int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("the file is %d bytes; HCL files may be at most %d bytes", e.size, MaxFileBytes)
}

// readBounded reads a whole file, refusing anything over MaxFileBytes
// without reading it into memory.
func readBounded(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileBytes {
		return nil, &tooLargeError{st.Size()}
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxFileBytes {
		return nil, &tooLargeError{int64(len(src))}
	}
	return src, nil
}

func fileDiag(name string, pos hcl.Pos, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  &hcl.Range{Filename: name, Start: pos, End: pos},
	}
}

// firstInvalidUTF8 reports the position of the first byte that is not valid
// UTF-8.
func firstInvalidUTF8(src []byte) (hcl.Pos, bool) {
	pos := hcl.InitialPos
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 {
			pos.Byte = i
			return pos, false
		}
		advance(&pos, r)
		i += size
	}
	return pos, true
}

func advance(pos *hcl.Pos, r rune) {
	if r == '\n' {
		pos.Line++
		pos.Column = 1
	} else {
		pos.Column++
	}
}

// checkPeerFile enforces one peer per file, named after the file.
func (l *loader) checkPeerFile(name string, f *hcl.File, peers []*rawPeer) {
	base := path.Base(name)
	want := strings.TrimSuffix(strings.TrimSuffix(base, ".json"), ".hcl")
	if len(peers) == 0 {
		l.diags = append(l.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No peer block",
			Detail:   fmt.Sprintf("A file in peers/ holds exactly one block: peer %q { … }.", want),
			Subject:  &hcl.Range{Filename: name, Start: hcl.InitialPos, End: hcl.InitialPos},
		})
		return
	}
	for i, p := range peers {
		if i > 0 {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "More than one peer in a file",
				Detail:   fmt.Sprintf("Each peer gets its own file named after it; move peer %q to peers/%s.hcl.", p.Label, p.Label),
				Subject:  p.DefRange.Ptr(),
			})
			continue
		}
		if p.Label != want {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Peer label does not match the file name",
				Detail:   fmt.Sprintf("The file %s must declare peer %q, not %q; rename the file or fix the label.", name, want, p.Label),
				Subject:  p.LabelRange.Ptr(),
			})
		}
	}
}

// capPerFile keeps the first max diagnostics of each file and says how
// many more there are: a file crafted to hold thousands of mistakes must
// not cost thousands of source snippets (each one a scan of the file).
func capPerFile(diags hcl.Diagnostics, max int) hcl.Diagnostics {
	count := map[string]int{}
	out := diags[:0:0]
	for _, d := range diags {
		if d.Subject == nil {
			out = append(out, d)
			continue
		}
		if count[d.Subject.Filename]++; count[d.Subject.Filename] <= max {
			out = append(out, d)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(count)) {
		if n := count[name] - max; n > 0 {
			out = append(out, fileDiag(name, hcl.InitialPos, "More problems not shown",
				fmt.Sprintf("%s has %d more problems; fix the ones shown and run again.", name, n)))
		}
	}
	return out
}

// dedupe drops diagnostics that repeat an earlier one at the same place,
// which HCL produces for some expression errors.
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	seen := map[string]bool{}
	out := diags[:0]
	for _, d := range diags {
		key := d.Summary
		if d.Subject != nil {
			key += "@" + d.Subject.String()
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, d)
	}
	return out
}
