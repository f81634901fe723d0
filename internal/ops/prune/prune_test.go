package prune

import (
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/ops/history"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

const policy = `network {
  asn = 64500
  name = "Test"
  prefixes = ["198.51.100.0/24"]
  allow_peer_asn = ["documentation"]
}
ixp "IX-ONE" {
  peeringdb_ix = 1
  ipv4_lan = "192.0.2.0/25"
}
ixp "IX-TWO" {
  peeringdb_ix = 2
  ipv4_lan = "192.0.2.128/25"
}
`

func peer(asn, extra string) string {
	return "peer \"" + asn + "\" {\n  name = \"N" + asn + "\"\n  import = \"" + asn + "\"\n  export = \"AS64500\"\n" + extra + "}\n"
}

type fakePDB struct {
	nets  map[bgp.ASN]bool
	ports map[bgp.ASN][]int
}

func (f fakePDB) Net(asn bgp.ASN) (peeringdb.Net, bool) { return peeringdb.Net{}, f.nets[asn] }
func (f fakePDB) NetIXLANs(asn bgp.ASN, ix int) []peeringdb.NetIXLAN {
	for _, p := range f.ports[asn] {
		if p == ix {
			return []peeringdb.NetIXLAN{{}}
		}
	}
	return nil
}

func TestFind(t *testing.T) {
	repo, diags := intent.Load(fstest.MapFS{
		"policies/p.hcl":    {Data: []byte(policy)},
		"peers/AS64501.hcl": {Data: []byte(peer("AS64501", ""))},                           // all sessions down long
		"peers/AS64502.hcl": {Data: []byte(peer("AS64502", ""))},                           // one session still up
		"peers/AS64503.hcl": {Data: []byte(peer("AS64503", ""))},                           // down, but not long enough
		"peers/AS64504.hcl": {Data: []byte(peer("AS64504", ""))},                           // left every shared IXP
		"peers/AS64505.hcl": {Data: []byte(peer("AS64505", ""))},                           // no PeeringDB record
		"peers/AS64506.hcl": {Data: []byte(peer("AS64506", "  status = \"requested\"\n"))}, // never a candidate
		"peers/AS64507.hcl": {Data: []byte(peer("AS64507", "  ixps = [\"IX-TWO\"]\n"))},    // at IX-ONE only, peers at IX-TWO
		"peers/AS64508.hcl": {Data: []byte(peer("AS64508", ""))},                           // down long, but the monitor stopped long ago
	})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	h := &history.History{}
	obs := func(daysAgo int, router, addr string, asn bgp.ASN, up bool) {
		h.Observe(now.AddDate(0, 0, -daysAgo), history.Observation{Router: router, Neighbor: netip.MustParseAddr(addr), PeerASN: asn, Established: up, Error: "Connect"})
	}
	for _, s := range []struct {
		router, addr string
		asn          bgp.ASN
	}{{"r1", "192.0.2.11", 64501}, {"r2", "192.0.2.139", 64501}, {"r1", "192.0.2.12", 64502}, {"r2", "192.0.2.140", 64502}} {
		obs(90, s.router, s.addr, s.asn, true)
		obs(50, s.router, s.addr, s.asn, false)
		obs(0, s.router, s.addr, s.asn, s.addr == "192.0.2.140")
	}
	obs(90, "r1", "192.0.2.13", 64503, true)
	obs(10, "r1", "192.0.2.13", 64503, false)
	obs(0, "r1", "192.0.2.13", 64503, false)
	obs(200, "r1", "192.0.2.18", 64508, false)
	obs(100, "r1", "192.0.2.18", 64508, false)
	pdb := fakePDB{nets: map[bgp.ASN]bool{64501: true, 64502: true, 64503: true, 64504: true, 64506: true, 64507: true, 64508: true},
		ports: map[bgp.ASN][]int{64501: {1}, 64502: {1, 2}, 64503: {2}, 64507: {1}, 64508: {1}}}
	got := Find(Inputs{Repo: repo, History: h, PeeringDB: pdb, Complete: true, Now: now, DownFor: 40 * 24 * time.Hour})
	var lines []string
	for _, c := range got {
		lines = append(lines, c.ASN.String()+" "+c.File+" "+joinR(c.Reasons)+": "+strings.Join(c.Evidence, " | "))
	}
	want := []string{
		"AS64501 peers/AS64501.hcl sessions-down: r1 192.0.2.11: down since 2026-10-18 (50 days, last up 2026-09-08), last seen 2026-12-07, last error: Connect | r2 192.0.2.139: down since 2026-10-18 (50 days, last up 2026-09-08), last seen 2026-12-07, last error: Connect",
		"AS64504 peers/AS64504.hcl left-ixps: PeeringDB lists AS64504 at none of our exchanges: IX-ONE (ix 1), IX-TWO (ix 2)",
		"AS64505 peers/AS64505.hcl no-peeringdb-record: PeeringDB has no network record for AS64505",
		"AS64507 peers/AS64507.hcl left-ixps: PeeringDB lists AS64507 at none of our exchanges: IX-TWO (ix 2)",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("candidates:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if body := Body(got, 40*24*time.Hour); !strings.Contains(body, "threshold 40d") || !strings.Contains(body, "### AS64501 NAS64501 (`peers/AS64501.hcl`)") {
		t.Errorf("body:\n%s", body)
	}
	// A partial copy of PeeringDB (a snapshot) says nothing of a network
	// it does not hold.
	for _, c := range Find(Inputs{Repo: repo, History: h, PeeringDB: pdb, Now: now, DownFor: 40 * 24 * time.Hour}) {
		if c.ASN == 64505 {
			t.Errorf("a peer missing from a snapshot is proposed: %+v", c)
		}
	}
	// Without PeeringDB and history nothing is judged.
	if got := Find(Inputs{Repo: repo, Now: now, DownFor: time.Hour}); len(got) != 0 {
		t.Errorf("without data: %+v", got)
	}
}

func joinR(rs []Reason) string {
	var s []string
	for _, r := range rs {
		s = append(s, string(r))
	}
	return strings.Join(s, ",")
}
