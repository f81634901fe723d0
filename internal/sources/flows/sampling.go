package flows

import (
	"encoding/binary"
	"sync"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	protoproducer "github.com/netsampler/goflow2/v2/producer/proto"
)

// samplingRates is one exporter's sampling rates per version and
// observation domain, as goflow2's SamplingRateSystem. It differs from
// goflow2's own in two ways:
//
//   - it is bounded (max entries, oldest out): goflow2's map grows with
//     every observation domain an exporter names;
//   - it knows IPFIX's packet-interval sampling: goflow2 takes the
//     samplingPacketInterval (305) alone as the rate, but RFC 7014 defines
//     the rate as (interval + samplingPacketSpace (306)) / interval, and
//     exporters such as softflowd announce 1-in-N as interval 1, space
//     N−1. Likewise samplingPopulation (310) / samplingSize (309). Rates
//     derived from those (derive) take precedence over what goflow2
//     finds.
type samplingRates struct {
	mu      sync.Mutex
	max     int
	raw     map[uint64]uint32
	derived map[uint64]uint32
	order   []uint64
}

func newSamplingRates(max int) *samplingRates {
	return &samplingRates{max: max, raw: map[uint64]uint32{}, derived: map[uint64]uint32{}}
}

func samplingKey(version uint16, domain uint32) uint64 { return uint64(version)<<32 | uint64(domain) }

func (s *samplingRates) put(m map[uint64]uint32, k uint64, rate uint32) {
	_, inRaw := s.raw[k]
	_, inDerived := s.derived[k]
	if !inRaw && !inDerived {
		for len(s.order) >= s.max {
			old := s.order[0]
			s.order = s.order[1:]
			delete(s.raw, old)
			delete(s.derived, old)
		}
		s.order = append(s.order, k)
	}
	m[k] = rate
}

// AddSamplingRate implements protoproducer.SamplingRateSystem.
func (s *samplingRates) AddSamplingRate(version uint16, domain uint32, rate uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(s.raw, samplingKey(version, domain), rate)
}

// GetSamplingRate implements protoproducer.SamplingRateSystem.
func (s *samplingRates) GetSamplingRate(version uint16, domain uint32) (uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := samplingKey(version, domain)
	if r, ok := s.derived[k]; ok {
		return r, nil
	}
	return s.raw[k], nil
}

// derivedRate is the rate derive found for a domain, 0 if none.
func (s *samplingRates) derivedRate(version uint16, domain uint32) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.derived[samplingKey(version, domain)]
}

// derive reads the sampling options goflow2 misreads from a decoded
// packet's options data records.
func (s *samplingRates) derive(version uint16, domain uint32, sets []any) {
	for _, fs := range sets {
		ods, ok := fs.(netflow.OptionsDataFlowSet)
		if !ok {
			continue
		}
		for _, rec := range ods.Records {
			v := map[uint16]uint64{}
			for _, f := range rec.OptionsValues {
				if b, ok := f.Value.([]byte); ok && !f.PenProvided && len(b) <= 8 {
					var x [8]byte
					copy(x[8-len(b):], b)
					v[f.Type] = binary.BigEndian.Uint64(x[:])
				}
			}
			var rate uint64
			switch {
			case v[netflow.IPFIX_FIELD_samplingPacketInterval] > 0 && hasKey(v, netflow.IPFIX_FIELD_samplingPacketSpace):
				i := v[netflow.IPFIX_FIELD_samplingPacketInterval]
				rate = (i + v[netflow.IPFIX_FIELD_samplingPacketSpace]) / i
			case v[netflow.IPFIX_FIELD_samplingSize] > 0 && v[netflow.IPFIX_FIELD_samplingPopulation] > 0:
				rate = v[netflow.IPFIX_FIELD_samplingPopulation] / v[netflow.IPFIX_FIELD_samplingSize]
			default:
				continue
			}
			if rate > 0 && rate <= 1<<32-1 {
				s.mu.Lock()
				s.put(s.derived, samplingKey(version, domain), uint32(rate))
				s.mu.Unlock()
			}
		}
	}
}

func hasKey(m map[uint16]uint64, k uint16) bool {
	_, ok := m[k]
	return ok
}

var _ protoproducer.SamplingRateSystem = (*samplingRates)(nil)
