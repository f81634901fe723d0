package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/peerform/peerform/internal/decide/evaluate"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/pipeline"
	"github.com/peerform/peerform/internal/sources/asrel"
)

// evaluation is evaluate's answer under the likelihood profile, and its
// --json shape.
type evaluation struct {
	Labels   string `json:"labels"`
	Temporal string `json:"temporal,omitempty"`
	Pairs    int    `json:"pairs"`
	// ScoringSeconds is the wall time of scoring every pair (once per
	// run, shared by every model and fold).
	ScoringSeconds float64                `json:"scoring_seconds"`
	Runs           []evaluationRun        `json:"runs"`
	Model          *likelihood.Provenance `json:"model,omitempty"`
}

type evaluationRun struct {
	Features string  `json:"features"`
	Seconds  float64 `json:"seconds"` // wall time of the fits and predictions

	evaluate.Comparison
}

// evaluateModel measures the likelihood model: on the listed networks
// with the configured model (they must be networks it never saw), or by
// cross-validation over folds of networks.
func evaluateModel(ctx context.Context, opts *evaluateOptions, env *pipeline.ScoringEnv, rels *asrel.Set) error {
	a := opts.app
	src := pairSource{labels: rels, only: opts.asns, exclude: opts.exclude, paper: true}
	if opts.temporal != "" {
		older, err := asrel.Load(opts.temporal)
		if err != nil {
			return err
		}
		src.older = older
	}
	start := time.Now()
	l, err := a.labelledPairs(ctx, env, env.Graph, src)
	if err != nil {
		return err
	}
	ev := evaluation{Labels: opts.asRel, Temporal: opts.temporal, Pairs: 2 * len(l.Pairs), ScoringSeconds: time.Since(start).Seconds()}
	if len(opts.asns) > 0 {
		m := env.Scorer.Model
		ev.Model = &m.Provenance
		start = time.Now()
		c := evaluate.HeldOut(l, m)
		ev.Runs = append(ev.Runs, evaluationRun{Features: featuresName(m.Topology), Seconds: time.Since(start).Seconds(), Comparison: c})
	} else {
		fo := likelihood.DefaultFitOptions()
		fo.Folds = opts.calFolds
		fo.L2 = opts.l2
		variants := []bool{false}
		if env.Graph != nil {
			variants = append(variants, true)
		}
		for _, topo := range variants {
			start = time.Now()
			c, err := evaluate.CrossValidate(ctx, l, topo, opts.folds, fo)
			if err != nil {
				return err
			}
			ev.Runs = append(ev.Runs, evaluationRun{Features: featuresName(topo), Seconds: time.Since(start).Seconds(), Comparison: c})
		}
	}
	last := ev.Runs[len(ev.Runs)-1].Methods[0].Metrics
	if opts.png != "" {
		title := fmt.Sprintf("Reliability: %s, %s", ev.Runs[len(ev.Runs)-1].Mode, ev.Runs[len(ev.Runs)-1].Features)
		if err := writeWith(opts.png, func(f *os.File) error { return evaluate.WriteReliabilityPNG(f, title, last.Reliability) }); err != nil {
			return err
		}
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(ev)
	}
	fmt.Fprintf(a.io.Out, "Scored %d ordered pairs in %.0f s.\n", ev.Pairs, ev.ScoringSeconds)
	for _, run := range ev.Runs {
		if err := printComparison(a.io.Out, run); err != nil {
			return err
		}
	}
	fmt.Fprintln(a.io.Out, "\nReliability of the likelihood model (equal-count bins):")
	return evaluate.WriteReliabilityTable(a.io.Out, last.Reliability)
}

func featuresName(topology bool) string {
	if topology {
		return "PeeringDB + topology"
	}
	return "PeeringDB"
}

// printComparison writes one run as a table, a method a row.
func printComparison(w io.Writer, run evaluationRun) error {
	c := run.Comparison
	m0 := c.Methods[0].Metrics
	switch c.Mode {
	case "cross-validation":
		fmt.Fprintf(w, "\n%d-fold cross-validation over disjoint networks, %s features: %d networks, %d test pairs (%d peers)\n",
			c.Folds, run.Features, c.Networks, m0.Pairs, m0.Positives)
	default:
		fmt.Fprintf(w, "\nNetworks the model never saw (%s features): %d networks, %d ordered pairs (%d peers)\n",
			run.Features, c.Networks, m0.Pairs, m0.Positives)
	}
	fmt.Fprintf(w, "(%.0f s)\n", run.Seconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tROC AUC\tavg prec\tP@10\trandom@10\trecall\tnon-peers rec.\tnon-peers @85% recall\tBrier\t")
	for _, m := range c.Methods {
		x := m.Metrics
		brier := "—"
		if len(x.Reliability) > 0 {
			brier = fmt.Sprintf("%.4f", x.Brier)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t\n", m.Name, x.AUC, x.AP, x.PrecisionAt10, x.RandomAt10,
			x.Recall, x.FalseRecRate, x.FalseRecAt85, brier)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, m := range c.Methods {
		fmt.Fprintf(w, "  %s: recommended when %s\n", m.Name, m.Rule)
	}
	return nil
}
