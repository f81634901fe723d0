package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerctl/peerctl/bgp"
	"github.com/peerctl/peerctl/gitfs"
	"github.com/peerctl/peerctl/intent"
	"github.com/peerctl/peerctl/review"
	"github.com/peerctl/peerctl/score"
)

// reviewInputs gathers what a review reports on the change base...head:
// the intent files it touches (from the merge base, as GitHub shows it),
// validation at head, the scores of new or changed peers, and the router
// diffs from reviewPlan.
func (a *app) reviewInputs(ctx context.Context, baseRev, headRev, env string) (review.Inputs, error) {
	repo, err := gitfs.Open(ctx, a.repoDir, &gitfs.Options{Logger: a.logger()})
	if err != nil {
		return review.Inputs{}, err
	}
	// Intents are read from the trees' roots, so the peering repository
	// must be the top of its git repository, not a folder inside one.
	if abs, err := filepath.Abs(a.repoDir); err == nil && !sameDir(abs, repo.Root()) {
		return review.Inputs{}, fmt.Errorf("%s is inside the git repository %s: the peering repository must be the top of its git repository", a.repoDir, repo.Root())
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
	changes, err := repo.Diff(ctx, mb, head, intent.PeersDir, "policies")
	if err != nil {
		return review.Inputs{}, err
	}
	headFS, err := repo.FS(ctx, head)
	if err != nil {
		return review.Inputs{}, err
	}
	headRepo, diags := intent.Load(headFS)
	in := review.Inputs{Base: string(mb), Head: string(head), Changes: changes, Diagnostics: diags}

	var peers []bgp.ASN
	for _, ch := range changes {
		if asn, ok := review.PeerFile(ch.Path); ok && ch.Action != gitfs.Delete {
			peers = append(peers, asn)
		}
	}
	a.reviewScores(ctx, headRepo, peers, &in)

	plan, err := a.reviewPlan(ctx, repo, mb, head, env)
	if err != nil {
		// The rest of the review still helps; say what is missing.
		in.Notes = append(in.Notes, "Router diffs could not be computed: "+err.Error())
	}
	in.Routers, in.Planned = plan.Routers, plan.Planned
	in.Notes = append(in.Notes, plan.Notes...)
	// Planning validates head again and may name the same data source;
	// each finding and each source is reported once.
	seen := map[string]bool{}
	for _, d := range in.Diagnostics {
		seen[diagKey(d)] = true
	}
	for _, d := range plan.Diagnostics {
		if k := diagKey(d); !seen[k] {
			seen[k] = true
			in.Diagnostics = append(in.Diagnostics, d)
		}
	}
	for _, d := range plan.Data {
		if !slices.ContainsFunc(in.Data, func(x review.DataVersion) bool { return x.Name == d.Name }) {
			in.Data = append(in.Data, d)
		}
	}
	return in, nil
}

func diagKey(d *hcl.Diagnostic) string {
	k := fmt.Sprintf("%d\x00%s\x00%s", d.Severity, d.Summary, d.Detail)
	if d.Subject != nil {
		k += "\x00" + d.Subject.String()
	}
	return k
}

// reviewScores scores each peer against our network with the policy's
// scoring and economics blocks and the PeeringDB data, as `peerctl score`
// does. A peer that cannot be scored gets the reason instead; scoring
// problems never stop the review.
func (a *app) reviewScores(ctx context.Context, headRepo *intent.Repo, peers []bgp.ASN, in *review.Inputs) {
	if len(peers) == 0 {
		return
	}
	names := map[bgp.ASN]string{}
	for _, p := range headRepo.Peers {
		names[p.ASN] = p.Name
	}
	env, err := a.loadScoring(ctx, scoringFlags{})
	var us *score.Profile
	if err == nil {
		if env.ours == 0 {
			err = errors.New("policies/ does not name our network")
		} else {
			us, err = env.scorer.Profile(env.ours, env.trafficMbps)
		}
	}
	if err != nil {
		in.Notes = append(in.Notes, "Peers are not scored: "+err.Error())
		for _, asn := range peers {
			in.Scores = append(in.Scores, review.PeerScore{ASN: asn, Name: names[asn], Unscored: "scoring is unavailable (see the notes)"})
		}
		return
	}
	meta := env.store.Meta()
	source := meta.Source
	if rel, err := filepath.Rel(a.repoDir, source); err == nil && filepath.IsLocal(rel) {
		source = filepath.ToSlash(rel)
	}
	in.Data = append(in.Data, review.DataVersion{Name: "PeeringDB", Version: describeSnapshot(source, meta.Generated, meta.Newest)})
	for _, asn := range peers {
		s := review.PeerScore{ASN: asn, Name: names[asn]}
		them, err := env.scorer.Profile(asn, 0)
		if err != nil {
			s.Unscored = err.Error()
		} else {
			res := env.scorer.Score(us, them)
			s.Result = &res
		}
		in.Scores = append(in.Scores, s)
	}
}

func sameDir(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

func describeSnapshot(source string, generated, newest time.Time) string {
	switch {
	case !generated.IsZero():
		return fmt.Sprintf("%s, generated %s", source, generated.UTC().Format(time.RFC3339))
	case !newest.IsZero():
		return fmt.Sprintf("%s, data up to %s", source, newest.UTC().Format(time.RFC3339))
	}
	return source
}

// reviewPlanResult is what planning adds to a review.
type reviewPlanResult struct {
	// Planned is true when configs were rendered and compared.
	Planned     bool
	Routers     []review.RouterDiff // routers whose rendered config changes
	Diagnostics hcl.Diagnostics     // findings from resolving intents (IRR, RPKI)
	Data        []review.DataVersion
	Notes       []string
}
