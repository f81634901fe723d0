package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/sources/flows/flowtest"
	"github.com/peerform/peerform/internal/sources/rib"
)

var updateSample = flag.Bool("update-traffic-sample", false, "rewrite data/traffic from exampleWorld")

// exampleRemote is one network the example exchanges traffic with: its
// prefix, the route to it and its peak rates (Mbps) in and out.
type exampleRemote struct {
	prefix      netip.Prefix
	path        []bgp.ASN
	nextHop     netip.Addr
	in, out     float64
	transitPort bool // crosses fra-edge1's transit port (ifindex 3)
}

// The example's invented world, all documentation numbers: AS64504 (a
// hosting network at DOC-IX Amsterdam we do not peer with) and AS64505
// behind it reach us over transit AS64496, as do two networks at no
// shared IXP; our peers AS64501, AS64502 and AS64503 over the IXPs.
var (
	exampleDay      = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	exampleExporter = netip.MustParseAddr("198.51.100.2")
	transitNH4      = netip.MustParseAddr("203.0.113.254")
	transitNH6      = netip.MustParseAddr("2001:db8:ffff:9::1")
	exampleWorld    = []exampleRemote{
		{netip.MustParsePrefix("203.0.113.64/27"), []bgp.ASN{64496, 64504}, transitNH4, 4000, 300, true},
		{netip.MustParsePrefix("2001:db8:504::/48"), []bgp.ASN{64496, 64504}, transitNH6, 800, 60, true},
		{netip.MustParsePrefix("203.0.113.96/27"), []bgp.ASN{64496, 64504, 64505}, transitNH4, 600, 40, true},
		{netip.MustParsePrefix("203.0.113.160/27"), []bgp.ASN{64496, 64506}, transitNH4, 900, 300, true},
		{netip.MustParsePrefix("203.0.113.192/27"), []bgp.ASN{64496, 64507}, transitNH4, 150, 50, true},
		{netip.MustParsePrefix("203.0.113.0/27"), []bgp.ASN{64502}, netip.MustParseAddr("192.0.2.140"), 1500, 100, false},
		{netip.MustParsePrefix("203.0.113.32/27"), []bgp.ASN{64503}, netip.MustParseAddr("192.0.2.13"), 200, 800, false},
		{netip.MustParsePrefix("203.0.113.128/27"), []bgp.ASN{64501}, netip.MustParseAddr("192.0.2.139"), 300, 300, false},
	}
)

// diurnal is the share of the peak rate at bucket b: a quiet night and an
// evening peak.
func diurnal(b int) float64 {
	h := float64(b) / 12
	return 0.55 + 0.45*math.Sin((h-14)/24*2*math.Pi)
}

// exampleSample is the example's day of IPFIX from fra-edge1, sampled 1
// in 1000, one datagram a 5-minute bucket, and its RIB dump.
func exampleSample(t *testing.T) (pcap, mrt []byte) {
	const rate = 1000
	ours4, ours6 := netip.MustParseAddr("198.51.100.80"), netip.MustParseAddr("2001:db8:100::80")
	e := &flowtest.Exporter{IPFIX: true, Domain: 1, Boot: exampleDay.Add(-time.Hour)}
	collector := netip.MustParseAddrPort("198.51.100.10:2055")
	var pkts []flowtest.Packet
	for b := range traffic.BucketsPerDay {
		end := exampleDay.Add(time.Duration(b+1) * traffic.Bucket)
		var fl []flowtest.Flow
		for _, r := range exampleWorld {
			remote, ours := r.prefix.Addr().Next(), ours4
			if remote.Is6() {
				ours = ours6
			}
			inIf, outIf := uint32(4), uint32(4) // the IXP port
			if r.transitPort {
				inIf, outIf = 3, 3
			}
			for _, d := range []struct {
				mbps     float64
				src, dst netip.Addr
				in, out  uint32
				nh       netip.Addr
			}{{r.in, remote, ours, inIf, 1, netip.Addr{}}, {r.out, ours, remote, 1, outIf, r.nextHop}} {
				sampled := uint64(d.mbps * diurnal(b) * 1e6 / 8 * traffic.Bucket.Seconds() / rate)
				fl = append(fl, flowtest.Flow{Src: d.src, Dst: d.dst, NextHop: d.nh, InIf: d.in, OutIf: d.out,
					Bytes: sampled, Packets: sampled/1200 + 1, Start: end.Add(-traffic.Bucket), End: end})
			}
		}
		pkts = append(pkts, flowtest.Packet{Time: end.Add(10 * time.Second), From: netip.AddrPortFrom(exampleExporter, 50000), To: collector,
			Payload: e.Datagram(end, fl, b%12 == 0)})
	}
	var p, m bytes.Buffer
	if err := flowtest.WritePcap(&p, pkts); err != nil {
		t.Fatal(err)
	}
	routes := []rib.Route{{Prefix: netip.MustParsePrefix("198.51.100.0/24")}, {Prefix: netip.MustParsePrefix("2001:db8:100::/48")}}
	for _, r := range exampleWorld {
		routes = append(routes, rib.Route{Prefix: r.prefix, Path: r.path, NextHop: r.nextHop})
	}
	if err := rib.Write(&m, exampleDay, exampleExporter, 64500, routes); err != nil {
		t.Fatal(err)
	}
	return p.Bytes(), m.Bytes()
}

// The shipped sample is what exampleSample makes: regenerate it with
// go test ./cmd/peerform -run TestExampleTrafficSample -args -update-traffic-sample
func TestExampleTrafficSample(t *testing.T) {
	pcap, mrt := exampleSample(t)
	files := map[string][]byte{"../../data/traffic/sample.pcap": pcap, "../../data/traffic/rib.mrt": mrt}
	for name, want := range files {
		if *updateSample {
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is not what exampleSample makes (%v): run with -update-traffic-sample", name, err)
		}
	}
}

// The demo's measured ranking, end to end: collect the sample, then top.
func TestExampleTrafficTop(t *testing.T) {
	store := filepath.Join(t.TempDir(), "traffic")
	out, errOut, code := runPeerform(t, "traffic", "collect", "--repo", "../..", "--replay", "../../data/traffic/sample.pcap", "--store", store, "--json")
	if code != exitOK {
		t.Fatalf("collect: exit %d\n%s%s", code, out, errOut)
	}
	var cr collectReport
	if err := json.Unmarshal([]byte(out), &cr); err != nil {
		t.Fatal(err)
	}
	if want := uint64(traffic.BucketsPerDay * len(exampleWorld) * 2); cr.Decoder.Records != want || cr.Aggregate.Records != want || cr.Decoder.Skipped() != 0 {
		t.Fatalf("collect: %+v, want %d records", cr, want)
	}
	out, errOut, code = runPeerform(t, "traffic", "top", "--repo", "../..", "--store", store, "--json")
	if code != exitOK {
		t.Fatalf("top: exit %d\n%s%s", code, out, errOut)
	}
	var top struct{ Report traffic.Report }
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatal(err)
	}
	rows := top.Report.Rows
	if top.Report.Days != 1 || len(rows) != 4 || rows[0].AS != 64504 || rows[1].AS != 64506 {
		t.Fatalf("transit ranking %+v", top.Report)
	}
	// AS64504's inbound: 4000 + 800 Mbps at peak; the 95th percentile of
	// the day's diurnal curve, within the sampling's rounding.
	var samples []float64
	for b := range traffic.BucketsPerDay {
		samples = append(samples, 4800*diurnal(b))
	}
	if want := billing.Percentile95(samples); math.Abs(rows[0].In.P95Mbps-want) > want*0.001 {
		t.Errorf("AS64504 in: %.1f Mbps, want %.1f", rows[0].In.P95Mbps, want)
	}
	if len(rows[0].Via) != 1 || rows[0].Via[0] != 64496 {
		t.Errorf("AS64504 via %v", rows[0].Via)
	}
	out, _, _ = runPeerform(t, "traffic", "top", "--repo", "../..", "--store", store, "--class", "ixp")
	if !strings.Contains(out, "AS64502") || strings.Contains(out, "AS64504") {
		t.Errorf("IXP ranking:\n%s", out)
	}
}

// score and suggest --traffic use the measured transit traffic when the
// repository's store has some, and say so; without it, figures stay
// modelled.
func TestScoreAndSuggestUseMeasuredTraffic(t *testing.T) {
	dir := exampleRepo(t)
	pdb := "../../data/peeringdb"
	score := func() map[string]any {
		out, errOut, code := runPeerform(t, "score", "AS64504", "--repo", dir, "--peeringdb", pdb, "--offline", "--json")
		if code != exitOK {
			t.Fatalf("score: exit %d\n%s%s", code, out, errOut)
		}
		var res struct {
			Economics map[string]any
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		return res.Economics
	}
	if e := score(); e["traffic_source"] == "flows" {
		t.Fatalf("measured traffic without a store: %v", e)
	}
	if out, errOut, code := runPeerform(t, "traffic", "collect", "--repo", dir, "--replay", "../../data/traffic/sample.pcap",
		"--rib", "../../data/traffic/rib.mrt"); code != exitOK {
		t.Fatalf("collect: exit %d\n%s%s", code, out, errOut)
	}
	// AS64504 and AS64505 behind it, inbound, at their daily curve.
	var samples []float64
	for b := range traffic.BucketsPerDay {
		samples = append(samples, (4000+800+600)*diurnal(b))
	}
	want := billing.Percentile95(samples)
	e := score()
	if e["traffic_source"] != "flows" || e["measured_days"] != 1.0 || math.Abs(e["moved_mbps"].(float64)-want) > want*0.001 {
		t.Fatalf("economics %v, want %.1f Mbps measured over 1 day", e, want)
	}
	// policies/economics.hcl: AS64496 at $0.40 per Mbps of a 1,000 Mbps
	// commit, $0.45 above it. Every series of the sample follows one
	// daily curve and the rest of AS64496's traffic (about 1,040 Mbps
	// in) is above the commit, so AS64504's traffic is all burst: 0.45 ×
	// its 95th percentile. Ports: ix:90001 (1,200 + 100 fee) and two
	// facilities' cross-connects (150 each). Its paid offer: we pay 250
	// + 0.05 per Mbps.
	moved := e["moved_mbps"].(float64)
	c := e["comparison"].(map[string]any)
	if got := c["transit_usd"].(float64); math.Abs(got-0.45*moved) > 0.45*moved*0.001 {
		t.Errorf("transit %v, want 0.45 × %.1f", got, moved)
	}
	if c["settlement_free_usd"] != 1600.0 || math.Abs(c["paid_usd"].(float64)-(1600+250+0.05*moved)) > 0.01 || c["cheapest"] != "settlement-free" {
		t.Errorf("comparison %v", c)
	}
	out, _, _ := runPeerform(t, "score", "AS64504", "--repo", dir, "--peeringdb", pdb, "--offline")
	if !strings.Contains(out, "measured over 1 day") {
		t.Errorf("score does not say the volume is measured:\n%s", out)
	}
	out, errOut, code := runPeerform(t, "suggest", "--traffic", "--repo", dir, "--peeringdb", pdb, "--offline", "--json")
	if code != exitOK {
		t.Fatalf("suggest: exit %d\n%s%s", code, out, errOut)
	}
	var sug struct{ Candidates []suggestion }
	if err := json.Unmarshal([]byte(out), &sug); err != nil {
		t.Fatal(err)
	}
	if c := sug.Candidates; len(c) == 0 || c[0].ASN != 64504 || c[0].MovedMbps == nil || *c[0].MovedMbps != e["moved_mbps"].(float64) {
		t.Fatalf("suggest --traffic: %+v", c)
	}
}

// Exit codes of the traffic commands: usage errors 2, findings 1.
func TestTrafficExitCodes(t *testing.T) {
	store := filepath.Join(t.TempDir(), "traffic")
	csv := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(csv, []byte("asn,direction,mbps\nAS64504,in,800\nAS64505,up,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"traffic", "top", "--store", store}, exitFindings, "no measured traffic"},
		{[]string{"traffic", "top", "--class", "peering"}, exitError, "class"},
		{[]string{"traffic", "top", "--days", "0"}, exitError, "--days"},
		{[]string{"traffic", "import", "t.csv"}, exitError, "format"},
		{[]string{"traffic", "import", "--format", "csv", "--store", store, "--from", "2026-03-01", "--to", "2026-03-02", csv}, exitFindings, "line 3"},
		{[]string{"traffic", "verify", "AS64504", "--store", store}, exitError, "--since"},
		{[]string{"traffic", "verify", "AS64504", "--store", store, "--since", "2026-03-01T12:00", "--days", "1"}, exitFindings, "NOT MOVED"},
		{[]string{"traffic", "collect", "--replay", "x.pcap", "--listen", "127.0.0.1:1"}, exitError, "exclude"},
		{[]string{"traffic", "collect", "--store", store, "--replay", "/dev/null"}, exitError, "not a regular file"},
	} {
		out, errOut, code := runPeerform(t, append(c.args, "--repo", "../..")...)
		if code != c.code || !strings.Contains(out+errOut, c.want) {
			t.Errorf("%v: exit %d, want %d with %q\n%s%s", c.args, code, c.code, c.want, out, errOut)
		}
	}
	// The CSV's good row is in: AS64504 at 800 Mbps inbound over the day.
	out, _, code := runPeerform(t, "traffic", "top", "--repo", "../..", "--store", store, "--to", "2026-03-02", "--days", "1")
	if code != exitOK || !strings.Contains(out, "AS64504") || !strings.Contains(out, "800.0 Mbps") {
		t.Errorf("top after the import: exit %d\n%s", code, out)
	}
}
