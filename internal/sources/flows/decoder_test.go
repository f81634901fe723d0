package flows

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/sources/flows/flowtest"
)

var (
	router = netip.MustParseAddrPort("192.0.2.1:40000")
	t0     = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
)

func sampleFlows(now time.Time) []flowtest.Flow {
	return []flowtest.Flow{
		{Src: netip.MustParseAddr("198.51.100.7"), Dst: netip.MustParseAddr("203.0.113.9"), NextHop: netip.MustParseAddr("192.0.2.11"),
			InIf: 1, OutIf: 2, DstAS: 64501, Bytes: 150000, Packets: 100, Start: now.Add(-30 * time.Second), End: now.Add(-time.Second)},
		{Src: netip.MustParseAddr("2001:db8:12::1"), Dst: netip.MustParseAddr("2001:db8:100::5"),
			InIf: 2, OutIf: 1, SrcAS: 64502, Bytes: 6000, Packets: 4, Start: now.Add(-10 * time.Second), End: now},
	}
}

func decodeAll(t *testing.T, d *Decoder, datagrams ...[]byte) []Record {
	t.Helper()
	var out []Record
	for _, dg := range datagrams {
		d.Decode(dg, router, t0, func(r Record) { out = append(out, r) })
	}
	return out
}

func newDecoder(t testing.TB, l Limits) *Decoder {
	t.Helper()
	d, err := NewDecoder(l)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecodeNetFlowAndIPFIX(t *testing.T) {
	for _, ipfix := range []bool{false, true} {
		name := map[bool]string{false: "netflow-v9", true: "ipfix"}[ipfix]
		t.Run(name, func(t *testing.T) {
			e := &flowtest.Exporter{IPFIX: ipfix, Domain: 7, Boot: t0.Add(-time.Hour), SamplingRate: 100}
			d := newDecoder(t, Limits{})
			flows := sampleFlows(t0)
			// Data before any template is skipped and counted, then
			// templates with the sampling options, then data alone.
			recs := decodeAll(t, d, e.Datagram(t0, flows, false), e.Datagram(t0, nil, true), e.Datagram(t0, flows, false))
			if len(recs) != 2 {
				t.Fatalf("got %d records, want 2: %+v (stats %+v)", len(recs), recs, d.Stats())
			}
			st := d.Stats()
			if st.UnknownTemplate != 1 || st.Records != 2 || st.Malformed != 0 {
				t.Errorf("stats %+v", st)
			}
			r := recs[0]
			if r.Src != flows[0].Src || r.Dst != flows[0].Dst || r.NextHop != flows[0].NextHop || r.InIf != 1 || r.OutIf != 2 || r.DstAS != 64501 {
				t.Errorf("record %+v", r)
			}
			if r.Bytes != 150000*100 || r.Packets != 100*100 || r.SamplingRate != 100 {
				t.Errorf("sampling not applied: %+v", r)
			}
			if !r.End.Equal(flows[0].End) || !r.Start.Equal(flows[0].Start) {
				t.Errorf("times %v–%v, want %v–%v", r.Start, r.End, flows[0].Start, flows[0].End)
			}
			if r6 := recs[1]; r6.Src != flows[1].Src || r6.SrcAS != 64502 || r6.Bytes != 600000 {
				t.Errorf("IPv6 record %+v", r6)
			}
		})
	}
}

// softflowd (and RFC 7014) announce 1 in 100 as samplingPacketInterval 1,
// samplingPacketSpace 99; goflow2 alone would read a rate of 1.
func TestIPFIXPacketSpaceSampling(t *testing.T) {
	e := &flowtest.Exporter{IPFIX: true, Domain: 9, Boot: t0, SamplingRate: 100, PacketSpace: true}
	d := newDecoder(t, Limits{})
	// In the datagram with the options, and in a later one.
	recs := decodeAll(t, d, e.Datagram(t0, sampleFlows(t0), true), e.Datagram(t0, sampleFlows(t0), false))
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	for _, r := range recs {
		if r.SamplingRate != 100 {
			t.Errorf("sampling rate %d, want 100", r.SamplingRate)
		}
	}
}

// softflowd's NetFlow v9 header counts only data records; goflow2 takes
// the count as a number of flow sets and would drop the data sets after
// the templates.
func TestNetFlowV9CountIsNotTrusted(t *testing.T) {
	e := &flowtest.Exporter{Boot: t0.Add(-time.Hour), SamplingRate: 10}
	dg := e.Datagram(t0, sampleFlows(t0), true)
	binary.BigEndian.PutUint16(dg[2:], 2) // templates and options come first: 4 sets before the data
	d := newDecoder(t, Limits{})
	if recs := decodeAll(t, d, dg); len(recs) != 2 {
		t.Fatalf("%d records, want 2 (stats %+v)", len(recs), d.Stats())
	}
}

func TestUnsampledExporterUsesDefaultRate(t *testing.T) {
	e := &flowtest.Exporter{IPFIX: true, Boot: t0}
	d := newDecoder(t, Limits{DefaultSamplingRate: 10})
	recs := decodeAll(t, d, e.Datagram(t0, sampleFlows(t0), true))
	if len(recs) != 2 || recs[0].SamplingRate != 10 || recs[0].Bytes != 1500000 {
		t.Fatalf("records %+v", recs)
	}
}

func TestBadRecordsAreCountedAndSkipped(t *testing.T) {
	good := sampleFlows(t0)[0]
	cases := map[string]struct {
		mod    func(*flowtest.Flow)
		rate   uint32
		both   bool // the fault is the exporter's: both records go
		counts func(Stats) uint64
	}{
		"absurd sampling rate": {func(*flowtest.Flow) {}, 1 << 30, true, func(s Stats) uint64 { return s.BadSamplingRate }},
		"bytes beyond packets": {func(f *flowtest.Flow) { f.Bytes, f.Packets = 1<<40, 1 }, 0, false, func(s Stats) uint64 { return s.BadVolume }},
		"no packets":           {func(f *flowtest.Flow) { f.Packets = 0 }, 0, false, func(s Stats) uint64 { return s.BadVolume }},
		"overflowing rate":     {func(f *flowtest.Flow) { f.Bytes, f.Packets = 1<<60, 1<<50 }, 1 << 19, false, func(s Stats) uint64 { return s.BadVolume }},
		"future clock":         {func(f *flowtest.Flow) { f.End = t0.Add(time.Hour); f.Start = f.End }, 0, false, func(s Stats) uint64 { return s.Clock }},
		"stale clock":          {func(f *flowtest.Flow) { f.End = t0.Add(-48 * time.Hour); f.Start = f.End }, 0, false, func(s Stats) uint64 { return s.Clock }},
		"no source address":    {func(f *flowtest.Flow) { f.Src = netip.IPv4Unspecified() }, 0, false, func(s Stats) uint64 { return s.BadAddress }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := good
			c.mod(&f)
			for _, ipfix := range []bool{false, true} {
				e := &flowtest.Exporter{IPFIX: ipfix, Boot: t0.Add(-72 * time.Hour), SamplingRate: c.rate}
				d := newDecoder(t, Limits{})
				recs := decodeAll(t, d, e.Datagram(t0, []flowtest.Flow{f, good}, true))
				st := d.Stats()
				if c.both {
					if len(recs) != 0 || c.counts(st) != 2 {
						t.Errorf("ipfix=%v: records %+v, stats %+v", ipfix, recs, st)
					}
					continue
				}
				if len(recs) != 1 || c.counts(st) != 1 || st.Skipped() != 1 {
					t.Errorf("ipfix=%v: records %+v, stats %+v", ipfix, recs, st)
				}
			}
		})
	}
}

// A template flood (every template ID, from one exporter) costs the
// flooder its own older templates, never memory.
func TestTemplateFloodIsBounded(t *testing.T) {
	d := newDecoder(t, Limits{MaxTemplates: 16})
	for id := 256; id < 4096; id++ {
		body := binary.BigEndian.AppendUint16(nil, uint16(id))
		body = binary.BigEndian.AppendUint16(body, 1)
		body = binary.BigEndian.AppendUint16(body, 8) // sourceIPv4Address
		body = binary.BigEndian.AppendUint16(body, 4)
		decodeAll(t, d, ipfixDatagram(setBytes(2, body)))
	}
	st := d.Stats()
	if n := d.exporters[router.Addr()].templates.len(); n != 16 {
		t.Errorf("holds %d templates, want 16", n)
	}
	if st.TemplatesEvicted != 4096-256-16 || st.Malformed != 0 {
		t.Errorf("stats %+v", st)
	}
}

// Templates goflow2 would decode forever, or that no router sends, are
// refused; the datagram counts as malformed and decoding goes on.
func TestHostileTemplatesAreRefused(t *testing.T) {
	zeroLen := binary.BigEndian.AppendUint16(nil, 300)
	zeroLen = binary.BigEndian.AppendUint16(zeroLen, 1)
	zeroLen = binary.BigEndian.AppendUint16(zeroLen, 8)
	zeroLen = binary.BigEndian.AppendUint16(zeroLen, 0) // a field of length 0
	empty := binary.BigEndian.AppendUint16(nil, 301)
	empty = binary.BigEndian.AppendUint16(empty, 0) // no field at all
	wide := binary.BigEndian.AppendUint16(nil, 302)
	wide = binary.BigEndian.AppendUint16(wide, 200)
	for i := 0; i < 200; i++ {
		wide = binary.BigEndian.AppendUint16(wide, 1)
		wide = binary.BigEndian.AppendUint16(wide, 4)
	}
	d := newDecoder(t, Limits{})
	for _, tmpl := range [][]byte{zeroLen, empty, wide} {
		id := binary.BigEndian.Uint16(tmpl)
		data := setBytes(id, make([]byte, 64))
		decodeAll(t, d, ipfixDatagram(append(setBytes(2, tmpl), data...)), ipfixDatagram(data))
	}
	st := d.Stats()
	if st.TemplatesRefused != 3 || st.Malformed != 3 || st.UnknownTemplate != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestExporterLimit(t *testing.T) {
	d := newDecoder(t, Limits{MaxExporters: 2, ExporterIdle: time.Minute})
	e := &flowtest.Exporter{IPFIX: true, Boot: t0}
	dg := e.Datagram(t0, sampleFlows(t0), true)
	n := 0
	emit := func(Record) { n++ }
	for i, when := range []time.Time{t0, t0, t0.Add(30 * time.Second), t0.Add(2 * time.Minute)} {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i)}), 2055)
		d.Decode(dg, src, when, emit)
	}
	st := d.Stats()
	// The third exporter arrives while both others are active: refused.
	// The fourth arrives when the first two have been idle: admitted.
	if st.NoExporter != 1 || st.ExportersEvicted != 1 || d.Exporters() != 2 || n != 6 {
		t.Errorf("stats %+v, exporters %d, records %d", st, d.Exporters(), n)
	}
	allow := newDecoder(t, Limits{Allow: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/28")}})
	allow.Decode(dg, netip.MustParseAddrPort("192.0.2.200:1"), t0, emit)
	if allow.Stats().NoExporter != 1 {
		t.Errorf("a source outside Allow was accepted: %+v", allow.Stats())
	}
}

func TestGarbageIsCounted(t *testing.T) {
	d := newDecoder(t, Limits{})
	decodeAll(t, d, nil, []byte{0, 9}, []byte{0, 9, 0, 1, 2, 3, 4, 5}, []byte("GET / HTTP/1.1\r\n"), []byte{0, 0, 0, 5, 0, 0, 0, 1})
	st := d.Stats()
	if st.Datagrams != 5 || st.Malformed != 4 || st.Unsupported != 1 || st.Records != 0 {
		t.Errorf("stats %+v", st)
	}
}

func setBytes(id uint16, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)+4))
	return append(b, body...)
}

func ipfixDatagram(sets []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, 10)
	b = binary.BigEndian.AppendUint16(b, uint16(16+len(sets)))
	b = binary.BigEndian.AppendUint32(b, uint32(t0.Unix()))
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, 0)
	return append(b, sets...)
}

func TestReplayCapture(t *testing.T) {
	e := &flowtest.Exporter{IPFIX: true, Boot: t0}
	from := netip.MustParseAddrPort("192.0.2.1:50000")
	var pkts []flowtest.Packet
	for i, to := range []string{"198.51.100.10:2055", "198.51.100.10:9999", "[2001:db8::10]:2055"} {
		src := from
		if i == 2 {
			src = netip.MustParseAddrPort("[2001:db8::1]:50000")
		}
		pkts = append(pkts, flowtest.Packet{Time: t0.Add(time.Duration(i) * time.Second), From: src,
			To: netip.MustParseAddrPort(to), Payload: e.Datagram(t0, sampleFlows(t0), true)})
	}
	var capture bytes.Buffer
	if err := flowtest.WritePcap(&capture, pkts); err != nil {
		t.Fatal(err)
	}
	d := newDecoder(t, Limits{})
	var recs []Record
	n, err := Replay(bytes.NewReader(capture.Bytes()), 2055, d, func(r Record) { recs = append(recs, r) })
	if err != nil || n != 2 || len(recs) != 4 {
		t.Fatalf("replayed %d datagrams, %d records: %v", n, len(recs), err)
	}
	if recs[2].Exporter != netip.MustParseAddr("2001:db8::1") {
		t.Errorf("exporter %v", recs[2].Exporter)
	}
	huge := bytes.Clone(capture.Bytes())
	huge[16], huge[17], huge[18], huge[19] = 0xff, 0xff, 0xff, 0x7f // snap length 2 GiB
	if _, err := Replay(bytes.NewReader(huge), 0, d, func(Record) {}); err == nil {
		t.Error("a 2 GiB snap length was accepted")
	}
}

func FuzzReplay(f *testing.F) {
	e := &flowtest.Exporter{IPFIX: true, Boot: t0}
	var capture bytes.Buffer
	flowtest.WritePcap(&capture, []flowtest.Packet{{Time: t0, From: router, To: netip.MustParseAddrPort("198.51.100.10:2055"),
		Payload: e.Datagram(t0, sampleFlows(t0), true)}})
	f.Add(capture.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		d, _ := NewDecoder(Limits{})
		Replay(bytes.NewReader(b), 0, d, func(Record) {})
	})
}
