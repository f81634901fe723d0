package history

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n1 = netip.MustParseAddr("192.0.2.11")
	n2 = netip.MustParseAddr("2001:db8::11")
)

func TestObserve(t *testing.T) {
	h := &History{}
	obs := func(at time.Duration, n netip.Addr, up bool) bool {
		return h.Observe(t0.Add(at), Observation{Router: "r1", Neighbor: n, PeerASN: 64501, Established: up, Error: "Connect"})
	}
	if obs(0, n1, false) {
		t.Error("a session never seen up cannot flap")
	}
	if obs(time.Minute, n1, true) || !obs(2*time.Minute, n1, false) || obs(3*time.Minute, n1, false) {
		t.Error("up then down is one flap, staying down is none")
	}
	obs(0, n2, true)
	s := h.Peer(64501)
	if len(s) != 2 || s[0].Neighbor != n1 || s[0].Flaps != 1 || !s[0].DownSince.Equal(t0.Add(2*time.Minute)) ||
		s[0].DownFor(t0.Add(time.Hour)) != 58*time.Minute || s[0].LastError != "Connect" || s[1].DownFor(t0.Add(time.Hour)) != 0 {
		t.Fatalf("sessions %+v", s)
	}
	// The address moves to another peer: the old peer's past does not follow.
	h.Observe(t0.Add(time.Hour), Observation{Router: "r1", Neighbor: n1, PeerASN: 64599})
	if len(h.Peer(64501)) != 1 || h.Peer(64599)[0].Flaps != 0 || !h.Peer(64599)[0].FirstSeen.Equal(t0.Add(time.Hour)) {
		t.Errorf("after the address moved: %+v", h.Sessions)
	}
	long := strings.Repeat("x", 10*maxError)
	h.Observe(t0, Observation{Router: "r2", Neighbor: n1, PeerASN: 1, Error: long})
	if got := h.Peer(1)[0].LastError; len(got) != maxError {
		t.Errorf("error of %d bytes kept", len(got))
	}
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state", "sessions.json")
	h, err := Load(path)
	if err != nil || len(h.Sessions) != 0 {
		t.Fatalf("a missing file: %v %+v", err, h)
	}
	h.Observe(t0, Observation{Router: "r1", Neighbor: n1, PeerASN: 64501})
	h.Observe(t0.Add(-Forget-time.Hour), Observation{Router: "r1", Neighbor: n2, PeerASN: 64502})
	if err := h.Save(path, t0); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Sessions) != 1 || back.Sessions[0].PeerASN != 64501 || !back.Sessions[0].DownSince.Equal(t0) {
		t.Errorf("read back %+v (a session unseen for longer than Forget must go)", back.Sessions)
	}
	// After a save the index follows the new order.
	back.Observe(t0.Add(time.Minute), Observation{Router: "r1", Neighbor: n1, PeerASN: 64501, Established: true})
	if len(back.Sessions) != 1 || back.Sessions[0].DownSince != (time.Time{}) {
		t.Errorf("observe after load: %+v", back.Sessions)
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	if err := os.WriteFile(target, []byte(`{"format_version":1,"sessions":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(link); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a symlink: %v", err)
	}
	if err := (&History{}).Save(link, t0); !errors.Is(err, ErrNotRegular) {
		t.Errorf("saving over a symlink: %v", err)
	}
	if _, err := Load(dir); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a directory: %v", err)
	}
	for name, content := range map[string]string{
		"big":      `{"format_version":1,"sessions":[` + strings.Repeat(`{},`, MaxBytes/3) + `{}]}`,
		"many":     `{"format_version":1,"sessions":[` + strings.Repeat(`{},`, MaxSessions) + `{}]}`,
		"version":  `{"format_version":99,"sessions":[]}`,
		"not json": `sessions`,
		"bad addr": `{"format_version":1,"sessions":[{"neighbor":"192.0.2.300"}]}`,
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
