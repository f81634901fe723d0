package asrel

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/testutil"
)

func TestReadSample(t *testing.T) {
	s, err := Load(filepath.Join("testdata", "sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 4 {
		t.Errorf("Len = %d, want 4", s.Len())
	}
	tests := []struct {
		a, b bgp.ASN
		want Rel
		ok   bool
	}{
		{64500, 64501, PeerToPeer, true},
		{64501, 64500, PeerToPeer, true},
		{64500, 64502, ProviderToCustomer, true},
		{64502, 64500, CustomerToProvider, true},
		{64503, 64500, ProviderToCustomer, true},
		{64500, 64503, CustomerToProvider, true},
		{64501, 64502, PeerToPeer, true},
		{64500, 64509, 0, false},
	}
	for _, tt := range tests {
		if got, ok := s.Lookup(tt.a, tt.b); got != tt.want || ok != tt.ok {
			t.Errorf("Lookup(%v, %v) = %v, %v; want %v, %v", tt.a, tt.b, got, ok, tt.want, tt.ok)
		}
	}
}

func TestReadGzip(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("1|2|0\n"))
	zw.Close()
	s, err := Read(&z)
	if err != nil || s.Len() != 1 {
		t.Fatalf("gzip: %v, %v", s, err)
	}
}

func TestReadErrors(t *testing.T) {
	for _, in := range []string{
		"1|2\n", "1|2|5\n", "a|2|0\n", "1|1|0\n", "1|2|0|x|y\n", "4294967296|1|0\n",
		"1|2|0|" + strings.Repeat("x", MaxLineBytes) + "\n", "-1|2|0\n",
	} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("Read(%.40q) succeeded", in)
		}
	}
}

// TestCAIDA reads the real CAIDA serial-2 file (bzip2) when it is there.
func TestCAIDA(t *testing.T) {
	p := testutil.Shared(t, "asrel/20250901.as-rel2.txt.bz2")
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 570696 {
		t.Errorf("%d links, want 570,696", s.Len())
	}
	// Cogent (AS174) and Lumen (AS3356) are tier-1 networks that peer.
	if r, ok := s.Lookup(174, 3356); !ok || r != PeerToPeer {
		t.Errorf("AS174–AS3356: %v %v, want peer", r, ok)
	}
}

func TestToposcope(t *testing.T) {
	p := testutil.Shared(t, "asrel/toposcope_asrel_201806.txt.gz")
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() < 280000 || s.Len() > 290000 {
		t.Errorf("%d links, want about 287,374", s.Len())
	}
}

func FuzzRead(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "sample.txt"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("BZh91AY&SY"))
	f.Add([]byte("\x1f\x8b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		for k, r := range s.links {
			if k[0] >= k[1] || (r != ProviderToCustomer && r != CustomerToProvider && r != PeerToPeer && r != Sibling) {
				t.Fatalf("bad link %v %v", k, r)
			}
			back, ok := s.Lookup(k[1], k[0])
			if !ok || (r == PeerToPeer) != (back == PeerToPeer) {
				t.Fatalf("Lookup not symmetric for %v", k)
			}
		}
	})
}

func TestGraph(t *testing.T) {
	// 1 provides 2 and 3; 2 provides 4; 3 and 4 peer; 5 peers with 1 and 3.
	s, err := Read(strings.NewReader("1|2|-1\n1|3|-1\n2|4|-1\n3|4|0\n5|1|0\n5|3|0\n"))
	if err != nil {
		t.Fatal(err)
	}
	g := s.Graph()
	if c := g.Cone(1); c != 4 {
		t.Errorf("cone of AS1 = %d, want 4 (1, 2, 3, 4)", c)
	}
	if c := g.Cone(4); c != 1 {
		t.Errorf("cone of AS4 = %d, want 1", c)
	}
	if n := g.Node(3); !n.Known || n.Providers != 1 || n.Peers != 2 || n.Customers != 0 {
		t.Errorf("AS3: %+v", n)
	}
	if n := g.Node(99); n.Known || g.Cone(99) != 0 {
		t.Errorf("unknown AS99: %+v", n)
	}
	// Neighbours of 1: 2, 3, 5; of 4: 2, 3 → common 2 and 3.
	if c := g.Similarity(1, 4).Common; c != 2 {
		t.Errorf("common neighbours of 1 and 4 = %d, want 2", c)
	}
	if c := g.Similarity(1, 99).Common; c != 0 {
		t.Errorf("with an unknown AS: %d", c)
	}
	// 2 and 3 share the provider 1; 4 is in 1's cone (through 2), 5 is
	// not; 3 and 1 share the peer 5.
	if s := g.Similarity(2, 3); s.CommonProviders != 1 || s.InCone {
		t.Errorf("2 and 3: %+v", s)
	}
	if !g.Similarity(4, 1).InCone || g.Similarity(5, 1).InCone {
		t.Error("cone membership wrong")
	}
	if s := g.Similarity(1, 3); s.CommonPeers != 1 || s.Jaccard != 1.0/5 || !s.InCone {
		t.Errorf("1 and 3: %+v (neighbours 2,3,5 and 1,4,5: 5 common of five; 3 a customer of 1)", s)
	}
	if r, ok := g.Lookup(2, 1); !ok || r != CustomerToProvider {
		t.Errorf("Lookup(2, 1) = %v %v", r, ok)
	}
}
