package evaluate

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Mark is a reference point drawn on the plot, such as the paper's recall.
type Mark struct {
	Label     string
	Threshold float64
	Recall    float64
}

// Plot geometry, in SVG user units.
const (
	plotW, plotH             = 800, 440
	left, right, top, bottom = 70, 240, 50, 60
)

// WriteSVG draws recall and the share of other pairs recommended against
// the threshold: a self-contained SVG any browser shows.
func WriteSVG(w io.Writer, rep Report, title string, marks []Mark) error {
	var b bytes.Buffer
	iw, ih := float64(plotW-left-right), float64(plotH-top-bottom)
	x := func(t float64) float64 { return left + t*iw }
	y := func(v float64) float64 { return top + (1-v)*ih }
	esc := func(s string) string {
		var e strings.Builder
		xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", left, esc(title))
	// Grid and axes.
	for i := 0; i <= 10; i++ {
		t := float64(i) / 10
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e5e5e5"/>`+"\n", x(t), top, x(t), plotH-bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%.1f</text>`+"\n", x(t), plotH-bottom+18, t)
	}
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>`+"\n", left, y(v), plotW-right, y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%d%%</text>`+"\n", left-8, y(v), i*20)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", left, top, iw, ih)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">threshold θ (recommend when felicity ≥ θ)</text>`+"\n", x(0.5), plotH-18)
	fmt.Fprintf(&b, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle">pairs recommended</text>`+"\n", y(0.5))
	// The two curves.
	curve := func(colour string, val func(Point) float64) {
		var pts []string
		for _, p := range rep.Sweep {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.Threshold), y(val(p))))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"/>`+"\n", strings.Join(pts, " "), colour)
		for _, p := range rep.Sweep {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`+"\n", x(p.Threshold), y(val(p)), colour)
		}
	}
	const blue, orange = "#1f77b4", "#ff7f0e"
	curve(blue, func(p Point) float64 { return p.Recall })
	curve(orange, func(p Point) float64 { return p.OtherRate })
	// The chosen threshold.
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#555" stroke-dasharray="5,4"/>`+"\n", x(rep.Threshold), top, x(rep.Threshold), plotH-bottom)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11">θ = %.2f</text>`+"\n", x(rep.Threshold)+4, top+14, rep.Threshold)
	for _, m := range marks {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="6" fill="none" stroke="#2ca02c" stroke-width="2"/>`+"\n", x(m.Threshold), y(m.Recall))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#2ca02c">%s</text>`+"\n", x(m.Threshold)+9, y(m.Recall)-8, esc(m.Label))
	}
	// Legend with the numbers at the chosen threshold.
	lx := float64(plotW - right + 16)
	legend := []struct {
		colour, label, value string
	}{
		{blue, "known peers recommended", fmt.Sprintf("%d of %d (%.0f%%)", rep.P2PRecommended, rep.P2PPairs, 100*rep.Recall)},
		{orange, "other pairs recommended", fmt.Sprintf("%d of %d (%.0f%%)", rep.OtherRecommended, rep.OtherPairs, 100*rep.OtherRate)},
	}
	for i, l := range legend {
		ly := float64(top + 10 + i*48)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/>`+"\n", lx, ly, lx+22, ly, l.colour)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" dominant-baseline="middle">%s</text>`+"\n", lx+28, ly, esc(l.label))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="11" fill="#555">at θ %.2f: %s</text>`+"\n", lx+28, ly+16, rep.Threshold, esc(l.value))
	}
	mode := "one direction"
	if rep.Holistic {
		mode = "holistic"
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#555">%d ordered pairs, %s</text>`+"\n", lx, top+110, rep.Pairs, esc(mode))
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="11" fill="#555">%d not scorable</text>`+"\n", lx, top+126, rep.Unscored)
	b.WriteString("</svg>\n")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing SVG: %w", err)
	}
	return nil
}
