package device

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

func TestIOSXRCommitConfirmed(t *testing.T) {
	x, dlg := openDialogue(t, "iosxr", "commit-confirmed", OpenIOSXR)
	ctx := testCtx(t)
	running, err := x.Running(ctx)
	if err != nil {
		t.Fatalf("Running: %v (%v)", err, dlg.finished())
	}
	if !strings.HasPrefix(running, "router bgp 64500\n bgp router-id 198.51.100.3\n") || strings.Contains(running, "UTC") {
		t.Errorf("Running:\n%s", running)
	}
	if err := x.Apply(ctx, readFile(t, "testdata", "iosxr", "ams-edge3.cfg"), 42*time.Second); err != nil {
		t.Fatalf("Apply: %v (%v)", err, dlg.finished())
	}
	sessions, err := x.Sessions(ctx)
	if err != nil {
		t.Fatalf("Sessions: %v (%v)", err, dlg.finished())
	}
	want := []Session{
		{Neighbor: netip.MustParseAddr("192.0.2.64"), PeerASN: 64501, State: "Established", Uptime: 7*time.Hour + 42*time.Minute + 13*time.Second, Received: map[bgp.Family]int{bgp.IPv4: 3}},
		{Neighbor: netip.MustParseAddr("192.0.2.66"), PeerASN: 64502, State: "Idle", Reason: "Admin", Received: map[bgp.Family]int{}},
		{Neighbor: netip.MustParseAddr("203.0.113.1"), PeerASN: 64496, State: "Established", Uptime: 17 * 24 * time.Hour, Received: map[bgp.Family]int{bgp.IPv4: 912034}},
		{Neighbor: netip.MustParseAddr("2001:db8:ffff:1::64"), PeerASN: 64501, State: "Established", Uptime: 26 * time.Hour, Received: map[bgp.Family]int{bgp.IPv6: 2}},
	}
	checkSessions(t, sessions, want)
	if err := x.Confirm(ctx); err != nil {
		t.Fatalf("Confirm: %v (%v)", err, dlg.finished())
	}
}

// checkSessions compares sessions field by field; RPKIInvalid must be -1
// (CLI summaries cannot tell).
func checkSessions(t *testing.T, got, want []Session) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d sessions, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		w.RPKIInvalid = -1
		if g.Neighbor != w.Neighbor || g.PeerASN != w.PeerASN || g.State != w.State || g.Reason != w.Reason ||
			g.Uptime != w.Uptime || g.Description != w.Description || g.RPKIInvalid != w.RPKIInvalid || !sameCounts(g.Received, w.Received) {
			t.Errorf("session %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

func sameCounts(a, b map[bgp.Family]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestIOSXRCommitFails: a refused commit is ErrRejected with the reason
// from `show configuration failed`, and the target config is aborted.
func TestIOSXRCommitFails(t *testing.T) {
	x, dlg := openDialogue(t, "iosxr", "commit-fails", OpenIOSXR)
	err := x.Apply(testCtx(t), readFile(t, "testdata", "iosxr", "ams-edge3-bad-policy.cfg"), time.Minute)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("Apply = %v, want ErrRejected (%v)", err, dlg.finished())
	}
	for _, want := range []string{"% Failed to commit one or more configuration items", "Policy [PEERFORM-AS64501-V4-IN] does not exist"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestIOSXRRollback(t *testing.T) {
	x, dlg := openDialogue(t, "iosxr", "rollback", OpenIOSXR)
	ctx := testCtx(t)
	if err := x.Apply(ctx, readFile(t, "testdata", "iosxr", "ams-edge3.cfg"), 10*time.Minute); err != nil {
		t.Fatalf("Apply: %v (%v)", err, dlg.finished())
	}
	if err := x.Rollback(ctx); err != nil {
		t.Fatalf("Rollback: %v (%v)", err, dlg.finished())
	}
}

func TestIOSXRCommitConfirmedSpelling(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Second:                        "commit confirmed 30",
		42 * time.Second:                   "commit confirmed 42",
		300 * time.Second:                  "commit confirmed 300",
		300*time.Second + time.Millisecond: "commit confirmed minutes 6",
		2 * time.Hour:                      "commit confirmed minutes 120",
	} {
		if got, err := iosxrCommitConfirmed(d); got != want || err != nil {
			t.Errorf("%s: %q, %v; want %q", d, got, err, want)
		}
	}
	for _, d := range []time.Duration{0, -time.Second, 65536 * time.Minute} {
		if got, err := iosxrCommitConfirmed(d); err == nil {
			t.Errorf("%s: accepted as %q", d, got)
		}
	}
}
