package rpki

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"testing"
	"time"

	rtr "github.com/bgp/stayrtr/lib"

	"github.com/peerform/peerform/internal/core/bgp"
)

// These tests drive the RFC 8210 exchange PDU by PDU, for the cases a
// healthy stayrtr never produces: protocol errors, cache resets, version
// changes. The happy paths also run against a real stayrtr (client_test.go).

func v4(prefix string, maxLen uint8, asn uint32, flags uint8) *rtr.PDUIPv4Prefix {
	return &rtr.PDUIPv4Prefix{Version: 1, Prefix: netip.MustParsePrefix(prefix), MaxLen: maxLen, ASN: asn, Flags: flags}
}

func v6(prefix string, maxLen uint8, asn uint32, flags uint8) *rtr.PDUIPv6Prefix {
	return &rtr.PDUIPv6Prefix{Version: 1, Prefix: netip.MustParsePrefix(prefix), MaxLen: maxLen, ASN: asn, Flags: flags}
}

func endOfData(session uint16, serial uint32) *rtr.PDUEndOfData {
	return &rtr.PDUEndOfData{Version: 1, SessionId: session, SerialNumber: serial, RefreshInterval: 60, RetryInterval: 30, ExpireInterval: 900}
}

// feed sends pdus to s and reports whether the last one completed the
// answer, failing on any error.
func feed(t *testing.T, s *session, pdus ...rtr.PDU) bool {
	t.Helper()
	var complete bool
	for _, p := range pdus {
		var err error
		if complete, err = s.handle(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	return complete
}

func setOf(s *session) []VRP { return slices.SortedFunc(maps.Keys(s.set), compareVRP) }

func TestSessionFullAnswer(t *testing.T) {
	s := newSession(100)
	// The query offers version 2; the cache answering in version 1 sets
	// the session's version (RFC 8210 §7).
	if q := s.query(); q.GetType() != rtr.PDU_ID_RESET_QUERY || q.GetVersion() != 2 {
		t.Fatalf("query is %s, want a version 2 Reset Query", q)
	}
	if feed(t, s,
		&rtr.PDUCacheResponse{Version: 1, SessionId: 7},
		v4("192.0.2.0/24", 24, 64500, rtr.FLAG_ADDED),
		// News during the answer asks for nothing.
		&rtr.PDUSerialNotify{Version: 1, SessionId: 7, SerialNumber: 6},
		v6("2001:db8::/32", 48, 64501, rtr.FLAG_ADDED),
	) {
		t.Fatal("complete before End of Data")
	}
	if !feed(t, s, endOfData(7, 5)) || s.sessionID != 7 || s.serial != 5 {
		t.Fatalf("after End of Data: session %d serial %d", s.sessionID, s.serial)
	}
	if got := setOf(s); !slices.Equal(got, []VRP{vrp("192.0.2.0/24", 24, 64500), vrp("2001:db8::/32", 48, 64501)}) {
		t.Fatalf("set %v", got)
	}
	if s.refresh != time.Minute || s.retry != 30*time.Second || s.expire != 15*time.Minute {
		t.Fatalf("intervals %s %s %s, want the cache's 1m 30s 15m", s.refresh, s.retry, s.expire)
	}
}

func TestSessionProtocolErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*session)
		pdus  []rtr.PDU
		code  uint16
	}{
		{"duplicate", queried, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 24, 1, 1), v4("198.51.100.0/24", 24, 1, 1)}, rtr.PDU_ERROR_DUPANNOUNCE},
		{"withdrawal", queried, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 24, 1, 0)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"end of data of another session", queried, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 9}, endOfData(7, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"second response", queried, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, &rtr.PDUCacheResponse{Version: 1, SessionId: 7}}, rtr.PDU_ERROR_CORRUPTDATA},
		{"response without query", idle, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}}, rtr.PDU_ERROR_CORRUPTDATA},
		{"prefix outside response", queried, []rtr.PDU{v4("198.51.100.0/24", 24, 1, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"router key outside response", queried, []rtr.PDU{&rtr.PDURouterKey{Version: 1}}, rtr.PDU_ERROR_CORRUPTDATA},
		{"end of data outside response", queried, []rtr.PDU{endOfData(7, 6)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"cache reset to reset query", queried, []rtr.PDU{&rtr.PDUCacheReset{Version: 1}}, rtr.PDU_ERROR_CORRUPTDATA},
		{"maxLength short", queried, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 23, 1, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"host bits", queried, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.1/24", 24, 1, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"IPv6 in an IPv4 PDU", queried, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, &rtr.PDUIPv4Prefix{Version: 1, Prefix: netip.MustParsePrefix("2001:db8::/32"), MaxLen: 32, Flags: 1}}, rtr.PDU_ERROR_CORRUPTDATA},
		{"too many VRPs", queried, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 24, 1, 1), v4("198.51.100.0/24", 24, 2, 1), v4("198.51.100.0/24", 24, 3, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"version change", queried, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, &rtr.PDUIPv4Prefix{Version: 0, Prefix: netip.MustParsePrefix("198.51.100.0/24"), MaxLen: 24, Flags: 1}}, rtr.PDU_ERROR_BADPROTOVERSION},
		{"query from a cache", queried, []rtr.PDU{&rtr.PDUResetQuery{Version: 1}}, rtr.PDU_ERROR_BADPDUTYPE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSession(2)
			s.version = rtr.PROTOCOL_VERSION_1 // the PDUs below speak version 1
			tt.setup(s)
			var err error
			for _, p := range tt.pdus {
				if _, err = s.handle(p); err != nil {
					break
				}
			}
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.Code != tt.code {
				t.Fatalf("err = %v, want a protocol error with code %d", err, tt.code)
			}
		})
	}
}

func idle(*session)      {}
func queried(s *session) { s.query() }

func TestSessionVersionNegotiation(t *testing.T) {
	// A version 0 cache answers in version 0: follow it.
	s := newSession(100)
	s.query()
	feed(t, s, &rtr.PDUCacheResponse{Version: 0, SessionId: 3}, &rtr.PDUIPv4Prefix{Version: 0, Prefix: netip.MustParsePrefix("192.0.2.0/24"), MaxLen: 24, ASN: 1, Flags: 1},
		&rtr.PDUEndOfData{Version: 0, SessionId: 3, SerialNumber: 1})
	if s.version != 0 || s.refresh != defaultRefresh {
		t.Errorf("version %d refresh %s, want 0 and the default refresh", s.version, s.refresh)
	}
	if q := s.query(); q.GetVersion() != 0 {
		t.Errorf("next query in version %d", q.GetVersion())
	}

	// A cache refusing version 2, then 1, with an error report: retry
	// with 1, then 0.
	s = newSession(100)
	s.query()
	_, err := s.handle(&rtr.PDUErrorReport{Version: 0, ErrorCode: rtr.PDU_ERROR_BADPROTOVERSION, ErrorMsg: "v0 only"})
	var ce *CacheError
	if !errors.As(err, &ce) || ce.Code != rtr.PDU_ERROR_BADPROTOVERSION || ce.Error() != "cache reported unsupported protocol version: v0 only" {
		t.Fatalf("err = %v", err)
	}
	if !downgrade(s, err) || s.version != 1 {
		t.Fatal("no downgrade to version 1")
	}
	if !downgrade(s, err) || s.version != 0 {
		t.Fatal("no downgrade to version 0")
	}
	if downgrade(s, err) {
		t.Error("downgraded below version 0")
	}
}

func TestSessionIntervalBounds(t *testing.T) {
	s := newSession(100)
	s.query()
	feed(t, s, &rtr.PDUCacheResponse{Version: 1, SessionId: 1},
		&rtr.PDUEndOfData{Version: 1, SessionId: 1, RefreshInterval: 0, RetryInterval: 7201, ExpireInterval: 10})
	if s.refresh != defaultRefresh || s.retry != defaultRetry || s.expire != defaultExpire {
		t.Errorf("out-of-range intervals gave %s %s %s, want the defaults", s.refresh, s.retry, s.expire)
	}
}

// FuzzSession feeds arbitrary bytes as a cache's PDU stream through
// stayrtr's decoder into the session. Nothing may panic, and whatever the
// session accepts must be a usable, bounded VRP set.
func FuzzSession(f *testing.F) {
	var seed bytes.Buffer
	for _, p := range []rtr.PDU{
		&rtr.PDUCacheResponse{Version: 1, SessionId: 7},
		v4("192.0.2.0/24", 24, 64500, 1),
		v6("2001:db8::/32", 48, 64501, 1),
		endOfData(7, 5),
		&rtr.PDUSerialNotify{Version: 1, SessionId: 7, SerialNumber: 6},
		&rtr.PDUCacheResponse{Version: 1, SessionId: 7},
		v4("192.0.2.0/24", 24, 64500, 0),
		endOfData(7, 6),
		&rtr.PDUCacheReset{Version: 1},
		&rtr.PDUErrorReport{Version: 1, ErrorCode: 2, ErrorMsg: "no data"},
	} {
		seed.Write(p.Bytes())
	}
	f.Add(seed.Bytes())
	// Version 2 with ASPAs: a reset response, then a serial one that
	// replaces and withdraws.
	seed.Reset()
	for _, p := range []any{
		&rtr.PDUCacheResponse{Version: 2, SessionId: 7}, aspaPDU(true, 64501, 64510, 64511), aspaPDU(true, 64502, 0),
		&rtr.PDUEndOfData{Version: 2, SessionId: 7, SerialNumber: 1},
		&rtr.PDUCacheResponse{Version: 2, SessionId: 7}, aspaPDU(true, 64501, 64512), aspaPDU(false, 64502),
		&rtr.PDUEndOfData{Version: 2, SessionId: 7, SerialNumber: 2},
	} {
		switch p := p.(type) {
		case *ASPAPDU:
			seed.Write(p.Bytes())
		case rtr.PDU:
			seed.Write(p.Bytes())
		}
	}
	f.Add(seed.Bytes())
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := newSession(50)
		s.query()
		r := bufio.NewReader(bytes.NewReader(stream))
		for {
			p, aspa, err := readPDU(r)
			if err != nil {
				return
			}
			var complete bool
			if aspa != nil {
				err = s.handleASPA(aspa)
			} else {
				complete, err = s.handle(p)
			}
			if err != nil {
				s.query()
				continue
			}
			if complete {
				s.query()
			}
			if len(s.set) > s.maxVRPs || len(s.aspas) > s.maxVRPs {
				t.Fatalf("set grew to %d VRPs and %d ASPAs, bound %d", len(s.set), len(s.aspas), s.maxVRPs)
			}
			for c, ps := range s.aspas {
				if len(ps) == 0 || slices.Contains(ps, c) {
					t.Fatalf("unusable ASPA of %s: %v", c, ps)
				}
			}
			for v := range s.set {
				if err := v.Check(); err != nil {
					t.Fatalf("unusable VRP in the set: %v", err)
				}
			}
		}
	})
}

func aspaPDU(announce bool, customer bgp.ASN, providers ...bgp.ASN) *ASPAPDU {
	return &ASPAPDU{Announce: announce, ASPA: ASPA{Customer: customer, Providers: providers}}
}

// feedV2 feeds a version 2 session PDUs of either kind.
func feedV2(s *session, pdus ...any) error {
	for _, p := range pdus {
		var err error
		switch p := p.(type) {
		case *ASPAPDU:
			err = s.handleASPA(p)
		case rtr.PDU:
			_, err = s.handle(p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func TestSessionASPAs(t *testing.T) {
	eod := &rtr.PDUEndOfData{Version: 2, SessionId: 4, SerialNumber: 1, RefreshInterval: 60, RetryInterval: 30, ExpireInterval: 900}
	s := newSession(100)
	if q := s.query(); q.GetVersion() != 2 {
		t.Fatalf("query is %s, want version 2", q)
	}
	if err := feedV2(s, &rtr.PDUCacheResponse{Version: 2, SessionId: 4},
		aspaPDU(true, 64501, 64510, 64511), aspaPDU(true, 64502, 64511), eod); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(s.aspaSet().List()); got != "[{AS64501 [AS64510 AS64511]} {AS64502 [AS64511]}]" || s.version != 2 {
		t.Fatalf("after the answer: %s version %d", got, s.version)
	}

	for _, tc := range []struct {
		name  string
		query bool
		pdus  []any
		code  uint16
	}{
		{"outside a response", false, []any{aspaPDU(true, 64503, 64510)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"twice in one response", true, []any{&rtr.PDUCacheResponse{Version: 2, SessionId: 4}, aspaPDU(true, 64503, 64510), aspaPDU(true, 64503, 64511)}, rtr.PDU_ERROR_DUPANNOUNCE},
		{"a withdrawal", true, []any{&rtr.PDUCacheResponse{Version: 2, SessionId: 4}, aspaPDU(false, 64501)}, rtr.PDU_ERROR_CORRUPTDATA},
	} {
		s2 := newSession(100)
		if tc.query {
			s2.query()
		}
		var pe *ProtocolError
		if err := feedV2(s2, tc.pdus...); !errors.As(err, &pe) || pe.Code != tc.code {
			t.Errorf("%s: %v, want a protocol error with code %d", tc.name, err, tc.code)
		}
	}

	// An ASPA PDU in a version 1 session is refused.
	v1 := newSession(100)
	v1.version = rtr.PROTOCOL_VERSION_1
	v1.query()
	var pe *ProtocolError
	if err := feedV2(v1, &rtr.PDUCacheResponse{Version: 1, SessionId: 7}, aspaPDU(true, 64501, 64510)); !errors.As(err, &pe) || pe.Code != rtr.PDU_ERROR_BADPDUTYPE {
		t.Errorf("ASPA in version 1: %v", err)
	}
}

// FuzzDecodeASPAPDU: whatever the bytes, decoding never panics, and what
// it accepts encodes back to the same PDU.
func FuzzDecodeASPAPDU(f *testing.F) {
	f.Add(aspaPDU(true, 64501, 64510, 64511).Bytes())
	f.Add(aspaPDU(false, 64501).Bytes())
	f.Add([]byte{2, 11, 1, 0, 0, 0, 0, 12, 0, 0, 251, 245})
	f.Add([]byte{2, 11, 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 251, 245, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodeASPAPDU(b)
		if err != nil {
			if !errors.Is(err, ErrBadASPAPDU) {
				t.Fatalf("error %v does not wrap ErrBadASPAPDU", err)
			}
			return
		}
		if slices.Contains(p.ASPA.Providers, p.ASPA.Customer) || len(p.ASPA.Providers) > MaxASPAProviders ||
			p.Announce != (len(p.ASPA.Providers) > 0) || !slices.IsSorted(p.ASPA.Providers) {
			t.Fatalf("accepted an unusable PDU: %+v", p)
		}
		again, err := DecodeASPAPDU(p.Bytes())
		if err != nil || fmt.Sprint(again) != fmt.Sprint(p) {
			t.Fatalf("round trip: %v: %+v, want %+v", err, again, p)
		}
	})
}
