package peeringdb

import (
	"bytes"
	"io"
	"log/slog"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
)

// fuzzLimits keep each fuzz input cheap while still exercising every limit.
var fuzzLimits = Limits{MaxBytes: 1 << 20, MaxRows: 1000, MaxStringLen: 256, MaxDepth: 16}

// loadBytes runs the loader's path (gzip sniffing, size and depth bounds,
// envelope walk, row checks, indexing) over data as one object type's file,
// or as a dump when typ is empty.
func loadBytes(data []byte, typ string) (*Store, error) {
	b := newBuilder(fuzzLimits, "fuzz")
	body, closeBody, err := openJSON(bytes.NewReader(data), b.lim)
	if err != nil {
		return nil, err
	}
	defer closeBody()
	if typ == "" {
		err = walkDump(body, b.lim.MaxRows, b.rowFunc, func(_ string, info envelopeInfo) { b.noteEnvelope(info) })
	} else {
		var info envelopeInfo
		info, err = walkSingle(body, b.lim.MaxRows, b.rowFunc(typ))
		b.noteEnvelope(info)
	}
	if err != nil {
		return nil, err
	}
	return b.build(slog.New(slog.DiscardHandler)), nil
}

// checkStore exercises every query on every network in s and checks the
// invariants callers rely on.
func checkStore(t *testing.T, s *Store) {
	asns := map[bgp.ASN]bool{}
	for _, n := range s.Nets() {
		asns[n.ASN] = true
	}
	for asn := range s.portsOfNet {
		asns[asn] = true
	}
	for asn := range s.facsOfNet {
		asns[asn] = true
	}
	// A few IXs and networks are enough to exercise every path; all of
	// them would make the check quadratic in the input.
	ours := []OurIX{}
	for id := range s.ixs {
		if len(ours) == 4 {
			break
		}
		ours = append(ours, OurIX{Name: "x", IXID: id, Routers: []OurRouter{{Name: "r"}}})
	}
	checked := 0
	for asn := range asns {
		if checked++; checked > 50 {
			break
		}
		pops := s.PoPs(asn)
		if !slices.IsSortedFunc(pops, comparePoP) {
			t.Fatalf("PoPs(%s) not sorted", asn)
		}
		if got := s.CommonPoPs(asn, asn); len(got) != len(pops) {
			t.Fatalf("CommonPoPs(%s, itself) = %d of %d PoPs", asn, len(got), len(pops))
		}
		for _, p := range pops {
			if p.Kind == KindIX {
				s.NetIXLANs(asn, p.ID)
				s.IXPrefixes(p.ID)
			}
		}
		for _, c := range s.Contacts(asn) {
			if CheckEmail(c.Email) != "" || cleanName(c.Name) != c.Name || roleRank[c.Role] == 0 && c.Role != RolePolicy {
				t.Fatalf("Contacts(%s) holds an unchecked contact %+v", asn, c)
			}
		}
		n, _ := s.Net(asn)
		MaxPrefixes(asn, &n, MaxPrefixPolicy{HeadroomPercent: 10}, MaxPrefixOverride{})
		ParseIRRASSet(n.IRRASSet)
		DeriveSessions(s, PeerRequest{ASN: asn}, ours)
	}
	s.Meta()
}

func addSeeds(f *testing.F) {
	for _, typ := range ObjectTypes() {
		b, err := readAll(filepath.Join(demoDir(f), typ+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(slices.Index(ObjectTypes(), typ)))
	}
	for _, s := range []string{
		`{"data": []}`, `{"data": null, "meta": {"generated": 1e30}}`, `{"meta": {}, "x": [1, {"a": "}"}], "data": [{}]}`,
		`{"data": [{"id": 1, "asn": 4294967295, "ipaddr4": "1.2.3.4", "ipaddr6": "::1", "speed": 1e3}]}`,
		`{"data": [{"id": 2, "ixlan_id": 1, "prefix": "10.0.0.1/8"}, {"id": 1, "ix_id": 1}]}`,
		`{"data": [{"id": 3, "latitude": -90, "longitude": 180}], "data": []}`,
		`{"net": {"data": [{"id": 1, "asn": 1}]}, "netixlan": {"data": [{"id": 1, "asn": 1, "ix_id": 1}]}}`,
		`{"data": [{"id": 1, "name": "\"\\\u0000"}]}`,
		`{"data": [{"id": 1, "net_id": 1, "role": "Policy", "visible": "Public", "email": "a@b.example\r\nBcc: c@d.example"}]}`, `[[[[[[[[[[[[[[[[[[[[`, "\x1f\x8b\x08\x00",
	} {
		f.Add([]byte(s), uint8(255))
	}
}

func readAll(path string) ([]byte, error) {
	var buf bytes.Buffer
	err := readFile(path, DefaultLimits(), func(r io.Reader) error { _, err := buf.ReadFrom(r); return err })
	return buf.Bytes(), err
}

// FuzzLoadTypeFile feeds arbitrary bytes to the loader as one object type's
// file (typ picks the type; 255 and others beyond the list mean "dump").
// It must never panic, hang or exceed its limits, and whatever loads must
// answer every query consistently.
func FuzzLoadTypeFile(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		name := ""
		if int(typ) < len(ObjectTypes()) {
			name = ObjectTypes()[typ]
		}
		s, err := loadBytes(data, name)
		if err != nil {
			return
		}
		checkStore(t, s)
	})
}

// FuzzParseIRRASSet: any irr_as_set text yields only references that parse
// back to themselves, never more than the bound.
func FuzzParseIRRASSet(f *testing.F) {
	for _, s := range []string{"AS-FOO", "RIPE::AS-FOO AS-BAR@RADB", "as-set: AS-X, RS-Y", "AS1:AS-2:AS3", "AS-SET", "@@::", "AS-\u00e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		refs, _ := ParseIRRASSet(s)
		if len(refs) > maxASSetRefs {
			t.Fatalf("%d refs", len(refs))
		}
		for _, r := range refs {
			back, err := bgp.ParseObjectRef(r.String())
			if err != nil || back != r {
				t.Fatalf("%q gave %v, which does not parse back (%v)", s, r, err)
			}
		}
	})
}

// FuzzCheckEmail: an address CheckEmail accepts is one bare addr-spec that
// net/mail reads back unchanged, with nothing that could end a header
// line or an SMTP command.
func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"peering@example.net", "a@b", "\"a b\"@example.net", "a@example.net\r\nBcc: b@example.org",
		"Name <a@example.net>", "a@[192.0.2.1]", "a..b@example.net", "a@-x.example", "ü@example.net", "a@example.net,b@example.net"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckEmail(s) != "" {
			return
		}
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || a.Name != "" {
			t.Fatalf("accepted %q, which net/mail reads as %v (%v)", s, a, err)
		}
		if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("<>,;:\"()[]\\", r) }) {
			t.Fatalf("accepted %q, which holds a character a header or SMTP path would need escaped", s)
		}
	})
}
