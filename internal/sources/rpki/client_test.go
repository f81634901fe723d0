package rpki_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"testing"
	"time"

	rtr "github.com/bgp/stayrtr/lib"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/rpki"
	"github.com/peerform/peerform/internal/sources/rpki/rpkitest"
)

// These tests run a real stayrtr (Debian package stayrtr). The client does
// not use stayrtr's racy ClientSession, so they run under -race as well.

// randomVRPs returns n distinct valid VRPs of both families, sorted.
func randomVRPs(seed uint64, n int) []rpki.VRP {
	rng := rand.New(rand.NewPCG(seed, 8210))
	seen := map[rpki.VRP]bool{}
	var out []rpki.VRP
	for len(out) < n {
		var v rpki.VRP
		if rng.IntN(4) != 0 {
			a := rng.Uint32()
			bits := 8 + rng.IntN(17)
			v.Prefix = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), bits).Masked()
			v.MaxLen = uint8(bits + rng.IntN(25-bits))
		} else {
			var b [16]byte
			b[0], b[1] = 0x20, 0x01
			for i := 2; i < 8; i++ {
				b[i] = byte(rng.IntN(256))
			}
			bits := 19 + rng.IntN(30)
			v.Prefix = netip.PrefixFrom(netip.AddrFrom16(b), bits).Masked()
			v.MaxLen = uint8(bits + rng.IntN(49-bits))
		}
		v.ASN = bgp.ASN(rng.Uint32N(1 << 20))
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return sorted(out)
}

// sorted returns vrps in Table.VRPs order.
func sorted(vrps []rpki.VRP) []rpki.VRP { return rpki.NewTable(vrps).VRPs() }

func vrp(prefix string, maxLen uint8, asn bgp.ASN) rpki.VRP {
	return rpki.VRP{Prefix: netip.MustParsePrefix(prefix), MaxLen: maxLen, ASN: asn}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// The set our client receives from a real stayrtr equals the file stayrtr
// serves, as our own JSON loader reads it: two independent readings of the
// same file, including the entries both must drop or repair.
func TestFetchFromStayRTR(t *testing.T) {
	good := randomVRPs(1, 10000)
	roas := make([]any, 0, len(good)+8)
	for _, v := range good {
		roas = append(roas, map[string]any{"prefix": v.Prefix.String(), "maxLength": v.MaxLen, "asn": uint32(v.ASN)})
	}
	roas = append(roas,
		map[string]any{"prefix": "192.0.2.0/24", "maxLength": 24, "asn": "AS64500"},
		map[string]any{"prefix": "192.0.2.0/24", "maxLength": 24, "asn": 64500},                    // duplicate of the above
		map[string]any{"prefix": "192.0.2.1/24", "maxLength": 24, "asn": 64501},                    // host bits: cleared
		map[string]any{"prefix": "198.51.100.0/24", "maxLength": 20, "asn": 64502},                 // maxLength too short
		map[string]any{"prefix": "198.51.100.0/24", "maxLength": 33, "asn": 64502},                 // maxLength too long
		map[string]any{"prefix": "203.0.113.0/24", "maxLength": 24, "asn": 64503, "expires": 1000}, // expired
		map[string]any{"prefix": "203.0.113.0/24", "maxLength": 24, "asn": "ASX"},                  // not an ASN
	)
	// The file has ASPAs, as rpki-client writes them; stayrtr v0.6.0
	// (and Debian's 0.5.1) speaks RTR versions 0 and 1 only and serves
	// none, so the client falls back to version 1 and gets VRPs alone.
	aspas := []any{map[string]any{"customer_asid": 64500, "providers": []int{64510}}}
	file, err := json.Marshal(map[string]any{"metadata": map[string]any{"generated": time.Now().Unix()}, "roas": roas, "aspas": aspas})
	if err != nil {
		t.Fatal(err)
	}
	want := sorted(append(slices.Clone(good), vrp("192.0.2.0/24", 24, 64500), vrp("192.0.2.0/24", 24, 64501)))
	cache := rpkitest.StartJSON(t, file)

	snap, err := rpki.Fetch(ctxFor(t, 60*time.Second), rpki.Config{Addr: cache.Addr})
	if err != nil {
		t.Fatal(err)
	}
	if got := snap.Table.VRPs(); !slices.Equal(got, want) {
		t.Fatalf("received %d VRPs, want %d; first difference: %s", len(got), len(want), firstDiff(got, want))
	}
	fromFile, rep, err := rpki.LoadJSON(bytes.NewReader(file), rpki.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fromFile, want) {
		t.Fatalf("LoadJSON read %d VRPs from the file stayrtr serves, want %d; first difference: %s (report %+v)",
			len(fromFile), len(want), firstDiff(fromFile, want), rep)
	}
	if snap.Version != 1 || snap.Table.Count(bgp.IPv4) == 0 || snap.Table.Count(bgp.IPv6) == 0 {
		t.Errorf("snapshot: version %d, %d v4 / %d v6 VRPs", snap.Version, snap.Table.Count(bgp.IPv4), snap.Table.Count(bgp.IPv6))
	}
	t.Logf("the cache served %d ASPAs in RTR version %d", snap.ASPAs.Len(), snap.Version)
	t.Logf("session %d serial %d: %d VRPs (%d v4, %d v6), refresh %s retry %s expire %s; loader report %+v",
		snap.SessionID, snap.Serial, snap.Table.Len(), snap.Table.Count(bgp.IPv4), snap.Table.Count(bgp.IPv6),
		snap.Refresh, snap.Retry, snap.Expire, rep)
}

// A cache speaking only RTR version 0 answers our version 2 query in
// version 0; the client follows (RFC 8210 §7).
func TestFetchVersion0Cache(t *testing.T) {
	want := randomVRPs(2, 100)
	cache := rpkitest.Start(t, want, "-protocol", "0")
	snap, err := rpki.Fetch(ctxFor(t, 30*time.Second), rpki.Config{Addr: cache.Addr})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Version != 0 || !slices.Equal(snap.Table.VRPs(), want) {
		t.Fatalf("version %d, %d VRPs; want version 0 and %d VRPs", snap.Version, snap.Table.Len(), len(want))
	}
}

// silentCache accepts RTR connections and never answers: a hung cache.
func silentCache(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	return l.Addr().String()
}

func TestFetchTimeoutAndCancel(t *testing.T) {
	addr := silentCache(t)
	_, err := rpki.Fetch(t.Context(), rpki.Config{Addr: addr, Timeout: 200 * time.Millisecond})
	if !errors.Is(err, rpki.ErrTimeout) {
		t.Errorf("silent cache: err = %v, want ErrTimeout", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err = rpki.Fetch(ctx, rpki.Config{Addr: addr})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled: err = %v, want context.DeadlineExceeded", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	if _, err := rpki.Fetch(t.Context(), rpki.Config{Addr: closed}); err == nil {
		t.Error("Fetch from a closed port succeeded")
	}
	if _, err := rpki.Fetch(t.Context(), rpki.Config{Addr: "127.0.0.1"}); err == nil {
		t.Error("Fetch accepted an address without a port")
	}
}

func firstDiff(a, b []rpki.VRP) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i].String() + " vs " + b[i].String()
		}
	}
	return "one list is a prefix of the other"
}

// v2Cache is an RTR version 2 cache that serves one complete set to
// each connection: no cache installed here speaks version 2 (stayrtr
// v0.6.0 stops at version 1), so the test writes the PDUs itself with
// stayrtr's encoders and rpki.ASPAPDU.
func v2Cache(t *testing.T, pdus ...interface{ Bytes() []byte }) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				q := make([]byte, 8)
				if _, err := io.ReadFull(conn, q); err != nil || q[0] != 2 || q[1] != rtr.PDU_ID_RESET_QUERY {
					return // a test failure shows as the client's error
				}
				for _, p := range pdus {
					if _, err := conn.Write(p.Bytes()); err != nil {
						return
					}
				}
				_, _ = io.Copy(io.Discard, conn)
			}()
		}
	}()
	return l.Addr().String()
}

func TestFetchASPAsVersion2(t *testing.T) {
	addr := v2Cache(t,
		&rtr.PDUCacheResponse{Version: 2, SessionId: 9},
		&rtr.PDUIPv4Prefix{Version: 2, Prefix: netip.MustParsePrefix("192.0.2.0/24"), MaxLen: 24, ASN: 64500, Flags: rtr.FLAG_ADDED},
		rpki.ASPAPDU{Announce: true, ASPA: rpki.ASPA{Customer: 64500, Providers: []bgp.ASN{64511, 64510}}},
		rpki.ASPAPDU{Announce: true, ASPA: rpki.ASPA{Customer: 64510, Providers: []bgp.ASN{0}}},
		&rtr.PDUEndOfData{Version: 2, SessionId: 9, SerialNumber: 3, RefreshInterval: 60, RetryInterval: 30, ExpireInterval: 900},
	)
	snap, err := rpki.Fetch(ctxFor(t, 10*time.Second), rpki.Config{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(snap.ASPAs.List()); snap.Version != 2 || got != "[{AS64500 [AS64510 AS64511]} {AS64510 [AS0]}]" || snap.Table.Len() != 1 {
		t.Fatalf("version %d, ASPAs %s, %d VRPs", snap.Version, got, snap.Table.Len())
	}
	if s := snap.ASPAs.VerifyUpstream(rpki.Path{Seq: []bgp.ASN{64510, 64500}}); s != rpki.ASPAValid {
		t.Errorf("64510 64500 is %s with the cache's ASPAs", s)
	}

	// A malformed ASPA PDU (the customer among its providers) ends the
	// connection with an error, and no data is published.
	bad := rpki.ASPAPDU{Announce: true, ASPA: rpki.ASPA{Customer: 64500, Providers: []bgp.ASN{64500}}}
	addr = v2Cache(t, &rtr.PDUCacheResponse{Version: 2, SessionId: 9}, bad,
		&rtr.PDUEndOfData{Version: 2, SessionId: 9, SerialNumber: 3})
	if _, err := rpki.Fetch(ctxFor(t, 10*time.Second), rpki.Config{Addr: addr}); !errors.Is(err, rpki.ErrBadASPAPDU) {
		t.Errorf("malformed ASPA PDU: %v", err)
	}
}
