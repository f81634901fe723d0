package billing

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
)

// seq is 1, 2, …, n in a shuffled order: the 95th percentile must not
// depend on the order samples come in.
func seq(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i + 1)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

func repeat(v float64, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestPercentile95(t *testing.T) {
	for _, c := range []struct {
		name    string
		samples []float64
		want    float64
	}{
		// No samples: nothing billed.
		{"empty month", nil, 0},
		// n = 1: ⌊1/20⌋ = 0 discarded, the sample itself.
		{"one sample", []float64{7}, 7},
		// n = 19: ⌊19/20⌋ = 0 discarded: fewer than 20 samples bill the peak.
		{"19 samples", seq(19), 19},
		// n = 20: 1 discarded (the 20), the highest left is 19.
		{"20 samples", seq(20), 19},
		// n = 39: ⌊39/20⌋ = 1 discarded (the 39): 38. ceil(0.95·39) = 38 agrees.
		{"39 samples", seq(39), 38},
		// n = 40: 2 discarded (40, 39): 38.
		{"40 samples", seq(40), 38},
		// A 28-day month: 28 × 288 = 8,064 samples, ⌊8064/20⌋ = 403
		// discarded (5 % is 403.2: the fraction is not discarded), so
		// the 7,661st of 1…8064: 7661.
		{"28-day month", seq(28 * 288), 7661},
		// A 30-day month: 8,640 samples, 432 discarded: 8208.
		{"30-day month", seq(30 * 288), 8208},
		// A 31-day month: 8,928 samples, ⌊446.4⌋ = 446 discarded: 8482.
		{"31-day month", seq(31 * 288), 8482},
		// Ties: 400 samples, 380 of 10 and 20 spikes of 1000; 20
		// discarded, exactly the spikes: 10.
		{"spikes exactly 5 %", append(repeat(10, 380), repeat(1000, 20)...), 10},
		// One spike more than 5 %: 21 of 1000 in 400, 20 discarded: 1000.
		{"spikes over 5 %", append(repeat(10, 379), repeat(1000, 21)...), 1000},
	} {
		if got := Percentile95(c.samples); got != c.want {
			t.Errorf("%s: Percentile95 = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestPercentile95AgreesWithSorting: the quickselect picks the sample a
// full sort would, on random series with many ties, sorted and reversed.
func TestPercentile95AgreesWithSorting(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		n := 1 + rng.IntN(3000)
		s := make([]float64, n)
		levels := 1 + rng.IntN(50)
		for i := range s {
			s[i] = float64(rng.IntN(levels))
		}
		switch rng.IntN(3) {
		case 1:
			slices.Sort(s)
		case 2:
			slices.Sort(s)
			slices.Reverse(s)
		}
		sorted := slices.Clone(s)
		slices.Sort(sorted)
		if got, want := Percentile95(s), sorted[n-n/20-1]; got != want {
			t.Fatalf("%d samples: %v, want %v", n, got, want)
		}
	}
}

func TestTrafficDirectionsAndVolume(t *testing.T) {
	// Two samples, so nothing is discarded: P95 is the larger sample.
	// in = [10, 20], out = [5, 30]: in 20, out 30, max 30; sum per
	// sample [15, 50]: 50.
	tr := Traffic{In: []float64{10, 20}, Out: []float64{5, 30}}
	for d, want := range map[Direction]float64{In: 20, Out: 30, Max: 30, Sum: 50} {
		if got := tr.P95(d); got != want {
			t.Errorf("P95(%s) = %v, want %v", d, got, want)
		}
	}
	for _, c := range []struct {
		name    string
		tr      Traffic
		days    int
		wantIn  float64
		wantOut float64
	}{
		// 1 Mbps for 30 days: 10⁶ bit/s × 2,592,000 s / 8 = 3.24·10¹¹ B.
		{"flat 1 Mbps, 30 days", Flat(1, 2), 30, 324, 648},
		// One sample of 10 Mbps is 10·300/8 = 375 MB; 8,064 of them 3,024 GB.
		{"28-day month of samples", Traffic{In: repeat(10, 28*288), Out: repeat(0, 28*288)}, 28, 3024, 0},
		// 8,928 samples of 10 Mbps: 3,348 GB.
		{"31-day month of samples", Traffic{In: repeat(10, 31*288), Out: repeat(20, 31*288)}, 31, 3348, 6696},
		// A day of 10 Mbps (108 GB) stands for a 30-day month: 3,240 GB.
		{"one day scaled to the month", Traffic{In: repeat(10, 288), Out: repeat(0, 288)}, 30, 3240, 0},
		{"empty", Traffic{}, 30, 0, 0},
	} {
		in, out := c.tr.GB(c.days)
		if !near(in, c.wantIn) || !near(out, c.wantOut) {
			t.Errorf("%s: GB = %v in, %v out; want %v, %v", c.name, in, out, c.wantIn, c.wantOut)
		}
	}
}

func TestTransitBill(t *testing.T) {
	flat := Flat(400, 100) // in 400, out 100 Mbps
	for _, c := range []struct {
		name string
		p    Transit
		tr   Traffic
		want float64
	}{
		// No commit: 0.40 × max(400, 100) = 160.
		{"no commit", Transit{USDPerMbps: 0.4, BurstUSDPerMbps: 0.4, Billed: Max}, flat, 160},
		// Billed on out only: 0.40 × 100 = 40.
		{"billed out", Transit{USDPerMbps: 0.4, BurstUSDPerMbps: 0.4, Billed: Out}, flat, 40},
		// Billed on the sum: 0.40 × 500 = 200.
		{"billed sum", Transit{USDPerMbps: 0.4, BurstUSDPerMbps: 0.4, Billed: Sum}, flat, 200},
		// Commit above usage: the 1000 Mbps commit is billed, 1000 × 0.30.
		{"commit above usage", Transit{USDPerMbps: 0.3, CommitMbps: 1000, BurstUSDPerMbps: 0.5}, flat, 300},
		// Usage exactly at the commit (400): no burst, 400 × 0.30 = 120.
		{"burst exactly at commit", Transit{USDPerMbps: 0.3, CommitMbps: 400, BurstUSDPerMbps: 0.5}, flat, 120},
		// 1200 Mbps on a 1000 commit: 300 + 200 × 0.50 = 400.
		{"burst above commit", Transit{USDPerMbps: 0.3, CommitMbps: 1000, BurstUSDPerMbps: 0.5}, Flat(1200, 0), 400},
		// Zero prices: nothing, whatever the traffic.
		{"zero prices", Transit{CommitMbps: 1000}, flat, 0},
		// Per GB (cloud egress) at 0.09 out and 0.01 in, 30 days:
		// out 100 Mbps = 32,400 GB → 2,916; in 400 Mbps = 129,600 GB → 1,296.
		{"per GB both directions", Transit{EgressUSDPerGB: 0.09, IngressUSDPerGB: 0.01}, flat, 2916 + 1296},
		// Empty month: only the commit.
		{"empty month", Transit{USDPerMbps: 2, CommitMbps: 10, BurstUSDPerMbps: 3, EgressUSDPerGB: 1}, Traffic{}, 20},
		// 5-minute samples, not the average: 20 samples, 18 of 100 and
		// two of 1000 (1 discarded): the 95th is 1000, billed 0.40 × 1000
		// = 400; the average (190) would bill 76.
		{"samples not the average", Transit{USDPerMbps: 0.4, BurstUSDPerMbps: 0.4},
			Traffic{In: append(repeat(100, 18), 1000, 1000), Out: repeat(0, 20)}, 400},
	} {
		if got := c.p.Bill(c.tr, 30); !near(got, c.want) {
			t.Errorf("%s: Bill = %v, want %v", c.name, got, c.want)
		}
	}
	// The month's length changes per-GB charges only: 10 Mbps out at
	// 0.05/GB is 3,024 GB × 0.05 = 151.20 in February, 3,348 GB × 0.05
	// = 167.40 in a 31-day month.
	p := Transit{EgressUSDPerGB: 0.05}
	for days, want := range map[int]float64{28: 151.2, 31: 167.4} {
		if got := p.Bill(Flat(0, 10), days); !near(got, want) {
			t.Errorf("%d-day month: Bill = %v, want %v", days, got, want)
		}
	}
}

func TestPaidCharge(t *testing.T) {
	flat := Flat(100, 40) // 30 days: in 32,400 GB, out 12,960 GB
	for _, c := range []struct {
		name string
		p    Paid
		want float64
	}{
		// 50 flat + 0.20 × max(100, 40) = 70.
		{"per Mbps and flat", Paid{USDPerMbps: 0.2, FlatUSDPerMonth: 50, Billed: Max}, 70},
		// Per GB on both directions: 0.01 × 45,360 = 453.60.
		{"per GB sum", Paid{USDPerGB: 0.01, Billed: Sum}, 453.6},
		// Per GB on the larger direction: 0.01 × 32,400 = 324.
		{"per GB max", Paid{USDPerGB: 0.01, Billed: Max}, 324},
		// Per GB on what we send: 0.01 × 12,960 = 129.60.
		{"per GB out", Paid{USDPerGB: 0.01, Billed: Out}, 129.6},
		{"zero prices", Paid{Billed: Max}, 0},
	} {
		if got := c.p.Charge(flat, 30); !near(got, c.want) {
			t.Errorf("%s: Charge = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPeeringUSD(t *testing.T) {
	p := Prices{PortUSDPerMonth: map[string]float64{"ix:1": 1200}, DefaultPortUSDPerMonth: 500, CrossConnectUSDPerMonth: 150,
		IXPFeeUSDPerMonth: map[string]float64{"ix:1": 100, "ix:2": 50}}
	// ix:1 1200 + fee 100; ix:2 default 500 + fee 50; fac:7 cross-connect 150: 2000.
	if got := p.PeeringUSD([]string{"ix:1", "ix:2", "fac:7"}); got != 2000 {
		t.Errorf("PeeringUSD = %v, want 2000", got)
	}
	if (Prices{}).Priced() || !p.Priced() || !(Prices{Paid: map[bgp.ASN]Paid{64504: {}}}).Priced() {
		t.Error("Priced: an empty block is unpriced, any price makes it priced")
	}
}

// FuzzPercentile95: any series, NaN and infinities included, gives one of
// its samples and terminates.
func FuzzPercentile95(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := make([]float64, 0, len(data)/8)
		for i := 0; i+8 <= len(data); i += 8 {
			s = append(s, math.Float64frombits(binary.LittleEndian.Uint64(data[i:])))
		}
		got := Percentile95(s)
		if len(s) == 0 {
			if got != 0 {
				t.Fatalf("empty: %v", got)
			}
			return
		}
		if !slices.ContainsFunc(s, func(v float64) bool { return v == got || (math.IsNaN(v) && math.IsNaN(got)) }) {
			t.Fatalf("%v is not a sample of %v", got, s)
		}
	})
}
