package main

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerctl/peerctl/bgp"
	"github.com/peerctl/peerctl/intent"
	"github.com/peerctl/peerctl/model"
	"github.com/peerctl/peerctl/plan"
	"github.com/peerctl/peerctl/render"
)

// planResult is a plan and what was learnt making it.
type planResult struct {
	// Plan is nil when the new state does not validate.
	Plan *plan.Plan
	// Diagnostics are the new state's validation findings, the warnings
	// from resolving it (IRR, RPKI, PeeringDB) and data warnings.
	Diagnostics hcl.Diagnostics
	HeadRepo    *intent.Repo
	// Data says which outside data both states were rendered from.
	Data model.DataVersions
	// RenderErr names the routers of the new state that could not be
	// rendered (they are missing from the plan).
	RenderErr error
}

// routerSelection says which routers a plan covers: the named ones, else
// every router of one environment (all routers when env is empty).
type routerSelection struct {
	names []string
	env   string
}

// resolve lists the routers selected among those of both states; an
// environment that none of them has is a usage error.
func (sel routerSelection) resolve(routers []*intent.Router) ([]string, error) {
	if len(sel.names) > 0 {
		return sel.names, checkRouters(sel.names, routers)
	}
	if sel.env == "" {
		return nil, nil
	}
	var names []string
	for _, r := range routers {
		if r.Environment == sel.env && !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	if len(names) == 0 {
		return nil, usageErrorf("no router of environment %q", sel.env)
	}
	return names, nil
}

// planTrees renders two states of a peering repository, given as file
// systems (a git tree from gitfs, or the working tree), from the same
// outside data, and compares them for the selected routers. review uses it
// with the merge base and the head of a pull request.
//
// The old state must validate: a plan from a broken base would be a guess.
func planTrees(ctx context.Context, a *app, baseFS, headFS fs.FS, tm *render.Templates, baseLabel, headLabel string, sel routerSelection) (*planResult, error) {
	headRepo, diags := intent.Load(headFS)
	res := &planResult{Diagnostics: diags, HeadRepo: headRepo}
	if diags.HasErrors() {
		return res, nil
	}
	baseRepo, baseDiags := intent.Load(baseFS)
	if baseDiags.HasErrors() {
		errs, _ := intent.Counts(baseDiags)
		return res, fmt.Errorf("%s does not validate (%d errors), so there is nothing to compare with: %s", baseLabel, errs, firstError(baseDiags))
	}
	routers, err := sel.resolve(slices.Concat(baseRepo.Routers, headRepo.Routers))
	if err != nil {
		return res, err
	}

	in, more, err := loadInputs(ctx, a, headRepo, unionRefs(model.ImportRefs(baseRepo), model.ImportRefs(headRepo)))
	res.Diagnostics = append(res.Diagnostics, more...)
	if err != nil {
		return res, err
	}
	// Warnings about the old state are old news; only the new one's count.
	baseModel, _ := model.Build(baseRepo, in)
	headModel, more := model.Build(headRepo, in)
	res.Diagnostics = append(res.Diagnostics, more...)
	res.Data = headModel.Data

	baseOut, baseErr := renderRouters(baseModel, tm, routers)
	if baseErr != nil {
		res.Diagnostics = append(res.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagWarning,
			Summary: "Base not fully rendered", Detail: fmt.Sprintf("%s: %v; those routers show as created.", baseLabel, baseErr)})
	}
	headOut, headErr := renderRouters(headModel, tm, routers)
	res.RenderErr = headErr
	res.Plan = plan.Compute(baseOut, headOut, baseLabel, headLabel)
	res.Plan.Data = dataSources(res.Data)
	return res, nil
}

// dataSources describes the outside data of a model for a plan.
func dataSources(d model.DataVersions) []plan.Source {
	when := func(what string, t time.Time) string {
		if what == "" {
			what = "none"
		}
		if !t.IsZero() {
			what += " (" + t.UTC().Format(time.RFC3339) + ")"
		}
		return what
	}
	return []plan.Source{
		{Name: "PeeringDB", Version: when(d.PeeringDB, d.PeeringDBTime)},
		{Name: "IRR", Version: when(d.IRR, d.IRRTime)},
		{Name: "RPKI", Version: when(d.RPKI, d.RPKITime)},
	}
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

func firstError(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			return d.Error()
		}
	}
	return ""
}
