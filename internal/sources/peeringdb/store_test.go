package peeringdb

import (
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
)

func TestPoPsDemo(t *testing.T) {
	s := loadDemo(t)
	var keys []string
	for _, p := range s.PoPs(64502) {
		keys = append(keys, p.Key())
	}
	if want := []string{"fac:90101", "fac:90103", "fac:90104", "fac:90105", "ix:90002"}; !slices.Equal(keys, want) {
		t.Errorf("PoPs(AS64502) = %v, want %v", keys, want)
	}
	pops := s.PoPs(64502)
	ix := pops[len(pops)-1]
	if ix.SpeedMbps != 200_000 || ix.Name != "DOC-IX Frankfurt" || ix.City != "Frankfurt am Main" || !ix.HasLocation {
		t.Errorf("AS64502 at DOC-IX Frankfurt = %+v (two 100G ports)", ix)
	}
	if pops[0].SpeedMbps != 0 {
		t.Errorf("a facility has no port capacity: %+v", pops[0])
	}

	// The scoring demo needs AS64502 to share at least 3 PoPs with us.
	var common []string
	for _, c := range s.CommonPoPs(64500, 64502) {
		common = append(common, c.A.Key())
		if c.A.Key() == "ix:90002" && (c.A.SpeedMbps != 10_000 || c.B.SpeedMbps != 200_000) {
			t.Errorf("each side keeps its own port capacity: %+v", c)
		}
	}
	if want := []string{"fac:90101", "fac:90103", "fac:90104", "ix:90002"}; !slices.Equal(common, want) {
		t.Errorf("CommonPoPs(AS64500, AS64502) = %v, want %v", common, want)
	}
	if got := s.CommonPoPs(64500, 64599); len(got) != 0 {
		t.Errorf("common PoPs with an unknown network: %v", got)
	}
	if got := s.PoPs(64599); got == nil || len(got) != 0 {
		t.Errorf("PoPs of an unknown network = %#v, want an empty list", got)
	}

	if ports := s.NetIXLANs(64503, 90001); len(ports) != 2 || ports[0].ID > ports[1].ID {
		t.Errorf("NetIXLANs(AS64503, 90001) = %+v", ports)
	}
	if ports := s.NetIXLANs(64503, 90002); len(ports) != 0 {
		t.Errorf("NetIXLANs(AS64503, 90002) = %+v", ports)
	}
	if o, ok := s.Org(90202); !ok || o.Name != "DOC-IX Association" {
		t.Errorf("Org(90202) = %+v", o)
	}
	if !slices.IsSortedFunc(s.Nets(), func(a, b Net) int { return int(a.ASN) - int(b.ASN) }) {
		t.Error("Nets not sorted by ASN")
	}
}

// TestPoPsFromRowNames: when the snapshot lacks the ix or fac row, the PoP
// keeps the name the netixlan or netfac row repeats, without a location.
func TestPoPsFromRowNames(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"netfac.json":   `{"data": [{"id": 1, "net_id": 9, "fac_id": 3, "local_asn": 64501, "name": "Fac Three", "city": "Nowhere", "country": "ZZ"}]}`,
		"netixlan.json": `{"data": [{"id": 2, "asn": 64501, "ix_id": 4, "name": "IX Four: LAN", "speed": 400}, {"id": 3, "asn": 64501, "ix_id": 4, "speed": 600}]}`,
	})
	pops := mustLoad(t, dir).PoPs(64501)
	want := []PoP{
		{Kind: KindFac, ID: 3, Name: "Fac Three", City: "Nowhere", Country: "ZZ"},
		{Kind: KindIX, ID: 4, Name: "IX Four: LAN", SpeedMbps: 1000},
	}
	if !slices.Equal(pops, want) {
		t.Errorf("PoPs = %+v\nwant %+v", pops, want)
	}
}

func TestCentroid(t *testing.T) {
	tests := []struct {
		name     string
		fs       []Fac
		lat, lon float64
		ok       bool
	}{
		{"none", nil, 0, 0, false},
		{"one", []Fac{{Lat: 1.5, Lon: 2.5}}, 1.5, 2.5, true},
		{"equator", []Fac{{Lat: 0, Lon: 10}, {Lat: 0, Lon: 20}}, 0, 15, true},
		{"across the antimeridian", []Fac{{Lat: 0, Lon: 179}, {Lat: 0, Lon: -179}}, 0, 180, true},
		{"antipodes", []Fac{{Lat: 0, Lon: 0}, {Lat: 0, Lon: 180}}, 0, 0, false},
	}
	for _, tt := range tests {
		lat, lon, ok := centroid(tt.fs)
		if ok != tt.ok || math.Abs(lat-tt.lat) > 1e-9 || math.Abs(math.Abs(lon)-math.Abs(tt.lon)) > 1e-9 {
			t.Errorf("%s: centroid = %v, %v, %v; want %v, %v, %v", tt.name, lat, lon, ok, tt.lat, tt.lon, tt.ok)
		}
	}
}

// TestStoreReturnsCopies: what a caller does with a result never changes
// the store.
func TestStoreReturnsCopies(t *testing.T) {
	s := loadDemo(t)
	nets := s.Nets()
	nets[0].Name = "changed"
	ix, _ := s.IX(90001)
	ix.FacIDs[0] = 1
	pfx := s.IXPrefixes(90001)
	pfx[0] = pfx[1]
	ports := s.NetIXLANs(64501, 90001)
	ports[0].SpeedMbps = 1
	if s.Nets()[0].Name == "changed" {
		t.Error("Nets shares its slice")
	}
	if ix2, _ := s.IX(90001); ix2.FacIDs[0] != 90101 {
		t.Error("IX shares FacIDs")
	}
	if s.IXPrefixes(90001)[0] == s.IXPrefixes(90001)[1] {
		t.Error("IXPrefixes shares its slice")
	}
	if s.NetIXLANs(64501, 90001)[0].SpeedMbps == 1 {
		t.Error("NetIXLANs shares its slice")
	}
}

// TestStoreConcurrentReaders is meant for -race: the store is read-only
// after loading.
func TestStoreConcurrentReaders(t *testing.T) {
	s := loadDemo(t)
	asns := []bgp.ASN{64500, 64501, 64502, 64503, 64510, 65537}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				a, b := asns[(g+i)%len(asns)], asns[i%len(asns)]
				s.CommonPoPs(a, b)
				s.NetIXLANs(a, 90001)
				s.Net(b)
				s.Meta()
				DeriveSessions(s, PeerRequest{ASN: a}, ourDemoIXs())
			}
		}()
	}
	wg.Wait()
}
