package peeringapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/ops/request/peeringapi"
	"github.com/peerform/peerform/internal/ops/request/peeringapi/peeringapitest"
)

const token = "tok-0123456789"

func fake(t *testing.T, statuses ...string) *peeringapitest.Server {
	return peeringapitest.New(t, 64504, token, 64500, map[string][]netip.Addr{
		"pdb:ix:90001": {netip.MustParseAddr("192.0.2.14"), netip.MustParseAddr("2001:db8:ffff:1::14")},
	}, statuses...)
}

func session(local, peer string) peeringapi.Session {
	return peeringapi.Session{LocalASN: 64500, LocalIP: netip.MustParseAddr(local), PeerASN: 64504, PeerIP: netip.MustParseAddr(peer),
		LocalBGPRole: peeringapi.RolePeer, PeerBGPRole: peeringapi.RolePeer, PeerType: "public", Location: peeringapi.IXLocation(90001)}
}

func client(t *testing.T, url, tok string) *peeringapi.Client {
	c, err := peeringapi.New(url, tok, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	t.Cleanup(func() {
		for _, w := range waits {
			if w < time.Second || w > time.Minute {
				t.Errorf("waited %v", w)
			}
		}
	})
	return c
}

// TestSubmitAndStatus: both sessions accepted by the strict fake (which
// refuses unknown fields, a wrong content type or roles), then read back
// as the server moves them from pending to established.
func TestSubmitAndStatus(t *testing.T) {
	srv := fake(t, "pending", "established")
	c := client(t, srv.URL, token)
	ctx := context.Background()
	res, err := c.Submit(ctx, []peeringapi.Session{session("192.0.2.1", "192.0.2.14"), session("2001:db8:ffff:1::1", "2001:db8:ffff:1::14")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sessions) != 2 || len(res.Rejected) != 0 || res.Sessions[0].SessionID == "" || res.Sessions[0].Status != "pending" {
		t.Fatalf("result %+v", res)
	}
	for _, want := range []string{"pending", "established", "established"} {
		s, err := c.Status(ctx, res.Sessions[1].SessionID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Status != want || s.PeerIP != netip.MustParseAddr("2001:db8:ffff:1::14") {
			t.Errorf("status %+v, want %s", s, want)
		}
	}
}

// TestPoll reads a session until the server reports a final status,
// waiting the interval between reads; a context that ends first returns
// the last status read.
func TestPoll(t *testing.T) {
	srv := fake(t, "pending", "approved", "Established")
	c, err := peeringapi.New(srv.URL, token, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	ctx := context.Background()
	res, err := c.Submit(ctx, []peeringapi.Session{session("192.0.2.1", "192.0.2.14")})
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Poll(ctx, res.Sessions[0].SessionID, 30*time.Second)
	if err != nil || s.Status != "Established" || len(waits) != 2 || waits[0] != 30*time.Second {
		t.Errorf("poll: %+v %v after waits %v", s, err, waits)
	}

	srv = fake(t, "pending")
	c, _ = peeringapi.New(srv.URL, token, 5*time.Second)
	res, err = c.Submit(ctx, []peeringapi.Session{session("192.0.2.1", "192.0.2.14")})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if s, err := c.Poll(short, res.Sessions[0].SessionID, 10*time.Millisecond); err != nil || s.Status != "pending" {
		t.Errorf("poll until the context ends: %+v %v", s, err)
	}
}

// TestPartialApproval: a session to an address the server does not have
// is rejected in the draft's error shape, the other accepted.
func TestPartialApproval(t *testing.T) {
	srv := fake(t)
	res, err := client(t, srv.URL, token).Submit(context.Background(), []peeringapi.Session{session("192.0.2.1", "192.0.2.14"), session("192.0.2.1", "192.0.2.99")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sessions) != 1 || len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0].Name, "peer_ip") {
		t.Fatalf("result %+v", res)
	}
}

func TestRefusals(t *testing.T) {
	srv := fake(t)
	ctx := context.Background()
	var apiErr *peeringapi.Error
	// Wrong token: 403 in the draft's shape.
	_, err := client(t, srv.URL, "wrong").Submit(ctx, []peeringapi.Session{session("192.0.2.1", "192.0.2.14")})
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden || !strings.Contains(err.Error(), "authorization") {
		t.Errorf("wrong token: %v", err)
	}
	// Another network's requests: refused as a whole.
	s := session("192.0.2.1", "192.0.2.14")
	s.LocalASN = 64501
	if _, err := client(t, srv.URL, token).Submit(ctx, []peeringapi.Session{s}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden {
		t.Errorf("other requester: %v", err)
	}
	// Roles that contradict each other.
	s = session("192.0.2.1", "192.0.2.14")
	s.PeerBGPRole = peeringapi.RoleProvider
	if _, err := client(t, srv.URL, token).Submit(ctx, []peeringapi.Session{s}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Errorf("roles 4/0: %v", err)
	}
	// A session id the server never gave.
	if _, err := client(t, srv.URL, token).Status(ctx, "sess-404"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("unknown session: %v", err)
	}
	if _, err := client(t, srv.URL, token).Status(ctx, "../../admin"); err == nil {
		t.Error("a session id with a path was asked for")
	}
	if len(srv.Sessions()) != 0 {
		t.Errorf("sessions were created: %+v", srv.Sessions())
	}
}

// TestRetryAfter: 429s are waited out as Retry-After says, a bounded
// number of times.
func TestRetryAfter(t *testing.T) {
	srv := fake(t)
	srv.Throttle(2, "7")
	c, err := peeringapi.New(srv.URL, token, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	if _, err := c.Submit(context.Background(), []peeringapi.Session{session("192.0.2.1", "192.0.2.14")}); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 2 || waits[0] != 7*time.Second {
		t.Errorf("waits %v, want two of 7s", waits)
	}
	srv.Throttle(10, "100000")
	waits = nil
	var apiErr *peeringapi.Error
	if _, err := c.Status(context.Background(), "sess-1"); !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests {
		t.Errorf("endless 429: %v", err)
	}
	if len(waits) != 3 || waits[0] != time.Minute {
		t.Errorf("waits %v, want three, capped at 1m", waits)
	}
}

// TestHostileServer: answers that are too large, not JSON, or carry ids
// that could steer a later URL are refused.
func TestHostileServer(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"huge": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"sessions": [` + strings.Repeat(`{"session_id": "x"},`, 100000) + `{}]}`))
		},
		"html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(`{"sessions": []}`))
		},
		"bad id": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"sessions": [{"session_id": "../../x\r\n", "status": "ok"}]}`))
		},
	} {
		ts := httptest.NewServer(h)
		_, err := client(t, ts.URL, token).Submit(context.Background(), []peeringapi.Session{session("192.0.2.1", "192.0.2.14")})
		ts.Close()
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNewRefusesPlaintextToken(t *testing.T) {
	for _, u := range []string{"http://api.example.net/v0.1", "ftp://x", "https://user:pw@api.example.net", "not a url"} {
		if _, err := peeringapi.New(u, token, 0); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	if _, err := peeringapi.New("https://api.example.net/v0.1", "a\r\nb", 0); err == nil {
		t.Error("a token with a line break accepted")
	}
}
