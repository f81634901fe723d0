package openconfig

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// NeighborState is a session's operational state from a <get> reply.
type NeighborState struct {
	Address     netip.Addr
	PeerAS      bgp.ASN
	Description string
	// SessionState is the module's enumeration (IDLE … ESTABLISHED), or
	// "" when the server reports no state for the session.
	SessionState string
	// LastEstablished is zero when not reported.
	LastEstablished time.Time
	// Received counts accepted prefixes for the families that report it.
	Received map[bgp.Family]int
}

var sessionStates = map[string]bool{
	"IDLE": true, "CONNECT": true, "ACTIVE": true, "OPENSENT": true, "OPENCONFIRM": true, "ESTABLISHED": true,
}

// ParseState reads every configured neighbor and whatever state the
// server reports for it from a <get> reply. A server that implements the
// module without its state (netconfd with no instrumentation, say) gives
// neighbors with an empty SessionState. The reply is untrusted as in
// Parse, and the configuration part must be valid.
func ParseState(reply []byte) ([]NeighborState, error) {
	doc, found, err := findBGP(reply)
	if err != nil || !found {
		return nil, err
	}
	if _, err := decode(doc); err != nil {
		return nil, fmt.Errorf("reading peerform-bgp state: %w", err)
	}
	var out []NeighborState
	if doc.Neighbors == nil {
		return out, nil
	}
	for _, x := range doc.Neighbors.Neighbor {
		n, err := decodeNeighbor(x)
		if err != nil {
			return nil, err
		}
		s := NeighborState{Address: n.Address, PeerAS: n.PeerAS, Description: n.Description, Received: map[bgp.Family]int{}}
		fail := func(what string, err error) error {
			return fmt.Errorf("reading peerform-bgp state: %w: neighbor %s: %s: %v", ErrInvalid, n.Address, what, err)
		}
		if x.State != nil {
			st := strings.TrimSpace(x.State.SessionState)
			if st != "" && !sessionStates[st] {
				return nil, fail("session-state", fmt.Errorf("unknown value %q", st))
			}
			s.SessionState = st
			if v := strings.TrimSpace(x.State.LastEstablished); v != "" {
				ns, err := strconv.ParseUint(v, 10, 64)
				if err != nil || ns > 1<<63-1 {
					return nil, fail("last-established", fmt.Errorf("%q is not a uint64 timestamp", v))
				}
				s.LastEstablished = time.Unix(0, int64(ns)).UTC()
			}
		}
		if x.AFISAFIs != nil {
			for _, xa := range x.AFISAFIs.AFISAFI {
				if xa.State == nil || strings.TrimSpace(xa.State.Received) == "" {
					continue
				}
				fam, _ := parseAFISAFIName(strings.TrimSpace(xa.Name)) // checked by decodeNeighbor
				count, err := strconv.ParseUint(strings.TrimSpace(xa.State.Received), 10, 32)
				if err != nil {
					return nil, fail(xa.Name+" prefixes received", fmt.Errorf("%q is not a count", xa.State.Received))
				}
				s.Received[fam] = int(count)
			}
		}
		out = append(out, s)
	}
	return out, nil
}
