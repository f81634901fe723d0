package evaluate

import (
	"fmt"
	"io"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/peerform/peerform/internal/decide/likelihood"
)

// WriteReliabilityTable writes a reliability diagram as text: per bin of
// predictions, the mean predicted probability against the observed share
// of peers, with a bar for each.
func WriteReliabilityTable(w io.Writer, bins []likelihood.Bin) error {
	const width = 40
	var top float64
	for _, b := range bins {
		top = max(top, b.MeanPredicted, b.Observed)
	}
	bar := func(v float64) string {
		if top <= 0 {
			return ""
		}
		return strings.Repeat("#", int(v/top*width+0.5))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-19s %7s %9s %9s  %s\n", "predicted range", "pairs", "predicted", "observed", "observed (#), scaled to the largest")
	for _, x := range bins {
		fmt.Fprintf(&b, "%.4f – %.4f %9d %9.4f %9.4f  %s\n", x.Low, x.High, x.Count, x.MeanPredicted, x.Observed, bar(x.Observed))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteReliabilityPNG plots observed against predicted per bin, with the
// diagonal of perfect calibration, as a PNG.
func WriteReliabilityPNG(w io.Writer, title string, bins []likelihood.Bin) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "predicted probability (bin mean)"
	p.Y.Label.Text = "observed share of peers"
	var top float64
	pts := make(plotter.XYs, len(bins))
	for i, b := range bins {
		pts[i].X, pts[i].Y = b.MeanPredicted, b.Observed
		top = max(top, b.MeanPredicted, b.Observed)
	}
	top = min(1, top*1.1+0.01)
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: top, Y: top}})
	if err != nil {
		return err
	}
	diag.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	line, points, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	p.Add(plotter.NewGrid(), diag, line, points)
	p.Legend.Add("perfect calibration", diag)
	p.Legend.Add("model (equal-count bins)", line, points)
	p.Legend.Top, p.Legend.Left = true, true
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, top, 0, top
	wt, err := p.WriterTo(6*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}
