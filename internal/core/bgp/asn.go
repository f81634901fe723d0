package bgp

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ASN is an autonomous system number (RFC 6793, 32 bits).
type ASN uint32

// String prints the number the way operators write it: "AS64500".
func (a ASN) String() string { return "AS" + strconv.FormatUint(uint64(a), 10) }

// ParseASN accepts "AS64500", "as64500", "64500" and the asdot form "1.10"
// (RFC 5396). It rejects empty input, signs, spaces and values past 2^32-1.
func ParseASN(s string) (ASN, error) {
	body := s
	if len(body) >= 2 && strings.EqualFold(body[:2], "AS") {
		body = body[2:]
	}
	if body == "" {
		return 0, fmt.Errorf("invalid AS number %q: no digits", s)
	}
	if hi, lo, ok := strings.Cut(body, "."); ok {
		h, err1 := parseUint16(hi)
		l, err2 := parseUint16(lo)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("invalid asdot AS number %q", s)
		}
		return ASN(h)<<16 | ASN(l), nil
	}
	for _, c := range body {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid AS number %q: only digits may follow \"AS\"", s)
		}
	}
	n, err := strconv.ParseUint(body, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("invalid AS number %q: out of range 0-4294967295", s)
	}
	return ASN(n), nil
}

func parseUint16(s string) (uint16, error) {
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("bad field")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad field")
		}
	}
	n, err := strconv.ParseUint(s, 10, 16)
	return uint16(n), err
}

// Class says what kind of number an ASN is according to the IANA registry.
type Class int

const (
	// Public is a number that may appear on the Internet.
	Public Class = iota
	// Reserved numbers (0, 23456 AS_TRANS, 65535, 4294967295) never
	// identify a network (RFC 7607, RFC 6793, RFC 7300).
	Reserved
	// Documentation numbers (64496-64511, 65536-65551; RFC 5398) are for
	// examples and labs.
	Documentation
	// Private numbers (64512-65534, 4200000000-4294967294; RFC 6996).
	Private
)

func (c Class) String() string {
	switch c {
	case Reserved:
		return "reserved"
	case Documentation:
		return "documentation"
	case Private:
		return "private"
	default:
		return "public"
	}
}

// ParseAllowedClass reads a class of AS numbers a network may allow its
// peers to use besides public ones: "private" or "documentation".
func ParseAllowedClass(s string) (Class, bool) {
	switch s {
	case "private":
		return Private, true
	case "documentation":
		return Documentation, true
	}
	return Public, false
}

// Class classifies the number.
func (a ASN) Class() Class {
	switch {
	case a == 0 || a == 23456 || a == 65535 || a == 4294967295:
		return Reserved
	case a >= 64496 && a <= 64511, a >= 65536 && a <= 65551:
		return Documentation
	case a >= 64512 && a <= 65534, a >= 4200000000 && a <= 4294967294:
		return Private
	default:
		return Public
	}
}

// BogonASNRanges lists the inclusive ranges no public route should carry in
// its AS path: reserved, documentation, private and the IANA-reserved block
// 65552-131071. Templates render them as the bogon-ASN filter.
var BogonASNRanges = []BogonASNRange{
	{0, 0, "RFC 7607"},
	{23456, 23456, "RFC 6793 AS_TRANS"},
	{64496, 64511, "RFC 5398 documentation"},
	{64512, 65534, "RFC 6996 private"},
	{65535, 65535, "RFC 7300 last 16-bit"},
	{65536, 65551, "RFC 5398 documentation"},
	{65552, 131071, "IANA reserved"},
	{4200000000, 4294967294, "RFC 6996 private"},
	{4294967295, 4294967295, "RFC 7300 last 32-bit"},
}

// BogonASNRange is one range of BogonASNRanges.
type BogonASNRange struct {
	First, Last ASN
	Reason      string
}

// BogonASNRangesAllowing is BogonASNRanges without the documentation and
// private ranges whose class is in allow (what a network lets its peers
// use); reserved and IANA-reserved numbers always stay. The renderers'
// bogon-ASN filter and the IRR expansion both use it.
func BogonASNRangesAllowing(allow []Class) []BogonASNRange {
	var out []BogonASNRange
	for _, r := range BogonASNRanges {
		if c := r.First.Class(); (c == Documentation || c == Private) && slices.Contains(allow, c) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Bogon reports whether a is in ranges, and why.
func (a ASN) Bogon(ranges []BogonASNRange) (reason string, bogon bool) {
	for _, r := range ranges {
		if a >= r.First && a <= r.Last {
			return r.Reason, true
		}
	}
	return "", false
}
