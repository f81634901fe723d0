package rpki

import (
	"cmp"
	"slices"

	"github.com/peerform/peerform/internal/core/bgp"
)

// ASPA is one validated ASPA payload (draft-ietf-sidrops-aspa-profile):
// the AS numbers a customer AS authorises as its providers. A provider
// set of AS 0 alone says the customer has no provider at all.
type ASPA struct {
	Customer  bgp.ASN   `json:"customer"`
	Providers []bgp.ASN `json:"providers"` // sorted, distinct
}

// MaxASPAProviders bounds one ASPA's provider set. An RTR ASPA PDU can
// carry at most (2^32-12)/4 of them, a router far fewer; real sets have a
// handful.
const MaxASPAProviders = 10_000

// ASPAs is an immutable set of ASPAs keyed by customer AS, shareable
// between goroutines. The nil set holds no ASPA: every hop is "No
// Attestation" and every path longer than one AS is Unknown.
type ASPAs struct {
	byCustomer map[bgp.ASN][]bgp.ASN
}

// NewASPAs builds a set. ASPAs of one customer (from several trust
// anchors, say) are merged: the providers are the union, as a router
// receiving them over RTR would hold them.
func NewASPAs(list []ASPA) *ASPAs {
	s := &ASPAs{byCustomer: make(map[bgp.ASN][]bgp.ASN, len(list))}
	for _, a := range list {
		s.byCustomer[a.Customer] = append(s.byCustomer[a.Customer], a.Providers...)
	}
	for c, ps := range s.byCustomer {
		slices.Sort(ps)
		s.byCustomer[c] = slices.Clip(slices.Compact(ps))
	}
	return s
}

// Len is the number of customer ASes with an ASPA.
func (s *ASPAs) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byCustomer)
}

// List returns the set as ASPAs sorted by customer.
func (s *ASPAs) List() []ASPA {
	if s == nil {
		return nil
	}
	out := make([]ASPA, 0, len(s.byCustomer))
	for c, ps := range s.byCustomer {
		out = append(out, ASPA{Customer: c, Providers: slices.Clone(ps)})
	}
	slices.SortFunc(out, func(a, b ASPA) int { return cmp.Compare(a.Customer, b.Customer) })
	return out
}

// Hop is the outcome of the hop check of the ASPA verification draft
// (draft-ietf-sidrops-aspa-verification §5): is the second AS a provider
// (or a sibling, or a route server) of the first?
type Hop int

// Hop check outcomes.
const (
	NoAttestation   Hop = iota // the first AS has no ASPA
	ProviderPlus               // the second AS is in its provider set
	NotProviderPlus            // it has an ASPA, and the second AS is not in it
)

// Hop checks whether provider is attested as a provider of customer.
func (s *ASPAs) Hop(customer, provider bgp.ASN) Hop {
	if s == nil {
		return NoAttestation
	}
	ps, ok := s.byCustomer[customer]
	if !ok {
		return NoAttestation
	}
	if _, found := slices.BinarySearch(ps, provider); found {
		return ProviderPlus
	}
	return NotProviderPlus
}

// ASPAState is the outcome of AS path verification.
type ASPAState string

// Verification outcomes (draft-ietf-sidrops-aspa-verification §6).
const (
	ASPAValid   ASPAState = "valid"
	ASPAInvalid ASPAState = "invalid"
	ASPAUnknown ASPAState = "unknown"
)

// Path is an AS_PATH as a BGP speaker receives it: Seq holds the
// AS_SEQUENCE numbers, the neighbor's (last added) first and the origin
// last, with prepends as received; HasSet says that an AS_SET segment was
// present (its members do not matter: any set makes the path Invalid).
type Path struct {
	Seq    []bgp.ASN
	HasSet bool
}

// VerifyUpstream verifies a path received from a customer, a lateral peer
// or a route server (we are its rs-client), as §6.1 of the draft says:
// every hop from the origin up to the neighbor must be a
// customer-to-provider hop. Invalid when a hop is attested not to be one
// (or the path has an AS_SET, or is empty), Unknown when a hop has no
// attestation, Valid otherwise.
func (s *ASPAs) VerifyUpstream(p Path) ASPAState {
	as, ok := collapse(p)
	if !ok {
		return ASPAInvalid
	}
	n := len(as)
	maxUp, minUp := s.upRamps(as)
	switch {
	case maxUp < n:
		return ASPAInvalid
	case minUp < n:
		return ASPAUnknown
	}
	return ASPAValid
}

// VerifyDownstream verifies a path received from a provider (§6.2): an
// up-ramp from the origin, at most one lateral hop at the apex, and a
// down-ramp to us.
func (s *ASPAs) VerifyDownstream(p Path) ASPAState {
	as, ok := collapse(p)
	if !ok {
		return ASPAInvalid
	}
	n := len(as)
	maxUp, minUp := s.upRamps(as)
	maxDown, minDown := s.downRamps(as)
	switch {
	case maxUp+maxDown < n:
		return ASPAInvalid
	case minUp+minDown < n:
		return ASPAUnknown
	}
	return ASPAValid
}

// collapse removes prepends and numbers the path as the draft does:
// as[0] is AS(1), the origin, and as[N-1] is AS(N), the neighbor. It
// reports false for a path that verification declares Invalid outright.
func collapse(p Path) ([]bgp.ASN, bool) {
	if p.HasSet || len(p.Seq) == 0 {
		return nil, false
	}
	out := make([]bgp.ASN, 0, len(p.Seq))
	for i := len(p.Seq) - 1; i >= 0; i-- {
		if len(out) == 0 || out[len(out)-1] != p.Seq[i] {
			out = append(out, p.Seq[i])
		}
	}
	return out, true
}

// upRamps returns the maximum and minimum up-ramp lengths (§6.3): the
// first index I (1-based) where hop(AS(I), AS(I+1)) is "Not Provider+",
// respectively "Not Provider+" or "No Attestation"; N when there is none.
func (s *ASPAs) upRamps(as []bgp.ASN) (maxUp, minUp int) {
	n := len(as)
	maxUp, minUp = n, n
	for i := 0; i+1 < n; i++ {
		h := s.Hop(as[i], as[i+1])
		if h != ProviderPlus && minUp == n {
			minUp = i + 1
		}
		if h == NotProviderPlus {
			maxUp = i + 1
			break
		}
	}
	return maxUp, minUp
}

// downRamps returns the maximum and minimum down-ramp lengths (§6.3):
// N-J+1 for the last index J where hop(AS(J), AS(J-1)) is "Not
// Provider+", respectively "Not Provider+" or "No Attestation"; N when
// there is none.
func (s *ASPAs) downRamps(as []bgp.ASN) (maxDown, minDown int) {
	n := len(as)
	maxDown, minDown = n, n
	for j := n - 1; j >= 1; j-- {
		h := s.Hop(as[j], as[j-1])
		if h != ProviderPlus && minDown == n {
			minDown = n - (j + 1) + 1
		}
		if h == NotProviderPlus {
			maxDown = n - (j + 1) + 1
			break
		}
	}
	return maxDown, minDown
}
