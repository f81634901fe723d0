package flows

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/sources/flows/flowtest"
)

// fuzzDecode decodes a datagram after the exporter's templates (so that
// mutations reach data-set decoding, not only template parsing) and
// checks what any accepted record must satisfy.
func fuzzDecode(t *testing.T, d *Decoder, templates, datagram []byte) {
	emit := func(r Record) {
		if !r.Src.IsValid() || !r.Dst.IsValid() || r.Src.Is4() != r.Dst.Is4() {
			t.Fatalf("record with bad addresses: %+v", r)
		}
		if r.Packets == 0 || r.Bytes < r.Packets || r.SamplingRate == 0 || r.Start.After(r.End) {
			t.Fatalf("record with bad volume or times: %+v", r)
		}
		if r.End.After(t0.Add(DefaultLimits.MaxClockAhead)) || r.End.Before(t0.Add(-DefaultLimits.MaxFlowAge)) {
			t.Fatalf("record outside the clock window: %+v", r)
		}
	}
	if templates != nil {
		d.Decode(templates, router, t0, emit)
	}
	d.Decode(datagram, router, t0, emit)
	st := d.Stats()
	if st.Malformed+st.Unsupported > st.Datagrams {
		t.Fatalf("stats %+v", st)
	}
	for _, e := range d.exporters {
		if e.templates.len() > DefaultLimits.MaxTemplates || len(e.sampling.order) > DefaultLimits.MaxTemplates {
			t.Fatalf("%d templates, %d sampling rates held", e.templates.len(), len(e.sampling.order))
		}
	}
}

func fuzzNetFlow(f *testing.F, ipfix bool) {
	e := &flowtest.Exporter{IPFIX: ipfix, Domain: 3, Boot: t0.Add(-time.Hour), SamplingRate: 64}
	templates := e.Datagram(t0, nil, true)
	f.Add(e.Datagram(t0, sampleFlows(t0), false))
	f.Add(e.Datagram(t0, sampleFlows(t0), true))
	f.Add(templates)
	f.Fuzz(func(t *testing.T, datagram []byte) {
		d, err := NewDecoder(Limits{})
		if err != nil {
			t.Fatal(err)
		}
		fuzzDecode(t, d, templates, datagram)
	})
}

func FuzzDecodeNetFlowV9(f *testing.F) { fuzzNetFlow(f, false) }

func FuzzDecodeIPFIX(f *testing.F) { fuzzNetFlow(f, true) }

func FuzzDecodeSFlow(f *testing.F) {
	files, _ := filepath.Glob("testdata/sflow/*.bin")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, datagram []byte) {
		d, err := NewDecoder(Limits{})
		if err != nil {
			t.Fatal(err)
		}
		fuzzDecode(t, d, nil, datagram)
	})
}

// BenchmarkDecode measures records decoded per second on one core, from
// IPFIX datagrams of 20 records as a router sends them.
func BenchmarkDecode(b *testing.B) {
	for _, ipfix := range []bool{false, true} {
		b.Run(map[bool]string{false: "netflow-v9", true: "ipfix"}[ipfix], func(b *testing.B) {
			e := &flowtest.Exporter{IPFIX: ipfix, Boot: t0.Add(-time.Hour), SamplingRate: 1000}
			d := newDecoder(b, Limits{})
			d.Decode(e.Datagram(t0, nil, true), router, t0, func(Record) {})
			var flows []flowtest.Flow
			for i := range 20 {
				f := sampleFlows(t0)[i%2]
				f.Dst = f.Dst.Next()
				flows = append(flows, f)
			}
			dg := e.Datagram(t0, flows, false)
			n := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				d.Decode(dg, router, t0, func(Record) { n++ })
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
