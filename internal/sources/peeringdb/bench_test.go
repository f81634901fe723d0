package peeringdb

import (
	"runtime"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/testutil"
)

// BenchmarkLoadUS2021 loads the real us-2021-03 snapshot (1,295 networks,
// 4,077 facilities, 10,236 netfac and 3,318 netixlan rows, gzip). It
// reports the live heap the loaded store keeps as store-MB.
func BenchmarkLoadUS2021(b *testing.B) {
	dir := testutil.Shared(b, "peeringdb/us-2021-03")
	b.ReportAllocs()
	var s *Store
	for b.Loop() {
		var err error
		if s, err = LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(retainedMB(func() any { st, _ := LoadDir(dir); return st }), "store-MB")
	runtime.KeepAlive(s)
}

// BenchmarkCommonPoPsUS2021 answers 1,000 common-PoP queries between pairs
// of us-2021-03 networks per iteration and reports the time per query.
func BenchmarkCommonPoPsUS2021(b *testing.B) {
	s := mustLoad(b, testutil.Shared(b, "peeringdb/us-2021-03"))
	nets := s.Nets()
	pairs := make([][2]bgp.ASN, 1000)
	for i := range pairs {
		// A fixed spread over the list, so every run asks the same pairs.
		pairs[i] = [2]bgp.ASN{nets[(i*7919)%len(nets)].ASN, nets[(i*104729+13)%len(nets)].ASN}
	}
	pairs[0] = [2]bgp.ASN{7843, 3491}
	b.ReportAllocs()
	found := 0
	start := time.Now()
	for b.Loop() {
		for _, p := range pairs {
			found += len(s.CommonPoPs(p[0], p[1]))
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*len(pairs)), "ns/query")
	if found == 0 {
		b.Fatal("no common PoPs at all")
	}
}

// retainedMB measures the heap still held by what build returns.
func retainedMB(build func() any) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	v := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(v)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / (1 << 20)
}
