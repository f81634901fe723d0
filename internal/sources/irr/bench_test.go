package irr_test

// Benchmarks, each side by side with bgpq4 against the same test server in
// the same run (see bench.sh for the commands and README-style notes):
//
//   BenchmarkLargeSet  one AS-SET of 716 ASNs, 57,746 IPv4 and 11,759 IPv6
//                      prefixes, nested four levels with a loop, on loopback:
//                      our client cold and from a warm cache, in-process and
//                      as a `peerform irr expand` process, against bgpq4
//                      processes (one per family, as bgpq4 works).
//   BenchmarkPeers     200 peers' AS-SETs of mixed sizes sharing members,
//                      with 20 ms added to every round trip: one Expand call
//                      against bgpq4 run once per peer and family.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/irr/irrtest"
	"github.com/peerform/peerform/internal/testutil"
)

const largeSet = "AS-LARGE"

func largeDB() *irr.DB {
	db := irr.NewDB()
	g := irrtest.NewGenerator(db, 42)
	g.Source = "RADB"
	g.AddLargeSet(irrtest.LargeSet{Name: largeSet, ASNs: 716, V4: 57746, V6: 11759, Depth: 4, Loop: true})
	return db
}

func BenchmarkLargeSet(b *testing.B) {
	srv, err := irrtest.Listen("127.0.0.1:0", largeDB(), irrtest.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ref := mustRef(b, largeSet)
	ctx := context.Background()

	expand := func(b *testing.B, opts irr.Options) irr.Result {
		opts.Servers = []string{srv.Addr}
		c, err := irr.New(opts)
		if err != nil {
			b.Fatal(err)
		}
		r := c.Expand(ctx, []bgp.ObjectRef{ref})[ref]
		if r.Err != nil || len(r.V4) < 50000 || len(r.V6) < 10000 || len(r.ASNs) < 500 {
			b.Fatalf("bad expansion: err %v, %d v4, %d v6, %d ASNs", r.Err, len(r.V4), len(r.V6), len(r.ASNs))
		}
		return r
	}
	expand(b, irr.Options{}) // let the server compute its answers once

	b.Run("peerform/cold", func(b *testing.B) {
		m := startCPU()
		for b.Loop() {
			expand(b, irr.Options{})
		}
		m.report(b)
	})
	b.Run("peerform/cold-no-a", func(b *testing.B) {
		m := startCPU()
		for b.Loop() {
			expand(b, irr.Options{NoA: true})
		}
		m.report(b)
	})
	b.Run("peerform/warm-cache", func(b *testing.B) {
		cache, err := irr.OpenCache(b.TempDir(), irr.CacheOptions{})
		if err != nil {
			b.Fatal(err)
		}
		expand(b, irr.Options{Cache: cache})
		srv.ResetLog()
		m := startCPU()
		for b.Loop() {
			expand(b, irr.Options{Cache: cache})
		}
		m.report(b)
		if srv.Connections() != 0 {
			b.Fatal("the warm run asked the server")
		}
	})
	b.Run("peerform/aggregate", func(b *testing.B) {
		r := expand(b, irr.Options{})
		m := startCPU()
		for b.Loop() {
			irr.Aggregate(r.V4)
			irr.Aggregate(r.V6)
		}
		m.report(b)
	})

	bin := requireBGPQ4(b)
	for _, fam := range []string{"-4", "-6"} {
		b.Run("bgpq4/process"+fam, func(b *testing.B) {
			m := &cpuMeter{}
			for b.Loop() {
				m.addChild(runProcess(b, bin, "-h", srv.Addr, fam, "-l", "X", largeSet))
			}
			m.report(b)
		})
	}
	b.Run("bgpq4/process-both", func(b *testing.B) {
		m := &cpuMeter{}
		for b.Loop() {
			m.addChild(runProcess(b, bin, "-h", srv.Addr, "-4", "-l", "X", largeSet))
			m.addChild(runProcess(b, bin, "-h", srv.Addr, "-6", "-l", "X", largeSet))
		}
		m.report(b)
	})
	b.Run("bgpq4/process-both-aggregated", func(b *testing.B) {
		m := &cpuMeter{}
		for b.Loop() {
			m.addChild(runProcess(b, bin, "-h", srv.Addr, "-A", "-4", "-l", "X", largeSet))
			m.addChild(runProcess(b, bin, "-h", srv.Addr, "-A", "-6", "-l", "X", largeSet))
		}
		m.report(b)
	})

	peerform := buildPeerform(b)
	repo := b.TempDir()
	b.Run("peerform/process-cold", func(b *testing.B) {
		m := &cpuMeter{}
		for b.Loop() {
			m.addChild(runProcess(b, peerform, "irr", "expand", largeSet, "--server", srv.Addr, "--no-cache", "-C", repo))
		}
		m.report(b)
	})
	b.Run("peerform/process-cold-aggregated", func(b *testing.B) {
		m := &cpuMeter{}
		for b.Loop() {
			m.addChild(runProcess(b, peerform, "irr", "expand", largeSet, "--server", srv.Addr, "--no-cache", "--aggregate", "-C", repo))
		}
		m.report(b)
	})
	b.Run("peerform/process-warm-cache", func(b *testing.B) {
		runProcess(b, peerform, "irr", "expand", largeSet, "--server", srv.Addr, "-C", repo)
		m := &cpuMeter{}
		for b.Loop() {
			m.addChild(runProcess(b, peerform, "irr", "expand", largeSet, "--server", srv.Addr, "-C", repo))
		}
		m.report(b)
	})
}

func BenchmarkPeers(b *testing.B) {
	db := irr.NewDB()
	names := irrtest.NewGenerator(db, 7).AddPeerSets(200)
	var refs []bgp.ObjectRef
	for _, n := range names {
		refs = append(refs, mustRef(b, n))
	}
	for _, noA := range []bool{false, true} {
		srv, err := irrtest.Listen("127.0.0.1:0", db, irrtest.Options{Latency: 20 * time.Millisecond, NoA: noA})
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		server := "a"
		if noA {
			server = "no-a"
		}
		expandAll := func(b *testing.B) {
			c, err := irr.New(irr.Options{Servers: []string{srv.Addr}})
			if err != nil {
				b.Fatal(err)
			}
			for ref, r := range c.Expand(context.Background(), refs) {
				if r.Err != nil {
					b.Fatalf("%s: %v", ref, r.Err)
				}
			}
		}
		expandAll(b) // warm the server's answers
		b.Run("server="+server+"/peerform/one-run", func(b *testing.B) {
			srv.ResetLog()
			m := startCPU()
			for b.Loop() {
				expandAll(b)
			}
			m.report(b)
			b.ReportMetric(float64(len(srv.Queries()))/float64(b.N), "queries/op")
			b.ReportMetric(float64(srv.Connections())/float64(b.N), "conns/op")
		})
		bin := requireBGPQ4(b)
		for _, par := range []int{1, 4} {
			b.Run(fmt.Sprintf("server=%s/bgpq4/per-peer-family/parallel=%d", server, par), func(b *testing.B) {
				m := &cpuMeter{}
				for b.Loop() {
					runPerPeer(b, m, bin, srv.Addr, names, par)
				}
				m.report(b)
			})
		}
	}
}

// runPerPeer runs bgpq4 once per peer and family, par at a time, as
// peering tools that shell out to it do.
func runPerPeer(b *testing.B, m *cpuMeter, bin, server string, names []string, par int) {
	jobs := make(chan []string)
	var wg sync.WaitGroup
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for args := range jobs {
				m.addChild(runProcess(b, bin, args...))
			}
		}()
	}
	for _, n := range names {
		for _, fam := range []string{"-4", "-6"} {
			jobs <- []string{"-h", server, fam, "-l", "X", n}
		}
	}
	close(jobs)
	wg.Wait()
}

// runProcess runs a command and returns the CPU time it used, which on a
// busy machine says more than the wall time.
func runProcess(b *testing.B, bin string, args ...string) time.Duration {
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Errorf("%s %v: %v\n%.500s", filepath.Base(bin), args, err, out)
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// cpuMeter reports the CPU time used per operation: of this process
// (cpu-ms/op: client and, when it works, the in-process test server) or of
// the child processes run (child-cpu-ms/op).
type cpuMeter struct {
	start time.Duration
	child time.Duration
	mu    sync.Mutex
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() *cpuMeter { return &cpuMeter{start: selfCPU()} }

func (m *cpuMeter) addChild(d time.Duration) {
	m.mu.Lock()
	m.child += d
	m.mu.Unlock()
}

func (m *cpuMeter) report(b *testing.B) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(b.N) }
	if m.child > 0 {
		b.ReportMetric(ms(m.child), "child-cpu-ms/op")
	} else {
		b.ReportMetric(ms(selfCPU()-m.start), "cpu-ms/op")
	}
}

// buildPeerform builds the command into a temporary directory, or skips the
// process benchmarks when the command does not build right now.
func buildPeerform(b *testing.B) string {
	b.Helper()
	out := filepath.Join(b.TempDir(), "peerform")
	cmd := exec.Command("go", "build", "-o", out, testutil.Path(b, "cmd/peerform"))
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("cannot build peerform for the process benchmarks: %v\n%s", err, msg)
	}
	return out
}

func mustRef(tb testing.TB, s string) bgp.ObjectRef {
	tb.Helper()
	r, err := bgp.ParseObjectRef(s)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
