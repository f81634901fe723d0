package flows

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/sflow"
	flowpb "github.com/netsampler/goflow2/v2/pb"
	"github.com/netsampler/goflow2/v2/producer"
	protoproducer "github.com/netsampler/goflow2/v2/producer/proto"
)

// Limits bound what the decoder keeps and accepts. The zero value of a
// field means its default (DefaultLimits).
type Limits struct {
	// MaxExporters is how many exporters (datagram sources) have state
	// at once; a new one replaces the longest-idle one if that has been
	// silent for ExporterIdle, else its datagrams are refused.
	MaxExporters int
	ExporterIdle time.Duration
	// Allow, when not empty, lists the only sources accepted.
	Allow []netip.Prefix
	// MaxTemplates per exporter (all versions and observation domains),
	// and MaxTemplateFields per template.
	MaxTemplates      int
	MaxTemplateFields int
	// DefaultSamplingRate applies to records whose exporter announced
	// none (unsampled exports, or options not yet received);
	// MaxSamplingRate is the highest 1-in-N rate believed.
	DefaultSamplingRate uint32
	MaxSamplingRate     uint32
	// A record is skipped when its flow ended more than MaxFlowAge
	// before the datagram arrived, or more than MaxClockAhead after.
	MaxFlowAge    time.Duration
	MaxClockAhead time.Duration
}

// DefaultLimits are generous for a network's border routers: a router
// exports a handful of templates, samples at 1:1 to 1:65536, and exports
// flows within minutes (active timeouts of 1–30 minutes).
var DefaultLimits = Limits{
	MaxExporters: 256, ExporterIdle: 15 * time.Minute,
	MaxTemplates: 256, MaxTemplateFields: 128,
	DefaultSamplingRate: 1, MaxSamplingRate: 1 << 20,
	MaxFlowAge: time.Hour, MaxClockAhead: 2 * time.Minute,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	return Limits{
		MaxExporters: cmp.Or(l.MaxExporters, d.MaxExporters), ExporterIdle: cmp.Or(l.ExporterIdle, d.ExporterIdle),
		Allow:        l.Allow,
		MaxTemplates: cmp.Or(l.MaxTemplates, d.MaxTemplates), MaxTemplateFields: cmp.Or(l.MaxTemplateFields, d.MaxTemplateFields),
		DefaultSamplingRate: cmp.Or(l.DefaultSamplingRate, d.DefaultSamplingRate),
		MaxSamplingRate:     cmp.Or(l.MaxSamplingRate, d.MaxSamplingRate),
		MaxFlowAge:          cmp.Or(l.MaxFlowAge, d.MaxFlowAge), MaxClockAhead: cmp.Or(l.MaxClockAhead, d.MaxClockAhead),
	}
}

// exporter is the state kept per datagram source: its templates and the
// goflow2 producer that remembers its sampling rates.
type exporter struct {
	templates *templates
	sampling  *samplingRates
	producer  producer.ProducerInterface
	lastSeen  time.Time
}

// Decoder turns datagrams into Records. It is safe for concurrent use.
type Decoder struct {
	limits Limits
	cfg    protoproducer.ProtoProducerConfig
	c      counters

	mu        sync.Mutex
	exporters map[netip.Addr]*exporter
}

// NewDecoder returns a decoder with the given limits (zero fields take
// their defaults).
func NewDecoder(l Limits) (*Decoder, error) {
	cfg, err := (&protoproducer.ProducerConfig{}).Compile()
	if err != nil {
		return nil, err
	}
	return &Decoder{limits: l.withDefaults(), cfg: cfg, exporters: map[netip.Addr]*exporter{}}, nil
}

// Stats returns the running totals.
func (d *Decoder) Stats() Stats { return d.c.snapshot() }

// Exporters is the number of exporters with state.
func (d *Decoder) Exporters() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.exporters)
}

// exporter returns the state of src, creating it within the limits; nil
// means the datagram is refused.
func (d *Decoder) exporter(src netip.Addr, now time.Time) *exporter {
	if len(d.limits.Allow) > 0 && !allowed(d.limits.Allow, src) {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.exporters[src]; ok {
		e.lastSeen = now
		return e
	}
	if len(d.exporters) >= d.limits.MaxExporters {
		var idle netip.Addr
		oldest := now.Add(-d.limits.ExporterIdle)
		for a, e := range d.exporters {
			if e.lastSeen.Before(oldest) {
				idle, oldest = a, e.lastSeen
			}
		}
		if !idle.IsValid() {
			return nil
		}
		delete(d.exporters, idle)
		d.c.exporterEvict.add(1)
	}
	rates := newSamplingRates(d.limits.MaxTemplates)
	p, err := protoproducer.CreateProtoProducer(d.cfg, func() protoproducer.SamplingRateSystem { return rates })
	if err != nil {
		return nil
	}
	e := &exporter{templates: newTemplates(d.limits.MaxTemplates, d.limits.MaxTemplateFields, &d.c.templatesEvicted, &d.c.templatesRefused),
		sampling: rates, producer: p, lastSeen: now}
	d.exporters[src] = e
	return e
}

func allowed(allow []netip.Prefix, a netip.Addr) bool {
	for _, p := range allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Decode decodes one datagram received from src at received and calls
// emit for every record kept. Problems are counted (Stats), never
// returned: a collector goes on with the next datagram.
func (d *Decoder) Decode(datagram []byte, src netip.AddrPort, received time.Time, emit func(Record)) {
	d.c.datagrams.add(1)
	src = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	if len(datagram) < 4 {
		d.c.malformed.add(1)
		return
	}
	var msg any
	switch {
	case binary.BigEndian.Uint16(datagram) == 9 || binary.BigEndian.Uint16(datagram) == 10:
		msg = &netflow.NFv9Packet{}
		if binary.BigEndian.Uint16(datagram) == 10 {
			msg = &netflow.IPFIXPacket{}
		}
	case binary.BigEndian.Uint32(datagram) == 5:
		msg = &sflow.Packet{}
	default:
		d.c.unsupported.add(1)
		return
	}
	e := d.exporter(src.Addr(), received)
	if e == nil {
		d.c.noExporter.add(1)
		return
	}
	var err error
	var version uint16
	var domain uint32
	var sets []any
	switch m := msg.(type) {
	case *netflow.NFv9Packet:
		// The header's count is the number of records (RFC 3954), but
		// goflow2 stops after that many flow sets; and softflowd counts
		// only data records, so goflow2 would silently drop the data
		// sets after its templates. Decode every set the datagram holds.
		v9 := slices.Clone(datagram)
		if len(v9) >= 4 {
			binary.BigEndian.PutUint16(v9[2:], 0xffff)
		}
		err = netflow.DecodeMessageVersion(bytes.NewBuffer(v9), e.templates, m, nil)
		version, domain, sets = 9, m.SourceId, m.FlowSets
	case *netflow.IPFIXPacket:
		err = netflow.DecodeMessageVersion(bytes.NewBuffer(datagram), e.templates, nil, m)
		version, domain, sets = 10, m.ObservationDomainId, m.FlowSets
	case *sflow.Packet:
		err = sflow.DecodeMessageVersion(bytes.NewBuffer(datagram), m)
	}
	if err != nil {
		// Data sets without a template are skipped; the rest of the
		// datagram is good.
		if !onlyMissingTemplates(err) {
			d.c.malformed.add(1)
			return
		}
		d.c.unknownTemplate.add(1)
	}
	e.sampling.derive(version, domain, sets)
	msgs, err := e.producer.Produce(msg, &producer.ProduceArgs{Src: src, SamplerAddress: src.Addr(), TimeReceived: received})
	defer e.producer.Commit(msgs)
	if err != nil {
		d.c.malformed.add(1)
		return
	}
	derived := e.sampling.derivedRate(version, domain)
	for _, pm := range msgs {
		if m, ok := pm.(*protoproducer.ProtoProducerMessage); ok {
			if derived > 0 {
				m.SamplingRate = uint64(derived)
			}
			if r, ok := d.record(m, src.Addr(), received); ok {
				d.c.records.add(1)
				emit(r)
			}
		}
	}
}

// onlyMissingTemplates reports whether every error goflow2 joined is a
// data set whose template is unknown.
func onlyMissingTemplates(err error) bool {
	if !errors.Is(err, netflow.ErrorTemplateNotFound) {
		return false
	}
	var leaves []error
	var walk func(error)
	walk = func(e error) {
		switch x := e.(type) {
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c)
			}
		case interface{ Unwrap() error }:
			if u := x.Unwrap(); u != nil {
				walk(u)
			} else {
				leaves = append(leaves, e)
			}
		default:
			leaves = append(leaves, e)
		}
	}
	walk(err)
	for _, l := range leaves {
		if l != netflow.ErrorTemplateNotFound {
			return false
		}
	}
	return true
}

const flowSFlow = flowpb.FlowMessage_SFLOW_5

// maxPacket is the largest IP packet (64 KiB); a record claiming more
// bytes per packet is not a measurement.
const maxPacket = 65535

// record reduces a producer message to a Record, or says why not.
func (d *Decoder) record(m *protoproducer.ProtoProducerMessage, src netip.Addr, received time.Time) (Record, bool) {
	s, ok1 := netip.AddrFromSlice(m.SrcAddr)
	t, ok2 := netip.AddrFromSlice(m.DstAddr)
	s, t = s.Unmap(), t.Unmap()
	if !ok1 || !ok2 || s.Is4() != t.Is4() || s.IsUnspecified() || t.IsUnspecified() {
		d.c.badAddress.add(1)
		return Record{}, false
	}
	rate := d.limits.DefaultSamplingRate
	if m.SamplingRate > 0 {
		if m.SamplingRate > uint64(d.limits.MaxSamplingRate) {
			d.c.badRate.add(1)
			return Record{}, false
		}
		rate = uint32(m.SamplingRate)
	}
	pkts, byts := m.Packets, m.Bytes
	if pkts == 0 && m.Type == flowSFlow {
		pkts = 1 // an sFlow sample is one packet
	}
	if pkts == 0 || byts < pkts || byts/maxPacket > pkts || byts > math.MaxUint64/uint64(rate)/maxPacket {
		d.c.badVolume.add(1)
		return Record{}, false
	}
	r := Record{
		Exporter: src, InIf: m.InIf, OutIf: m.OutIf, Src: s, Dst: t,
		SrcAS: m.SrcAs, DstAS: m.DstAs,
		Bytes: byts * uint64(rate), Packets: pkts * uint64(rate), SamplingRate: rate,
	}
	if a, ok := netip.AddrFromSlice(m.SamplerAddress); ok && !a.IsUnspecified() {
		r.Exporter = a.Unmap()
	}
	for _, nh := range [][]byte{m.BgpNextHop, m.NextHop} {
		if a, ok := netip.AddrFromSlice(nh); ok && !a.Unmap().IsUnspecified() {
			r.NextHop = a.Unmap()
			break
		}
	}
	r.End = received
	if m.TimeFlowEndNs > 0 && m.TimeFlowEndNs <= math.MaxInt64 {
		r.End = time.Unix(0, int64(m.TimeFlowEndNs))
	}
	if r.End.After(received.Add(d.limits.MaxClockAhead)) || r.End.Before(received.Add(-d.limits.MaxFlowAge)) {
		d.c.clock.add(1)
		return Record{}, false
	}
	r.Start = r.End
	if m.TimeFlowStartNs > 0 && m.TimeFlowStartNs <= math.MaxInt64 {
		if s := time.Unix(0, int64(m.TimeFlowStartNs)); s.Before(r.End) {
			r.Start = s
			if earliest := r.End.Add(-d.limits.MaxFlowAge); s.Before(earliest) {
				r.Start = earliest
			}
		}
	}
	return r, true
}
