package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/candidates"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/sources/asrel"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// ScoringOptions are what score, suggest, evaluate and model ask of the
// scoring on their command lines; each overrides the policy's scoring
// block when set.
type ScoringOptions struct {
	Criterion    string
	Holistic     bool
	Threshold    float64
	ThresholdSet bool
	AssumeRatio  []string // AS<n>=<ratio type>, checked with ParseAssumeRatio
	MaxPoPs      int
	MaxPoPsSet   bool
	// Profile, Model and Relationships override the policy's.
	Profile, Model, Relationships string
	// Fitting says the command fits its own models: none is loaded.
	Fitting bool
}

// ParseAssumeRatio parses an --assume-ratio value, AS<n>=<ratio type>.
func ParseAssumeRatio(s string) (bgp.ASN, score.Ratio, error) {
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

// ScoringEnv is everything a scoring command needs, loaded once.
type ScoringEnv struct {
	Repo   *intent.Repo // nil outside a peering repository
	Store  *peeringdb.Store
	Scorer *candidates.Scorer
	// Profile is "likelihood" or "paper"; Graph is the relationships
	// file's AS graph when one is configured.
	Profile string
	Graph   *asrel.Graph
	// Ours is our network from policy (0 without a repository) and
	// TrafficMbps its measured traffic.
	Ours        bgp.ASN
	TrafficMbps float64
}

// LoadScoring reads the repository's policy (when there is one), PeeringDB
// and the population data, and builds the scorer with f applied.
func LoadScoring(ctx context.Context, o Options, f ScoringOptions) (*ScoringEnv, error) {
	repo, diags := intent.LoadDir(o.Dir)
	if repo == nil || repo.Network.ASN == 0 {
		repo = nil
	} else if diags.HasErrors() {
		o.logger().Warn("the repository has validation errors; using what loaded (run peerform validate)")
	}
	pdbCfg := intent.PeeringDB{Cache: peeringdb.DefaultCacheDir}
	if repo != nil {
		pdbCfg = repo.PeeringDB
	}
	store, err := o.OpenPeeringDB(ctx, pdbCfg)
	if err != nil {
		return nil, err
	}
	return newScoring(repo, store, o.Dir, f)
}

// newScoring builds the scoring environment of one state of a repository:
// its policies (repo, nil outside a repository), its PeeringDB data, and
// the directory its policies' paths (population, model, relationships)
// are relative to. f overrides the policies.
func newScoring(repo *intent.Repo, store *peeringdb.Store, root string, f ScoringOptions) (*ScoringEnv, error) {
	env := &ScoringEnv{Repo: repo, Store: store}
	var scoring intent.Scoring
	var econ billing.Prices
	if repo != nil {
		env.Ours, env.TrafficMbps = repo.Network.ASN, repo.Scoring.TrafficMbps
		scoring, econ = repo.Scoring, repo.Economics
	}
	p, err := candidates.Params(scoring)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	if f.Holistic && !p.Holistic {
		h := score.HolisticParams()
		p.Beta, p.Gamma, p.Threshold, p.Holistic = h.Beta, h.Gamma, h.Threshold, true
	}
	if f.ThresholdSet {
		p.Threshold = f.Threshold
	}
	if f.Criterion != "" {
		p.CriterionR, _ = score.ParseCriterion(f.Criterion)
	}
	if f.MaxPoPsSet {
		p.MaxCommonPoPs = f.MaxPoPs
	}
	for _, ar := range f.AssumeRatio {
		asn, r, _ := ParseAssumeRatio(ar)
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
	env.Scorer = &candidates.Scorer{Store: store, Pop: candidates.Population{Set: set}, Params: p, Econ: econ}
	if err := loadLikelihood(env, scoring, root, f); err != nil {
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

// loadLikelihood sets up the likelihood profile (unless the paper profile is
// chosen): the exchange traffic model, the model file or the embedded
// default, and the relationships file for topology features. Options win
// over the policy; paths in the policy are relative to root.
func loadLikelihood(env *ScoringEnv, scoring intent.Scoring, root string, f ScoringOptions) error {
	env.Profile = cmp.Or(f.Profile, scoring.Profile, "likelihood")
	if env.Profile == "paper" && !f.Fitting {
		return nil
	}
	relPath := cmp.Or(f.Relationships, inRepo(root, scoring.Relationships))
	modelPath := cmp.Or(f.Model, inRepo(root, scoring.Model))
	graph, err := loadGraph(relPath)
	if err != nil {
		return err
	}
	env.Graph = graph
	if f.Fitting { // the command fits its own models, on exchange traffic
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
	sc := env.Scorer
	sc.Params.Traffic = score.ExchangeTraffic
	sc.Model, sc.Features = m, candidates.NewFeatures(env.Store, graph)
	sc.OwnThreshold = f.ThresholdSet || scoring.Threshold != nil
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
