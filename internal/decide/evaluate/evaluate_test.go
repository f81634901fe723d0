package evaluate

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/sources/asrel"
)

func result(r, c bgp.ASN, f, reverse float64) score.Result {
	res := score.Result{Felicity: f}
	res.Requester.ASN, res.Candidate.ASN = r, c
	res.Reverse = &score.Direction{Felicity: reverse}
	return res
}

func testData(t *testing.T) ([]score.Result, *asrel.Set) {
	t.Helper()
	rels, err := asrel.Read(strings.NewReader("1|2|0\n1|3|-1\n2|3|0\n"))
	if err != nil {
		t.Fatal(err)
	}
	return []score.Result{
		result(1, 2, 0.9, 0.2),   // peers
		result(2, 1, 0.6, 0.9),   // peers
		result(1, 3, 0.7, 0.7),   // transit
		result(3, 1, -1, -1),     // transit, unscored
		result(2, 3, 0.4, 0.5),   // peers
		result(3, 2, 0.56, 0.1),  // peers
		result(1, 4, 0.95, 0.95), // unknown relationship
	}, rels
}

func TestEvaluate(t *testing.T) {
	results, rels := testData(t)
	rep := Evaluate(results, rels, 0.55, false, Thresholds(0.25))
	if rep.Pairs != 7 || rep.P2PPairs != 4 || rep.OtherPairs != 3 || rep.Unscored != 1 {
		t.Fatalf("counts %+v", rep)
	}
	if rep.P2PRecommended != 3 || rep.Recall != 0.75 || rep.OtherRecommended != 2 {
		t.Errorf("at 0.55: %d p2p (recall %v), %d others", rep.P2PRecommended, rep.Recall, rep.OtherRecommended)
	}
	if len(rep.Sweep) != 5 || rep.Sweep[0].P2PRecommended != 4 || rep.Sweep[0].OtherRecommended != 2 || rep.Sweep[4].P2PRecommended != 0 {
		t.Errorf("sweep %+v", rep.Sweep)
	}
	hol := Evaluate(results, rels, 0.3, true, nil)
	// Holistic at 0.3: (1,2) fails on 0.2 reverse; (2,1) ok; (2,3) ok; (3,2) fails.
	if hol.P2PRecommended != 2 || hol.OtherRecommended != 2 {
		t.Errorf("holistic: %d p2p, %d others", hol.P2PRecommended, hol.OtherRecommended)
	}
}

func TestWriteCSVAndSVG(t *testing.T) {
	results, rels := testData(t)
	rep := Evaluate(results, rels, 0.55, false, Thresholds(0.05))
	var c bytes.Buffer
	if err := WriteCSV(&c, rep); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 22 || rows[0][0] != "threshold" || rows[12][0] != "0.5500" || rows[12][1] != "3" {
		t.Errorf("CSV rows %d, header %v, θ=0.55 row %v", len(rows), rows[0], rows[12])
	}
	var s bytes.Buffer
	if err := WriteSVG(&s, rep, "Test <plot> & more", []Mark{{"paper: 85%", 0.55, 0.85}}); err != nil {
		t.Fatal(err)
	}
	// It must be well-formed XML with two curves and the escaped title.
	dec := xml.NewDecoder(bytes.NewReader(s.Bytes()))
	polylines := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	if polylines != 2 || !strings.Contains(s.String(), "Test &lt;plot&gt; &amp; more") || !strings.Contains(s.String(), "3 of 4 (75%)") {
		t.Errorf("SVG: %d polylines\n%s", polylines, s.String())
	}
}
