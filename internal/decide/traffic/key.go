package traffic

import (
	"fmt"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Direction is the way traffic crosses our edge.
type Direction uint8

// Directions.
const (
	In  Direction = 1 // into our network: the remote end is the source
	Out Direction = 2 // out of it: the remote end is the destination
)

func (d Direction) String() string {
	switch d {
	case In:
		return "in"
	case Out:
		return "out"
	}
	return fmt.Sprintf("direction(%d)", uint8(d))
}

// ParseDirection reads "in" or "out".
func ParseDirection(s string) (Direction, error) {
	switch s {
	case "in", "inbound":
		return In, nil
	case "out", "outbound":
		return Out, nil
	}
	return 0, fmt.Errorf("direction %q: want in or out", s)
}

// Class is the kind of link traffic crosses our edge on.
type Class uint8

// Classes. Unknown is traffic the policy does not classify (no link
// matches, and the next hop is on no IXP LAN).
const (
	Unknown Class = iota
	Transit
	IXP
	PNI
)

var classNames = [...]string{"unknown", "transit", "ixp", "pni"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// ParseClass reads a class name.
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if s == n {
			return Class(i), nil
		}
	}
	return 0, fmt.Errorf("class %q: want transit, ixp, pni or unknown", s)
}

// Key names one series: traffic of one direction, through one class of
// link and neighbor AS, to or from one remote AS. Remote 0 is traffic to
// addresses without a route or origin, and, past Limits.MaxKeys, every
// other AS.
type Key struct {
	Dir      Direction
	Class    Class
	Neighbor bgp.ASN
	Remote   bgp.ASN
}

func (k Key) valid() bool { return (k.Dir == In || k.Dir == Out) && int(k.Class) < len(classNames) }
