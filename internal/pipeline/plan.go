package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/render"
)

// PlanResult is a plan and what was learnt making it.
type PlanResult struct {
	// Plan is nil when the new state does not validate or its data cannot
	// be read.
	Plan *plan.Plan
	// Diagnostics are the new state's validation findings, the warnings
	// from resolving it (IRR, RPKI, PeeringDB), and an error for anything
	// that kept either state from being read, resolved or rendered.
	Diagnostics hcl.Diagnostics
	HeadRepo    *intent.Repo
	// HeadPeeringDB is the PeeringDB data the new state resolved with
	// (nil when it has none).
	HeadPeeringDB *peeringdb.Store
	// Routers are the routers planned (nil: all), and BaseOutputs what
	// the old state renders for them, for comparing another rendering of
	// the new state with.
	Routers     []string
	BaseOutputs []render.Output
}

// RouterSelection says which routers a plan covers: the named ones, else
// every router of one environment (all routers when Env is empty).
type RouterSelection struct {
	Names []string
	Env   string
}

// resolve lists the routers selected among those of both states; an
// environment that none of them has is a usage error.
func (sel RouterSelection) resolve(routers []*intent.Router) ([]string, error) {
	if len(sel.Names) > 0 {
		return sel.Names, CheckRouters(sel.Names, routers)
	}
	if sel.Env == "" {
		return nil, nil
	}
	var names []string
	for _, r := range routers {
		if r.Environment == sel.Env && !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	if len(names) == 0 {
		return nil, usageErrorf("no router of environment %q", sel.Env)
	}
	return names, nil
}

// PlanStates renders two states of a peering repository, each from its
// own files — intents, the data files its policies name, its templates/
// folder — and from the same live data, and compares them for the selected
// routers. review uses it with the merge base and the head of a pull
// request, plan with a revision and the working tree. templatesDir is
// --templates, which replaces both states' templates.
//
// Whatever keeps a state from being read, resolved or rendered is an
// error diagnostic: a plan that silently leaves something out would say
// "no changes" where it cannot know. Only live data that cannot be
// fetched is returned as an error.
func PlanStates(ctx context.Context, o Options, base, head *State, templatesDir string, sel RouterSelection) (*PlanResult, error) {
	headRepo, diags := intent.Load(head.fsys)
	res := &PlanResult{Diagnostics: diags, HeadRepo: headRepo}
	if diags.HasErrors() {
		return res, nil
	}
	baseRepo, baseDiags := intent.Load(base.fsys)
	if baseDiags.HasErrors() {
		res.Diagnostics = append(res.Diagnostics, inState(base.label, firstError(baseDiags),
			"it does not validate (%d errors), so there is nothing to compare with", countErrors(baseDiags)))
		return res, nil
	}
	routers, err := sel.resolve(slices.Concat(baseRepo.Routers, headRepo.Routers))
	if err != nil {
		return res, err
	}
	res.Routers = routers

	l := newDataLoader(o, unionRefs(model.ImportRefs(baseRepo), model.ImportRefs(headRepo)))
	baseIn, more, err := l.inputs(ctx, base, baseRepo)
	res.Diagnostics = append(res.Diagnostics, inStateAll(base.label, more)...)
	if err != nil {
		return res, err
	}
	headIn, more, err := l.inputs(ctx, head, headRepo)
	res.Diagnostics = append(res.Diagnostics, more...)
	res.HeadPeeringDB = headIn.PeeringDB
	if err != nil || res.Diagnostics.HasErrors() {
		return res, err
	}
	baseModel, more := model.Build(baseRepo, baseIn)
	for _, d := range more {
		// The old state's warnings are old news; its errors keep its
		// configs from rendering, which is reported below.
		if d.Severity == hcl.DiagError {
			res.Diagnostics = append(res.Diagnostics, inState(base.label, d, ""))
		}
	}
	headModel, more := model.Build(headRepo, headIn)
	res.Diagnostics = append(res.Diagnostics, more...)

	baseTm, baseTmDesc, err := RepoTemplates(base.fsys, templatesDir)
	if err != nil {
		res.Diagnostics = append(res.Diagnostics, inState(base.label, nil, "templates: %v", err))
		return res, nil
	}
	headTm, headTmDesc, err := RepoTemplates(head.fsys, templatesDir)
	if err != nil {
		res.Diagnostics = append(res.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Templates cannot be loaded", Detail: err.Error()})
		return res, nil
	}
	baseOut, err := RenderRouters(baseModel, baseTm, routers)
	for _, e := range joined(err) {
		res.Diagnostics = append(res.Diagnostics, inState(base.label, nil, "%v; it shows as created", e))
	}
	headOut, err := RenderRouters(headModel, headTm, routers)
	for _, e := range joined(err) {
		res.Diagnostics = append(res.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Router cannot be rendered",
			Detail: fmt.Sprintf("%s: %v. Merging would leave this router's config as it is, or fail its deploy.", head.label, e)})
	}
	res.BaseOutputs = baseOut

	p := plan.Compute(baseOut, headOut, base.label, head.label)
	p.BaseData = planSources(baseIn.Data, baseTmDesc)
	p.Data = planSources(headIn.Data, headTmDesc)
	p.DataChanges = dataChanges(headRepo, headModel, baseIn, headIn)
	p.Management, p.DeployPolicy = plan.Management(baseRepo, headRepo, sel.Env)
	p.Statuses = plan.Statuses(baseRepo, headRepo)
	for _, r := range p.Management {
		if r.LeavesEnvironment != "" {
			res.Diagnostics = append(res.Diagnostics, leavesEnvironment(headRepo, r))
		}
	}
	res.Plan = p
	return res, nil
}

// dataChanges lists the outside data that differs between the states,
// each with the peers that this difference alone affects: the new state
// is resolved again with that one source as the old state had it.
func dataChanges(headRepo *intent.Repo, headModel *model.Model, baseIn, headIn model.Inputs) []plan.DataChange {
	var out []plan.DataChange
	old, now := baseIn.Data.Sources(), headIn.Data.Sources()
	for i := range now {
		b, h := old[i], now[i]
		if b.Digest == h.Digest && b.Name == h.Name {
			continue
		}
		mixed := headIn
		switch h.Kind {
		case "PeeringDB":
			mixed.PeeringDB = baseIn.PeeringDB
		case "IRR":
			mixed.IRR = baseIn.IRR
		case "RPKI":
			mixed.RPKI = baseIn.RPKI
		case "IX-F":
			mixed.IXF = baseIn.IXF
		}
		before, _ := model.Build(headRepo, mixed)
		out = append(out, plan.DataChange{Source: h.Kind, Old: cmp.Or(b.Name, "none"), New: cmp.Or(h.Name, "none"),
			Details: countChanges(b, h), Affects: model.ChangedPeers(before, headModel)})
	}
	return out
}

// countChanges describes how the amounts of a source changed: "route
// objects 40 -> 43 (+3)", or "content changed" when no count did.
func countChanges(b, h model.DataSource) []string {
	count := func(cs []model.Count, what string) int {
		for _, c := range cs {
			if c.What == what {
				return c.N
			}
		}
		return 0
	}
	var out []string
	var seen []string
	for _, c := range slices.Concat(b.Counts, h.Counts) {
		if slices.Contains(seen, c.What) {
			continue
		}
		seen = append(seen, c.What)
		if old, now := count(b.Counts, c.What), count(h.Counts, c.What); old != now {
			out = append(out, fmt.Sprintf("%s %d -> %d (%+d)", c.What, old, now, now-old))
		}
	}
	if len(out) == 0 && b.Name == h.Name {
		out = append(out, "content changed")
	}
	return out
}

// planSources describes a state's data and templates for a plan.
func planSources(d model.DataVersions, templates string) []plan.Source {
	var out []plan.Source
	for _, s := range d.Sources() {
		if s.Name == "" {
			continue
		}
		v := s.Name
		if !s.Time.IsZero() {
			v += " (" + s.Time.UTC().Format(time.RFC3339) + ")"
		}
		if s.Serial != 0 {
			v += fmt.Sprintf(", serial %d", s.Serial)
		}
		if !s.Live && len(s.Files) > 0 {
			v += ", content " + shortDigest(s.Digest)
		}
		out = append(out, plan.Source{Name: s.Kind, Version: v})
	}
	return append(out, plan.Source{Name: "Templates", Version: templates})
}

// shortDigest abbreviates a content digest for display.
func shortDigest(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// leavesEnvironment warns that a router moves out of the environment
// being planned: deploy stops managing it, and its config stays as is.
func leavesEnvironment(repo *intent.Repo, r plan.RouterSettings) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Router leaves the environment",
		Detail: fmt.Sprintf("%s is no longer in environment %s: peerform deploy --env %s stops managing it, and whatever config it runs stays there unchecked.",
			r.Router, r.LeavesEnvironment, r.LeavesEnvironment)}
	if rt := repo.Router(r.Router); rt != nil {
		d.Subject = rt.DeclRange.Ptr()
	}
	return d
}

// inState turns a problem of the old state into an error of the plan. The
// old state's files are not the ones a reviewer edits, so the diagnostic
// has no place; the location moves into the text.
func inState(label string, d *hcl.Diagnostic, format string, args ...any) *hcl.Diagnostic {
	out := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "The old state cannot be compared", Detail: label + ": " + fmt.Sprintf(format, args...)}
	if d != nil {
		detail := d.Summary + ": " + d.Detail
		if d.Subject != nil {
			detail = d.Subject.String() + ": " + detail
		}
		if format == "" {
			out.Detail = label + ": " + detail
		} else {
			out.Detail += " (" + detail + ")"
		}
	}
	return out
}

// inStateAll keeps the old state's errors (as inState) and drops its
// warnings.
func inStateAll(label string, diags hcl.Diagnostics) hcl.Diagnostics {
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out = append(out, inState(label, d, ""))
		}
	}
	return out
}

// joined splits an errors.Join into its parts.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func unionRefs(a, b []bgp.ObjectRef) []bgp.ObjectRef {
	out := slices.Clone(a)
	for _, r := range b {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(x, y bgp.ObjectRef) int {
		switch {
		case x.String() < y.String():
			return -1
		case x.String() > y.String():
			return 1
		}
		return 0
	})
	return out
}

func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d
		}
	}
	return nil
}

func countErrors(diags hcl.Diagnostics) int {
	errs, _ := intent.Counts(diags)
	return errs
}

// LoadTemplates returns the built-in templates, or those in dir.
func LoadTemplates(dir string) (*render.Templates, error) {
	if dir == "" {
		return render.DefaultTemplates()
	}
	tm, err := render.LoadTemplates(os.DirFS(dir))
	if err != nil {
		return nil, &UsageError{fmt.Errorf("--templates %s: %w", dir, err)}
	}
	return tm, nil
}

// CheckRouters makes sure every name (--router) is a router of the repository.
func CheckRouters(names []string, routers []*intent.Router) error {
	for _, n := range names {
		if !slices.ContainsFunc(routers, func(r *intent.Router) bool { return r.Name == n }) {
			return usageErrorf("--router %s: the repository has no such router", n)
		}
	}
	return nil
}

// RenderRouters renders the named routers, or all when names is empty.
func RenderRouters(m *model.Model, tm *render.Templates, names []string) ([]render.Output, error) {
	if len(names) > 0 {
		c := *m
		c.Routers = nil
		for _, r := range m.Routers {
			if slices.Contains(names, r.Name) {
				c.Routers = append(c.Routers, r)
			}
		}
		m = &c
	}
	return render.RenderAll(m, tm)
}
