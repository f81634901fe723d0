package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/change/review"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/repo/gitfs"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// ReviewInputs gathers what a review reports on the change base...head,
// as GitHub shows it (from the merge base): the intent files it touches,
// the plan of the two states — each rendered from its own intents, data
// and templates — with its findings, data changes and management changes,
// the changed files that are peerform itself, and the scores of new or
// changed peers. headRendered is the directory where the head's own build
// wrote its configs, or "".
func ReviewInputs(ctx context.Context, o Options, baseRev, headRev, env, headRendered string) (review.Inputs, error) {
	repo, err := gitfs.Open(ctx, o.Dir, &gitfs.Options{Logger: o.logger()})
	if err != nil {
		return review.Inputs{}, err
	}
	// Intents are read from the trees' roots, so the peering repository
	// must be the top of its git repository, not a folder inside one.
	if abs, err := filepath.Abs(o.Dir); err == nil && !sameDir(abs, repo.Root()) {
		return review.Inputs{}, fmt.Errorf("%s is inside the git repository %s: the peering repository must be the top of its git repository", o.Dir, repo.Root())
	}
	base, err := repo.Resolve(ctx, baseRev)
	if err != nil {
		return review.Inputs{}, fmt.Errorf("base: %w", err)
	}
	head, err := repo.Resolve(ctx, headRev)
	if err != nil {
		return review.Inputs{}, fmt.Errorf("head: %w", err)
	}
	mb, err := repo.MergeBase(ctx, base, head)
	if err != nil {
		return review.Inputs{}, err
	}
	all, err := repo.Diff(ctx, mb, head)
	if err != nil {
		return review.Inputs{}, err
	}
	baseState, err := commitState(ctx, repo, mb, "merge base "+mb.Short(), "")
	if err != nil {
		return review.Inputs{}, err
	}
	defer baseState.Close()
	headState, err := commitState(ctx, repo, head, "head "+head.Short(), "")
	if err != nil {
		return review.Inputs{}, err
	}
	defer headState.Close()

	in := review.Inputs{Base: string(mb), Head: string(head), Reviewer: peerformVersion()}
	for _, ch := range all {
		if strings.HasPrefix(ch.Path, intent.PeersDir+"/") || strings.HasPrefix(ch.Path, intent.PoliciesDir+"/") {
			in.Changes = append(in.Changes, ch)
		}
	}
	in.Code, in.Workflows = selfChanges(all, baseState.fsys, headState.fsys)
	// The repository's own templates are rendered by both sides of the
	// plan, so their effect is in the diffs; they are flagged apart.
	in.Code = slices.DeleteFunc(in.Code, func(p string) bool {
		if isRepoTemplate(p) {
			in.Templates = append(in.Templates, p)
			return true
		}
		return false
	})

	res, err := PlanStates(ctx, o, baseState, headState, "", RouterSelection{Env: env})
	var ue *UsageError
	if errors.As(err, &ue) {
		return review.Inputs{}, err
	}
	in.Diagnostics = res.Diagnostics
	switch {
	case err != nil:
		in.Diagnostics = append(in.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Router configs could not be rendered",
			Detail: err.Error() + ". Without them this review cannot say what merging changes."})
	case res.Plan == nil:
		in.Notes = append(in.Notes, "Router configs are not rendered because the change has errors; fix them to see the diffs.")
	default:
		p := res.Plan
		in.Planned = true
		for _, r := range p.Routers {
			if r.Action != plan.NoOp {
				in.Routers = append(in.Routers, routerDiff(r))
			}
		}
		in.BaseData, in.HeadData = dataVersions(p.BaseData), dataVersions(p.Data)
		in.DataChanges, in.Management, in.DeployPolicy = p.DataChanges, p.Management, p.DeployPolicy
		in.Statuses = p.Statuses
		for _, c := range p.Statuses {
			if c.Warning != "" {
				in.Diagnostics = append(in.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagWarning,
					Summary: "Peer removed without decommissioning", Detail: fmt.Sprintf("%s: %s.", c.Name, c.Warning)})
			}
		}
	}
	if len(in.Workflows) > 0 {
		in.Diagnostics = append(in.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "CI workflows change",
			Detail: fmt.Sprintf("%d file(s) under .github/ change; they decide how this pull request is reviewed and deployed.", len(in.Workflows))})
	}
	if len(in.Templates) > 0 {
		in.Diagnostics = append(in.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Router templates change",
			Detail: fmt.Sprintf("%d template file(s) change; every router of their platforms renders from them.", len(in.Templates))})
	}
	if len(in.Code) > 0 {
		in.Diagnostics = append(in.Diagnostics, &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "peerform itself changes",
			Detail: fmt.Sprintf("%d changed file(s) are peerform's own code or embedded files; the router diffs come from peerform built from the base and cannot show what the new code renders.", len(in.Code))})
		if headRendered != "" && res.Plan != nil {
			var more hcl.Diagnostics
			in.HeadBuild, more = readHeadBuild(headRendered, res.HeadRepo, res.Routers, res.BaseOutputs)
			in.Diagnostics = append(in.Diagnostics, more...)
		}
	}

	var peers []bgp.ASN
	for _, ch := range in.Changes {
		if asn, ok := review.PeerFile(ch.Path); ok && ch.Action != gitfs.Delete {
			peers = append(peers, asn)
		}
	}
	if res.HeadRepo != nil {
		reviewScores(o, headState, res, peers, &in)
	}
	return in, nil
}

func routerDiff(r plan.Router) review.RouterDiff {
	return review.RouterDiff{Router: r.Router, Platform: r.Platform, Summary: fmt.Sprintf("%s: %s", r.Action, r.Summary()), Diff: r.Diff}
}

// dataVersions turns a plan's sources into the review's.
func dataVersions(ss []plan.Source) []review.DataVersion {
	out := make([]review.DataVersion, len(ss))
	for i, s := range ss {
		out[i] = review.DataVersion{Name: s.Name, Version: s.Version}
	}
	return out
}

// peerformVersion says which build of peerform runs: the commit it was built
// from (with "+dirty" for uncommitted changes), else the module version.
func peerformVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		if bi.Main.Version == "(devel)" {
			return ""
		}
		return bi.Main.Version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return "built from " + rev
}

// reviewScores scores each peer against our network as `peerform score`
// does, from the head's own state: its policies' scoring and economics
// blocks, the PeeringDB data it was planned with, and the population,
// model and relationships files in its tree. A peer that cannot be scored
// gets the reason instead; scoring problems never stop the review.
func reviewScores(o Options, head *State, res *PlanResult, peers []bgp.ASN, in *review.Inputs) {
	if len(peers) == 0 {
		return
	}
	headRepo := res.HeadRepo
	names := map[bgp.ASN]string{}
	for _, p := range headRepo.Peers {
		names[p.ASN] = p.Name
	}
	var env *ScoringEnv
	var us *score.Profile
	err := errors.New("the head has no PeeringDB data")
	if res.HeadPeeringDB != nil {
		env, err = headScoring(head, headRepo, res.HeadPeeringDB)
	}
	if err == nil {
		if env.Ours == 0 {
			err = errors.New("policies/ does not name our network")
		} else {
			us, err = env.Scorer.Profile(env.Ours, env.TrafficMbps)
		}
	}
	if err != nil {
		in.Notes = append(in.Notes, "Peers are not scored: "+err.Error())
		for _, asn := range peers {
			in.Scores = append(in.Scores, review.PeerScore{ASN: asn, Name: names[asn], Unscored: "scoring is unavailable (see the notes)"})
		}
		return
	}
	source := "PeeringDB"
	for _, d := range in.HeadData {
		if d.Name == "PeeringDB" {
			source = d.Name + " " + d.Version
		}
	}
	in.Notes = append(in.Notes, "Peers are scored with the head's data: "+strings.TrimSpace(source)+".")
	moves, err := MeasuredMoves(o, headRepo, peers)
	if err != nil {
		in.Notes = append(in.Notes, "Measured traffic is not used: "+err.Error())
	} else if moves != nil {
		in.Notes = append(in.Notes, fmt.Sprintf("Savings are measured: the transit traffic of %s of flows (95th percentile).", plural(moves.Days, "day")))
	}
	for _, asn := range peers {
		s := review.PeerScore{ASN: asn, Name: names[asn]}
		them, err := env.Scorer.Profile(asn, 0)
		if err != nil {
			s.Unscored = err.Error()
		} else {
			res := env.Scorer.Score(us, them)
			ApplyMeasured(&res, moves, env.Scorer.Econ)
			s.Result = &res
		}
		in.Scores = append(in.Scores, s)
	}
}

// headScoring is the scoring environment of the head: the files its
// scoring block names are read from its tree, not the working tree.
func headScoring(head *State, repo *intent.Repo, store *peeringdb.Store) (*ScoringEnv, error) {
	var files []string
	for _, p := range []string{repo.Scoring.Population, repo.Scoring.Model, repo.Scoring.Relationships} {
		if p != "" {
			files = append(files, p)
		}
	}
	root, err := head.dataRoot(files...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", head.label, err)
	}
	return newScoring(repo, store, root, ScoringOptions{})
}

func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

// DescribeSnapshot names a PeeringDB snapshot with its age, as plans,
// reviews and model fits cite it.
func DescribeSnapshot(source string, generated, newest time.Time) string {
	switch {
	case !generated.IsZero():
		return fmt.Sprintf("%s, generated %s", source, generated.UTC().Format(time.RFC3339))
	case !newest.IsZero():
		return fmt.Sprintf("%s, data up to %s", source, newest.UTC().Format(time.RFC3339))
	}
	return source
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
