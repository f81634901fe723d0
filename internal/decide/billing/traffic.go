package billing

import (
	"fmt"
	"slices"
)

// Sample is the length of one traffic sample: transit is billed on
// 5-minute rates.
const (
	SampleSeconds = 300
	SamplesPerDay = 24 * 3600 / SampleSeconds
)

// Percentile95 is the 95th percentile as transit bills it: sort the n
// samples, discard the top 5 % of them (⌊n/20⌋ samples, so that a month
// of 8,640 samples drops 432 and fewer than 20 samples drop none), and take
// the highest remaining. 0 for no samples. Integer arithmetic: no
// floating-point rounding decides which sample is billed.
func Percentile95(samples []float64) float64 {
	n := len(samples)
	if n == 0 {
		return 0
	}
	return nth(slices.Clone(samples), n-n/20-1)
}

// nth is the k-th smallest of s (0-based), found by quickselect in
// linear expected time (the break-even search bills a month of samples
// dozens of times); s is reordered.
func nth(s []float64, k int) float64 {
	lo, hi := 0, len(s)-1
	for lo < hi {
		// Median of three as the pivot: sorted and periodic series stay
		// linear.
		mid := lo + (hi-lo)/2
		if s[mid] < s[lo] {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if s[hi] < s[lo] {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if s[hi] < s[mid] {
			s[hi], s[mid] = s[mid], s[hi]
		}
		pivot := s[mid]
		i, j := lo, hi
		for i <= j {
			for s[i] < pivot {
				i++
			}
			for s[j] > pivot {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}

// Direction says which traffic a 95th-percentile or per-GB charge counts.
type Direction string

// The billed directions. Max is the usual transit convention: the 95th
// percentile of each direction is taken separately and the larger one is
// billed. Sum adds the two directions sample by sample first.
const (
	Max Direction = "max"
	In  Direction = "in"
	Out Direction = "out"
	Sum Direction = "sum"
)

func (d Direction) String() string { return string(d) }

// Directions lists the accepted spellings, for messages.
var Directions = []Direction{Max, In, Out, Sum}

// ParseDirection accepts the spellings of Directions; "" is Max.
func ParseDirection(s string) (Direction, error) {
	if s == "" {
		return Max, nil
	}
	if d := Direction(s); slices.Contains(Directions, d) {
		return d, nil
	}
	return "", fmt.Errorf("billed direction %q is not one of max, in, out, sum", s)
}

// Traffic is a month of 5-minute rates in Mbps, per direction (In is what
// we receive, Out what we send). Both series have the same length. A
// modelled volume is one sample per direction: a flat rate.
type Traffic struct {
	In, Out []float64
}

// Flat is a constant rate all month.
func Flat(inMbps, outMbps float64) Traffic {
	return Traffic{In: []float64{inMbps}, Out: []float64{outMbps}}
}

// Len is the number of samples.
func (t Traffic) Len() int { return min(len(t.In), len(t.Out)) }

// Scale multiplies every sample by f.
func (t Traffic) Scale(f float64) Traffic {
	mul := func(s []float64) []float64 {
		out := make([]float64, len(s))
		for i, v := range s {
			out[i] = v * f
		}
		return out
	}
	return Traffic{In: mul(t.In), Out: mul(t.Out)}
}

// Add is t + f·u sample by sample, floored at 0 (a sample cannot carry
// less than nothing). u must be as long as t, flat (one sample) or empty (nothing).
func (t Traffic) Add(u Traffic, f float64) Traffic {
	add := func(a, b []float64) []float64 {
		out := make([]float64, len(a))
		for i, v := range a {
			var w float64
			switch len(b) {
			case len(a):
				w = b[i]
			case 1:
				w = b[0]
			}
			out[i] = max(0, v+f*w)
		}
		return out
	}
	return Traffic{In: add(t.In, u.In), Out: add(t.Out, u.Out)}
}

// P95 is the billed 95th percentile in direction d.
func (t Traffic) P95(d Direction) float64 {
	switch d {
	case In:
		return Percentile95(t.In)
	case Out:
		return Percentile95(t.Out)
	case Sum:
		both := make([]float64, t.Len())
		for i := range both {
			both[i] = t.In[i] + t.Out[i]
		}
		return Percentile95(both)
	}
	return max(Percentile95(t.In), Percentile95(t.Out))
}

// GB is the volume of a month of monthDays days in each direction, in
// decimal gigabytes (10⁹ bytes): Mbps × 300 s / 8 per sample. A series
// shorter or longer than the month is scaled to it at its average rate,
// so a flat rate of 1 Mbps is 324 GB in a 30-day month.
func (t Traffic) GB(monthDays int) (in, out float64) {
	n := t.Len()
	if n == 0 {
		return 0, 0
	}
	scale := float64(monthDays*SamplesPerDay) / float64(n)
	vol := func(s []float64) float64 {
		var mbit float64
		for _, v := range s[:n] {
			mbit += v * SampleSeconds
		}
		return mbit / 8 / 1000 * scale
	}
	return vol(t.In), vol(t.Out)
}
