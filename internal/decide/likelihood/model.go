package likelihood

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// FormatVersion is the model file format this package reads and writes.
const FormatVersion = 1

// MaxModelBytes bounds a model file (a real one is a few KB).
const MaxModelBytes = 1 << 20

// Model is a fitted, calibrated likelihood model.
type Model struct {
	Format int `json:"format_version"`
	// Topology says the model needs relationships-file features.
	Topology bool     `json:"topology"`
	Features []string `json:"features"`
	// Mean and Scale standardise each feature: (x − Mean)/Scale.
	Mean  []float64 `json:"mean"`
	Scale []float64 `json:"scale"`
	// Low and High are each feature's range in the training data; inputs
	// are clipped to it, so a network larger than any the model saw does
	// not ride a square or a product off into extrapolation.
	Low  []float64 `json:"low"`
	High []float64 `json:"high"`
	// Coef are the logistic regression's weights on standardised
	// features; Intercept its bias.
	Coef      []float64 `json:"coefficients"`
	Intercept float64   `json:"intercept"`
	// Calibration maps the raw logistic output to a probability:
	// a non-decreasing step function fitted on held-out networks.
	Calibration Calibration `json:"calibration"`
	// Threshold is the probability at which a candidate is recommended,
	// chosen on held-out networks (see Provenance.ThresholdRule).
	Threshold  float64    `json:"threshold"`
	Provenance Provenance `json:"provenance"`
}

// Calibration is an isotonic map: raw scores X (ascending) to
// probabilities Y (non-decreasing), linear between points, flat beyond
// (so rankings break its ties by the raw score: see Scored).
type Calibration struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// Provenance says where a model came from and how well it did on data it
// was not fitted on.
type Provenance struct {
	Created  time.Time `json:"created"`
	Data     string    `json:"data"`
	Labels   string    `json:"labels"`
	Topology string    `json:"topology,omitempty"`
	Command  string    `json:"command,omitempty"`
	// Pairs and Positives count ordered pairs (both directions of each).
	Pairs     int `json:"pairs"`
	Positives int `json:"positives"`
	Networks  int `json:"networks"`
	// Excluded are networks kept out of the training data entirely.
	Excluded []string `json:"excluded,omitempty"`
	Folds    int      `json:"folds"`
	// L2 is the ridge penalty chosen among L2Tried by the held-out log
	// loss of the inner folds.
	L2            float64   `json:"l2"`
	L2Tried       []float64 `json:"l2_tried,omitempty"`
	ThresholdRule string    `json:"threshold_rule"`
	// HeldOut are the metrics of network-disjoint cross-validation.
	HeldOut Metrics `json:"held_out"`
}

// Read parses and checks a model (untrusted input: bounded, every array
// the right length, every number finite).
func Read(r io.Reader) (*Model, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxModelBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxModelBytes {
		return nil, fmt.Errorf("model is larger than %d bytes", MaxModelBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Model
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return &m, m.Check()
}

// Check reports a model this build cannot use.
func (m *Model) Check() error {
	if m.Format != FormatVersion {
		return fmt.Errorf("model format %d, this peerform reads %d (refit it with peerform model fit)", m.Format, FormatVersion)
	}
	want := FeatureNames(m.Topology)
	if !slices.Equal(m.Features, want) {
		return errors.New("model features differ from this peerform's (refit it with peerform model fit)")
	}
	n := len(want)
	if len(m.Mean) != n || len(m.Scale) != n || len(m.Coef) != n || len(m.Low) != n || len(m.High) != n {
		return fmt.Errorf("model has %d/%d/%d/%d/%d mean/scale/coefficients/low/high for %d features",
			len(m.Mean), len(m.Scale), len(m.Coef), len(m.Low), len(m.High), n)
	}
	for j := range m.Low {
		if !(m.Low[j] <= m.High[j]) {
			return fmt.Errorf("model range of %s is empty", m.Features[j])
		}
	}
	finite := func(xs ...float64) bool {
		for _, x := range xs {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return false
			}
		}
		return true
	}
	if !finite(m.Mean...) || !finite(m.Coef...) || !finite(m.Low...) || !finite(m.High...) || !finite(m.Intercept, m.Threshold) || !finite(m.Calibration.X...) || !finite(m.Calibration.Y...) {
		return errors.New("model holds a number that is not finite")
	}
	for _, s := range m.Scale {
		if !(s > 0) || math.IsInf(s, 0) {
			return errors.New("model scale must be positive")
		}
	}
	c := m.Calibration
	if len(c.X) == 0 || len(c.X) != len(c.Y) || !sort.Float64sAreSorted(c.X) || !sort.Float64sAreSorted(c.Y) || c.Y[0] < 0 || c.Y[len(c.Y)-1] > 1 {
		return errors.New("model calibration must map ascending scores to non-decreasing probabilities in [0, 1]")
	}
	if m.Threshold < 0 || m.Threshold > 1 {
		return fmt.Errorf("model threshold %g is not a probability", m.Threshold)
	}
	return nil
}

// Write stores the model as indented JSON.
func (m *Model) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(m)
}

//go:embed default.json
var defaultJSON []byte

//go:embed default-topology.json
var defaultTopologyJSON []byte

// Default returns the embedded model: with topology features when
// topology is true, else PeeringDB features only.
func Default(topology bool) *Model {
	src := defaultJSON
	if topology {
		src = defaultTopologyJSON
	}
	m, err := Read(bytes.NewReader(src))
	if err != nil {
		panic("likelihood: embedded model: " + err.Error()) // a build defect, caught by tests
	}
	return m
}

// raw is the uncalibrated logistic output and the per-feature
// contributions to its log-odds (relative to an average pair).
func (m *Model) raw(x []float64) (float64, []float64) {
	z := m.Intercept
	contrib := make([]float64, len(x))
	for j, v := range x {
		v = min(max(v, m.Low[j]), m.High[j])
		contrib[j] = m.Coef[j] * (v - m.Mean[j]) / m.Scale[j]
		z += contrib[j]
	}
	return sigmoid(z), contrib
}

// Calibrate maps a raw score to a probability.
func (c Calibration) Calibrate(s float64) float64 {
	i := sort.SearchFloat64s(c.X, s)
	switch {
	case i == 0:
		return c.Y[0]
	case i == len(c.X):
		return c.Y[len(c.Y)-1]
	}
	x0, x1, y0, y1 := c.X[i-1], c.X[i], c.Y[i-1], c.Y[i]
	if x1 == x0 {
		return y1
	}
	return y0 + (y1-y0)*(s-x0)/(x1-x0)
}

// Factor is one reason for or against, in words, with its weight in
// log-odds relative to an average pair.
type Factor struct {
	Text   string  `json:"text"`
	Weight float64 `json:"weight"`
	// About is "requester", "candidate" or "pair": a requester's own
	// factors weigh on every candidate alike.
	About string `json:"about"`
}

// Prediction is the model's answer for one pair.
type Prediction struct {
	Probability float64 `json:"probability"`
	// RawScore is the uncalibrated logistic output: it orders pairs
	// whose probabilities the calibration ties (it is flat beyond its
	// first and last block), and is no probability itself.
	RawScore    float64 `json:"raw_score"`
	Recommended bool    `json:"recommended"`
	Threshold   float64 `json:"threshold"`
	// For and Against are the strongest factors each way, strongest first.
	For     []Factor `json:"for"`
	Against []Factor `json:"against"`
}

// factorsShown is how many factors each way a prediction lists.
const factorsShown = 3

// Predict scores one pair.
func (m *Model) Predict(p *Pair) Prediction {
	x := Vector(p, m.Topology, nil)
	raw, contrib := m.raw(x)
	pr := Prediction{Probability: m.Calibration.Calibrate(raw), RawScore: raw, Threshold: m.Threshold, For: []Factor{}, Against: []Factor{}}
	pr.Recommended = pr.Probability >= m.Threshold
	byFactor := map[string]float64{}
	var order []string
	for j, f := range featureSet(m.Topology) {
		if _, seen := byFactor[f.factor]; !seen {
			order = append(order, f.factor)
		}
		byFactor[f.factor] += contrib[j]
	}
	var all []Factor
	for _, name := range order {
		if w := byFactor[name]; math.Abs(w) >= 0.05 {
			all = append(all, Factor{Text: describe(name, p), Weight: w, About: about(name)})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return math.Abs(all[i].Weight) > math.Abs(all[j].Weight) })
	for _, f := range all {
		switch {
		case f.Weight > 0 && len(pr.For) < factorsShown:
			pr.For = append(pr.For, f)
		case f.Weight < 0 && len(pr.Against) < factorsShown:
			pr.Against = append(pr.Against, f)
		}
	}
	return pr
}

// about says whose attribute a factor is, from its name.
func about(factor string) string {
	switch {
	case strings.HasPrefix(factor, "our "):
		return "requester"
	case strings.HasPrefix(factor, "their "):
		return "candidate"
	}
	return "pair"
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}
