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
// a withdrawal in a full answer. Fetch answers it with an Error Report of
// Code and hangs up.
type ProtocolError struct {
	Code uint16
	Msg  string
}

func (e *ProtocolError) Error() string { return "RTR protocol error: " + e.Msg }

func protocolErrorf(code uint16, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// session is the router side of RFC 8210 for one Reset Query, without
// I/O: it is fed the PDUs the cache sends and says when the answer is
// complete. The set is used only once its End of Data arrived, so a
// half-received answer is never used.
type session struct {
	version uint8 // protocol version in use
	maxVRPs int

	queried   bool // the Reset Query went out
	answering bool // a Cache Response came, End of Data not yet
	sessionID uint16
	serial    uint32
	set       map[VRP]struct{}
	// aspas (protocol version 2) holds the ASPAs of the answer, by
	// customer.
	aspas   map[bgp.ASN][]bgp.ASN
	refresh time.Duration
	retry   time.Duration
	expire  time.Duration
}

func newSession(maxVRPs int) *session {
	return &session{version: rtrVersion2, maxVRPs: maxVRPs, refresh: defaultRefresh, retry: defaultRetry, expire: defaultExpire}
}

// query starts a new exchange on a new connection: the Reset Query to
// send, in the session's protocol version.
func (s *session) query() rtr.PDU {
	s.queried, s.answering, s.set, s.aspas = true, false, nil, nil
	return &rtr.PDUResetQuery{Version: s.version}
}

// handle processes one PDU from the cache; complete is true at the End of
// Data that ends the answer.
func (s *session) handle(pdu rtr.PDU) (complete bool, err error) {
	if e, ok := pdu.(*rtr.PDUErrorReport); ok {
		// An error report may come in any version, notably the one
		// refusing ours.
		s.answering = false
		return false, &CacheError{Code: e.ErrorCode, Msg: e.ErrorMsg}
	}
	if v := pdu.GetVersion(); v != s.version {
		// RFC 8210 §7: a cache answering our query with a lower version
		// tells us the version to speak. Later, a change of version is
		// an error.
		if _, first := pdu.(*rtr.PDUCacheResponse); first && s.queried && !s.answering && v < s.version {
			s.version = v
		} else {
			return false, protocolErrorf(rtr.PDU_ERROR_BADPROTOVERSION, "%s in version %d, session speaks %d", rtr.TypeToString(pdu.GetType()), v, s.version)
		}
	}
	switch p := pdu.(type) {
	case *rtr.PDUSerialNotify:
		// News while the full set is on its way: it asks for nothing
		// more, the answer being read is the newest the cache has.
		return false, nil

	case *rtr.PDUCacheResponse:
		if !s.queried || s.answering {
			return false, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "Cache Response without a query")
		}
		s.answering = true
		s.sessionID = p.SessionId
		s.set = make(map[VRP]struct{})
		s.aspas = make(map[bgp.ASN][]bgp.ASN)
		return false, nil

	case *rtr.PDUIPv4Prefix:
		return false, s.prefix(p.Prefix, p.MaxLen, p.ASN, p.Flags, true)
	case *rtr.PDUIPv6Prefix:
		return false, s.prefix(p.Prefix, p.MaxLen, p.ASN, p.Flags, false)

	case *rtr.PDURouterKey:
		if !s.answering {
			return false, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "Router Key outside a response")
		}
		return false, nil // BGPsec keys: not used for origin validation

	case *rtr.PDUEndOfData:
		if !s.answering {
			return false, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "End of Data outside a response")
		}
		if p.SessionId != s.sessionID {
			return false, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "End of Data for session %d in session %d", p.SessionId, s.sessionID)
		}
		s.serial = p.SerialNumber
		s.queried, s.answering = false, false
		if s.version >= rtr.PROTOCOL_VERSION_1 {
			s.refresh = interval(p.RefreshInterval, 1, 86400, defaultRefresh)
			s.retry = interval(p.RetryInterval, 1, 7200, defaultRetry)
			s.expire = interval(p.ExpireInterval, 600, 172800, defaultExpire)
		}
		return true, nil

	case *rtr.PDUCacheReset:
		// The answer to a Serial Query the cache cannot serve; a Reset
		// Query never gets one.
		return false, protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "Cache Reset in answer to a Reset Query")

	default:
		return false, protocolErrorf(rtr.PDU_ERROR_BADPDUTYPE, "unexpected %s from a cache", rtr.TypeToString(pdu.GetType()))
	}
}

// prefix handles an IPv4 or IPv6 Prefix PDU: in the answer to a Reset
// Query every one announces a VRP, once.
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
	if flags&rtr.FLAG_ADDED == 0 {
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "withdrawal of %s in a Reset Query response", v)
	}
	if _, dup := s.set[v]; dup {
		return protocolErrorf(rtr.PDU_ERROR_DUPANNOUNCE, "%s announced twice", v)
	}
	if len(s.set) >= s.maxVRPs {
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "more than %d VRPs", s.maxVRPs)
	}
	s.set[v] = struct{}{}
	return nil
}

// handleASPA processes an ASPA PDU (protocol version 2): in the answer to
// a Reset Query every one announces a customer's ASPA, once.
func (s *session) handleASPA(p *ASPAPDU) error {
	c := p.ASPA.Customer
	switch _, seen := s.aspas[c]; {
	case !s.answering:
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "ASPA PDU outside a response")
	case s.version < rtrVersion2:
		return protocolErrorf(rtr.PDU_ERROR_BADPDUTYPE, "ASPA PDU in protocol version %d", s.version)
	case !p.Announce:
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "withdrawal of the ASPA of %s in a Reset Query response", c)
	case seen:
		return protocolErrorf(rtr.PDU_ERROR_DUPANNOUNCE, "ASPA of %s twice in one response", c)
	case len(s.aspas) >= s.maxVRPs:
		return protocolErrorf(rtr.PDU_ERROR_CORRUPTDATA, "more than %d ASPAs", s.maxVRPs)
	}
	s.aspas[c] = p.ASPA.Providers
	return nil
}

// aspaSet returns the answer's ASPAs as a set.
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
