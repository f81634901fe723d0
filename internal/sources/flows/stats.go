package flows

import "sync/atomic"

// counter is a statistic updated from the receive loop and read by
// reporters.
type counter struct{ n atomic.Uint64 }

func (c *counter) add(n uint64) { c.n.Add(n) }
func (c *counter) get() uint64  { return c.n.Load() }

// counters are the decoder's running totals.
type counters struct {
	datagrams, records                                   counter
	malformed, unsupported, unknownTemplate, noExporter  counter
	templatesRefused, templatesEvicted                   counter
	badRate, badVolume, badAddress, clock, exporterEvict counter
}

// Stats is a snapshot of what the decoder saw: every datagram and record
// lands in exactly one place, so that an operator sees what was skipped
// and why.
type Stats struct {
	// Datagrams received, and flow Records decoded from them and kept.
	Datagrams uint64 `json:"datagrams"`
	Records   uint64 `json:"records"`
	// Datagrams skipped whole: not a datagram of a supported version,
	// or malformed (truncated, inconsistent lengths, refused template),
	// or from an exporter over the exporter limit.
	Unsupported uint64 `json:"unsupported"`
	Malformed   uint64 `json:"malformed"`
	NoExporter  uint64 `json:"exporters_over_limit"`
	// UnknownTemplate counts data sets skipped because their template
	// had not arrived (normal for a minute after a collector restart).
	UnknownTemplate uint64 `json:"unknown_template"`
	// Templates refused (too many fields, nothing to decode) and
	// evicted to stay within the per-exporter limit.
	TemplatesRefused uint64 `json:"templates_refused"`
	TemplatesEvicted uint64 `json:"templates_evicted"`
	// Records skipped: a sampling rate above Limits.MaxSamplingRate, a
	// volume no link carries (more bytes than packets × 64 KiB, or
	// fewer bytes than packets), addresses missing or of mixed
	// families, or flow times outside the accepted window around the
	// time of receipt.
	BadSamplingRate uint64 `json:"bad_sampling_rate"`
	BadVolume       uint64 `json:"bad_volume"`
	BadAddress      uint64 `json:"bad_address"`
	Clock           uint64 `json:"clock_out_of_range"`
	// ExportersEvicted counts idle exporters forgotten to admit new ones.
	ExportersEvicted uint64 `json:"exporters_evicted"`
}

func (c *counters) snapshot() Stats {
	return Stats{
		Datagrams: c.datagrams.get(), Records: c.records.get(),
		Unsupported: c.unsupported.get(), Malformed: c.malformed.get(), NoExporter: c.noExporter.get(),
		UnknownTemplate: c.unknownTemplate.get(), TemplatesRefused: c.templatesRefused.get(), TemplatesEvicted: c.templatesEvicted.get(),
		BadSamplingRate: c.badRate.get(), BadVolume: c.badVolume.get(), BadAddress: c.badAddress.get(), Clock: c.clock.get(),
		ExportersEvicted: c.exporterEvict.get(),
	}
}

// Skipped is the number of records skipped for their content.
func (s Stats) Skipped() uint64 { return s.BadSamplingRate + s.BadVolume + s.BadAddress + s.Clock }
