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

// These tests drive the RFC 8210 state machine PDU by PDU, for the cases a
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

// feed sends pdus to s and returns the last action, failing on any error.
func feed(t *testing.T, s *session, pdus ...rtr.PDU) action {
	t.Helper()
	var act action
	for _, p := range pdus {
		var err error
		if act, err = s.handle(p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	return act
}

// synced returns a session holding two VRPs, session 7, serial 5.
func syncedSession(t *testing.T) *session {
	t.Helper()
	s := newSession(100)
	if q := s.nextQuery(actSerialQuery); q.GetType() != rtr.PDU_ID_RESET_QUERY || q.GetVersion() != 2 {
		t.Fatalf("first query is %s, want a version 2 Reset Query", q)
	}
	act := feed(t, s,
		&rtr.PDUCacheResponse{Version: 1, SessionId: 7},
		v4("192.0.2.0/24", 24, 64500, rtr.FLAG_ADDED),
		v6("2001:db8::/32", 48, 64501, rtr.FLAG_ADDED),
		endOfData(7, 5),
	)
	if act != actUpdated || !s.synced || s.sessionID != 7 || s.serial != 5 || s.version != 1 {
		t.Fatalf("after a full response: action %v synced %v session %d serial %d", act, s.synced, s.sessionID, s.serial)
	}
	if s.refresh != time.Minute || s.retry != 30*time.Second || s.expire != 15*time.Minute {
		t.Fatalf("intervals %s %s %s, want the cache's 1m 30s 15m", s.refresh, s.retry, s.expire)
	}
	return s
}

func setOf(s *session) []VRP { return slices.SortedFunc(maps.Keys(s.set), compareVRP) }

func TestSessionSerialUpdate(t *testing.T) {
	s := syncedSession(t)
	q := s.nextQuery(actSerialQuery)
	if sq, ok := q.(*rtr.PDUSerialQuery); !ok || sq.SessionId != 7 || sq.SerialNumber != 5 {
		t.Fatalf("query %s, want Serial Query session 7 serial 5", q)
	}
	feed(t, s,
		&rtr.PDUCacheResponse{Version: 1, SessionId: 7},
		v4("192.0.2.0/24", 24, 64500, rtr.FLAG_REMOVED),
		v4("198.51.100.0/24", 24, 64502, rtr.FLAG_ADDED),
	)
	// Until End of Data, the old set stands.
	if got := setOf(s); !slices.Equal(got, []VRP{vrp("192.0.2.0/24", 24, 64500), vrp("2001:db8::/32", 48, 64501)}) {
		t.Fatalf("set changed before End of Data: %v", got)
	}
	if act := feed(t, s, endOfData(7, 6)); act != actUpdated || !s.changed || s.serial != 6 {
		t.Fatalf("action %v changed %v serial %d", act, s.changed, s.serial)
	}
	if got := setOf(s); !slices.Equal(got, []VRP{vrp("198.51.100.0/24", 24, 64502), vrp("2001:db8::/32", 48, 64501)}) {
		t.Fatalf("set after update: %v", got)
	}
	// An empty update changes nothing.
	s.nextQuery(actSerialQuery)
	feed(t, s, &rtr.PDUCacheResponse{Version: 1, SessionId: 7}, endOfData(7, 6))
	if s.changed {
		t.Error("empty serial response marked the set changed")
	}
}

func TestSessionNotifyAndCacheReset(t *testing.T) {
	s := syncedSession(t)
	if act := feed(t, s, &rtr.PDUSerialNotify{Version: 1, SessionId: 7, SerialNumber: 5}); act != actNone {
		t.Errorf("notify of the serial we hold: action %v, want none", act)
	}
	if act := feed(t, s, &rtr.PDUSerialNotify{Version: 1, SessionId: 7, SerialNumber: 6}); act != actSerialQuery {
		t.Errorf("notify of a new serial: action %v, want a serial query", act)
	}
	s.nextQuery(actSerialQuery)
	if act := feed(t, s, &rtr.PDUSerialNotify{Version: 1, SessionId: 7, SerialNumber: 7}); act != actNone {
		t.Errorf("notify while a query is pending: action %v, want none", act)
	}
	if act := feed(t, s, &rtr.PDUCacheReset{Version: 1}); act != actResetQuery {
		t.Fatalf("Cache Reset: action %v, want a reset query", act)
	}
	if q := s.nextQuery(actResetQuery); q.GetType() != rtr.PDU_ID_RESET_QUERY {
		t.Fatalf("query after Cache Reset is %s", q)
	}
	feed(t, s, &rtr.PDUCacheResponse{Version: 1, SessionId: 8}, v4("203.0.113.0/24", 24, 64503, rtr.FLAG_ADDED), endOfData(8, 1))
	if got := setOf(s); !slices.Equal(got, []VRP{vrp("203.0.113.0/24", 24, 64503)}) || s.sessionID != 8 {
		t.Fatalf("after reset: session %d set %v", s.sessionID, got)
	}
}

func TestSessionProtocolErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*session) // after sync
		pdus  []rtr.PDU
		code  uint16
	}{
		{"withdraw unknown", serialQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 24, 1, 0)}, rtr.PDU_ERROR_WITHDRAWUNKNOWN},
		{"announce held", serialQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("192.0.2.0/24", 24, 64500, 1)}, rtr.PDU_ERROR_DUPANNOUNCE},
		{"changed twice", serialQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 24, 1, 1), v4("198.51.100.0/24", 24, 1, 0)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"duplicate in reset", resetQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 24, 1, 1), v4("198.51.100.0/24", 24, 1, 1)}, rtr.PDU_ERROR_DUPANNOUNCE},
		{"withdraw in reset", resetQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 24, 1, 0)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"session changed", serialQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 8}}, rtr.PDU_ERROR_CORRUPTDATA},
		{"end of data of another session", resetQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 9}, endOfData(7, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"response without query", idle, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}}, rtr.PDU_ERROR_CORRUPTDATA},
		{"prefix outside response", idle, []rtr.PDU{v4("198.51.100.0/24", 24, 1, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"end of data outside response", idle, []rtr.PDU{endOfData(7, 6)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"cache reset to reset query", resetQuery, []rtr.PDU{&rtr.PDUCacheReset{Version: 1}}, rtr.PDU_ERROR_CORRUPTDATA},
		{"maxLength short", resetQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 23, 1, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"host bits", resetQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.1/24", 24, 1, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"IPv6 in an IPv4 PDU", resetQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, &rtr.PDUIPv4Prefix{Version: 1, Prefix: netip.MustParsePrefix("2001:db8::/32"), MaxLen: 32, Flags: 1}}, rtr.PDU_ERROR_CORRUPTDATA},
		{"too many VRPs", resetQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 1, SessionId: 7}, v4("198.51.100.0/24", 24, 1, 1), v4("198.51.100.0/24", 24, 2, 1), v4("198.51.100.0/24", 24, 3, 1)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"version change", serialQuery, []rtr.PDU{&rtr.PDUCacheResponse{Version: 0, SessionId: 7}}, rtr.PDU_ERROR_BADPROTOVERSION},
		{"query from a cache", idle, []rtr.PDU{&rtr.PDUResetQuery{Version: 1}}, rtr.PDU_ERROR_BADPDUTYPE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := syncedSession(t)
			s.maxVRPs = 2
			tt.setup(s)
			before := setOf(s)
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
			s.forget()
			if got := setOf(s); !slices.Equal(got, before) {
				t.Errorf("a failed response changed the set: %v", got)
			}
			if q := s.nextQuery(actSerialQuery); q.GetType() != rtr.PDU_ID_RESET_QUERY {
				t.Errorf("after an error the next query is %s, want a Reset Query", q)
			}
		})
	}
}

func idle(*session)          {}
func serialQuery(s *session) { s.nextQuery(actSerialQuery) }
func resetQuery(s *session)  { s.nextQuery(actResetQuery) }

func TestSessionVersionNegotiation(t *testing.T) {
	// A version 0 cache answers in version 0: follow it.
	s := newSession(100)
	s.nextQuery(actResetQuery)
	feed(t, s, &rtr.PDUCacheResponse{Version: 0, SessionId: 3}, &rtr.PDUIPv4Prefix{Version: 0, Prefix: netip.MustParsePrefix("192.0.2.0/24"), MaxLen: 24, ASN: 1, Flags: 1},
		&rtr.PDUEndOfData{Version: 0, SessionId: 3, SerialNumber: 1})
	if s.version != 0 || s.refresh != defaultRefresh {
		t.Errorf("version %d refresh %s, want 0 and the default refresh", s.version, s.refresh)
	}
	if q := s.nextQuery(actSerialQuery); q.GetVersion() != 0 {
		t.Errorf("next query in version %d", q.GetVersion())
	}

	// A cache refusing version 2, then 1, with an error report: retry
	// with 1, then 0.
	s = newSession(100)
	s.nextQuery(actResetQuery)
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
	s.nextQuery(actResetQuery)
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
		s.nextQuery(actResetQuery)
		r := bufio.NewReader(bytes.NewReader(stream))
		for {
			p, aspa, err := readPDU(r)
			if err != nil {
				return
			}
			var act action
			if aspa != nil {
				err = s.handleASPA(aspa)
			} else {
				act, err = s.handle(p)
			}
			if err != nil {
				s.forget()
				s.nextQuery(actResetQuery)
				continue
			}
			if act == actSerialQuery || act == actResetQuery {
				s.nextQuery(act)
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
	s.nextQuery(actResetQuery)
	if err := feedV2(s, &rtr.PDUCacheResponse{Version: 2, SessionId: 4},
		aspaPDU(true, 64501, 64510, 64511), aspaPDU(true, 64502, 64511), eod); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(s.aspaSet().List()); got != "[{AS64501 [AS64510 AS64511]} {AS64502 [AS64511]}]" || !s.aspaChanged || s.version != 2 {
		t.Fatalf("after reset: %s changed %t version %d", got, s.aspaChanged, s.version)
	}

	// A serial response replaces one ASPA and withdraws another, at End
	// of Data only.
	s.nextQuery(actSerialQuery)
	eod.SerialNumber = 2
	if err := feedV2(s, &rtr.PDUCacheResponse{Version: 2, SessionId: 4}, aspaPDU(true, 64501, 64512), aspaPDU(false, 64502)); err != nil {
		t.Fatal(err)
	}
	if len(s.aspas) != 2 {
		t.Fatal("ASPAs changed before End of Data")
	}
	if err := feedV2(s, eod); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(s.aspaSet().List()); got != "[{AS64501 [AS64512]}]" || !s.aspaChanged {
		t.Fatalf("after serial: %s changed %t", got, s.aspaChanged)
	}

	for _, tc := range []struct {
		name  string
		query action
		pdus  []any
		code  uint16
	}{
		{"outside a response", actNone, []any{aspaPDU(true, 64503, 64510)}, rtr.PDU_ERROR_CORRUPTDATA},
		{"twice in one response", actSerialQuery, []any{&rtr.PDUCacheResponse{Version: 2, SessionId: 4}, aspaPDU(true, 64503, 64510), aspaPDU(true, 64503, 64511)}, rtr.PDU_ERROR_DUPANNOUNCE},
		{"withdrawal of an unknown customer", actSerialQuery, []any{&rtr.PDUCacheResponse{Version: 2, SessionId: 4}, aspaPDU(false, 64599)}, rtr.PDU_ERROR_WITHDRAWUNKNOWN},
		{"withdrawal in a reset response", actResetQuery, []any{&rtr.PDUCacheResponse{Version: 2, SessionId: 4}, aspaPDU(false, 64501)}, rtr.PDU_ERROR_CORRUPTDATA},
	} {
		s2 := *s
		if tc.query != actNone {
			s2.nextQuery(tc.query)
		}
		var pe *ProtocolError
		if err := feedV2(&s2, tc.pdus...); !errors.As(err, &pe) || pe.Code != tc.code {
			t.Errorf("%s: %v, want a protocol error with code %d", tc.name, err, tc.code)
		}
	}

	// An ASPA PDU in a version 1 session is refused.
	v1 := syncedSession(t)
	v1.nextQuery(actSerialQuery)
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
