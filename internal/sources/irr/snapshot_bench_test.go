package irr_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/irr"
)

// dumpShape is the size of a generated IRR dump.
type dumpShape struct {
	Routes, Routes6, Origins int
	LargeASNs                int // member ASNs of AS-LARGE, nested three levels
	Peers                    int // AS-PEER<i> sets of 1 to 50 ASNs
}

// writeDump writes a dump in the shape the registries publish (route
// objects with descr, mnt-by and the like; as-sets with members over
// several lines) of made-up objects: /24s and /48s counted up from
// 11.0.0.0 and 2a00::, origins from AS100000, in a fixed order that
// is not sorted by origin. It returns the peer set names.
func writeDump(w io.Writer, s dumpShape) []string {
	bw := bufio.NewWriterSize(w, 1<<20)
	defer bw.Flush()
	rng := rand.New(rand.NewPCG(1, 1))
	origin := func(i int) bgp.ASN { return bgp.ASN(100000 + (i*7919)%s.Origins) }
	for i := range s.Routes {
		fmt.Fprintf(bw, "route:          %d.%d.%d.0/24\ndescr:          generated route %d\norigin:         %s\n"+
			"mnt-by:         MAINT-GEN\ncreated:        2020-01-01T00:00:00Z\nsource:         RADB\n\n",
			11+i>>16, i>>8&0xff, i&0xff, i, origin(i))
	}
	for i := range s.Routes6 {
		fmt.Fprintf(bw, "route6:         2a00:%x:%x::/48\norigin:         %s\nmnt-by:         MAINT-GEN\nsource:         RADB\n\n",
			i>>16, i&0xffff, origin(i))
	}
	// AS-LARGE: the root, 4 children, 16 grandchildren, the ASNs spread
	// over all 21 sets; the grandchildren list the root again (a loop).
	sets := []string{"AS-LARGE"}
	for i := range 4 {
		sets = append(sets, fmt.Sprintf("AS-LARGE-%d", i))
	}
	for i := range 16 {
		sets = append(sets, fmt.Sprintf("AS-LARGE-%d-%d", i/4, i%4))
	}
	members := make([][]string, len(sets))
	for i := range s.LargeASNs {
		k := i % len(sets)
		members[k] = append(members[k], origin(i*13).String())
	}
	for k, name := range sets {
		switch {
		case k == 0:
			members[k] = append(members[k], sets[1:5]...)
		case k < 5:
			members[k] = append(members[k], sets[5+4*(k-1):9+4*(k-1)]...)
		default:
			members[k] = append(members[k], "AS-LARGE")
		}
		writeSet(bw, name, members[k])
	}
	var peers []string
	for i := range s.Peers {
		name := fmt.Sprintf("AS-PEER%d", i)
		var m []string
		for range 1 + rng.IntN(50) {
			m = append(m, origin(rng.IntN(s.Origins)).String())
		}
		if i%10 == 0 {
			m = append(m, sets[1+rng.IntN(4)])
		}
		writeSet(bw, name, m)
		peers = append(peers, name)
	}
	return peers
}

// writeSet writes an as-set with ten members per line.
func writeSet(w io.Writer, name string, members []string) {
	fmt.Fprintf(w, "as-set:         %s\ndescr:          generated\n", name)
	for i := 0; i < len(members); i += 10 {
		line := members[i:min(i+10, len(members))]
		fmt.Fprint(w, "members:        ")
		for j, m := range line {
			if j > 0 {
				fmt.Fprint(w, ", ")
			}
			fmt.Fprint(w, m)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprint(w, "mnt-by:         MAINT-GEN\nsource:         RADB\n\n")
}

// BenchmarkSnapshot loads a generated dump of 1,000,000 route and 200,000
// route6 objects (100,000 origins; AS-LARGE with 2,000 ASNs nested with a
// loop; 200 peer sets), plain and gzipped, and expands from it in
// process: AS-LARGE alone, and the 200 peer sets in one call. The dump is
// written once into a temporary directory (about 170 MB plain).
func BenchmarkSnapshot(b *testing.B) {
	dir := b.TempDir()
	shape := dumpShape{Routes: 1_000_000, Routes6: 200_000, Origins: 100_000, LargeASNs: 2000, Peers: 200}
	plain := filepath.Join(dir, "gen.db")
	f, err := os.Create(plain)
	if err != nil {
		b.Fatal(err)
	}
	peers := writeDump(f, shape)
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	gz := plain + ".gz"
	gzipFile(b, plain, gz)
	info, _ := os.Stat(plain)
	zinfo, _ := os.Stat(gz)
	b.Logf("dump: %d MB plain, %d MB gzipped", info.Size()>>20, zinfo.Size()>>20)
	ctx := context.Background()

	load := func(b *testing.B, path string) *irr.DB {
		db, rep, err := irr.LoadSnapshots(ctx, []string{path}, irr.LoadOptions{})
		if err != nil || rep.Routes != shape.Routes || rep.Routes6 != shape.Routes6 || len(rep.Warnings) > 0 {
			b.Fatalf("load: %v %+v", err, rep)
		}
		return db
	}
	for _, c := range []struct{ name, path string }{{"plain", plain}, {"gzip", gz}} {
		b.Run("load/"+c.name, func(b *testing.B) {
			b.SetBytes(info.Size())
			for b.Loop() {
				load(b, c.path)
			}
		})
	}
	b.Run("load/heap", func(b *testing.B) {
		var db *irr.DB
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for b.Loop() {
			db = load(b, plain)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		runtime.KeepAlive(db)
	})

	db := load(b, plain)
	c, err := irr.New(irr.Options{DB: db})
	if err != nil {
		b.Fatal(err)
	}
	large := mustRef(b, "AS-LARGE")
	b.Run("expand/AS-LARGE", func(b *testing.B) {
		for b.Loop() {
			r := c.Expand(ctx, []bgp.ObjectRef{large})[large]
			if r.Err != nil || len(r.ASNs) != shape.LargeASNs || len(r.V4) == 0 {
				b.Fatalf("%v: %d ASNs, %d prefixes", r.Err, len(r.ASNs), len(r.V4))
			}
		}
	})
	var refs []bgp.ObjectRef
	for _, p := range peers {
		refs = append(refs, mustRef(b, p))
	}
	b.Run("expand/200-peers", func(b *testing.B) {
		for b.Loop() {
			for ref, r := range c.Expand(ctx, refs) {
				if r.Err != nil {
					b.Fatalf("%s: %v", ref, r.Err)
				}
			}
		}
	})
	noA, err := irr.New(irr.Options{DB: db, NoA: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("expand/200-peers-no-a", func(b *testing.B) {
		for b.Loop() {
			noA.Expand(ctx, refs)
		}
	})
}

func gzipFile(b *testing.B, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
	if _, err := io.Copy(zw, in); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}
