package main

import (
	"context"
	"fmt"
	"time"

	"github.com/peerctl/peerctl/gitfs"
	"github.com/peerctl/peerctl/model"
	"github.com/peerctl/peerctl/plan"
	"github.com/peerctl/peerctl/review"
)

// reviewPlan renders every router's configuration at the merge base and at
// head — each tree read from git, never checked out — from the same
// outside data, and returns the routers whose config changes with their
// diffs, the findings resolving head produced (IRR, RPKI, PeeringDB) and
// the data versions used. A head that does not validate has no plan; the
// validation findings already say why.
func (a *app) reviewPlan(ctx context.Context, repo *gitfs.Repo, base, head gitfs.Hash, env string) (reviewPlanResult, error) {
	var out reviewPlanResult
	tm, err := loadTemplates("")
	if err != nil {
		return out, err
	}
	baseFS, err := repo.FS(ctx, base)
	if err != nil {
		return out, err
	}
	headFS, err := repo.FS(ctx, head)
	if err != nil {
		return out, err
	}
	res, err := planTrees(ctx, a, baseFS, headFS, tm, "merge base "+base.Short(), "head "+head.Short(), routerSelection{env: env})
	if res != nil {
		out.Diagnostics = res.Diagnostics
		out.Data = dataVersions(res.Data)
	}
	if err != nil {
		return out, err
	}
	if res.Plan == nil {
		out.Notes = append(out.Notes, "Router configs are not rendered because the change has errors; fix them to see the diffs.")
		return out, nil
	}
	out.Planned = true
	for _, r := range res.Plan.Routers {
		if r.Action == plan.NoOp {
			continue
		}
		out.Routers = append(out.Routers, review.RouterDiff{
			Router: r.Router, Platform: r.Platform, Summary: fmt.Sprintf("%s: %s", r.Action, r.Summary()), Diff: r.Diff,
		})
	}
	if res.RenderErr != nil {
		out.Notes = append(out.Notes, "Some routers could not be rendered: "+res.RenderErr.Error())
	}
	return out, nil
}

// dataVersions lists the outside data a model was built from.
func dataVersions(d model.DataVersions) []review.DataVersion {
	var out []review.DataVersion
	add := func(name, what string, when time.Time, extra string) {
		if what == "" {
			return
		}
		v := what
		if !when.IsZero() {
			v += ", " + when.UTC().Format(time.RFC3339)
		}
		out = append(out, review.DataVersion{Name: name, Version: v + extra})
	}
	add("PeeringDB", d.PeeringDB, d.PeeringDBTime, "")
	add("IRR", d.IRR, d.IRRTime, "")
	serial := ""
	if d.RPKISerial != 0 {
		serial = fmt.Sprintf(", serial %d", d.RPKISerial)
	}
	add("RPKI", d.RPKI, d.RPKITime, serial)
	return out
}
