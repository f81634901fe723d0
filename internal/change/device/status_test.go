package device

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// birdMixed is `show protocols all` of BIRD 2.0.12 with an RPKI protocol,
// one session up, one shut down by its import limit and one refused by
// the peer (bad AS), as recorded in the lab.
const birdMixed = `Name       Proto      Table      State  Since         Info
rpki1      RPKI       ---        up     01:34:18.315  Established
  Cache server:     192.0.2.254
  Status:           Established
  Channel roa4
    State:          UP
    Table:          rpki4
    Routes:         5 imported, 0 exported, 5 preferred
  Channel roa6
    State:          UP
    Table:          rpki6
    Routes:         7 imported, 0 exported, 7 preferred

as64501_v4 BGP        ---        up     01:34:18.357  Established   
  Description:    AS64501 Doc Transit Alpha
  BGP state:          Established
    Neighbor address: 192.0.2.139
    Neighbor AS:      64501
    Local AS:         64500
  Channel ipv4
    State:          UP
    Table:          master4
    Import limit:   100
      Action:       disable
    Routes:         1 imported, 1 filtered, 1 exported, 1 preferred

as64501_v6 BGP        ---        down   01:34:18.358  Automatic shutdown: Route limit exceeded
  Description:    AS64501 Doc Transit Alpha
  BGP state:          Down
    Neighbor address: 2001:db8:ffff:2::11
    Neighbor AS:      64501
    Last error:       Automatic shutdown: Route limit exceeded
  Channel ipv6
    State:          DOWN
    Table:          master6
    Import limit:   1 [HIT]
      Action:       disable

as64502_v4 BGP        ---        start  01:34:22.420  Idle          BGP Error: Bad peer AS
  BGP state:          Idle
    Neighbor address: 192.0.2.140
    Neighbor AS:      64599
    Last error:       BGP Error: Bad peer AS
  Channel ipv4
    State:          DOWN
    Table:          master4
`

func TestParseBIRDProtocols(t *testing.T) {
	protos, err := parseBIRDProtocols(birdMixed)
	if err != nil {
		t.Fatal(err)
	}
	if len(protos) != 4 || protos[0].Proto != "RPKI" || protos[0].Channels[1].Table != "rpki6" {
		t.Fatalf("%+v", protos)
	}
	now := time.Date(2026, 11, 22, 1, 35, 18, 357e6, time.Local)
	want := []Session{
		{Neighbor: netip.MustParseAddr("192.0.2.139"), PeerASN: 64501, State: "Established", Uptime: time.Minute,
			Received: map[bgp.Family]int{bgp.IPv4: 1}, Description: "AS64501 Doc Transit Alpha"},
		{Neighbor: netip.MustParseAddr("2001:db8:ffff:2::11"), PeerASN: 64501, State: "Down", Reason: ReasonMaxPrefix,
			Received: map[bgp.Family]int{bgp.IPv6: 0}, Description: "AS64501 Doc Transit Alpha"},
		{Neighbor: netip.MustParseAddr("192.0.2.140"), PeerASN: 64599, State: "Idle", Reason: "BGP Error: Bad peer AS",
			Received: map[bgp.Family]int{bgp.IPv4: 0}},
	}
	for i, p := range protos[1:] {
		got := p.session(now)
		w := want[i]
		if got.Neighbor != w.Neighbor || got.PeerASN != w.PeerASN || got.State != w.State || got.Uptime != w.Uptime ||
			got.Reason != w.Reason || got.Description != w.Description || got.Received[bgp.IPv4] != w.Received[bgp.IPv4] ||
			got.Received[bgp.IPv6] != w.Received[bgp.IPv6] {
			t.Errorf("%s:\n got %+v\nwant %+v", p.Name, got, w)
		}
	}
}

func TestParseBIRDRecorded(t *testing.T) {
	b, err := os.ReadFile("testdata/bird/protocols_all.txt")
	if err != nil {
		t.Fatal(err)
	}
	protos, err := parseBIRDProtocols(string(b))
	if err != nil {
		t.Fatal(err)
	}
	status, _ := os.ReadFile("testdata/bird/status.txt")
	now, err := birdServerTime(string(status))
	if err != nil {
		t.Fatal(err)
	}
	var up int
	for _, p := range protos {
		if p.Proto != "BGP" {
			continue
		}
		s := p.session(now)
		if !s.Established() || s.PeerASN == 0 || !s.Neighbor.IsValid() || s.Uptime <= 0 || s.Uptime > time.Minute {
			t.Errorf("%s: %+v", p.Name, s)
		}
		up++
	}
	if up != 11 {
		t.Errorf("%d BGP sessions, want 11", up)
	}
}

func TestBIRDTimes(t *testing.T) {
	now := time.Date(2026, 11, 22, 0, 5, 0, 0, time.Local)
	for in, want := range map[string]time.Time{
		"00:04:00.500":        time.Date(2026, 11, 22, 0, 4, 0, 5e8, time.Local),
		"23:59:00":            time.Date(2026, 11, 21, 23, 59, 0, 0, time.Local), // yesterday
		"00:05:00.200":        now,                                               // just after now: not yesterday
		"2026-11-20":          time.Date(2026, 11, 20, 0, 0, 0, 0, time.Local),
		"2026-11-20 10:00:00": time.Date(2026, 11, 20, 10, 0, 0, 0, time.Local),
	} {
		got, err := birdSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	if _, err := birdSince("yesterday", now); err == nil {
		t.Errorf("a word parsed as a time")
	}
	if _, err := birdServerTime("BIRD 2.0.12\nDaemon is up and running\n"); err == nil {
		t.Errorf("status without a time")
	}
}

func TestParseFRRNeighbors(t *testing.T) {
	b, err := os.ReadFile("testdata/frr/neighbors.json")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := parseFRRNeighbors(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 11 {
		t.Fatalf("%d sessions, want 11", len(ss))
	}
	for _, s := range ss {
		if !s.Established() || s.PeerASN == 0 || s.Uptime <= 0 || s.Description == "" || len(s.Received) != 1 {
			t.Errorf("%+v", s)
		}
	}
	down := `{"192.0.2.13":{"remoteAs":64503,"bgpState":"Idle","lastNotificationReason":"Cease/Maximum Number of Prefixes Reached",
	  "prefixesConfigExceedMax":true,"addressFamilyInfo":{"ipv4Unicast":{"acceptedPrefixCounter":0}}},
	 "2001:db8::1":{"remoteAs":64599,"bgpState":"Active","lastResetDueTo":"Waiting for peer OPEN"},
	 "eth0":{"remoteAs":1,"bgpState":"Established"}}`
	ss, err = parseFRRNeighbors(down)
	if err != nil {
		t.Fatal(err)
	}
	sortSessions(ss)
	if len(ss) != 2 || ss[0].Reason != ReasonMaxPrefix || ss[1].Reason != "Waiting for peer OPEN" || ss[1].State != "Active" {
		t.Errorf("%+v", ss)
	}
	for _, bad := range []string{"", "[]", `{"192.0.2.1":[]}`} {
		if _, err := parseFRRNeighbors(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseFRRInvalid(t *testing.T) {
	out := `{"vrfId":0,"routes":{"2001:db8:1f::/48":[{"valid":true,"peerId":"2001:db8:ffff:1::11"}],
	"2001:db8:1e::/48":[{"peerId":"2001:db8:ffff:1::11"},{"peerId":"(unspec)"}]}}`
	counts := map[netip.Addr]int{}
	if err := parseFRRInvalid(out, counts); err != nil {
		t.Fatal(err)
	}
	if counts[netip.MustParseAddr("2001:db8:ffff:1::11")] != 2 || len(counts) != 1 {
		t.Errorf("%v", counts)
	}
}

func TestLockNote(t *testing.T) {
	n := newLockNote(time.Minute)
	back := parseLockNote(n.String())
	if back != n || !back.held(time.Now()) || back.held(time.Now().Add(2*time.Minute)) {
		t.Errorf("%v → %q → %v", n, n.String(), back)
	}
	if d := parseLockNote("garbage"); d.run != "unknown" || d.held(time.Now()) {
		t.Errorf("an unreadable lock must count as expired: %+v", d)
	}
}

func TestLineDiff(t *testing.T) {
	got := lineDiff("a\nb\nb\nc", "b\nc\nd")
	if got != "- a\n- b\n+ d" {
		t.Errorf("%q", got)
	}
	long := lineDiff(strings.Repeat("x\n", 100), "")
	if !strings.Contains(long, "more lines") {
		t.Errorf("a long diff is not cut: %d bytes", len(long))
	}
}

func FuzzParseBIRDProtocols(f *testing.F) {
	f.Add(birdMixed)
	if b, err := os.ReadFile("testdata/bird/protocols_all.txt"); err == nil {
		f.Add(string(b))
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, out string) {
		protos, err := parseBIRDProtocols(out)
		if err != nil {
			return
		}
		for _, p := range protos {
			s := p.session(now)
			for _, n := range s.Received {
				if n < 0 {
					t.Fatalf("negative route count from %q", out)
				}
			}
		}
	})
}

func FuzzParseFRRNeighbors(f *testing.F) {
	if b, err := os.ReadFile("testdata/frr/neighbors.json"); err == nil {
		f.Add(string(b))
	}
	f.Add(`{"192.0.2.1":{"bgpState":"Idle","prefixesConfigExceedMax":true}}`)
	f.Fuzz(func(t *testing.T, out string) {
		ss, err := parseFRRNeighbors(out)
		if err != nil {
			return
		}
		for _, s := range ss {
			if !s.Neighbor.IsValid() || s.State == "" {
				t.Fatalf("%+v from %q", s, out)
			}
		}
		_ = parseFRRInvalid(out, map[netip.Addr]int{})
	})
}

func TestDialUnknownPlatform(t *testing.T) {
	if _, err := Dial(t.Context(), "vyos", Endpoint{Host: "r1"}, nil); err == nil || !strings.Contains(err.Error(), `"vyos"`) {
		t.Errorf("error %v", err)
	}
}
