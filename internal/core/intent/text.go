package intent

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/peerform/peerform/internal/change/secret"
)

// Limits on what a repository may contain. They keep a hostile pull request
// from exhausting memory or stack, and keep values within what every
// router platform accepts.
const (
	MaxFileBytes = 256 << 10 // one HCL file (the example's largest is under 2 KiB)
	// MaxFileDiagnostics is how many problems are reported per file.
	MaxFileDiagnostics = 20
	MaxFiles           = 20000 // files in peers/ plus policies/
	MaxNesting         = 32    // brackets and braces inside each other
	MaxItems           = 10000 // list and object items in one file (converting a list costs their square)
	MaxNameLen         = 64
	MaxDescLen         = 200
	MaxIdentifierLen   = 32
)

// IsTextChar is the allow-list for free text that reaches router configs
// (peer names and descriptions): ASCII letters, digits, space and a few
// punctuation marks that no supported platform treats specially inside a
// description. Quotes, braces, semicolons, '#', '!', '*', backslashes, '$',
// control characters and anything outside ASCII (look-alike letters
// included) are refused rather than escaped: a config that cannot change
// shape needs no escaping to be right.
func IsTextChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case strings.ContainsRune(" .,_-+/()&@:=", r):
		return true
	}
	return false
}

// CheckText returns a message saying what is wrong with free text s, or ""
// when s may reach a router config.
func CheckText(s string, maxLen int) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > maxLen {
		return fmt.Sprintf("is %d characters long; at most %d are allowed", len(s), maxLen)
	}
	if s != strings.TrimSpace(s) {
		return "must not start or end with a space"
	}
	for i, r := range s {
		if !IsTextChar(r) {
			return fmt.Sprintf("contains %s at position %d; only ASCII letters, digits, spaces and . , _ - + / ( ) & @ : = are allowed, so that no router config can be changed by it", describeRune(r), utf8.RuneCountInString(s[:i])+1)
		}
	}
	if strings.Contains(s, "  ") {
		return "contains two spaces in a row"
	}
	if strings.Contains(s, secret.Prefix) {
		return "contains " + secret.Prefix + ", which marks where deploy writes a secret's value"
	}
	return ""
}

// CheckIdentifier validates names used as identifiers in configs (routers,
// IXPs, secret names): a letter first, then letters, digits, '-' and '_'.
func CheckIdentifier(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > MaxIdentifierLen {
		return fmt.Sprintf("is %d characters long; at most %d are allowed", len(s), MaxIdentifierLen)
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '_')
		if !ok {
			return fmt.Sprintf("contains %s at position %d; use a letter first, then letters, digits, '-' or '_'", describeRune(r), i+1)
		}
	}
	return ""
}

// checkHost validates a management host name or address.
func checkHost(s string) string {
	if s == "" {
		return "must not be empty"
	}
	if len(s) > 253 {
		return "is longer than 253 characters"
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ':'
		if !ok {
			return fmt.Sprintf("contains %s at position %d; a host is a DNS name or an IP address", describeRune(r), i+1)
		}
	}
	return ""
}

func describeRune(r rune) string {
	switch {
	case r == '\n':
		return "a newline"
	case r == '\r':
		return "a carriage return"
	case r == '\t':
		return "a tab"
	case r < 0x20 || r == 0x7f:
		return fmt.Sprintf("the control character U+%04X", r)
	case r > 0x7f:
		return fmt.Sprintf("the non-ASCII character %q (U+%04X)", r, r)
	default:
		return fmt.Sprintf("%q", r)
	}
}
