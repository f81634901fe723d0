package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/candidates"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/sources/asrel"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// scoringFlags are the options score, suggest and evaluate share; each
// overrides the policy's scoring block when given.
type scoringFlags struct {
	criterion   string
	holistic    bool
	threshold   float64
	thresholdOn bool
	assumeRatio []string
	maxPoPs     int
	maxPoPsOn   bool
	// profile, model and relationships override the policy's.
	profile, model, relationships string
	// byCriterion adds the per-criterion table (three more rankings).
	byCriterion bool
	// fitting says the command fits its own models: none is loaded.
	fitting bool
}

func (f *scoringFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.holistic, "holistic", false, "holistic view: recommend only when both directions reach θ (presets β 0.1, γ 0.85, θ 0.3)")
	fl.Float64Var(&f.threshold, "threshold", 0, "recommend when the score ≥ `θ` (default: policy, else the model's own; paper profile 0.55, holistic 0.3)")
	fl.StringSliceVar(&f.assumeRatio, "assume-ratio", nil, "treat a network as a ratio type, e.g. `AS174=Balanced` (repeatable)")
	fl.IntVar(&f.maxPoPs, "max-common-pops", 15, "cap on common PoPs (0: none; past 20, W is estimated by sampling)")
	fl.StringVar(&f.profile, "profile", "", "scoring profile: likelihood (calibrated probability) or paper (Meta-Peering felicity) (default: policy, else likelihood)")
	fl.StringVar(&f.model, "model", "", "likelihood model `file` from 'peerform model fit' (default: policy, else the embedded model)")
	fl.StringVar(&f.relationships, "relationships", "", "AS-relationships `file` for the model's topology features (default: policy)")
}

// resolve checks the flags; called from RunE.
func (f *scoringFlags) resolve(cmd *cobra.Command) error {
	f.thresholdOn = cmd.Flags().Changed("threshold")
	f.maxPoPsOn = cmd.Flags().Changed("max-common-pops")
	if f.maxPoPs < 0 {
		return usageErrorf("--max-common-pops must be 0 (no cap) or positive, got %d", f.maxPoPs)
	}
	if f.thresholdOn && (f.threshold < 0 || f.threshold > 1) {
		return usageErrorf("--threshold must be between 0 and 1, got %g", f.threshold)
	}
	if f.criterion != "" {
		if _, err := score.ParseCriterion(f.criterion); err != nil {
			return &usageError{err}
		}
	}
	if f.profile != "" && !slices.Contains(intent.Profiles, f.profile) {
		return usageErrorf("--profile is likelihood or paper, got %q", f.profile)
	}
	for _, ar := range f.assumeRatio {
		if _, _, err := parseAssumeRatio(ar); err != nil {
			return &usageError{err}
		}
	}
	return nil
}

func parseAssumeRatio(s string) (bgp.ASN, score.Ratio, error) {
	as, r, ok := strings.Cut(s, "=")
	if !ok {
		return 0, 0, fmt.Errorf("--assume-ratio %q: want AS<n>=<ratio type>", s)
	}
	asn, err := bgp.ParseASN(strings.TrimSpace(as))
	if err != nil {
		return 0, 0, fmt.Errorf("--assume-ratio %q: %w", s, err)
	}
	ratio, err := score.ParseRatio(r)
	if err != nil {
		return 0, 0, fmt.Errorf("--assume-ratio %q: %w", s, err)
	}
	return asn, ratio, nil
}

// scoringEnv is everything a scoring command needs, loaded once.
type scoringEnv struct {
	repo   *intent.Repo // nil outside a peering repository
	store  *peeringdb.Store
	scorer *candidates.Scorer
	// profile is "likelihood" or "paper"; graph is the relationships
	// file's AS graph when one is configured.
	profile string
	graph   *asrel.Graph
	// ours is our network from policy (0 without a repository) and
	// trafficMbps its measured traffic.
	ours        bgp.ASN
	trafficMbps float64
}

// loadScoring reads the repository's policy (when there is one), PeeringDB
// and the population data, and builds the scorer with flags applied.
func (a *app) loadScoring(ctx context.Context, f scoringFlags) (*scoringEnv, error) {
	repo, diags := intent.LoadDir(a.repoDir)
	if repo == nil || repo.Network.ASN == 0 {
		repo = nil
	} else if diags.HasErrors() {
		a.logger().Warn("the repository has validation errors; using what loaded (run peerform validate)")
	}
	pdbCfg := intent.PeeringDB{Cache: peeringdb.DefaultCacheDir}
	if repo != nil {
		pdbCfg = repo.PeeringDB
	}
	store, err := a.openPeeringDB(ctx, pdbCfg)
	if err != nil {
		return nil, err
	}
	return a.newScoring(repo, store, a.repoDir, f)
}

// newScoring builds the scoring environment of one state of a repository:
// its policies (repo, nil outside a repository), its PeeringDB data, and
// the directory its policies' paths (population, model, relationships)
// are relative to. Flags override the policies.
func (a *app) newScoring(repo *intent.Repo, store *peeringdb.Store, root string, f scoringFlags) (*scoringEnv, error) {
	env := &scoringEnv{repo: repo, store: store}
	var scoring intent.Scoring
	var econ intent.Economics
	if repo != nil {
		env.ours, env.trafficMbps = repo.Network.ASN, repo.Scoring.TrafficMbps
		scoring, econ = repo.Scoring, repo.Economics
	}
	p, err := candidates.Params(scoring)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if f.holistic && !p.Holistic {
		h := score.HolisticParams()
		p.Beta, p.Gamma, p.Threshold, p.Holistic = h.Beta, h.Gamma, h.Threshold, true
	}
	if f.thresholdOn {
		p.Threshold = f.threshold
	}
	if f.criterion != "" {
		p.CriterionR, _ = score.ParseCriterion(f.criterion)
	}
	if f.maxPoPsOn {
		p.MaxCommonPoPs = f.maxPoPs
	}
	for _, ar := range f.assumeRatio {
		asn, r, _ := parseAssumeRatio(ar)
		if p.AssumeRatio == nil {
			p.AssumeRatio = map[bgp.ASN]score.Ratio{}
		}
		p.AssumeRatio[asn] = r
	}
	set, err := candidates.LoadPopulation(inRepo(root, scoring.Population))
	if err != nil {
		return nil, err
	}
	p.InboundMbps = candidates.InboundMbps(store, p)
	env.scorer = &candidates.Scorer{Store: store, Pop: candidates.Population{Set: set}, Params: p, Econ: candidates.Economics(econ)}
	if err := a.loadModel(env, scoring, root, f); err != nil {
		return nil, err
	}
	return env, nil
}

// inRepo resolves a path from the policies against the repository root.
func inRepo(root, path string) string {
	if path != "" && !filepath.IsAbs(path) {
		return filepath.Join(root, path)
	}
	return path
}

// loadModel sets up the likelihood profile (unless the paper profile is
// chosen): the exchange traffic model, the model file or the embedded
// default, and the relationships file for topology features. Flags win
// over the policy; paths in the policy are relative to root.
func (a *app) loadModel(env *scoringEnv, scoring intent.Scoring, root string, f scoringFlags) error {
	env.profile = cmp.Or(f.profile, scoring.Profile, "likelihood")
	if env.profile == "paper" && !f.fitting {
		return nil
	}
	relPath := cmp.Or(f.relationships, inRepo(root, scoring.Relationships))
	modelPath := cmp.Or(f.model, inRepo(root, scoring.Model))
	graph, err := loadGraph(relPath)
	if err != nil {
		return err
	}
	env.graph = graph
	if f.fitting { // the command fits its own models, on exchange traffic
		return nil
	}
	var m *likelihood.Model
	if modelPath == "" {
		m = likelihood.Default(graph != nil)
	} else if m, err = loadModelFile(modelPath); err != nil {
		return err
	}
	if m.Topology && graph == nil {
		return fmt.Errorf("model %s uses topology features: give its relationships file (scoring { relationships = … } or --relationships)", modelPath)
	}
	sc := env.scorer
	sc.Params.Traffic = score.ExchangeTraffic
	sc.Model, sc.Features = m, candidates.NewFeatures(env.store, graph)
	sc.OwnThreshold = f.thresholdOn || scoring.Threshold != nil
	return nil
}

// loadModelFile reads a model file: a regular file, not a link or device.
func loadModelFile(path string) (*likelihood.Model, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("model %s: not a regular file", path)
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer file.Close()
	m, err := likelihood.Read(file)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return m, nil
}

// progressBar returns a Progress that draws a bar on a terminal, or nil.
func (a *app) progressBar(what string) candidates.Progress {
	if !a.io.ErrTTY {
		return nil
	}
	return func(done, total int) {
		const width = 30
		filled := width * done / max(total, 1)
		fmt.Fprintf(a.io.ErrOut, "\r%s [%s%s] %d/%d", what, strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, total)
		if done == total {
			fmt.Fprintln(a.io.ErrOut)
		}
	}
}
