package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"sort"
	"strings"
	"text/template"

	"github.com/peerform/peerform/internal/core/platform"
	"github.com/peerform/peerform/templates"
)

// EntryTemplate is the template each platform folder must define; it
// prints a router's whole configuration. Other *.tmpl files in the folder
// may define templates it calls.
const EntryTemplate = "router"

// MaxTemplateBytes bounds one template file, so a --templates directory
// cannot make rendering read something huge.
const MaxTemplateBytes = 1 << 20

// MaxConfigBytes bounds one rendered configuration: templates can come
// from a repository, as untrusted as the rest of it, and a loop must not
// fill the memory.
const MaxConfigBytes = 64 << 20

// ErrNoTemplates is returned for a platform without templates.
var ErrNoTemplates = errors.New("no templates for platform")

// Templates holds one parsed template set per platform.
type Templates struct {
	sets map[platform.Name]*template.Template
}

// DefaultTemplates returns the templates built into the binary.
func DefaultTemplates() (*Templates, error) {
	return LoadTemplates(templates.FS)
}

// LoadTemplates parses <platform>/*.tmpl for every top-level folder of
// fsys. Each folder must be named for a platform and define the "router"
// template; a netconf folder is refused, since that platform is built in.
func LoadTemplates(fsys fs.FS) (*Templates, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	t := &Templates{sets: map[platform.Name]*template.Template{}}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p, err := platform.Parse(e.Name())
		if err != nil {
			return nil, fmt.Errorf("templates: %s/: %w", e.Name(), err)
		}
		if !p.Templated() {
			return nil, fmt.Errorf("templates: %s/: the %s platform is built in, not templated (see docs/netconf.md)", p, p)
		}
		set, err := loadPlatform(fsys, p)
		if err != nil {
			return nil, err
		}
		if set != nil {
			t.sets[p] = set
		}
	}
	if len(t.sets) == 0 {
		return nil, fmt.Errorf("templates: no <platform>/*.tmpl files found")
	}
	return t, nil
}

func loadPlatform(fsys fs.FS, p platform.Name) (*template.Template, error) {
	names, err := fs.Glob(fsys, path.Join(string(p), "*.tmpl"))
	if err != nil || len(names) == 0 {
		return nil, err
	}
	sort.Strings(names)
	set := template.New(string(p)).Funcs(funcs()).Option("missingkey=error")
	for _, name := range names {
		info, err := fs.Stat(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		if info.Size() > MaxTemplateBytes {
			return nil, fmt.Errorf("templates: %s is larger than %d bytes", name, MaxTemplateBytes)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
		if _, err := set.New(path.Base(name)).Parse(string(b)); err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
	}
	if set.Lookup(EntryTemplate) == nil {
		return nil, fmt.Errorf("templates: %s does not define {{define %q}}", p, EntryTemplate)
	}
	return set, nil
}

// Override returns templates that render o's platforms with o and every
// other platform with t: a repository's own templates/ folder replaces the
// built-in templates of the platforms it has.
func (t *Templates) Override(o *Templates) *Templates {
	out := &Templates{sets: maps.Clone(t.sets)}
	maps.Copy(out.sets, o.sets)
	return out
}

// Platforms lists the platforms that can be rendered, in platform.All's
// order: those with templates and the built-in netconf.
func (t *Templates) Platforms() []platform.Name {
	var out []platform.Name
	for _, p := range platform.All {
		if t.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Has reports whether a platform can be rendered.
func (t *Templates) Has(p platform.Name) bool {
	return t.sets[p] != nil || (p.Valid() && !p.Templated())
}

// Execute prints a view with its platform's templates, or builds the
// netconf payload.
func (t *Templates) Execute(v *View) ([]byte, error) {
	if v.Platform == platform.NETCONF {
		return netconfPayload(v)
	}
	set := t.sets[v.Platform]
	if set == nil {
		return nil, fmt.Errorf("%w %q (router %s)", ErrNoTemplates, v.Platform, v.Router)
	}
	b := &boundedBuffer{max: MaxConfigBytes}
	if err := set.ExecuteTemplate(b, EntryTemplate, v); err != nil {
		return nil, fmt.Errorf("router %s: %w", v.Router, err)
	}
	return b.Bytes(), nil
}

// boundedBuffer is a bytes.Buffer that refuses to grow past max bytes,
// which stops the template that writes them.
type boundedBuffer struct {
	bytes.Buffer
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, fmt.Errorf("the config is larger than %d bytes", b.max)
	}
	return b.Buffer.Write(p)
}
