// Package candidates turns what peerform knows about networks (PeeringDB
// records, the policy's scoring and economics blocks, a population data
// set) into the inputs of package score, and scores candidates for the
// score, suggest and evaluate commands.
//
// It is the only place where score meets peeringdb, intent and population,
// so score stays pure and each of those stays unaware of scoring.
package candidates

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/sources/population"
)

// Store is the part of a PeeringDB snapshot scoring reads.
type Store interface {
	Net(asn bgp.ASN) (peeringdb.Net, bool)
	Nets() []peeringdb.Net
	PoPs(asn bgp.ASN) []peeringdb.PoP
	NetIXLANs(asn bgp.ASN, ixID int) []peeringdb.NetIXLAN
}

var _ Store = (*peeringdb.Store)(nil)

// Network builds the scoring view of a PeeringDB network: its ratio type,
// its PoPs in PeeringDB order ((kind, id), which is also the order of K when
// it is the requester) with IX port speeds as capacity, and its declared
// traffic. An unknown info_ratio counts as Not Disclosed.
func Network(n peeringdb.Net, pops []peeringdb.PoP) score.Network {
	ratio, err := score.ParseRatio(n.InfoRatio)
	if err != nil {
		ratio = score.NotDisclosed
	}
	out := score.Network{
		ASN: n.ASN, Name: n.Name, Ratio: ratio,
		DeclaredTrafficMbps: DeclaredTrafficMbps(n.InfoTraffic),
		PoPs:                make([]score.PoP, 0, len(pops)),
	}
	for _, p := range pops {
		out.PoPs = append(out.PoPs, score.PoP{
			Key: p.Key(), Name: p.Name, City: p.City,
			Lat: p.Lat, Lon: p.Lon, HasLocation: p.HasLocation,
			CapacityMbps: float64(p.SpeedMbps),
		})
	}
	return out
}

// ErrNotInPeeringDB is returned (wrapped) for a network the PeeringDB data
// does not have: a finding about the question, not a failure.
var ErrNotInPeeringDB = errors.New("not in the PeeringDB data")

// Lookup builds the scoring view of asn from the store.
func Lookup(s Store, asn bgp.ASN) (score.Network, error) {
	n, ok := s.Net(asn)
	if !ok {
		return score.Network{}, fmt.Errorf("%v is %w", asn, ErrNotInPeeringDB)
	}
	return Network(n, s.PoPs(asn)), nil
}

var trafficRange = regexp.MustCompile(`^(\d+)(?:-(\d+))?\+?\s*([MGT])bps$`)

// DeclaredTrafficMbps reads PeeringDB's info_traffic ("1-5Gbps",
// "100+Tbps") as the geometric middle of the range, in Mbps; 0 when empty
// or not understood. "0-20Mbps" counts as 10.
func DeclaredTrafficMbps(s string) float64 {
	m := trafficRange.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0
	}
	unit := map[string]float64{"M": 1, "G": 1e3, "T": 1e6}[m[3]]
	lo, _ := strconv.ParseFloat(m[1], 64)
	if m[2] == "" {
		return lo * unit
	}
	hi, _ := strconv.ParseFloat(m[2], 64)
	if lo == 0 {
		return hi / 2 * unit
	}
	return math.Sqrt(lo*hi) * unit
}

// Params maps the policy's scoring block onto score.Params, starting from
// the holistic preset when the policy asks for it. Unset values keep the
// method's defaults.
func Params(s intent.Scoring) (score.Params, error) {
	p := score.DefaultParams()
	if s.Holistic {
		p = score.HolisticParams()
	}
	if s.Beta != nil {
		p.Beta = *s.Beta
	}
	if s.Gamma != nil {
		p.Gamma = *s.Gamma
	}
	if s.Threshold != nil {
		p.Threshold = *s.Threshold
	}
	if s.MaxCommonPoPs != nil {
		p.MaxCommonPoPs = *s.MaxCommonPoPs
	}
	if len(s.RatioBounds) > 0 {
		p.Bounds = score.DefaultBounds()
		for kind, v := range s.RatioBounds {
			switch kind {
			case "heavy":
				p.Bounds[score.HeavyInbound] = score.Bound{MaxInOut: v}
				p.Bounds[score.HeavyOutbound] = score.Bound{MaxOutIn: v}
			case "mostly":
				p.Bounds[score.MostlyInbound] = score.Bound{MaxInOut: v}
				p.Bounds[score.MostlyOutbound] = score.Bound{MaxOutIn: v}
			case "balanced":
				p.Bounds[score.Balanced] = score.Bound{MaxOutIn: v, MaxInOut: v}
			}
		}
	}
	if s.FacilityCapacityMbps > 0 {
		p.FacilityCapacityMbps = s.FacilityCapacityMbps
	}
	p.CriterionR, p.CriterionC = s.Criterion, s.CandidateCriterion
	if len(s.AssumeRatio) > 0 {
		p.AssumeRatio = maps.Clone(s.AssumeRatio)
	}
	return p, p.Validate()
}

// Population adapts a population.Set to score.Population.
type Population struct{ Set *population.Set }

var _ score.Population = Population{}

// Near is the population within radiusKm of a point.
func (p Population) Near(lat, lon, radiusKm float64) float64 { return p.Set.Near(lat, lon, radiusKm) }

// Cover resolves the hull ∪ discs coverage of the sites.
func (p Population) Cover(sites []score.LatLon, radiusKm float64) score.Area {
	pts := make([]population.Point, len(sites))
	for i, s := range sites {
		pts[i] = population.Point{Lat: s.Lat, Lon: s.Lon}
	}
	return area{p.Set.Cover(pts, radiusKm)}
}

type area struct{ a *population.Area }

func (a area) Population() float64 { return a.a.Population() }

func (a area) Overlap(other score.Area) float64 {
	o, ok := other.(area)
	if !ok {
		return 0
	}
	return a.a.Overlap(o.a)
}

// LoadPopulation returns the data set the policy names (a GeoNames TSV or
// an ESRI ASCII grid, relative to the repository), or the embedded default.
func LoadPopulation(path string) (*population.Set, error) {
	if path == "" {
		return population.Default()
	}
	return population.Load(path)
}

// InboundMbps is the exchange model's world (score.Params.InboundMbps):
// what every network in the store receives, summed.
func InboundMbps(s Store, p score.Params) float64 {
	var sum float64
	for _, n := range s.Nets() {
		sum += score.InboundMbps(Network(n, s.PoPs(n.ASN)), p)
	}
	return sum
}
