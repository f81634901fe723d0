package bgp

import (
	"fmt"
	"strings"
)

// ObjectRef names what an IRR expansion starts from: an AS-SET such as
// "AS-EXAMPLE" or "AS64500:AS-CUSTOMERS", or a single AS ("AS64500"),
// optionally pinned to one IRR source ("RIPE::AS-EXAMPLE").
type ObjectRef struct {
	Source string // upper-case IRR source (RIPE, ARIN, RADB…); empty = server default order
	Name   string // upper-case set name, or "AS<n>" for a single AS
}

// IsASN reports whether the reference is a single AS rather than a set.
func (r ObjectRef) IsASN() bool {
	_, err := ParseASN(r.Name)
	return err == nil && !strings.ContainsAny(r.Name, ":-")
}

// String prints the reference in the "SOURCE::NAME" form bgpq4 accepts.
func (r ObjectRef) String() string {
	if r.Source == "" {
		return r.Name
	}
	return r.Source + "::" + r.Name
}

// MaxObjectNameLen bounds set names; RPSL has no limit but real names are
// far shorter and a bound keeps hostile input out of queries and configs.
const MaxObjectNameLen = 128

// ParseObjectRef parses "[SOURCE::]NAME" where NAME is an AS ("AS13335") or
// an RPSL as-set name (RFC 2622 §5.1: components joined by ':', at least one
// component starting "AS-", the others AS numbers or set names). Only
// letters, digits, '-', '_' and ':' are allowed, so a reference can be
// written into a whois query or a router config without quoting.
func ParseObjectRef(s string) (ObjectRef, error) {
	var ref ObjectRef
	name := s
	if src, rest, ok := strings.Cut(s, "::"); ok {
		if !isSourceName(src) {
			return ref, fmt.Errorf("invalid IRR source %q in %q: use letters, digits and '-'", src, s)
		}
		ref.Source = strings.ToUpper(src)
		name = rest
	}
	if name == "" {
		return ref, fmt.Errorf("empty AS-SET name in %q", s)
	}
	if len(name) > MaxObjectNameLen {
		return ref, fmt.Errorf("AS-SET name is %d characters long; at most %d are allowed", len(name), MaxObjectNameLen)
	}
	up := strings.ToUpper(name)
	if a, err := ParseASN(up); err == nil && strings.HasPrefix(up, "AS") && !strings.Contains(up, ".") {
		ref.Name = a.String()
		return ref, nil
	}
	hasSet := false
	for _, comp := range strings.Split(up, ":") {
		switch {
		case strings.HasPrefix(comp, "AS-") && len(comp) > 3 && isSetChars(comp):
			hasSet = true
		case isASNComponent(comp):
		default:
			return ref, fmt.Errorf("invalid AS-SET name %q: expected \"AS-NAME\", \"AS<n>:AS-NAME\" or \"AS<n>\"", s)
		}
	}
	if !hasSet {
		return ref, fmt.Errorf("invalid AS-SET name %q: no component starts with \"AS-\"", s)
	}
	ref.Name = up
	return ref, nil
}

func isASNComponent(s string) bool {
	if !strings.HasPrefix(s, "AS") {
		return false
	}
	_, err := ParseASN(s)
	return err == nil && !strings.Contains(s, ".")
}

func isSetChars(s string) bool {
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return !strings.HasSuffix(s, "-")
}

func isSourceName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
