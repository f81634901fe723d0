// Package flowtest writes NetFlow v9 and IPFIX datagrams, the way a router
// exports flows, for tests, benchmarks and the example's flow sample. It
// encodes what RFC 3954 and RFC 7011 define, independently of the decoder
// (package flows uses goflow2's).
package flowtest

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// Flow is one flow to export.
type Flow struct {
	Src, Dst, NextHop netip.Addr
	InIf, OutIf       uint32
	SrcAS, DstAS      uint32
	Bytes, Packets    uint64
	Start, End        time.Time
}

// Template IDs of the datagrams: one data template per family and one
// options template carrying the sampling interval.
const (
	TemplateIPv4    = 256
	TemplateIPv6    = 257
	TemplateOptions = 258
)

type field struct{ typ, length uint16 }

// Information elements (the same numbers in NetFlow v9 and IPFIX).
const (
	ieBytes, iePackets         = 1, 2
	ieSrc4, ieDst4             = 8, 12
	ieSrc6, ieDst6             = 27, 28
	ieInIf, ieOutIf            = 10, 14
	ieSrcAS, ieDstAS           = 16, 17
	ieNextHop4, ieNextHop6     = 18, 63
	ieLastSwitched, ieFirstSw  = 21, 22 // NetFlow v9: sysUptime ms
	ieStartMillis, ieEndMillis = 152, 153
	ieSamplingInterval         = 34
	iePacketInterval           = 305
	iePacketSpace              = 306
	ieScopeSystem              = 1   // NetFlow v9 scope field type "System"
	ieObservationDomain        = 149 // IPFIX scope
)

func dataFields(v6, ipfix bool) []field {
	addr, src, dst, nh := uint16(4), uint16(ieSrc4), uint16(ieDst4), uint16(ieNextHop4)
	if v6 {
		addr, src, dst, nh = 16, ieSrc6, ieDst6, ieNextHop6
	}
	f := []field{{ieBytes, 8}, {iePackets, 8}, {src, addr}, {dst, addr}, {nh, addr},
		{ieInIf, 4}, {ieOutIf, 4}, {ieSrcAS, 4}, {ieDstAS, 4}}
	if ipfix {
		return append(f, field{ieStartMillis, 8}, field{ieEndMillis, 8})
	}
	return append(f, field{ieFirstSw, 4}, field{ieLastSwitched, 4})
}

// Exporter writes the datagrams of one exporting process: an
// observation domain, a boot time (NetFlow v9 times are relative to it)
// and a sequence number.
type Exporter struct {
	IPFIX  bool
	Domain uint32
	Boot   time.Time
	// SamplingRate, when not 0, is announced in an options record
	// whenever templates are sent: as samplingInterval (34), or with
	// PacketSpace (IPFIX only) as samplingPacketInterval 1 and
	// samplingPacketSpace rate−1 (RFC 7014), as softflowd does.
	SamplingRate uint32
	PacketSpace  bool
	seq          uint32
}

// Datagram encodes flows exported at now, preceded by the templates (and
// the sampling options) when withTemplates. Keep flows to about 20 per
// datagram to stay within a usual MTU; nothing here enforces it.
func (e *Exporter) Datagram(now time.Time, flows []Flow, withTemplates bool) []byte {
	var sets [][]byte
	records := 0
	if withTemplates {
		sets = append(sets, e.templateSet())
		records += 2
		if e.SamplingRate > 0 {
			sets = append(sets, e.optionsTemplateSet(), e.optionsDataSet())
			records += 2
		}
	}
	var v4, v6 []Flow
	for _, f := range flows {
		if f.Src.Is4() {
			v4 = append(v4, f)
		} else {
			v6 = append(v6, f)
		}
	}
	for _, g := range []struct {
		id    uint16
		flows []Flow
	}{{TemplateIPv4, v4}, {TemplateIPv6, v6}} {
		if len(g.flows) > 0 {
			sets = append(sets, e.dataSet(g.id, g.flows, now))
			records += len(g.flows)
		}
	}
	e.seq++
	var b []byte
	if e.IPFIX {
		n := 16
		for _, s := range sets {
			n += len(s)
		}
		b = binary.BigEndian.AppendUint16(b, 10)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
		b = binary.BigEndian.AppendUint32(b, uint32(now.Unix()))
		b = binary.BigEndian.AppendUint32(b, e.seq)
		b = binary.BigEndian.AppendUint32(b, e.Domain)
	} else {
		b = binary.BigEndian.AppendUint16(b, 9)
		b = binary.BigEndian.AppendUint16(b, uint16(records))
		b = binary.BigEndian.AppendUint32(b, e.uptime(now))
		b = binary.BigEndian.AppendUint32(b, uint32(now.Unix()))
		b = binary.BigEndian.AppendUint32(b, e.seq)
		b = binary.BigEndian.AppendUint32(b, e.Domain)
	}
	for _, s := range sets {
		b = append(b, s...)
	}
	return b
}

// uptime is the NetFlow v9 sysUptime at t, in milliseconds.
func (e *Exporter) uptime(t time.Time) uint32 { return uint32(t.Sub(e.Boot).Milliseconds()) }

// set frames a set (flow set) body with its ID and length, padded to 4.
func set(id uint16, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)+4))
	return append(b, body...)
}

func (e *Exporter) templateSet() []byte {
	var body []byte
	for _, t := range []struct {
		id uint16
		v6 bool
	}{{TemplateIPv4, false}, {TemplateIPv6, true}} {
		f := dataFields(t.v6, e.IPFIX)
		body = binary.BigEndian.AppendUint16(body, t.id)
		body = binary.BigEndian.AppendUint16(body, uint16(len(f)))
		for _, x := range f {
			body = binary.BigEndian.AppendUint16(body, x.typ)
			body = binary.BigEndian.AppendUint16(body, x.length)
		}
	}
	if e.IPFIX {
		return set(2, body)
	}
	return set(0, body)
}

func (e *Exporter) optionsTemplateSet() []byte {
	body := binary.BigEndian.AppendUint16(nil, TemplateOptions)
	if e.IPFIX {
		options := []uint16{ieSamplingInterval}
		if e.PacketSpace {
			options = []uint16{iePacketInterval, iePacketSpace}
		}
		body = binary.BigEndian.AppendUint16(body, uint16(1+len(options))) // fields
		body = binary.BigEndian.AppendUint16(body, 1)                      // of which scope
		body = binary.BigEndian.AppendUint16(body, ieObservationDomain)
		body = binary.BigEndian.AppendUint16(body, 4)
		for _, o := range options {
			body = binary.BigEndian.AppendUint16(body, o)
			body = binary.BigEndian.AppendUint16(body, 4)
		}
		return set(3, body)
	}
	body = binary.BigEndian.AppendUint16(body, 4) // scope bytes
	body = binary.BigEndian.AppendUint16(body, 4) // option bytes
	body = binary.BigEndian.AppendUint16(body, ieScopeSystem)
	body = binary.BigEndian.AppendUint16(body, 4)
	body = binary.BigEndian.AppendUint16(body, ieSamplingInterval)
	body = binary.BigEndian.AppendUint16(body, 4)
	return set(1, body)
}

func (e *Exporter) optionsDataSet() []byte {
	body := binary.BigEndian.AppendUint32(nil, e.Domain)
	if e.IPFIX && e.PacketSpace {
		body = binary.BigEndian.AppendUint32(body, 1)
		body = binary.BigEndian.AppendUint32(body, e.SamplingRate-1)
	} else {
		body = binary.BigEndian.AppendUint32(body, e.SamplingRate)
	}
	return set(TemplateOptions, body)
}

func (e *Exporter) dataSet(id uint16, flows []Flow, now time.Time) []byte {
	var body []byte
	addr := func(a netip.Addr) {
		if !a.IsValid() {
			a = netip.IPv6Unspecified()
			if id == TemplateIPv4 {
				a = netip.IPv4Unspecified()
			}
		}
		body = append(body, a.AsSlice()...)
	}
	for _, f := range flows {
		body = binary.BigEndian.AppendUint64(body, f.Bytes)
		body = binary.BigEndian.AppendUint64(body, f.Packets)
		addr(f.Src)
		addr(f.Dst)
		addr(f.NextHop)
		for _, v := range []uint32{f.InIf, f.OutIf, f.SrcAS, f.DstAS} {
			body = binary.BigEndian.AppendUint32(body, v)
		}
		start, end := f.Start, f.End
		if end.IsZero() {
			end = now
		}
		if start.IsZero() {
			start = end
		}
		if e.IPFIX {
			body = binary.BigEndian.AppendUint64(body, uint64(start.UnixMilli()))
			body = binary.BigEndian.AppendUint64(body, uint64(end.UnixMilli()))
		} else {
			body = binary.BigEndian.AppendUint32(body, e.uptime(start))
			body = binary.BigEndian.AppendUint32(body, e.uptime(end))
		}
	}
	return set(id, body)
}
