package deploy

import (
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/change/device"
)

// TestShutdownSessions: a session meant to be shut down (a peer being
// decommissioned) passes when it is down, whatever it was before the
// change, and fails while it is still Established.
func TestShutdownSessions(t *testing.T) {
	intended := []IntendedSession{{Neighbor: n1, PeerASN: 1, Shutdown: true}, {Neighbor: n2, PeerASN: 2}}
	before := []device.Session{{Neighbor: n1, PeerASN: 1, State: "Active"}, {Neighbor: n2, PeerASN: 2, State: "Established"}}
	req := requiredSessions(intended, before)
	if !req[n1.String()] {
		t.Fatalf("a session to shut down must always be judged: required %v", req)
	}
	up := match("r1", intended, []device.Session{
		{Neighbor: n1, PeerASN: 1, State: "Established", Uptime: time.Hour},
		{Neighbor: n2, PeerASN: 2, State: "Established", Uptime: time.Hour},
	})
	if p := verifyProblems(up, req, time.Second, VerifySessions); len(p) != 1 || !strings.Contains(p[0], "still Established") {
		t.Errorf("a session still up after its shutdown: problems %v", p)
	}
	if up[0].fine(VerifySessions) || !up[1].fine(VerifySessions) {
		t.Errorf("fine: %t %t", up[0].fine(VerifySessions), up[1].fine(VerifySessions))
	}
	down := match("r1", intended, []device.Session{
		{Neighbor: n1, PeerASN: 1, State: "Idle", Reason: "Admin. shutdown"},
		{Neighbor: n2, PeerASN: 2, State: "Established", Uptime: time.Hour},
	})
	if p := verifyProblems(down, req, time.Second, VerifySessions); len(p) != 0 {
		t.Errorf("the shut-down session down: problems %v", p)
	}
	if !down[0].fine(VerifySessions) || !down[0].Shutdown || !strings.Contains(down[0].Reason, "on purpose") {
		t.Errorf("check of a session down on purpose: %+v", down[0])
	}
}
