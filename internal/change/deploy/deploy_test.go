package deploy

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/core/bgp"
)

var (
	n1 = netip.MustParseAddr("192.0.2.11")
	n2 = netip.MustParseAddr("2001:db8::12")
	n3 = netip.MustParseAddr("192.0.2.13")
)

func TestMatch(t *testing.T) {
	intended := []IntendedSession{
		{Neighbor: n1, PeerASN: 64501, Peer: "alpha", MaxPrefix: map[bgp.Family]int{bgp.IPv4: 1}},
		{Neighbor: n2, PeerASN: 64502, MaxPrefix: map[bgp.Family]int{bgp.IPv6: 5}, MaxPrefixAction: "warn"},
		{Neighbor: n3, PeerASN: 64503},
		{Neighbor: netip.MustParseAddr("192.0.2.99"), PeerASN: 64599},
	}
	observed := []device.Session{
		{Neighbor: n1, PeerASN: 64501, State: "Established", Received: map[bgp.Family]int{bgp.IPv4: 2}, RPKIInvalid: 1},
		{Neighbor: n2, PeerASN: 64502, State: "Idle", Reason: device.ReasonMaxPrefix},
		{Neighbor: n3, PeerASN: 64999, State: "Established"},
	}
	cs := match("r1", intended, observed)
	if len(cs) != 4 {
		t.Fatalf("%d checks", len(cs))
	}
	if !cs[0].Established || len(cs[0].Warnings) != 2 || !strings.Contains(cs[0].Warnings[0], "max-prefix is 1") ||
		!slices.Equal(cs[0].OverMax(), []bgp.Family{bgp.IPv4}) {
		t.Errorf("over max-prefix and RPKI-invalid: %+v", cs[0])
	}
	if cs[1].Established || cs[1].Reason != device.ReasonMaxPrefix || !cs[1].WarnOnly {
		t.Errorf("down: %+v", cs[1])
	}
	if cs[2].Established || !strings.Contains(cs[2].Reason, "AS64999") {
		t.Errorf("another AS on the router must not pass: %+v", cs[2])
	}
	if cs[3].State != "NotConfigured" || cs[3].Established {
		t.Errorf("missing neighbor: %+v", cs[3])
	}
}

func TestVerifyRules(t *testing.T) {
	intended := []IntendedSession{{Neighbor: n1, PeerASN: 1}, {Neighbor: n2, PeerASN: 2}, {Neighbor: n3, PeerASN: 3}}
	// n1 was up, n2 was down (the peer's problem), n3 is new.
	req := requiredSessions(intended, []device.Session{{Neighbor: n1, State: "Established"}, {Neighbor: n2, State: "Active"}})
	if !req[n1.String()] || req[n2.String()] || !req[n3.String()] {
		t.Fatalf("required %v", req)
	}
	settle := 2 * time.Second
	ok := []SessionCheck{
		{Neighbor: n1, Established: true, Uptime: time.Hour},
		{Neighbor: n2, State: "Active"},
		{Neighbor: n3, Established: true, Uptime: 3 * time.Second},
	}
	if p := verifyProblems(ok, req, settle, VerifySessions); len(p) != 0 {
		t.Errorf("problems %v", p)
	}
	young := slices.Clone(ok)
	young[2].Uptime = time.Second
	if p := verifyProblems(young, req, settle, VerifySessions); len(p) != 1 || !strings.Contains(p[0], "only") {
		t.Errorf("a session up for 1s is not settled: %v", p)
	}
	over := slices.Clone(ok)
	over[0].Received, over[0].MaxPrefix = map[bgp.Family]int{bgp.IPv4: 11}, map[bgp.Family]int{bgp.IPv4: 10}
	if p := verifyProblems(over, req, settle, VerifySessions); len(p) != 1 || !strings.Contains(p[0], "max-prefix") {
		t.Errorf("over max-prefix: %v", p)
	}
	over[0].WarnOnly = true
	if p := verifyProblems(over, req, settle, VerifySessions); len(p) != 0 {
		t.Errorf("over max-prefix with a warn policy: %v", p)
	}
}

// TestVerifyConfigRules: with VerifyConfig a session the router reports
// no state for passes on its configuration, one it reports as down still
// fails, and one configured with another AS fails; with VerifySessions
// the unknown state fails too.
func TestVerifyConfigRules(t *testing.T) {
	intended := []IntendedSession{{Neighbor: n1, PeerASN: 1}, {Neighbor: n2, PeerASN: 2}, {Neighbor: n3, PeerASN: 3}}
	observed := []device.Session{
		{Neighbor: n1, PeerASN: 1, State: device.StateUnknown},
		{Neighbor: n2, PeerASN: 2, State: "Established", Uptime: time.Hour},
		{Neighbor: n3, PeerASN: 3, State: device.StateUnknown},
	}
	req := requiredSessions(intended, nil)
	cs := match("r1", intended, observed)
	if !cs[0].StateUnknown || cs[0].Established || cs[1].StateUnknown || !strings.Contains(cs[0].Reason, "reports no session state") {
		t.Fatalf("checks %+v", cs)
	}
	if p := verifyProblems(cs, req, time.Second, VerifyConfig); len(p) != 0 {
		t.Errorf("VerifyConfig: problems %v", p)
	}
	if p := verifyProblems(cs, req, time.Second, VerifySessions); len(p) != 2 || !strings.Contains(p[0], "Unknown") {
		t.Errorf("VerifySessions: problems %v", p)
	}
	observed[1].State = "Active"
	observed[2].PeerASN = 64999
	cs = match("r1", intended, observed)
	if p := verifyProblems(cs, req, time.Second, VerifyConfig); len(p) != 2 || !strings.Contains(p[0], "Active") || !strings.Contains(p[1], "AS64999") {
		t.Errorf("VerifyConfig with a session down and a wrong AS: problems %v", p)
	}
	if cs[2].StateUnknown || cs[2].fine(VerifyConfig) {
		t.Errorf("a neighbor with another AS passed: %+v", cs[2])
	}
	if VerificationFor("netconf") != VerifyConfig || VerificationFor("junos") != VerifySessions || (Target{}).verification() != VerifySessions {
		t.Error("platform verifications")
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}
	if err := o.defaults(); err != nil || o.Parallel != 1 || o.ConfirmTimeout != 2*time.Minute || o.VerifyTimeout != time.Minute {
		t.Errorf("%+v %v", o, err)
	}
	o = Options{ConfirmTimeout: 30 * time.Second, VerifyTimeout: 30 * time.Second}
	if err := o.defaults(); err == nil {
		t.Errorf("a confirm timeout that leaves no time to verify is accepted")
	}
}
