package importer

import (
	"bytes"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/sources/flows"
)

var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

type volume struct {
	key        traffic.Key
	start, end time.Time
	bytes      uint64
}

// sink records what an import adds; flows are accepted when they have
// our 198.51.100.0/24 on one side.
type sink struct {
	volumes []volume
	flows   []flows.Record
}

func (s *sink) AddVolume(k traffic.Key, _ []bgp.ASN, start, end time.Time, b uint64) error {
	s.volumes = append(s.volumes, volume{k, start, end, b})
	return nil
}

func (s *sink) Add(r flows.Record) (bool, error) {
	ours := netip.MustParsePrefix("198.51.100.0/24")
	if !ours.Contains(r.Src) && !ours.Contains(r.Dst) {
		return false, nil
	}
	s.flows = append(s.flows, r)
	return true, nil
}

func (s *sink) bytes(k traffic.Key) uint64 {
	var t uint64
	for _, v := range s.volumes {
		if v.key == k {
			t += v.bytes
		}
	}
	return t
}

func TestPlainCSV(t *testing.T) {
	in := "asn,direction,mbps\nAS64501,out,800\n64501,in,80.5\n# a comment\nAS64502,out,-1\nAS64503,sideways,3\nnot-an-as,in,1\n"
	var s sink
	p := traffic.Period{From: day0, To: day0.Add(24 * time.Hour)}
	rep, err := Import(strings.NewReader(in), Options{Format: CSV, Period: p}, &s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 2 || rep.Skipped != 3 || len(rep.Problems) != 3 || !strings.HasPrefix(rep.Problems[0], "line 5:") {
		t.Errorf("report %+v", rep)
	}
	if got := s.bytes(traffic.Key{Dir: traffic.Out, Class: traffic.Transit, Remote: 64501}); got != 800e6/8*86400 {
		t.Errorf("AS64501 out: %d bytes", got)
	}
	if _, err := Import(strings.NewReader(in), Options{Format: CSV}, &s); err == nil {
		t.Error("rates without a period were accepted")
	}
	if _, err := Import(strings.NewReader("as,dir,rate\n1,in,2\n"), Options{Format: CSV, Period: p}, &s); err == nil || !strings.Contains(err.Error(), "lacks asn, direction, mbps") {
		t.Errorf("wrong header: %v", err)
	}
}

// The plain CSV through a real store: the 95th percentile of a held rate
// is the rate.
func TestPlainCSVIntoStore(t *testing.T) {
	st := &traffic.Store{Dir: t.TempDir()}
	ag := traffic.NewAggregator(st, &traffic.Attributor{})
	p := traffic.Period{From: day0, To: day0.AddDate(0, 0, 3)}
	if _, err := Import(strings.NewReader("asn,direction,mbps\nAS64501,out,800\n"), Options{Format: CSV, Period: p}, ag); err != nil {
		t.Fatal(err)
	}
	if err := ag.Flush(day0.AddDate(0, 0, 10), 0); err != nil {
		t.Fatal(err)
	}
	rep, err := st.Top(traffic.TopOptions{Period: p})
	if err != nil || len(rep.Rows) != 1 || rep.Days != 3 || math.Abs(rep.Rows[0].Out.P95Mbps-800) > 1e-6 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestPMacct(t *testing.T) {
	in := `SRC_AS,DST_AS,PEER_SRC_AS,PEER_DST_AS,PACKETS,BYTES,STAMP_INSERTED,STAMP_UPDATED
0,64501,0,64496,1000,1500000,2026-03-02 10:00:00,2026-03-02 10:05:01
64502,64500,64502,0,10,9000,2026-03-02 10:05:00,2026-03-02 10:10:01
64503,64504,64503,64504,1,1,2026-03-02 10:05:00,2026-03-02 10:10:01
0,64501,0,64496,1,100,yesterday,
`
	var s sink
	rep, err := Import(strings.NewReader(in), Options{Format: PMacct, OurASN: 64500}, &s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 2 || rep.Skipped != 2 || len(s.volumes) != 2 {
		t.Fatalf("report %+v, %d volumes", rep, len(s.volumes))
	}
	v := s.volumes[0]
	if v.key != (traffic.Key{Dir: traffic.Out, Class: traffic.Transit, Neighbor: 64496, Remote: 64501}) || v.bytes != 1500000 ||
		!v.start.Equal(day0.Add(10*time.Hour)) || v.end.Sub(v.start) != 5*time.Minute {
		t.Errorf("first row %+v", v)
	}
	if v := s.volumes[1]; v.key.Dir != traffic.In || v.key.Remote != 64502 || v.key.Neighbor != 64502 {
		t.Errorf("second row %+v", v)
	}
	if _, err := Import(strings.NewReader("SRC_AS,DST_AS,BYTES\n0,1,2\n"), Options{Format: PMacct}, &s); err == nil {
		t.Error("rows without stamps and no period were accepted")
	}
}

func TestNFDump(t *testing.T) {
	// nfdump 1.6 `-o csv`, with its summary block.
	in := `ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr
2026-03-02 10:00:01,2026-03-02 10:00:31,30.000,198.51.100.7,11.64.0.9,443,50000,TCP,.AP...,0,0,100,150000,0,0,3,5,0,64501,0,0,0,0,192.0.2.129,192.0.2.139,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0.000,0.000,0.000,192.0.2.129,0/0,1,2026-03-02 10:00:32.000
2026-03-02 10:00:01,2026-03-02 10:00:31,30.000,100.64.0.1,100.64.0.2,1,2,UDP,......,0,0,1,60,0,0,3,5,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0.000,0.000,0.000,0.0.0.0,0/0,1,2026-03-02 10:00:32.000
2026-03-02 10:00:01,2026-03-01 10:00:31,30.000,198.51.100.7,11.64.0.9,1,2,UDP,......,0,0,1,60,0,0,3,5,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0.000,0.000,0.000,0.0.0.0,0/0,1,2026-03-02 10:00:32.000
Summary
flows,bytes,packets,avg_bps,avg_pps,avg_bpp
3,150120,102,40032,27,1471
`
	t.Setenv("TZ", "UTC")
	var s sink
	rep, err := Import(strings.NewReader(in), Options{Format: NFDump}, &s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 1 || rep.Skipped != 2 || len(s.flows) != 1 {
		t.Fatalf("report %+v", rep)
	}
	f := s.flows[0]
	if f.Bytes != 150000 || f.Packets != 100 || f.InIf != 3 || f.OutIf != 5 || f.DstAS != 64501 ||
		f.NextHop != netip.MustParseAddr("192.0.2.139") || f.End.Sub(f.Start) != 30*time.Second {
		t.Errorf("flow %+v", f)
	}
}

func akvoradoJSON(points string) string {
	return `{"t":["2026-03-02T10:00:00Z","2026-03-02T10:05:00Z","2026-03-02T10:10:00Z"],
 "rows":[["AS64501: Example Alpha"],["Other"],["64501"],["AS64502"]],
 "points":[[8000000,16000000,8000000],[1,1,1],[800000,800000,800000],` + points + `],
 "axis":[1,1,2,3],"axis-names":{"1":"Direct","2":"Reverse","3":"Previous day"},"average":[0,0,0,0],"95th":[0,0,0,0]}`
}

func TestAkvorado(t *testing.T) {
	var s sink
	rep, err := Import(strings.NewReader(akvoradoJSON("[1,2,3]")), Options{Format: Akvorado, Direction: traffic.In}, &s)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 2 || rep.Skipped != 1 {
		t.Fatalf("report %+v", rep)
	}
	if got := s.bytes(traffic.Key{Dir: traffic.In, Class: traffic.Transit, Remote: 64501}); got != (8e6+16e6+8e6)/8*300 {
		t.Errorf("inbound bytes %d", got)
	}
	if got := s.bytes(traffic.Key{Dir: traffic.Out, Class: traffic.Transit, Remote: 64501}); got != 3*0.8e6/8*300 {
		t.Errorf("reverse axis bytes %d", got)
	}
	if _, err := Import(strings.NewReader(akvoradoJSON("[1,2,3]")), Options{Format: Akvorado}, &s); err == nil {
		t.Error("no direction was accepted")
	}
	bad := strings.Replace(akvoradoJSON("[1,2,3]"), "16000000", "-5", 1)
	if rep, _ := Import(strings.NewReader(bad), Options{Format: Akvorado, Direction: traffic.In}, &s); rep.Skipped != 2 {
		t.Errorf("a negative rate: %+v", rep)
	}
}

func TestInputBounds(t *testing.T) {
	var s sink
	p := traffic.Period{From: day0, To: day0.Add(time.Hour)}
	long := "asn,direction,mbps\n" + strings.Repeat("1", maxLineLen+10) + ",in,1\n"
	if _, err := Import(strings.NewReader(long), Options{Format: CSV, Period: p}, &s); err == nil {
		t.Error("a 1 MiB line was accepted")
	}
	big := "asn,direction,mbps\n" + strings.Repeat("AS1,in,1\n", 1000)
	if _, err := Import(strings.NewReader(big), Options{Format: CSV, Period: p, MaxBytes: 100}, &s); err == nil {
		t.Error("input past MaxBytes was accepted")
	}
}

func fuzzImport(f *testing.F, o Options, seed string) {
	f.Add([]byte(seed))
	f.Fuzz(func(t *testing.T, in []byte) {
		var s sink
		rep, _ := Import(bytes.NewReader(in), o, &s)
		if rep.Rows < 0 || len(rep.Problems) > maxProblems {
			t.Fatalf("report %+v", rep)
		}
		for _, v := range s.volumes {
			if v.bytes > maxBytes*2 || v.end.Before(v.start) || (v.key.Dir != traffic.In && v.key.Dir != traffic.Out) {
				t.Fatalf("volume %+v", v)
			}
		}
		for _, r := range s.flows {
			if r.End.Before(r.Start) || r.Bytes > maxBytes {
				t.Fatalf("flow %+v", r)
			}
		}
	})
}

func FuzzImportCSV(f *testing.F) {
	fuzzImport(f, Options{Format: CSV, Period: traffic.Period{From: day0, To: day0.Add(time.Hour)}}, "asn,direction,mbps\nAS64501,out,800\n")
}

func FuzzImportPMacct(f *testing.F) {
	fuzzImport(f, Options{Format: PMacct, OurASN: 64500}, "SRC_AS,DST_AS,PEER_SRC_AS,PEER_DST_AS,PACKETS,BYTES,STAMP_INSERTED\n0,64501,0,64496,1,1500,2026-03-02 10:00:00\n")
}

func FuzzImportNFDump(f *testing.F) {
	fuzzImport(f, Options{Format: NFDump}, "ts,te,sa,da,ipkt,ibyt,in,out,sas,das,nhb\n2026-03-02 10:00:01,2026-03-02 10:00:31,198.51.100.7,11.64.0.9,1,100,3,5,0,64501,192.0.2.139\n")
}

func FuzzImportAkvorado(f *testing.F) {
	fuzzImport(f, Options{Format: Akvorado, Direction: traffic.Out}, akvoradoJSON("[1,2,3]"))
}
