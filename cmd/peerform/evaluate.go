package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/evaluate"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/pipeline"
	"github.com/peerform/peerform/internal/sources/asrel"
)

type evaluateOptions struct {
	app      *app
	asRel    string
	asns     []bgp.ASN
	exclude  []bgp.ASN
	temporal string
	folds    int
	// calFolds are the folds inside each training set that calibrate its
	// model (model fit's --folds).
	calFolds int
	// l2 are the ridge penalties each fold's fit chooses from (model
	// fit's --l2): fewer is faster.
	l2       []float64
	flags    scoringFlags
	step     float64
	csv, svg string
	png      string
	json     bool
}

func newCmdEvaluate(a *app, runF func(*evaluateOptions) error) *cobra.Command {
	opts := &evaluateOptions{app: a}
	var list, exclude string
	cmd := &cobra.Command{
		Use:     "evaluate --as-rel FILE [--asns LIST]",
		GroupID: "data",
		Short:   "Check peer scores against known AS relationships",
		Long: `Evaluate compares scores with an AS-relationships file (CAIDA serial-1 or
serial-2, "a|b|rel[|source]", plain, gzip or bzip2): a pair is positive
when the file calls the two networks peers (relationship 0).

With --asns, every ordered pair of the listed networks is scored with the
configured model (which must not have been fitted on them) and measured
side by side with the paper's felicity and single-feature baselines: ROC
AUC, average precision, precision among each requester's top 10, recall
and the share of non-peers recommended at each method's threshold and at
85% recall, and the Brier score. Under --profile paper the paper's own
report instead: recall at θ and over a sweep of θ, as a table, a CSV file
and an SVG plot (the paper reports 85% recall at β 0.15, γ 0.85, θ 0.55,
and 89% in the holistic view).

Without --asns, every pair of PeeringDB networks sharing a PoP is scored
and a model is fitted and tested in k folds of networks (no network on
both sides of a split), next to the same baselines; --relationships (an
older file) adds a model with topology features; --temporal OLD keeps only
pairs not linked in OLD and asks which became peers in --as-rel.
The fitted model's calibration is printed as a reliability table
(--reliability writes it as a PNG plot).`,
		Example: `  # The paper's ISPs, as networks the default model never saw
  peerform evaluate --peeringdb ../shared/data/peeringdb/us-2021-03 \
    --as-rel ../shared/data/asrel/20250901.as-rel2.txt.bz2 \
    --asns 11492,209,7843,7922,22773,4181,7029,20940,16509,62955,32934,15169,8075,2906,23520,174,6939,2914,3491,1239,701,6461

  # The paper profile's own numbers on them
  peerform evaluate --profile paper --assume-ratio AS174=Balanced --peeringdb … --as-rel … --asns …

  # 5-fold cross-validation over disjoint networks, with topology from 2018
  peerform evaluate --peeringdb ../shared/data/peeringdb/us-2021-03 \
    --as-rel ../shared/data/asrel/20250901.as-rel2.txt.bz2 \
    --relationships ../shared/data/asrel/toposcope_asrel_201806.txt.gz --reliability reliability.png`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.asRel == "" {
				return usageErrorf("--as-rel is required")
			}
			var err error
			if opts.asns, err = parseASNList("--asns", list); err != nil {
				return &usageError{err}
			}
			if opts.exclude, err = parseASNList("--exclude", exclude); err != nil {
				return &usageError{err}
			}
			if list != "" && len(opts.asns) < 2 {
				return usageErrorf("--asns needs at least two networks")
			}
			if !(opts.step > 0 && opts.step <= 0.5) {
				return usageErrorf("--step must be in (0, 0.5], got %g", opts.step)
			}
			if opts.folds < 2 || opts.folds > 20 || opts.calFolds < 2 || opts.calFolds > 20 {
				return usageErrorf("--folds and --calibration-folds must be between 2 and 20, got %d and %d", opts.folds, opts.calFolds)
			}
			if err := checkPenalties(opts.l2); err != nil {
				return err
			}
			if err := opts.flags.resolve(cmd); err != nil {
				return err
			}
			// Cross-validation fits its own models.
			opts.flags.fitting = len(opts.asns) == 0
			if runF != nil {
				return runF(opts)
			}
			return evaluateRun(cmd.Context(), opts)
		},
	}
	opts.flags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.asRel, "as-rel", "", "AS relationships `file` (CAIDA serial-1/serial-2): the labels")
	fl.StringVar(&list, "asns", "", "networks to pair, comma-separated `list` (AS174,6939,…)")
	fl.StringVar(&exclude, "exclude", "", "networks left out of cross-validation, comma-separated `list`")
	fl.StringVar(&opts.temporal, "temporal", "", "older relationships `file`: evaluate only pairs not linked in it")
	fl.IntVar(&opts.folds, "folds", 5, "cross-validation folds of networks")
	fl.IntVar(&opts.calFolds, "calibration-folds", 5, "folds of networks inside each training set that calibrate its model")
	fl.Float64SliceVar(&opts.l2, "l2", likelihood.DefaultFitOptions().L2, "ridge penalties each fold's fit chooses from by inner cross-validation (one is fastest)")
	fl.Float64Var(&opts.step, "step", 0.05, "threshold sweep step (paper profile)")
	fl.StringVar(&opts.csv, "csv", "", "write the sweep as CSV to `file` (paper profile)")
	fl.StringVar(&opts.svg, "svg", "", "write the sweep as an SVG plot to `file` (paper profile)")
	fl.StringVar(&opts.png, "reliability", "", "write the model's reliability plot as PNG to `file`")
	fl.BoolVar(&opts.json, "json", false, "print JSON")
	return cmd
}

func evaluateRun(ctx context.Context, opts *evaluateOptions) error {
	a := opts.app
	rels, err := asrel.Load(opts.asRel)
	if err != nil {
		return err
	}
	env, err := a.loadScoring(ctx, opts.flags)
	if err != nil {
		return err
	}
	if env.Profile == "paper" && len(opts.asns) > 0 {
		return evaluatePaper(ctx, opts, env, rels)
	}
	return evaluateModel(ctx, opts, env, rels)
}

// evaluatePaper is the paper profile's report: recall at θ and the sweep.
func evaluatePaper(ctx context.Context, opts *evaluateOptions, env *pipeline.ScoringEnv, rels *asrel.Set) error {
	a := opts.app
	p := env.Scorer.Params
	results, missing, err := env.Scorer.Pairs(ctx, opts.asns, a.progressBar("scoring pairs"))
	if err != nil {
		return err
	}
	for _, m := range missing {
		fmt.Fprintf(a.io.ErrOut, "warning: %v is not in the PeeringDB data; left out\n", m)
	}
	rep := evaluate.Evaluate(results, rels, p.Threshold, p.Holistic, evaluate.Thresholds(opts.step))
	paper := evaluate.Mark{Label: "paper: 85%", Threshold: 0.55, Recall: 0.85}
	if p.Holistic {
		paper = evaluate.Mark{Label: "paper (holistic): 89%", Threshold: 0.3, Recall: 0.89}
	}
	if opts.csv != "" {
		if err := writeWith(opts.csv, func(f *os.File) error { return evaluate.WriteCSV(f, rep) }); err != nil {
			return err
		}
	}
	if opts.svg != "" {
		title := fmt.Sprintf("Peer recommendations vs threshold: %d networks", len(opts.asns)-len(missing))
		if err := writeWith(opts.svg, func(f *os.File) error { return evaluate.WriteSVG(f, rep, title, []evaluate.Mark{paper}) }); err != nil {
			return err
		}
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			evaluate.Report
			Missing []bgp.ASN `json:"missing"`
		}{rep, append([]bgp.ASN{}, missing...)})
	}
	w := a.io.Out
	fmt.Fprintf(w, "%d ordered pairs of %d networks (%d not scorable)\n", rep.Pairs, len(opts.asns)-len(missing), rep.Unscored)
	fmt.Fprintf(w, "known peer pairs: %d, recommended at θ %.2f: %d (recall %.1f%%; %s)\n", rep.P2PPairs, rep.Threshold,
		rep.P2PRecommended, 100*rep.Recall, paper.Label)
	fmt.Fprintf(w, "other pairs: %d, recommended too: %d (%.1f%%)\n", rep.OtherPairs, rep.OtherRecommended, 100*rep.OtherRate)
	fmt.Fprintln(w, "θ      recall  others")
	for _, s := range rep.Sweep {
		fmt.Fprintf(w, "%.2f  %5.1f%%  %5.1f%%\n", s.Threshold, 100*s.Recall, 100*s.OtherRate)
	}
	return nil
}

// writeWith creates path and writes it with f.
func writeWith(path string, f func(*os.File) error) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f(file); err != nil {
		file.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return file.Close()
}
