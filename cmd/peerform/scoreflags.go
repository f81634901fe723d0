package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/candidates"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/pipeline"
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
		if _, _, err := pipeline.ParseAssumeRatio(ar); err != nil {
			return &usageError{err}
		}
	}
	return nil
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

// options are the flags as the pipeline takes them.
func (f *scoringFlags) options() pipeline.ScoringOptions {
	return pipeline.ScoringOptions{Criterion: f.criterion, Holistic: f.holistic, Threshold: f.threshold, ThresholdSet: f.thresholdOn,
		AssumeRatio: f.assumeRatio, MaxPoPs: f.maxPoPs, MaxPoPsSet: f.maxPoPsOn,
		Profile: f.profile, Model: f.model, Relationships: f.relationships, Fitting: f.fitting}
}

// loadScoring loads the scoring environment of the repository with the
// flags applied (see pipeline.LoadScoring).
func (a *app) loadScoring(ctx context.Context, f scoringFlags) (*pipeline.ScoringEnv, error) {
	return pipeline.LoadScoring(ctx, a.pipeline(), f.options())
}
