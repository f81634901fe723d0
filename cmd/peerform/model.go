package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/pipeline"
	"github.com/peerform/peerform/internal/sources/asrel"
)

type modelFitOptions struct {
	app     *app
	asRel   string
	exclude []bgp.ASN
	folds   int
	l2      []float64
	out     string
	flags   scoringFlags
	json    bool
	args    []string
}

func newCmdModel(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "model",
		GroupID: "data",
		Short:   "Fit the likelihood model behind score and suggest",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return &usageError{fmt.Errorf("model needs a subcommand: fit")}
		},
	}
	cmd.AddCommand(newCmdModelFit(a, nil))
	return cmd
}

func newCmdModelFit(a *app, runF func(*modelFitOptions) error) *cobra.Command {
	opts := &modelFitOptions{app: a}
	var exclude string
	cmd := &cobra.Command{
		Use:   "fit --as-rel FILE --out FILE",
		Short: "Fit a calibrated likelihood model on known peerings",
		Long: `Fit scores every pair of PeeringDB networks that share at least one PoP,
labels a pair positive when the AS-relationships file (--as-rel) calls the
two peers (relationship 0), and fits a logistic regression over their
features. The ridge penalty (chosen among --l2 by held-out log loss),
the calibration and the recommendation threshold (the highest probability
that keeps 85% of peers) come from cross-validation over disjoint sets of
networks, whose metrics are stored in the model with the data it came
from.

With --relationships (an OLDER relationships file than --as-rel, never the
same one), the model also uses each network's topology there: customer
cone, peer degree, providers and customers, and how close the two are
(common neighbours, peers, providers and customers). Point
'scoring { model = … }' (and relationships) at the file written to use it.`,
		Example: `  # Refit the embedded default model (docs/scoring.md)
  peerform model fit --peeringdb ../shared/data/peeringdb/us-2021-03 \
    --as-rel ../shared/data/asrel/20250901.as-rel2.txt.bz2 \
    --exclude 11492,209,7843,7922,22773,4181,7029,20940,16509,62955,32934,15169,8075,2906,23520,174,6939,2914,3491,1239,701,6461 \
    --out likelihood/default.json

  # On your own snapshot and relationships
  peerform model fit --peeringdb data/peeringdb --as-rel rels.txt --out policies/model.json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.asRel == "" || opts.out == "" {
				return usageErrorf("--as-rel and --out are required")
			}
			if opts.folds < 2 || opts.folds > 20 {
				return usageErrorf("--folds must be between 2 and 20, got %d", opts.folds)
			}
			if err := checkPenalties(opts.l2); err != nil {
				return err
			}
			var err error
			if opts.exclude, err = parseASNList("--exclude", exclude); err != nil {
				return &usageError{err}
			}
			if err := opts.flags.resolve(cmd); err != nil {
				return err
			}
			// The invocation, for the model's provenance.
			opts.args = []string{cmd.CommandPath()}
			cmd.Flags().Visit(func(f *pflag.Flag) { opts.args = append(opts.args, "--"+f.Name+"="+f.Value.String()) })
			if runF != nil {
				return runF(opts)
			}
			return modelFitRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.asRel, "as-rel", "", "AS relationships `file` whose peer links are the labels")
	fl.StringVar(&opts.flags.relationships, "relationships", "", "older AS relationships `file` for topology features")
	fl.StringVar(&exclude, "exclude", "", "networks kept out of the training data, comma-separated `list`")
	fl.IntVar(&opts.folds, "folds", 5, "network-disjoint folds for calibration and the held-out metrics")
	fl.Float64SliceVar(&opts.l2, "l2", likelihood.DefaultFitOptions().L2, "ridge penalties on standardised coefficients to choose from by inner cross-validation")
	fl.StringVar(&opts.out, "out", "", "write the model to `file`")
	opts.flags.fitting = true
	fl.BoolVar(&opts.json, "json", false, "print the model's provenance as JSON")
	return cmd
}

func modelFitRun(ctx context.Context, opts *modelFitOptions) error {
	a := opts.app
	labels, err := asrel.Load(opts.asRel)
	if err != nil {
		return err
	}
	env, err := a.loadScoring(ctx, opts.flags)
	if err != nil {
		return err
	}
	l, err := a.labelledPairs(ctx, env, env.Graph, pairSource{labels: labels, exclude: opts.exclude})
	if err != nil {
		return err
	}
	fo := likelihood.DefaultFitOptions()
	fo.Folds, fo.L2 = opts.folds, opts.l2
	m, err := likelihood.Fit(l.Dataset(env.Graph != nil), nil, fo)
	if err != nil {
		return err
	}
	meta := env.Store.Meta()
	m.Provenance.Created = time.Now().UTC().Truncate(time.Second)
	m.Provenance.Data = pipeline.DescribeSnapshot(filepath.Base(meta.Source), meta.Generated, meta.Newest)
	m.Provenance.Labels = filepath.Base(opts.asRel) + " (relationship 0 = peers)"
	if opts.flags.relationships != "" {
		m.Provenance.Topology = filepath.Base(opts.flags.relationships)
	}
	m.Provenance.Command = strings.Join(opts.args, " ")
	for _, asn := range opts.exclude {
		m.Provenance.Excluded = append(m.Provenance.Excluded, asn.String())
	}
	if err := writeWith(opts.out, func(f *os.File) error { return m.Write(f) }); err != nil {
		return err
	}
	if opts.json {
		enc := json.NewEncoder(a.io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(m.Provenance)
	}
	h := m.Provenance.HeldOut
	fmt.Fprintf(a.io.Out, "wrote %s: %d ordered pairs (%d of them peers) of %d networks, %d features\n", opts.out, m.Provenance.Pairs, m.Provenance.Positives, m.Provenance.Networks, len(m.Features))
	fmt.Fprintf(a.io.Out, "held out (%d folds of networks): ROC AUC %.3f, average precision %.3f, precision@10 %.3f (random %.3f)\n",
		fo.Folds, h.AUC, h.AP, h.PrecisionAt10, h.RandomAt10)
	fmt.Fprintf(a.io.Out, "threshold %.4f: recall %.3f, non-peers recommended %.3f, Brier %.4f\n", m.Threshold, h.Recall, h.FalseRecRate, h.Brier)
	return nil
}
