package rpki

import (
	"fmt"
	"net/netip"
	"time"

	rtr "github.com/bgp/stayrtr/lib"
	"github.com/peerform/peerform/internal/core/bgp"
)

// Interval defaults of RFC 8210 §6, used when the cache does not send its
// own (protocol version 0 has no intervals in End of Data).
const (
	defaultRefresh = 3600 * time.Second
	defaultRetry   = 600 * time.Second
	defaultExpire  = 7200 * time.Second
)

// CacheError is an Error Report PDU the cache sent (RFC 8210 §5.10).
type CacheError struct {
	Code uint16
	Msg  string
}

func (e *CacheError) Error() string {
	name := map[uint16]string{
		rtr.PDU_ERROR_CORRUPTDATA:     "corrupt data",
		rtr.PDU_ERROR_INTERNALERR:     "internal error",
		rtr.PDU_ERROR_NODATA:          "no data available",
		rtr.PDU_ERROR_INVALIDREQUEST:  "invalid request",
		rtr.PDU_ERROR_BADPROTOVERSION: "unsupported protocol version",
		rtr.PDU_ERROR_BADPDUTYPE:      "unsupported PDU type",
		rtr.PDU_ERROR_WITHDRAWUNKNOWN: "withdrawal of unknown record",
		rtr.PDU_ERROR_DUPANNOUNCE:     "duplicate announcement received",
	}[e.Code]
	if name == "" {
		name = fmt.Sprintf("error code %d", e.Code)
	}
	if e.Msg != "" {
		return fmt.Sprintf("cache reported %s: %s", name, e.Msg)
	}
	return "cache reported " + name
}

// ProtocolError is a cache misbehaving: a PDU out of order, a bad prefix,
// a withdrawal of something never announced. The client answers it with an
// Error Report of Code and starts over with a Reset Query.
type ProtocolError struct {
	Code uint16
	Msg  string
}

func (e *ProtocolError) Error() string { return "RTR protocol error: " + e.Msg }

func protocolErrorf(code uint16, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// action is what the connection must do after a PDU.
type action int

const (
	actNone        action = iota
	actSerialQuery        // the cache has news: ask for the changes
	actResetQuery         // the cache cannot send changes: ask for everything
	actUpdated            // a response is complete: publish the new set
)

// session is the router side of RFC 8210 for one cache, without I/O: it is
// fed the PDUs the cache sends and says what to do next. It keeps the
// cache's complete VRP set between responses and applies a response only
// when its End of Data arrives, so a half-received update is never used.
type session struct {
	version uint8 // protocol version in use
	maxVRPs int

	// Known data: valid once synced is true.
	synced    bool
	sessionID uint16
	serial    uint32
	set       map[VRP]struct{}
	changed   bool // the last response changed set
	refresh   time.Duration
	retry     time.Duration
	expire    time.Duration

	// The response in progress.
	query     action // actResetQuery or actSerialQuery while a query is unanswered, else actNone
	answering bool   // a Cache Response came, End of Data not yet
	next      map[VRP]struct{}
	announce  []VRP // serial response: changes to apply at End of Data
	withdraw  []VRP

	// ASPAs (protocol version 2): the set held, by customer, and the
	// response in progress: the whole new set after a Reset Query, the
	// changes (nil providers: withdrawn) after a Serial Query.
	aspas       map[bgp.ASN][]bgp.ASN
	nextASPAs   map[bgp.ASN][]bgp.ASN
	aspaChanged bool
}

func newSession(maxVRPs int) *session {
	return &session{version: rtrVersion2, maxVRPs: maxVRPs, refresh: defaultRefresh, retry: defaultRetry, expire: defaultExpire}
}

// nextQuery builds the query to send now and records that it is pending:
// a Serial Query when the session already has data, else a Reset Query.
func (s *session) nextQuery(want action) rtr.PDU {
	if want == actSerialQuery && s.synced {
		s.query = actSerialQuery
		return &rtr.PDUSerialQuery{Version: s.version, SessionId: s.sessionID, SerialNumber: s.serial}
	}
	s.query = actResetQuery
	return &rtr.PDUResetQuery{Version: s.version}
}

// forget drops the session so the next query is a Reset Query; the data
// stays usable until it expires. Used after errors, when the cache's idea
// of the session and ours may differ.
func (s *session) forget() {
	s.synced = false
	s.query, s.answering = actNone, false
	s.next, s.announce, s.withdraw = nil, nil, nil
	s.nextASPAs = nil
}

// handle processes one PDU from the cache.
func (s *session) handle(pdu rtr.PDU) (action, error) {
	if e, ok := pdu.(*rtr.PDUErrorReport); ok {
		// An error report may come in any version, notably the one
		// refusing ours.
		s.query, s.answering = actNone, false
		return actNone, &CacheError{Code: e.ErrorCode, Msg: e.ErrorMsg}
	}
	if v := pdu.GetVersion(); v != s.version {
		// RFC 8210 §7: a cache answering our first query with a lower
		// version tells us the version to speak. Later, a change of
		// version is an error.
		if _, first := pdu.(*rtr.PDUCacheResponse); first && !s.synced && s.query == actResetQuery && v < s.version {
			s.version = v
		} else {
			return actNone, protocolErrorf(rtr.PDU_ERROR_BADPROTOVERSION, "%s in version %d, session speaks %d", rtr.TypeToString(pdu.GetType()), v, s.version)
		}
	}
	switch p := pdu.(type) {
	case *rtr.PDUSerialNotify:
		if s.query != actNone || (s.synced && p.SessionId == s.sessionID && p.SerialNumber == s.serial) {
			return actNone, nil // already asking, or nothing new
		}
		return actSerialQuery, nil

	case *rtr.PDUCacheResponse:
		if s.query == actNone || s.answering {
			return actNone, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "Cache Response without a query")
		}
		if s.query == actSerialQuery && p.SessionId != s.sessionID {
			return actNone, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "session changed from %d to %d", s.sessionID, p.SessionId)
		}
		s.answering = true
		s.sessionID = p.SessionId
		s.next = make(map[VRP]struct{})
		s.announce, s.withdraw = nil, nil
		s.nextASPAs = make(map[bgp.ASN][]bgp.ASN)
		return actNone, nil

	case *rtr.PDUIPv4Prefix:
		return actNone, s.prefix(p.Prefix, p.MaxLen, p.ASN, p.Flags, true)
	case *rtr.PDUIPv6Prefix:
		return actNone, s.prefix(p.Prefix, p.MaxLen, p.ASN, p.Flags, false)

	case *rtr.PDURouterKey:
		if !s.answering {
			return actNone, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "Router Key outside a response")
		}
		return actNone, nil // BGPsec keys: not used for origin validation

	case *rtr.PDUEndOfData:
		if !s.answering {
			return actNone, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "End of Data outside a response")
		}
		if p.SessionId != s.sessionID {
			return actNone, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "End of Data for session %d in session %d", p.SessionId, s.sessionID)
		}
		s.commit()
		s.serial = p.SerialNumber
		s.synced = true
		s.query, s.answering = actNone, false
		if s.version >= rtr.PROTOCOL_VERSION_1 {
			s.refresh = interval(p.RefreshInterval, 1, 86400, defaultRefresh)
			s.retry = interval(p.RetryInterval, 1, 7200, defaultRetry)
			s.expire = interval(p.ExpireInterval, 600, 172800, defaultExpire)
		}
		return actUpdated, nil

	case *rtr.PDUCacheReset:
		if s.query != actSerialQuery || s.answering {
			return actNone, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "Cache Reset without a Serial Query")
		}
		s.query = actNone
		return actResetQuery, nil

	default:
		return actNone, protocolErrorf(rtr.PDU_ERROR_BADPDUTYPE, "unexpected %s from a cache", rtr.TypeToString(pdu.GetType()))
	}
}

// prefix handles an IPv4 or IPv6 Prefix PDU.
func (s *session) prefix(p netip.Prefix, maxLen uint8, asn uint32, flags uint8, v4 bool) error {
	if !s.answering {
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "Prefix PDU outside a response")
	}
	v := VRP{Prefix: p, MaxLen: maxLen, ASN: bgp.ASN(asn)}
	if !p.IsValid() || p.Addr().Is4() != v4 {
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "malformed prefix in Prefix PDU")
	}
	if err := v.Check(); err != nil {
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "%v", err)
	}
	announce := flags&rtr.FLAG_ADDED != 0
	if s.query == actResetQuery {
		if !announce {
			return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "withdrawal of %s in a Reset Query response", v)
		}
		if _, dup := s.next[v]; dup {
			return protocolErrorf(rtr.PDU_ERROR_DUPANNOUNCE, "%s announced twice", v)
		}
		if len(s.next) >= s.maxVRPs {
			return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "more than %d VRPs", s.maxVRPs)
		}
		s.next[v] = struct{}{}
		return nil
	}
	// A serial response lists changes to the set we hold (RFC 8210 §5.6):
	// check each against it, apply them all at End of Data.
	_, have := s.set[v]
	_, seen := s.next[v]
	switch {
	case seen:
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "%s changed twice in one response", v)
	case announce && have:
		return protocolErrorf(rtr.PDU_ERROR_DUPANNOUNCE, "%s announced but already held", v)
	case !announce && !have:
		return protocolErrorf(rtr.PDU_ERROR_WITHDRAWUNKNOWN, "%s withdrawn but never announced", v)
	case announce && len(s.set)-len(s.withdraw)+len(s.announce) >= s.maxVRPs:
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "more than %d VRPs", s.maxVRPs)
	}
	s.next[v] = struct{}{}
	if announce {
		s.announce = append(s.announce, v)
	} else {
		s.withdraw = append(s.withdraw, v)
	}
	return nil
}

// handleASPA processes an ASPA PDU (protocol version 2): in a Reset
// Query response the announcements make up the whole set; in a Serial
// Query response an announcement replaces the customer's ASPA and a
// withdrawal removes it, applied at End of Data like the VRPs.
func (s *session) handleASPA(p *ASPAPDU) error {
	c := p.ASPA.Customer
	_, have := s.aspas[c]
	_, seen := s.nextASPAs[c]
	switch {
	case !s.answering:
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "ASPA PDU outside a response")
	case s.version < rtrVersion2:
		return protocolErrorf(rtr.PDU_ERROR_BADPDUTYPE, "ASPA PDU in protocol version %d", s.version)
	case seen:
		return protocolErrorf(rtr.PDU_ERROR_DUPANNOUNCE, "ASPA of %s twice in one response", c)
	case s.query == actResetQuery && !p.Announce:
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "withdrawal of the ASPA of %s in a Reset Query response", c)
	case s.query == actSerialQuery && !p.Announce && !have:
		return protocolErrorf(rtr.PDU_ERROR_WITHDRAWUNKNOWN, "ASPA of %s withdrawn but never announced", c)
	case p.Announce && len(s.aspas)+len(s.nextASPAs) >= s.maxVRPs:
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "more than %d ASPAs", s.maxVRPs)
	}
	s.nextASPAs[c] = p.ASPA.Providers // nil for a withdrawal
	return nil
}

// commit makes the response just completed the current set.
func (s *session) commit() {
	s.commitASPAs()
	if s.query == actResetQuery {
		s.set, s.next = s.next, nil
		s.changed = true
		return
	}
	s.changed = len(s.withdraw)+len(s.announce) > 0
	for _, v := range s.withdraw {
		delete(s.set, v)
	}
	for _, v := range s.announce {
		s.set[v] = struct{}{}
	}
	s.next, s.announce, s.withdraw = nil, nil, nil
}

func (s *session) commitASPAs() {
	if s.query == actResetQuery {
		s.aspas, s.aspaChanged = s.nextASPAs, true
	} else {
		s.aspaChanged = len(s.nextASPAs) > 0
		for c, ps := range s.nextASPAs {
			if ps == nil {
				delete(s.aspas, c)
			} else {
				s.aspas[c] = ps
			}
		}
	}
	s.nextASPAs = nil
}

// aspaSet returns the current ASPAs as a set.
func (s *session) aspaSet() *ASPAs {
	list := make([]ASPA, 0, len(s.aspas))
	for c, ps := range s.aspas {
		list = append(list, ASPA{Customer: c, Providers: ps})
	}
	return NewASPAs(list)
}

// vrps returns the current set as a slice.
func (s *session) vrps() []VRP {
	out := make([]VRP, 0, len(s.set))
	for v := range s.set {
		out = append(out, v)
	}
	return out
}

// interval reads a cache-given interval in seconds, replacing a value
// outside RFC 8210 §6's range with the default.
func interval(sec, lo, hi uint32, def time.Duration) time.Duration {
	if sec < lo || sec > hi {
		return def
	}
	return time.Duration(sec) * time.Second
}
