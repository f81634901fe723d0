package rpki

import (
	"bytes"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"testing"
	"time"

	rtr "github.com/bgp/stayrtr/lib"
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
	if q := s.query(); q.GetType() != rtr.PDU_ID_RESET_QUERY || q.GetVersion() != 1 {
		t.Fatalf("query is %s, want a version 1 Reset Query", q)
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

	// A cache refusing version 1 with an error report: retry with 0.
	s = newSession(100)
	s.query()
	_, err := s.handle(&rtr.PDUErrorReport{Version: 0, ErrorCode: rtr.PDU_ERROR_BADPROTOVERSION, ErrorMsg: "v0 only"})
	var ce *CacheError
	if !errors.As(err, &ce) || ce.Code != rtr.PDU_ERROR_BADPROTOVERSION || ce.Error() != "cache reported unsupported protocol version: v0 only" {
		t.Fatalf("err = %v", err)
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
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := newSession(50)
		s.query()
		r := bytes.NewReader(stream)
		for {
			p, err := rtr.Decode(r)
			if err != nil || p == nil {
				return
			}
			complete, err := s.handle(p)
			if err != nil {
				s.query()
				continue
			}
			if complete {
				s.query()
			}
			if len(s.set) > s.maxVRPs {
				t.Fatalf("set grew to %d, bound %d", len(s.set), s.maxVRPs)
			}
			for v := range s.set {
				if err := v.Check(); err != nil {
					t.Fatalf("unusable VRP in the set: %v", err)
				}
			}
		}
	})
}
