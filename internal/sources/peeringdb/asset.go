package peeringdb

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Bounds for irr_as_set, a free-text field (PeeringDB allows 255 bytes).
const (
	maxASSetInput = 1024
	maxASSetRefs  = 16
)

// ParseIRRASSet reads a network's irr_as_set the way people fill it in:
//
//	AS-FOO            an AS-SET (any IRR source)
//	RIPE::AS-FOO      pinned to a source
//	AS-FOO@RIPE       the same, in the other common spelling
//	AS64500           a single AS
//	AS-FOO AS-FOO-V6  several, separated by spaces, commas or semicolons
//	                  (control characters separate too)
//
// It also drops a leading "as-set:" label and a lone word "AS-SET" that
// only announces the list. Anything else (route-sets such as RS-FOO, free
// text, URLs) is ignored with a warning. The result has no duplicates and
// keeps the written order.
func ParseIRRASSet(s string) ([]bgp.ObjectRef, []string) {
	var refs []bgp.ObjectRef
	var warns, ignored []string
	if len(s) > maxASSetInput {
		return nil, []string{fmt.Sprintf("irr_as_set is %d bytes long; ignored (limit %d)", len(s), maxASSetInput)}
	}
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || unicode.IsSpace(r) || unicode.IsControl(r)
	})
	seen := map[bgp.ObjectRef]bool{}
	for i, f := range fields {
		tok := f
		if len(tok) > 7 && strings.EqualFold(tok[:7], "as-set:") {
			tok = tok[7:]
		}
		if strings.EqualFold(tok, "AS-SET") || strings.EqualFold(tok, "AS-SET:") {
			if len(fields) > 1 {
				continue // "AS-SET AS-FOO": a label, not a set name
			}
		}
		if name, src, ok := strings.Cut(tok, "@"); ok {
			tok = src + "::" + name
		}
		ref, err := bgp.ParseObjectRef(tok)
		switch {
		case err == nil:
			if !seen[ref] {
				if len(refs) == maxASSetRefs {
					warns = append(warns, fmt.Sprintf("irr_as_set names more than %d objects; the rest are ignored", maxASSetRefs))
					return refs, warns
				}
				seen[ref] = true
				refs = append(refs, ref)
			}
		case isRouteSet(tok):
			warns = append(warns, fmt.Sprintf("irr_as_set: %q is a route-set, not an AS-SET; ignored", f))
		default:
			if len(ignored) < 8 {
				ignored = append(ignored, fields[i])
			}
		}
	}
	if len(ignored) > 0 {
		warns = append(warns, fmt.Sprintf("irr_as_set: ignored text that is not an AS-SET or AS number: %q", strings.Join(ignored, " ")))
	}
	return refs, warns
}

// isRouteSet recognises RPSL route-set names ("RS-FOO", "AS64500:RS-FOO",
// optionally with a source), which PeeringDB users often put in irr_as_set.
func isRouteSet(tok string) bool {
	if _, rest, ok := strings.Cut(tok, "::"); ok {
		tok = rest
	}
	for _, comp := range strings.Split(strings.ToUpper(tok), ":") {
		if strings.HasPrefix(comp, "RS-") && len(comp) > 3 {
			return true
		}
	}
	return false
}

// ResolveImport decides what a peer's routes are filtered against: the peer
// file's import when written (it always wins), else the AS-SETs in
// PeeringDB's irr_as_set, else the peer's own AS number, with a warning.
// net is nil when the peer is not in PeeringDB.
func ResolveImport(asn bgp.ASN, written bgp.ObjectRef, net *Net) ([]bgp.ObjectRef, Provenance, []string) {
	if written.Name != "" {
		return []bgp.ObjectRef{written}, Provenance{Origin: FromIntent, Detail: "import in the peer file"}, nil
	}
	var warns []string
	if net != nil {
		refs, w := ParseIRRASSet(net.IRRASSet)
		warns = w
		if len(refs) > 0 {
			return refs, Provenance{Origin: FromPeeringDB, Detail: fmt.Sprintf("irr_as_set %q of net %d", net.IRRASSet, net.ID)}, warns
		}
	}
	warns = append(warns, fmt.Sprintf("no AS-SET for %s in the peer file or PeeringDB; accepting only routes the IRR lists for %s itself", asn, asn))
	return []bgp.ObjectRef{{Name: asn.String()}}, Provenance{Origin: FromDefault, Detail: "the peer's own AS number"}, warns
}
