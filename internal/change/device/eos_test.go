package device

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

func TestEOSCommitTimer(t *testing.T) {
	e, dlg := openDialogue(t, "eos", "commit-timer", OpenEOS)
	ctx := testCtx(t)
	running, err := e.Running(ctx)
	if err != nil {
		t.Fatalf("Running: %v (%v)", err, dlg.finished())
	}
	if !strings.HasPrefix(running, "router bgp 64500\n   router-id 198.51.100.4\n") {
		t.Errorf("Running:\n%s", running)
	}
	if err := e.Apply(ctx, readFile(t, "testdata", "eos", "ams-edge4.cfg"), 5*time.Minute); err != nil {
		t.Fatalf("Apply: %v (%v)", err, dlg.finished())
	}
	sessions, err := e.Sessions(ctx)
	if err != nil {
		t.Fatalf("Sessions: %v (%v)", err, dlg.finished())
	}
	checkSessions(t, sessions, []Session{
		{Neighbor: netip.MustParseAddr("192.0.2.64"), PeerASN: 64501, Description: "Doc Transit Alpha", State: "Established", Uptime: 27732 * time.Second, Received: map[bgp.Family]int{bgp.IPv4: 3}},
		{Neighbor: netip.MustParseAddr("192.0.2.66"), PeerASN: 64502, Description: "Doc Content Beta", State: "Idle", Reason: "Admin", Received: map[bgp.Family]int{}},
		{Neighbor: netip.MustParseAddr("2001:db8:ffff:1::64"), PeerASN: 64501, Description: "Doc Transit Alpha", State: "Established", Uptime: 26 * time.Hour, Received: map[bgp.Family]int{bgp.IPv6: 2}},
	})
	if err := e.Confirm(ctx); err != nil {
		t.Fatalf("Confirm: %v (%v)", err, dlg.finished())
	}
}

// TestEOSRefusals: a refused commit or line is ErrRejected and the
// session is aborted.
func TestEOSRefusals(t *testing.T) {
	cases := []struct{ dialogue, config, want string }{
		{"commit-fails", "ams-edge4.cfg", `"commit timer 00:05:00": rejected by the router: % Cannot commit session peerform-20261121-093000`},
		{"invalid-input", "ams-edge4-bad-limit.cfg", "config line 4 of 15: rejected by the router: % Invalid input (at token 5: '190')"},
	}
	for _, tc := range cases {
		t.Run(tc.dialogue, func(t *testing.T) {
			e, dlg := openDialogue(t, "eos", tc.dialogue, OpenEOS)
			err := e.Apply(testCtx(t), readFile(t, "testdata", "eos", tc.config), 5*time.Minute)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("Apply = %v, want ErrRejected (%v)", err, dlg.finished())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestEOSRollback(t *testing.T) {
	e, dlg := openDialogue(t, "eos", "rollback", OpenEOS)
	ctx := testCtx(t)
	if err := e.Apply(ctx, readFile(t, "testdata", "eos", "ams-edge4.cfg"), 44500*time.Millisecond); err != nil {
		t.Fatalf("Apply: %v (%v)", err, dlg.finished())
	}
	if err := e.Rollback(ctx); err != nil {
		t.Fatalf("Rollback: %v (%v)", err, dlg.finished())
	}
}

func TestEOSTimer(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Millisecond:            "00:00:01",
		5 * time.Minute:             "00:05:00",
		2*time.Hour + 3*time.Second: "02:00:03",
		24*time.Hour - time.Second:  "23:59:59",
	} {
		if got, err := eosTimer(d); got != want || err != nil {
			t.Errorf("%s: %q, %v; want %q", d, got, err, want)
		}
	}
	if got, err := eosTimer(24 * time.Hour); err == nil {
		t.Errorf("a day: accepted as %q", got)
	}
}
