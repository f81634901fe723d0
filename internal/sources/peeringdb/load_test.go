package peeringdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/testutil"
)

func TestLoadDemoSnapshot(t *testing.T) {
	s := loadDemo(t)
	m := s.Meta()
	want := map[string]int{"org": 8, "fac": 5, "ix": 2, "ixfac": 3, "ixlan": 2, "ixpfx": 4, "net": 7, "netfac": 19, "netixlan": 12}
	for typ, n := range want {
		if m.Counts[typ] != n {
			t.Errorf("Counts[%s] = %d, want %d", typ, m.Counts[typ], n)
		}
	}
	if m.Skipped != 0 || len(m.Warnings) != 0 {
		t.Errorf("demo snapshot has skipped rows: %d %v", m.Skipped, m.Warnings)
	}
	if got := m.Generated.Format(time.RFC3339); got != "2026-01-01T00:00:00Z" {
		t.Errorf("Generated = %s", got)
	}

	// The facts the example repository is written against (data/peeringdb/README.md).
	for _, tc := range []struct {
		id       int
		name     string
		lat, lon float64
	}{
		{90101, "Doc DC Amsterdam 1", 52.3676, 4.9041},
		{90102, "Doc DC Amsterdam 2", 52.3030, 4.9390},
		{90103, "Doc DC Frankfurt", 50.1109, 8.6821},
		{90104, "Doc DC London", 51.5072, -0.1276},
		{90105, "Doc DC Paris", 48.8566, 2.3522},
	} {
		f, ok := s.Fac(tc.id)
		if !ok || f.Name != tc.name || f.Lat != tc.lat || f.Lon != tc.lon || !f.HasLocation {
			t.Errorf("Fac(%d) = %+v, %v; want %s at %v, %v", tc.id, f, ok, tc.name, tc.lat, tc.lon)
		}
	}
	ams, ok := s.IX(90001)
	if !ok || ams.Name != "DOC-IX Amsterdam" || !slices.Equal(ams.FacIDs, []int{90101, 90102}) {
		t.Fatalf("IX(90001) = %+v", ams)
	}
	// Between its two facilities, nearer each than they are to each other.
	if !ams.HasLocation || ams.Lat < 52.3030 || ams.Lat > 52.3676 || ams.Lon < 4.9041 || ams.Lon > 4.9390 {
		t.Errorf("DOC-IX Amsterdam centroid = %v, %v", ams.Lat, ams.Lon)
	}
	fra, _ := s.IX(90002)
	if fra.Lat != 50.1109 || fra.Lon != 8.6821 {
		t.Errorf("DOC-IX Frankfurt takes its single facility's coordinates, got %v, %v", fra.Lat, fra.Lon)
	}
	for ix, want := range map[int]string{90001: "192.0.2.0/25 2001:db8:ffff:1::/64", 90002: "192.0.2.128/25 2001:db8:ffff:2::/64"} {
		if got := fmt.Sprint(s.IXPrefixes(ix)); got != "["+want+"]" {
			t.Errorf("IXPrefixes(%d) = %s, want [%s]", ix, got, want)
		}
	}
	for asn, name := range map[bgp.ASN]string{64500: "Example Networks", 64501: "Doc Transit Alpha",
		64502: "Doc Content Beta", 64503: "Doc Eyeballs Gamma", 65537: "Doc Cloud Delta", 64510: "DOC-IX Route Servers"} {
		if n, ok := s.Net(asn); !ok || n.Name != name {
			t.Errorf("Net(%s) = %q, %v; want %q", asn, n.Name, ok, name)
		}
	}
	ratios := map[string]bool{}
	for _, n := range s.Nets() {
		ratios[n.InfoRatio] = true
	}
	if len(ratios) < 4 {
		t.Errorf("demo info_ratio values are not varied enough for scoring: %v", ratios)
	}
}

func TestLoadRealUS2021(t *testing.T) {
	s := mustLoad(t, testutil.Shared(t, "peeringdb/us-2021-03"))
	m := s.Meta()
	if m.Counts["net"] != 1295 || len(s.Nets()) != 1295 {
		t.Errorf("nets = %d (%d listed), want 1,295", m.Counts["net"], len(s.Nets()))
	}
	for typ, n := range map[string]int{"fac": 4077, "netfac": 10236, "netixlan": 3318} {
		if m.Counts[typ] != n {
			t.Errorf("Counts[%s] = %d, want %d", typ, m.Counts[typ], n)
		}
	}
	charter, ok := s.Net(7843)
	if !ok || !strings.Contains(charter.Name, "Charter") || charter.InfoRatio != "Heavy Inbound" {
		t.Errorf("Net(7843) = %+v", charter)
	}
	if pccw, ok := s.Net(3491); !ok || pccw.Name != "PCCW Global" {
		t.Errorf("Net(3491) = %+v", pccw)
	}
	// The two share three facilities (Ashburn, Miami, New York) and no IX.
	var keys []string
	for _, c := range s.CommonPoPs(7843, 3491) {
		keys = append(keys, c.A.Key())
		if c.A.Key() != c.B.Key() || c.A.Name != c.B.Name || !c.A.HasLocation {
			t.Errorf("common PoP sides differ or lack a location: %+v", c)
		}
	}
	if want := []string{"fac:1", "fac:15", "fac:16"}; !slices.Equal(keys, want) {
		t.Errorf("CommonPoPs(AS7843, AS3491) = %v, want %v", keys, want)
	}
	if got := s.CommonPoPs(3491, 7843); len(got) != 3 {
		t.Errorf("CommonPoPs is not symmetric: %d", len(got))
	}
	// us-2021-03 rebuilt netixlan rows carry speeds but no addresses.
	pops := s.PoPs(7843)
	var ixSpeed int
	for _, p := range pops {
		if p.Kind == KindIX {
			ixSpeed += p.SpeedMbps
			if !p.HasLocation {
				t.Errorf("%s (%s) has no location; IXs take their facilities' centroid", p.Key(), p.Name)
			}
		}
	}
	if ixSpeed == 0 {
		t.Error("AS7843 has no IX port capacity")
	}
	if !slices.IsSortedFunc(pops, comparePoP) {
		t.Error("PoPs not sorted by (Kind, ID)")
	}
	// A facility in the 2021 dump has latitude and longitude swapped (117°
	// latitude); it loads without a location instead of failing the file.
	if len(m.Warnings) == 0 || !strings.Contains(strings.Join(m.Warnings, "\n"), "impossible coordinates") {
		t.Errorf("expected a warning about impossible coordinates, got %v", m.Warnings)
	}
}

func TestLoadRealAPISample(t *testing.T) {
	s := mustLoad(t, testutil.Shared(t, "peeringdb/api-sample-2026"))
	m := s.Meta()
	for _, typ := range []string{"fac", "ix", "ixfac", "ixlan", "ixpfx", "net", "netfac", "netixlan"} {
		if m.Counts[typ] != 500 {
			t.Errorf("Counts[%s] = %d, want 500", typ, m.Counts[typ])
		}
	}
	if m.Newest.Year() != 2026 {
		t.Errorf("Newest = %v, want a 2026 time", m.Newest)
	}
	// Equinix Ashburn, the first IX, has an IPv4 and an IPv6 LAN.
	var v4, v6 int
	for _, p := range s.IXPrefixes(1) {
		if p.Addr().Is4() {
			v4++
		} else {
			v6++
		}
	}
	if v4 == 0 || v6 == 0 {
		t.Errorf("IXPrefixes(1) = %v, want both families", s.IXPrefixes(1))
	}
	if ix, ok := s.IX(1); !ok || ix.Name != "Equinix Ashburn" || !ix.HasLocation {
		t.Errorf("IX(1) = %+v", ix)
	}
}

func TestLoadRealNetIXLAN2021(t *testing.T) {
	s := mustLoad(t, testutil.Shared(t, "peeringdb/netixlan-2021-09"))
	m := s.Meta()
	if m.Counts["net"] != 10 || m.Counts["ix"] != 8 || m.Counts["netixlan"] != 420 {
		t.Errorf("Counts = %v", m.Counts)
	}
	if m.Generated.Year() != 2021 {
		t.Errorf("Generated = %v, want the 2021 meta.generated", m.Generated)
	}
	akamai, ok := s.Net(20940)
	if !ok || akamai.IRRASSet == "" || akamai.InfoPrefixes4 == 0 {
		t.Fatalf("Net(20940) = %+v", akamai)
	}
	var ports, withAddr int
	for _, p := range s.PoPs(20940) {
		if p.Kind != KindIX {
			t.Errorf("unexpected %s: this data set has no netfac", p.Key())
			continue
		}
		if p.Name == "" || p.SpeedMbps <= 0 {
			t.Errorf("%s: name %q speed %d", p.Key(), p.Name, p.SpeedMbps)
		}
		for _, port := range s.NetIXLANs(20940, p.ID) {
			ports++
			if port.IPv4.IsValid() || port.IPv6.IsValid() {
				withAddr++
			}
		}
	}
	if ports < 100 || withAddr != ports {
		t.Errorf("AS20940 has %d ports, %d with addresses", ports, withAddr)
	}
}

// TestLoadDump builds single-file dumps from snapshot directories and
// checks that they load to the same store as the directory.
func TestLoadDump(t *testing.T) {
	dirs := map[string]string{"demo": demoDir(t)}
	if testutil.HasShared(t, "peeringdb/us-2021-03") {
		dirs["us-2021-03"] = testutil.Shared(t, "peeringdb/us-2021-03")
	}
	for name, dir := range dirs {
		t.Run(name, func(t *testing.T) {
			var parts []string
			// An object type peerform does not use must be skipped.
			parts = append(parts, `"poc": {"data": [{"id": 1, "role": "Technical", "nested": {"a": [1, 2, {"b": null}]}}]}`)
			for _, typ := range ObjectTypes() {
				path, err := typeFile(dir, typ)
				if err != nil || path == "" {
					continue
				}
				parts = append(parts, fmt.Sprintf("%q: %s", typ, readMaybeGz(t, path)))
			}
			dump := "{" + strings.Join(parts, ",\n") + "}"
			tmp := t.TempDir()
			plain, zipped := filepath.Join(tmp, "dump.json"), filepath.Join(tmp, "dump.json.gz")
			os.WriteFile(plain, []byte(dump), 0o644)
			os.WriteFile(zipped, gz(t, []byte(dump)), 0o644)

			want := mustLoad(t, dir)
			for _, path := range []string{plain, zipped} {
				got, err := LoadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got.Meta().Counts) != fmt.Sprint(want.Meta().Counts) {
					t.Errorf("%s counts %v, directory %v", path, got.Meta().Counts, want.Meta().Counts)
				}
				if !slices.Equal(got.Nets(), want.Nets()) {
					t.Errorf("%s: nets differ from the directory's", path)
				}
				for _, n := range want.Nets()[:min(50, len(want.Nets()))] {
					if !slices.Equal(got.PoPs(n.ASN), want.PoPs(n.ASN)) {
						t.Errorf("%s: PoPs(%s) differ", path, n.ASN)
					}
				}
				// LoadDir accepts a dump file path too.
				if viaDir, err := LoadDir(path); err != nil || len(viaDir.Nets()) != len(want.Nets()) {
					t.Errorf("LoadDir(%s) = %v", path, err)
				}
			}
		})
	}
}

func TestLoadGzipDirectory(t *testing.T) {
	files := map[string]string{}
	for _, typ := range ObjectTypes() {
		files[typ+".json.gz"] = string(gz(t, readMaybeGz(t, filepath.Join(demoDir(t), typ+".json"))))
	}
	s := mustLoad(t, writeFiles(t, files))
	if got := len(s.CommonPoPs(64500, 64502)); got != 4 {
		t.Errorf("gzip snapshot: %d common PoPs, want 4", got)
	}
}

func TestLoadErrors(t *testing.T) {
	net := func(fields string) string {
		return `{"data": [{"id": 1, "asn": 64501, "name": "ok"}, {"id": 2, ` + fields + `}]}`
	}
	tests := []struct {
		name    string
		files   map[string]string
		lim     Limits
		wantErr string
	}{
		{"empty dir", map[string]string{"README": "x"}, Limits{}, "no PeeringDB object files"},
		{"not JSON", map[string]string{"net.json": "hello"}, Limits{}, "invalid character"},
		{"truncated", map[string]string{"net.json": `{"data": [{"id": 1`}, Limits{}, "EOF"},
		{"trailing data", map[string]string{"net.json": `{"data": []} {}`}, Limits{}, "after the JSON value"},
		{"top level array", map[string]string{"net.json": `[{"id": 1}]`}, Limits{}, `found "["`},
		{"data not array", map[string]string{"net.json": `{"data": {"id": 1}}`}, Limits{}, `not an array`},
		{"no data", map[string]string{"net.json": `{"meta": {}}`}, Limits{}, `no "data" array`},
		{"data twice", map[string]string{"net.json": `{"data": [], "data": []}`}, Limits{}, `twice`},
		{"string speed", map[string]string{"netixlan.json": `{"data": [{"id": 1, "asn": 1, "speed": "1000"}]}`}, Limits{}, "speed"},
		{"float id", map[string]string{"net.json": `{"data": [{"id": 1.5, "asn": 1}]}`}, Limits{}, "id"},
		{"object name", map[string]string{"net.json": net(`"asn": 64502, "name": {"x": 1}`)}, Limits{}, "row 1"},
		{"bool asn", map[string]string{"net.json": net(`"asn": true`)}, Limits{}, "asn"},
		{"latitude string", map[string]string{"fac.json": `{"data": [{"id": 1, "latitude": "52.1"}]}`}, Limits{}, "latitude"},
		{"meta generated string", map[string]string{"net.json": `{"data": [], "meta": {"generated": "yesterday"}}`}, Limits{}, "meta"},
		{"too deep", map[string]string{"net.json": `{"data": [{"id": 1, "x": ` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}]}`}, Limits{}, "nested deeper"},
		{"too many rows", map[string]string{"net.json": `{"data": [{"id": 1, "asn": 1}, {"id": 2, "asn": 2}, {"id": 3, "asn": 3}]}`}, Limits{MaxRows: 2}, "more than 2 rows"},
		{"too large", map[string]string{"net.json": `{"data": [{"id": 1, "asn": 1, "name": "` + strings.Repeat("x", 2000) + `"}]}`}, Limits{MaxBytes: 1000}, "more than 1000 bytes"},
		{"gzip too large", map[string]string{"net.json.gz": string(gz(t, []byte(`{"data": [{"id": 1, "notes": "`+strings.Repeat("x", 100_000)+`"}]}`)))}, Limits{MaxBytes: 50_000}, "more than 50000 bytes"},
		{"bad gzip", map[string]string{"net.json.gz": "\x1f\x8b\x08garbage"}, Limits{}, "gzip"},
		{"both plain and gzip", map[string]string{"net.json": `{"data": []}`, "net.json.gz": string(gz(t, []byte(`{"data": []}`)))}, Limits{}, "both net.json and net.json.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := Loader{Limits: tt.lim}.LoadDir(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	t.Run("too large is ErrTooLarge", func(t *testing.T) {
		dir := writeFiles(t, map[string]string{"net.json": `{"data": [{"id": 1, "asn": 1}, {"id": 2, "asn": 2}]}`})
		if _, err := (Loader{Limits: Limits{MaxRows: 1}}).LoadDir(dir); !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		if _, err := LoadDir(filepath.Join(t.TempDir(), "nope")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("per-type file given as dump", func(t *testing.T) {
		path := filepath.Join(writeFiles(t, map[string]string{"net.json": `{"data": []}`}), "net.json")
		if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "single object type file") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("fifo is refused, not read", func(t *testing.T) {
		dir := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(dir, "net.json"), 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		done := make(chan error, 1)
		go func() { _, err := LoadDir(dir); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("err = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("LoadDir blocked on a FIFO")
		}
	})
}

// TestLoadSkipsImpossibleValues: rows whose JSON types are right but whose
// values cannot be true are dropped (or lose the bad field) with a warning;
// the rest of the snapshot loads.
func TestLoadSkipsImpossibleValues(t *testing.T) {
	long := strings.Repeat("x", 5000)
	dir := writeFiles(t, map[string]string{
		"net.json": `{"data": [
			{"id": 1, "asn": 64501, "name": "kept", "info_prefixes4": 100, "info_prefixes6": -5, "unknown_field": [1, {"a": 2}]},
			{"id": 2, "asn": 0, "name": "asn zero"},
			{"id": 3, "asn": 4294967296, "name": "asn too large"},
			{"id": 1, "asn": 64502, "name": "duplicate id"},
			{"id": 4, "asn": 64503, "name": "deleted", "status": "deleted"},
			{"id": 5, "asn": 64504, "name": "` + long + `"},
			{"id": 0, "asn": 64505, "name": "no id"},
			{"id": 6, "asn": 64501, "name": "same ASN as net 1"},
			{"id": 7, "asn": 64506, "name": "null counts", "info_prefixes4": null, "updated": "not a time"}
		]}`,
		"netixlan.json": `{"data": [
			{"id": 10, "asn": 64501, "ix_id": 5, "speed": 1000, "ipaddr4": "192.0.2.10", "ipaddr6": "2001:db8::10", "operational": true},
			{"id": 11, "asn": 64501, "ix_id": 5, "speed": -1, "ipaddr4": "2001:db8::11", "ipaddr6": "192.0.2.11"},
			{"id": 12, "asn": 64501, "ix_id": 5, "speed": 1000, "ipaddr4": "192.0.2.300", "ipaddr6": "fe80::1%eth0"},
			{"id": 13, "asn": 64501, "ix_id": 5, "speed": 1000, "ipaddr4": "::ffff:192.0.2.13", "ipaddr6": null},
			{"id": 14, "asn": 64501, "ix_id": 0, "speed": 1000}
		]}`,
		"ixpfx.json": `{"data": [
			{"id": 20, "ixlan_id": 5, "protocol": "IPv4", "prefix": "192.0.2.7/24"},
			{"id": 21, "ixlan_id": 5, "protocol": "IPv6", "prefix": "not a prefix"}
		]}`,
		"ixlan.json": `{"data": [{"id": 5, "ix_id": 5}]}`,
		"fac.json":   `{"data": [{"id": 30, "name": "swapped", "latitude": 117.2, "longitude": 39.3}, {"id": 31, "name": "half", "latitude": 52.1, "longitude": null}]}`,
	})
	s := mustLoad(t, dir)
	nets := s.Nets()
	var names []string
	for _, n := range nets {
		names = append(names, n.Name)
	}
	if want := []string{"kept", "null counts"}; !slices.Equal(names, want) {
		t.Errorf("nets = %q, want %q", names, want)
	}
	if n, _ := s.Net(64501); n.InfoPrefixes4 != 100 || n.InfoPrefixes6 != 0 {
		t.Errorf("counts = %d/%d, want 100 and 0 (negative = unknown)", n.InfoPrefixes4, n.InfoPrefixes6)
	}
	ports := s.NetIXLANs(64501, 5)
	if len(ports) != 4 {
		t.Fatalf("ports = %d, want 4 (bad addresses drop the address, not the port)", len(ports))
	}
	if !ports[0].IPv4.IsValid() || !ports[0].IPv6.IsValid() || !ports[0].Operational {
		t.Errorf("port 10 = %+v", ports[0])
	}
	for _, p := range ports[1:] {
		if p.IPv4.IsValid() || p.IPv6.IsValid() {
			t.Errorf("port %d kept a bad address: %+v", p.ID, p)
		}
	}
	if ports[1].SpeedMbps != 0 || !ports[1].Operational {
		t.Errorf("port 11: negative speed must read as unknown, missing operational as true: %+v", ports[1])
	}
	if got := fmt.Sprint(s.IXPrefixes(5)); got != "[192.0.2.0/24]" {
		t.Errorf("IXPrefixes = %s, want the masked prefix only", got)
	}
	for id, want := range map[int]bool{30: false, 31: false} {
		if f, ok := s.Fac(id); !ok || f.HasLocation != want {
			t.Errorf("Fac(%d) = %+v", id, f)
		}
	}
	m := s.Meta()
	// asn 0, asn too large, duplicate id, deleted, long string, id 0, same
	// ASN, bad prefix, a port at ix 0.
	if m.Skipped != 9 {
		t.Errorf("Skipped = %d, want 9; warnings:\n%s", m.Skipped, strings.Join(m.Warnings, "\n"))
	}
	if m.Counts["net"] != 2 || m.Counts["netixlan"] != 4 || m.Counts["ixpfx"] != 1 {
		t.Errorf("Counts = %v", m.Counts)
	}
}

func TestMetaIsACopy(t *testing.T) {
	s := loadDemo(t)
	m := s.Meta()
	m.Counts["net"] = 999
	m.Warnings = append(m.Warnings, "x")
	if s.Meta().Counts["net"] != 7 || len(s.Meta().Warnings) != 0 {
		t.Error("Meta shares its map or slice with the store")
	}
	b, err := json.Marshal(s.Meta())
	if err != nil || !strings.Contains(string(b), `"generated":"2026-01-01T00:00:00Z"`) {
		t.Errorf("Meta JSON = %s, %v", b, err)
	}
}

// TestLoadPolicyDetailsAndRecord: the policy's details, what the record
// publishes and when its parts last changed are read; a time that does
// not parse is unknown, with a warning, and the network is kept; null is
// unknown without one.
func TestLoadPolicyDetailsAndRecord(t *testing.T) {
	dir := writeFiles(t, map[string]string{"net.json": `{"data": [
		{"id": 1, "asn": 64501, "name": "a", "policy_locations": "Required - US", "policy_contracts": "Private Only",
		 "policy_ratio": true, "info_ipv6": true, "info_multicast": true, "looking_glass": "https://lg.example/",
		 "route_server": "telnet://rs.example", "created": "2004-07-28T00:00:00Z", "allow_ixp_update": true,
		 "netixlan_updated": "2021-02-20T09:35:08.290806Z", "netfac_updated": "2020-11-09T10:03:01+01:00",
		 "poc_updated": "2019-05-15T02:59:13Z"},
		{"id": 2, "asn": 64502, "name": "b", "created": "last year", "netixlan_updated": null,
		 "netfac_updated": "2020-13-01T00:00:00Z", "poc_updated": null}
	]}`})
	s := mustLoad(t, dir)
	a, _ := s.Net(64501)
	if a.PolicyLocations != "Required - US" || a.PolicyContracts != "Private Only" || !a.PolicyRatio || !a.InfoIPv6 || !a.InfoMulticast ||
		a.LookingGlass != "https://lg.example/" || a.RouteServer != "telnet://rs.example" || a.Created.Year() != 2004 || !a.AllowIXPUpdate ||
		!a.NetIXLANUpdated.Equal(time.Date(2021, 2, 20, 9, 35, 8, 290806000, time.UTC)) ||
		!a.NetFacUpdated.Equal(time.Date(2020, 11, 9, 9, 3, 1, 0, time.UTC)) || a.NetFacUpdated.Location() != time.UTC ||
		a.POCUpdated.Year() != 2019 {
		t.Errorf("net a: %+v", a)
	}
	b, ok := s.Net(64502)
	if !ok || !b.Created.IsZero() || b.InfoIPv6 || b.PolicyRatio || b.AllowIXPUpdate ||
		!b.NetIXLANUpdated.IsZero() || !b.NetFacUpdated.IsZero() || !b.POCUpdated.IsZero() {
		t.Errorf("net b: %+v, %v", b, ok)
	}
	if w := s.Meta().Warnings; len(w) != 2 || !strings.Contains(w[0], "created") || !strings.Contains(w[1], "netfac_updated") {
		t.Errorf("warnings %q, want one about created and one about netfac_updated", w)
	}
}
