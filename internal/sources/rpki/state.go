package rpki

import "fmt"

// State is the RFC 6811 validation state of a route.
type State uint8

const (
	// NotFound: no VRP covers the route's prefix. It is also the answer of
	// an empty or missing table.
	NotFound State = iota
	// Valid: a covering VRP has the route's origin AS and a maxLength at
	// least as long as the route's prefix.
	Valid
	// Invalid: VRPs cover the prefix but none of them matches: the origin is
	// wrong, or the prefix is more specific than every maxLength allows.
	Invalid
)

// String returns the name routers and rpki-client use: "valid", "invalid" or
// "notfound".
func (s State) String() string {
	switch s {
	case Valid:
		return "valid"
	case Invalid:
		return "invalid"
	case NotFound:
		return "notfound"
	default:
		return fmt.Sprintf("State(%d)", uint8(s))
	}
}

// ParseState is the inverse of String; it also accepts "not-found" and
// "unknown" (BIRD's name for NotFound).
func ParseState(s string) (State, error) {
	switch s {
	case "valid":
		return Valid, nil
	case "invalid":
		return Invalid, nil
	case "notfound", "not-found", "unknown":
		return NotFound, nil
	}
	return NotFound, fmt.Errorf("unknown RPKI state %q: want valid, invalid or notfound", s)
}

// MarshalText makes a State a JSON string.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
