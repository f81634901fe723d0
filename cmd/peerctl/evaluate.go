package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/peerctl/peerctl/asrel"
	"github.com/peerctl/peerctl/bgp"
	"github.com/peerctl/peerctl/evaluate"
)

type evaluateOptions struct {
	app      *app
	asRel    string
	asns     []bgp.ASN
	flags    scoringFlags
	step     float64
	csv, svg string
	json     bool
}

func newCmdEvaluate(a *app, runF func(*evaluateOptions) error) *cobra.Command {
	opts := &evaluateOptions{app: a}
	var list string
	cmd := &cobra.Command{
		Use:     "evaluate --as-rel FILE --asns LIST",
		GroupID: "data",
		Short:   "Check peer recommendations against known AS relationships",
		Long: `Evaluate scores every ordered pair of the listed networks and compares the
recommendations with an AS-relationships file (CAIDA serial-1 or serial-2,
"a|b|rel[|source]", plain, gzip or bzip2): how many known peer pairs
(rel 0) are recommended (recall), how many other pairs are recommended
too, and both over a sweep of the threshold θ, as a table, a CSV file and
an SVG plot for a browser. The paper reports 85% recall (β 0.15, γ 0.85,
θ 0.55) and 89% in the holistic view (β 0.1, γ 0.85, θ 0.3).`,
		Example: `  # The paper's ISPs on a 2021 US snapshot, against CAIDA's relationships
  peerctl evaluate --peeringdb ../shared/data/peeringdb/us-2021-03 \
    --as-rel ../shared/data/asrel/20250901.as-rel2.txt.bz2 \
    --asns 11492,209,7843,7922,22773,4181,7029,20940,16509,62955,32934,15169,8075,2906,23520,174,6939,2914,3491,1239,701,6461 \
    --assume-ratio AS174=Balanced --csv sweep.csv --svg sweep.svg`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.asRel == "" || list == "" {
				return usageErrorf("--as-rel and --asns are required")
			}
			opts.asns = nil
			for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' }) {
				asn, err := bgp.ParseASN(f)
				if err != nil {
					return &usageError{err}
				}
				opts.asns = append(opts.asns, asn)
			}
			if len(opts.asns) < 2 {
				return usageErrorf("--asns needs at least two networks")
			}
			if !(opts.step > 0 && opts.step <= 0.5) {
				return usageErrorf("--step must be in (0, 0.5], got %g", opts.step)
			}
			if err := opts.flags.resolve(cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return evaluateRun(cmd.Context(), opts)
		},
	}
	opts.flags.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.asRel, "as-rel", "", "AS relationships `file` (CAIDA serial-1/serial-2)")
	fl.StringVar(&list, "asns", "", "networks to pair, comma-separated `list` (AS174,6939,…)")
	fl.Float64Var(&opts.step, "step", 0.05, "threshold sweep step")
	fl.StringVar(&opts.csv, "csv", "", "write the sweep as CSV to `file`")
	fl.StringVar(&opts.svg, "svg", "", "write the sweep as an SVG plot to `file`")
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
	p := env.scorer.Params
	results, missing, err := env.scorer.Pairs(ctx, opts.asns, a.progressBar("scoring pairs"))
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
