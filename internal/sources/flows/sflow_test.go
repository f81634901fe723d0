package flows

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// The datagrams in testdata/sflow were recorded from pmacctd's sfprobe
// plugin (record.sh): 40 IPv4 packets of 1028 bytes and 20 IPv6 packets
// of 548 bytes from 198.51.100.1 to 198.51.100.2, sampled 1 in 1. sFlow
// reports the frame's length: the IP packet plus 14 bytes of Ethernet
// header and 4 of frame check sequence.
func TestDecodeRecordedSFlow(t *testing.T) {
	files, err := filepath.Glob("testdata/sflow/*.bin")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded datagrams: %v", err)
	}
	d := newDecoder(t, Limits{})
	type key struct{ src, dst netip.Addr }
	got := map[key][2]uint64{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d.Decode(b, netip.MustParseAddrPort("127.0.0.1:34567"), t0, func(r Record) {
			if r.Exporter != netip.MustParseAddr("198.51.100.1") || r.SamplingRate != 1 || !r.End.Equal(t0) {
				t.Errorf("record %+v", r)
			}
			v := got[key{r.Src, r.Dst}]
			got[key{r.Src, r.Dst}] = [2]uint64{v[0] + r.Packets, v[1] + r.Bytes}
		})
	}
	st := d.Stats()
	if st.Malformed != 0 || st.Unsupported != 0 || st.Datagrams != uint64(len(files)) {
		t.Errorf("stats %+v", st)
	}
	for k, want := range map[key][2]uint64{
		{netip.MustParseAddr("198.51.100.1"), netip.MustParseAddr("198.51.100.2")}:       {40, 40 * (1028 + 18)},
		{netip.MustParseAddr("2001:db8:100::1"), netip.MustParseAddr("2001:db8:100::2")}: {20, 20 * (548 + 18)},
	} {
		if got[k] != want {
			t.Errorf("%v → %v: packets, bytes %v, want %v (all: %v)", k.src, k.dst, got[k], want, got)
		}
	}
}
