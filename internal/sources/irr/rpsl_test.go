package irr

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// ask answers one query from db under sources, as text: the reply's data,
// or "D", "F …".
func ask(db *DB, sources []string, q string) string {
	db.prepare()
	r := db.answer(sources, q, nil)
	switch r.Kind {
	case KindData:
		return string(r.Data)
	case KindError:
		return "F " + r.Msg
	default:
		return string(r.Kind)
	}
}

func loadShapes(t *testing.T, opts LoadOptions) (*DB, LoadReport) {
	t.Helper()
	db, rep, err := LoadSnapshots(context.Background(), []string{"testdata/shapes.rpsl"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return db, rep
}

func TestLoadShapes(t *testing.T) {
	db, rep := loadShapes(t, LoadOptions{Source: "test"})
	if rep.Objects != 17 || rep.Sets != 4 || rep.Routes != 4 || rep.Routes6 != 2 || rep.Skipped != 6 {
		t.Errorf("report %+v", rep)
	}
	if got := db.Sources(); !slices.Equal(got, []string{"RIPE", "RADB", "TEST"}) {
		t.Errorf("sources %q", got)
	}
	for _, c := range []struct {
		sources []string
		q, want string
	}{
		{[]string{"RIPE"}, "!iAS-SHAPES", "AS100 AS200 AS-CHILD AS300 AS400 AS-OTHER AS500"},
		{[]string{"RIPE"}, "!iAS-CHILD", "AS600"},
		{[]string{"RIPE"}, "!iAS-SHAPES,1", "AS100 AS200 AS300 AS400 AS500 AS600"},
		{[]string{"RIPE", "RADB"}, "!iAS-SHAPES,1", "AS100 AS200 AS300 AS400 AS500 AS600 AS700"},
		{[]string{"TEST"}, "!iAS-NOSOURCE", "AS800"},
		{[]string{"RIPE"}, "!iAS-NOSOURCE", "D"},
		{[]string{"RIPE"}, "!gAS100", "20.0.0.0/16"},
		{[]string{"RADB", "RIPE"}, "!gAS100", "20.0.0.0/16 20.1.0.0/16"},
		{[]string{"RIPE"}, "!6AS100", "2a06:100::/32"},
		{[]string{"RIPE"}, "!6AS600", "2a06:600::/32"},
		{[]string{"RIPE"}, "!gAS200", "20.2.0.0/16"},
		{[]string{"RIPE", "RADB"}, "!a4AS-SHAPES", "20.0.0.0/16 20.1.0.0/16 20.2.0.0/16"},
		{[]string{"RIPE"}, "!aAS-SHAPES", "20.0.0.0/16 20.2.0.0/16 2a06:100::/32 2a06:600::/32"},
		{[]string{"RIPE"}, "!gAS999", "D"},
		{[]string{"RIPE"}, "!6AS998", "D"},
		{[]string{"RIPE"}, "!gAS400", "D"},
		{[]string{"RIPE"}, "!gAS500", "D"},
		{[]string{"RIPE"}, "!iNOT-A-SET", "D"},
		{[]string{"RIPE"}, "!a", "F Missing required set name for A query"},
		{[]string{"RIPE"}, "!gASX", "F Invalid AS number"},
		{[]string{"RIPE"}, "!x", "F Unrecognized command"},
	} {
		if got := ask(db, c.sources, c.q); got != c.want {
			t.Errorf("%v %s = %q, want %q", c.sources, c.q, got, c.want)
		}
	}
	want := []string{
		"1 as-set(s) with mbrs-by-ref: members that join by reference (member-of) are not included: AS-CHILD (testdata/shapes.rpsl:22)",
		"1 object(s) skipped, the origin is not an AS number: route 20.3.0.0/16 (testdata/shapes.rpsl:",
		"1 object(s) skipped, route objects hold IPv4 prefixes and route6 objects IPv6 ones: route 2a06:999::/32",
		"1 object(s) skipped, no origin: route6 2a06:998::/32",
		"1 object(s) skipped, the as-set name is not valid RPSL: as-set NOT-A-SET",
		"1 object(s) skipped, the source is not a name of letters, digits and '-': route 20.4.0.0/16",
		`1 object(s) skipped, a line is neither "attribute: value", a continuation nor a comment: route 20.5.0.0/16`,
	}
	if len(rep.Warnings) != len(want) {
		t.Fatalf("warnings:\n%s", strings.Join(rep.Warnings, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(rep.Warnings[i], w) {
			t.Errorf("warning %d = %q, want %q…", i, rep.Warnings[i], w)
		}
	}
	if st := db.Stats(); st.Sets != 4 || st.Routes != 3 || st.Routes6 != 2 || st.Origins != 3 {
		t.Errorf("stats %+v (duplicates are counted once)", st)
	}
}

func TestParseRPSLLineEndingsAndDefaults(t *testing.T) {
	in := "as-set: AS-A\r\nmembers: AS1,\r\n AS2\r\n\r\nroute: 10.0.0.0/8\r\norigin: AS1" // no final newline
	db, rep, err := ParseRPSL(strings.NewReader(in), "")
	if err != nil || len(rep.Warnings) > 0 {
		t.Fatal(err, rep.Warnings)
	}
	src := []string{DefaultSnapshotSource}
	if got := ask(db, src, "!iAS-A"); got != "AS1 AS2" {
		t.Errorf("members %q", got)
	}
	if got := ask(db, src, "!gAS1"); got != "10.0.0.0/8" {
		t.Errorf("routes %q", got)
	}
	if _, _, err := ParseRPSL(strings.NewReader(in), "NOT A SOURCE"); err == nil {
		t.Error("an invalid default source was accepted")
	}
	if db.Name() != "in-memory IRR data" {
		t.Errorf("name %q", db.Name())
	}
}

func TestParseRPSLStrayLines(t *testing.T) {
	db, rep, err := ParseRPSL(strings.NewReader(" continuation first\n\nno colon here\n\nas-set: AS-OK\nmembers: AS1\n"), "TEST")
	if err != nil {
		t.Fatal(err)
	}
	if ask(db, []string{"TEST"}, "!iAS-OK") != "AS1" || rep.Skipped != 1 || len(rep.Warnings) != 2 ||
		!strings.Contains(rep.Warnings[0], "continuation line(s) outside an object ignored: line 1") ||
		!strings.Contains(rep.Warnings[1], "1 object(s) skipped, a line is neither") {
		t.Errorf("report %+v", rep)
	}
}

// writeFile writes data to a new file in dir, gzipped if the name ends
// in .gz.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	if strings.HasSuffix(name, ".gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadGzipFilesInOrder(t *testing.T) {
	shapes, err := os.ReadFile("testdata/shapes.rpsl")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "ripe.db.gz", shapes)
	// Read as gzip by its content, whatever its name; the second file
	// replaces AS-OTHER and adds a route.
	radb := "as-set: AS-OTHER\nmembers: AS701\nsource: RADB\n\nroute: 20.9.0.0/16\norigin: AS701\nsource: RADB\n"
	writeFile(t, dir, "radb.txt", []byte(radb))
	db, rep, err := LoadSnapshots(context.Background(), []string{"ripe.db.gz", "radb.txt"}, LoadOptions{BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if db.Name() != "ripe.db.gz, radb.txt" || !slices.Equal(rep.Files, []string{"ripe.db.gz", "radb.txt"}) {
		t.Errorf("name %q, files %q", db.Name(), rep.Files)
	}
	if got := ask(db, []string{"RIPE", "RADB"}, "!iAS-SHAPES,1"); got != "AS100 AS200 AS300 AS400 AS500 AS600 AS701" {
		t.Errorf("members %q", got)
	}
	if got := ask(db, []string{"RADB"}, "!a4AS-OTHER"); got != "20.9.0.0/16" {
		t.Errorf("prefixes %q", got)
	}
	if want := int64(len(shapes) + len(radb)); rep.Bytes != want {
		t.Errorf("%d bytes read, want the decompressed size %d", rep.Bytes, want)
	}
}

func TestLoadLimits(t *testing.T) {
	dir := t.TempDir()
	big := "as-set: AS-BIG\n" + strings.Repeat("members: "+strings.Repeat("AS1, ", 100)+"AS2\n", 10) + "\n"
	long := "route: 10.0.0.0/8\norigin: AS1\nremarks: " + strings.Repeat("x", 5000) + "\n\n"
	tail := "as-set: AS-OK\nmembers: AS3\n"
	p := writeFile(t, dir, "limits.rpsl", []byte(big+long+tail))
	size := int64(len(big + long + tail))

	load := func(opts LoadOptions) (*DB, LoadReport, error) {
		opts.Source = "TEST"
		return LoadSnapshots(context.Background(), []string{p}, opts)
	}
	// An object too large and one with a too long line are skipped, and
	// what follows them is read.
	db, rep, err := load(LoadOptions{MaxObjectBytes: 4000, MaxLineBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if ask(db, []string{"TEST"}, "!iAS-OK") != "AS3" || ask(db, []string{"TEST"}, "!iAS-BIG") != "D" || ask(db, []string{"TEST"}, "!gAS1") != "D" {
		t.Error("wrong objects kept")
	}
	if rep.Skipped != 2 || len(rep.Warnings) != 2 || !strings.Contains(rep.Warnings[0], "larger than 4000 bytes: as-set AS-BIG") ||
		!strings.Contains(rep.Warnings[1], "a line is longer than 4096 bytes: route 10.0.0.0/8") {
		t.Errorf("report %+v", rep)
	}
	// Without the limits everything is read.
	if _, rep, err := load(LoadOptions{}); err != nil || rep.Skipped != 0 || rep.Objects != 3 {
		t.Errorf("defaults: %v %+v", err, rep)
	}
	// Totals: exactly the limit is fine, one byte less is not.
	if _, _, err := load(LoadOptions{MaxTotalBytes: size}); err != nil {
		t.Errorf("total bytes at the limit: %v", err)
	}
	if _, _, err := load(LoadOptions{MaxTotalBytes: size - 1}); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), p) {
		t.Errorf("total bytes over the limit: %v", err)
	}
	if _, _, err := load(LoadOptions{MaxObjects: 3}); err != nil {
		t.Errorf("objects at the limit: %v", err)
	}
	if _, _, err := load(LoadOptions{MaxObjects: 2}); !errors.Is(err, ErrLimit) {
		t.Errorf("objects over the limit: %v", err)
	}
}

// A gzip bomb is stopped by the total, counted after decompression.
func TestLoadGzipBomb(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bomb.gz", bytes.Repeat([]byte("route: 10.0.0.0/8\norigin: AS1\n\n"), 1<<16))
	_, _, err := LoadSnapshots(context.Background(), []string{"bomb.gz"}, LoadOptions{BaseDir: dir, MaxTotalBytes: 1 << 20})
	if !errors.Is(err, ErrLimit) {
		t.Errorf("err = %v, want ErrLimit", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "bad.gzip", []byte{0x1f, 0x8b, 0, 1, 2, 3}) // not .gz: written as it is
	ctx := context.Background()
	for _, c := range []struct {
		paths []string
		want  string
	}{
		{[]string{"missing.rpsl"}, "IRR snapshot missing.rpsl: open"},
		{[]string{"bad.gzip"}, "IRR snapshot bad.gzip: gzip"},
	} {
		if _, _, err := LoadSnapshots(ctx, c.paths, LoadOptions{BaseDir: dir}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.paths, err, c.want)
		}
	}
	if _, _, err := LoadSnapshots(ctx, nil, LoadOptions{Source: "a b"}); err == nil {
		t.Error("an invalid default source was accepted")
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := LoadSnapshots(canceled, []string{"testdata/shapes.rpsl"}, LoadOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
}

// dumpRPSL writes a DB back as RPSL, in a canonical order, so that two DBs
// can be compared as text.
func dumpRPSL(db *DB) string {
	db.prepare()
	var b strings.Builder
	names := make([]string, 0, len(db.sets))
	for n := range db.sets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, src := range db.sources {
		for _, n := range names {
			members, ok := db.sets[n][src]
			if !ok {
				continue
			}
			fmt.Fprintf(&b, "as-set: %s\n", n)
			if len(members) > 0 {
				fmt.Fprintf(&b, "members: %s\n", strings.Join(members, ", "))
			}
			fmt.Fprintf(&b, "source: %s\n\n", src)
		}
		bySource := db.routes[src]
		origins := make([]uint32, 0, len(bySource))
		for a := range bySource {
			origins = append(origins, uint32(a))
		}
		slices.Sort(origins)
		for _, a := range origins {
			or := bySource[bgp.ASN(a)]
			for _, k := range or.v4 {
				fmt.Fprintf(&b, "route: %s\norigin: AS%d\nsource: %s\n\n", prefix4(k), a, src)
			}
			for _, p := range or.v6 {
				fmt.Fprintf(&b, "route6: %s\norigin: AS%d\nsource: %s\n\n", p, a, src)
			}
		}
	}
	return b.String()
}

// FuzzParseRPSL: any input is read without panicking, the counts add up,
// what was kept reads back the same when written out, and the DB answers
// every query an expansion could ask.
func FuzzParseRPSL(f *testing.F) {
	for _, name := range []string{"testdata/shapes.rpsl", "testdata/crosscheck.rpsl", "irrtest/example.rpsl"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"as-set: AS-A\nmembers: AS1, AS-A\n\nroute: 1.2.3.4/24\norigin: AS1\n",
		"route6: ::ffff:1.2.3.0/120\norigin: 1.10\nsource: x-y\n",
		"as-set: AS1:AS-B:AS2\n+members: #\n\tmembers: AS-B\n",
		"\x00:\n \n+\n%\n#\nas-set:AS-X\nmembers:\x80\x81, ,,\v\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		db, rep, err := ParseRPSL(bytes.NewReader(in), "FUZZ")
		if err != nil {
			t.Fatal(err) // the defaults are far above what the fuzzer writes
		}
		if rep.Sets+rep.Routes+rep.Routes6+rep.Skipped > rep.Objects || rep.Bytes != int64(len(in)) {
			t.Fatalf("counts do not add up: %+v", rep)
		}
		dump := dumpRPSL(db)
		again, rep2, err := ParseRPSL(strings.NewReader(dump), "FUZZ")
		if err != nil || len(rep2.Warnings) > 0 {
			t.Fatalf("the dump of what was kept does not read back: %v %q\n%s", err, rep2.Warnings, dump)
		}
		if d2 := dumpRPSL(again); d2 != dump {
			t.Fatalf("round trip differs:\n%s\n---\n%s", dump, d2)
		}
		sources := db.Sources()
		for name := range db.sets {
			for _, q := range []string{"!i" + name, "!i" + name + ",1", "!a4" + name, "!a6" + name, "!a" + name} {
				if a := ask(db, sources, q); a == "" {
					t.Fatalf("%s: empty data", q)
				}
			}
		}
	})
}

// Memory grows with the objects kept, and the load takes time: both are
// bounded, and the error names the limit that stopped it.
func TestLoadKeptAndTimeLimits(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "r.rpsl", bytes.Repeat([]byte("route: 192.0.2.0/24\norigin: AS1\n\n"), 3))
	load := func(o LoadOptions) error {
		o.BaseDir = dir
		_, _, err := LoadSnapshots(context.Background(), []string{"r.rpsl"}, o)
		return err
	}
	if err := load(LoadOptions{MaxKept: 3}); err != nil {
		t.Errorf("kept objects at the limit: %v", err)
	}
	if err := load(LoadOptions{MaxKept: 2}); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "MaxKept") {
		t.Errorf("kept objects over the limit: %v", err)
	}
	if err := load(LoadOptions{MaxDuration: time.Nanosecond}); !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "MaxDuration") {
		t.Errorf("time over the limit: %v", err)
	}
}
