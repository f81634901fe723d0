package rpki

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"

	"github.com/bgp/stayrtr/prefixfile"
	"github.com/peerform/peerform/internal/core/bgp"
)

// MaxSLURMBytes bounds a SLURM file; real ones are a few kilobytes.
const MaxSLURMBytes = 16 << 20

// SLURM holds local exceptions to the RPKI (RFC 8416): Filters take VRPs
// out, Assertions put VRPs in. BGPsec filters and assertions are read but
// not kept: origin validation does not use router keys.
type SLURM struct {
	Filters    []PrefixFilter
	Assertions []VRP
}

// PrefixFilter removes the VRPs it matches (RFC 8416 §3.3.1): those whose
// prefix equals or lies inside Prefix, and whose ASN is ASN. A filter
// without a prefix matches every prefix; one without an ASN, every ASN.
type PrefixFilter struct {
	Prefix  netip.Prefix // zero value: any prefix
	ASN     bgp.ASN
	HasASN  bool
	Comment string
}

// Matches reports whether the filter removes v.
func (f PrefixFilter) Matches(v VRP) bool {
	if f.HasASN && v.ASN != f.ASN {
		return false
	}
	if f.Prefix.IsValid() {
		return f.Prefix.Addr().Is4() == v.Prefix.Addr().Is4() &&
			f.Prefix.Bits() <= v.Prefix.Bits() && f.Prefix.Contains(v.Prefix.Addr())
	}
	return true
}

// LoadSLURM decodes a SLURM file (RFC 8416 JSON) with stayrtr's prefixfile
// and checks it more strictly than stayrtr does: the version must be 1,
// prefixes must parse without host bits, a filter must name a prefix or an
// ASN, and maxPrefixLength must lie between the prefix length and the
// address length. stayrtr instead lets a filter whose prefix does not parse
// match every prefix, so one typo would empty the VRP set. All problems are
// reported, not only the first.
func LoadSLURM(r io.Reader) (*SLURM, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSLURMBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading SLURM: %w", err)
	case len(b) > MaxSLURMBytes:
		return nil, fmt.Errorf("%w: SLURM file larger than %d bytes", ErrTooLarge, MaxSLURMBytes)
	case !json.Valid(b):
		// The decoder alone would ignore anything after the first value.
		return nil, errors.New("decoding SLURM: not a single JSON value")
	}
	cfg, err := prefixfile.DecodeJSONSlurm(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decoding SLURM: %w", err)
	}
	var errs []error
	if cfg.SlurmVersion != 1 {
		errs = append(errs, fmt.Errorf("slurmVersion is %d, want 1", cfg.SlurmVersion))
	}
	s := &SLURM{}
	for i, pf := range cfg.ValidationOutputFilters.PrefixFilters {
		f := PrefixFilter{Comment: pf.Comment}
		if pf.ASN != nil {
			f.ASN, f.HasASN = bgp.ASN(*pf.ASN), true
		}
		if pf.Prefix != "" {
			if f.Prefix, err = parseCanonicalPrefix(pf.Prefix); err != nil {
				errs = append(errs, fmt.Errorf("prefixFilters[%d]: %w", i, err))
				continue
			}
		}
		if !f.Prefix.IsValid() && !f.HasASN {
			errs = append(errs, fmt.Errorf("prefixFilters[%d]: needs a prefix, an asn or both", i))
			continue
		}
		s.Filters = append(s.Filters, f)
	}
	for i, pa := range cfg.LocallyAddedAssertions.PrefixAssertions {
		p, err := parseCanonicalPrefix(pa.Prefix)
		if err != nil {
			errs = append(errs, fmt.Errorf("prefixAssertions[%d]: %w", i, err))
			continue
		}
		maxLen := pa.MaxPrefixLength
		if maxLen == 0 {
			maxLen = p.Bits() // RFC 8416 §3.4.2: absent means the prefix length
		}
		if maxLen < p.Bits() || maxLen > p.Addr().BitLen() {
			errs = append(errs, fmt.Errorf("prefixAssertions[%d]: maxPrefixLength %d outside %d-%d", i, pa.MaxPrefixLength, p.Bits(), p.Addr().BitLen()))
			continue
		}
		s.Assertions = append(s.Assertions, VRP{Prefix: p, MaxLen: uint8(maxLen), ASN: bgp.ASN(pa.ASN)})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid SLURM: %w", errors.Join(errs...))
	}
	return s, nil
}

// Apply returns vrps without the filtered VRPs and with the asserted ones,
// sorted and distinct, and how many VRPs the filters removed. Filters apply
// only to vrps, never to assertions (RFC 8416 §4.2). A nil SLURM changes
// nothing but the order. vrps is not modified.
func (s *SLURM) Apply(vrps []VRP) ([]VRP, int) {
	out := make([]VRP, 0, len(vrps))
	filtered := 0
	for _, v := range vrps {
		if s != nil && slices.ContainsFunc(s.Filters, func(f PrefixFilter) bool { return f.Matches(v) }) {
			filtered++
			continue
		}
		out = append(out, v)
	}
	if s != nil {
		out = append(out, s.Assertions...)
	}
	slices.SortFunc(out, compareVRP)
	return slices.Compact(out), filtered
}
