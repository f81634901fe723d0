package device

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

func TestSROSCommitConfirmed(t *testing.T) {
	s, dlg := openDialogue(t, "sros", "commit-confirmed", OpenSROS)
	ctx := testCtx(t)
	running, err := s.Running(ctx)
	if err != nil {
		t.Fatalf("Running: %v (%v)", err, dlg.finished())
	}
	want := `/configure router "Base" bgp admin-state enable
/configure router "Base" bgp group "transit" admin-state enable
/configure router "Base" bgp neighbor "203.0.113.1" admin-state enable
/configure router "Base" bgp neighbor "203.0.113.1" description "Transit Provider"
/configure router "Base" bgp neighbor "203.0.113.1" group "transit"
/configure router "Base" bgp neighbor "203.0.113.1" peer-as 64496
/configure router "Base" bgp router-id 198.51.100.5
`
	if running != want {
		t.Errorf("Running:\n%s\nwant:\n%s", running, want)
	}
	if err := s.Apply(ctx, readFile(t, "testdata", "sros", "ams-edge5.cfg"), 5*time.Minute); err != nil {
		t.Fatalf("Apply: %v (%v)", err, dlg.finished())
	}
	sessions, err := s.Sessions(ctx)
	if err != nil {
		t.Fatalf("Sessions: %v (%v)", err, dlg.finished())
	}
	checkSessions(t, sessions, []Session{
		{Neighbor: netip.MustParseAddr("192.0.2.64"), PeerASN: 64501, Description: "Doc Transit Alpha", State: "Established", Uptime: 7*time.Hour + 42*time.Minute + 13*time.Second, Received: map[bgp.Family]int{bgp.IPv4: 3}},
		{Neighbor: netip.MustParseAddr("192.0.2.66"), PeerASN: 64502, Description: "Doc Content Beta", State: "Active", Received: map[bgp.Family]int{}},
		{Neighbor: netip.MustParseAddr("203.0.113.1"), PeerASN: 64496, Description: "Transit Provider", State: "Established", Uptime: 17 * 24 * time.Hour, Received: map[bgp.Family]int{bgp.IPv4: 912034, bgp.IPv6: 12}},
		{Neighbor: netip.MustParseAddr("2001:db8:ffff:1::64"), PeerASN: 64501, State: "Established", Uptime: 26 * time.Hour, Received: map[bgp.Family]int{bgp.IPv6: 2}},
	})
	if err := s.Confirm(ctx); err != nil {
		t.Fatalf("Confirm: %v (%v)", err, dlg.finished())
	}
}

func TestSROSCommitFails(t *testing.T) {
	s, dlg := openDialogue(t, "sros", "commit-fails", OpenSROS)
	err := s.Apply(testCtx(t), readFile(t, "testdata", "sros", "ams-edge5-bad-policy.cfg"), 5*time.Minute)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("Apply = %v, want ErrRejected (%v)", err, dlg.finished())
	}
	if want := `"commit confirmed 5": rejected by the router: MINOR: MGMT_CORE #2503`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
}

func TestSROSRollback(t *testing.T) {
	s, dlg := openDialogue(t, "sros", "rollback", OpenSROS)
	ctx := testCtx(t)
	if err := s.Apply(ctx, readFile(t, "testdata", "sros", "ams-edge5.cfg"), 20*time.Second); err != nil {
		t.Fatalf("Apply: %v (%v)", err, dlg.finished())
	}
	if err := s.Rollback(ctx); err != nil {
		t.Fatalf("Rollback: %v (%v)", err, dlg.finished())
	}
}
