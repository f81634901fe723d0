package render

import (
	"fmt"
	"net/netip"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/sources/irr"
)

// benchRepo is a repository of n peers across four routers: r1 (bird2)
// and r2 (frr) at IX-A, r3 (bird2) and r4 (frr) at IX-B; peer i is at one
// of the two IXPs with an IPv4 and an IPv6 session, so every router has
// n/2 peers and n sessions. The IRR gives every peer 12 IPv4 and 4 IPv6
// prefixes: "warm data", as after a cached expansion.
func benchRepo(tb testing.TB, n int) (*intent.Repo, model.Inputs) {
	tb.Helper()
	fsys := fstest.MapFS{"policies/policy.hcl": {Data: []byte(`network {
  asn      = 64500
  name     = "Bench Networks"
  prefixes = ["198.51.100.0/24", "2001:db8:100::/48"]
}
ixp "IX-A" {
  ipv4_lan  = "100.64.0.0/20"
  ipv6_lan  = "2001:db8:a::/64"
  community = 1
}
ixp "IX-B" {
  ipv4_lan  = "100.65.0.0/20"
  ipv6_lan  = "2001:db8:b::/64"
  community = 2
}
router "r1" {
  platform = "bird2"
  host     = "r1.example.net"
  ixp "IX-A" {
    ipv4 = "100.64.0.1"
    ipv6 = "2001:db8:a::1"
  }
}
router "r2" {
  platform = "frr"
  host     = "r2.example.net"
  ixp "IX-A" {
    ipv4 = "100.64.0.2"
    ipv6 = "2001:db8:a::2"
  }
}
router "r3" {
  platform = "bird2"
  host     = "r3.example.net"
  ixp "IX-B" {
    ipv4 = "100.65.0.1"
    ipv6 = "2001:db8:b::1"
  }
}
router "r4" {
  platform = "frr"
  host     = "r4.example.net"
  ixp "IX-B" {
    ipv4 = "100.65.0.2"
    ipv6 = "2001:db8:b::2"
  }
}
`)}}
	in := model.Inputs{IRR: map[bgp.ObjectRef]irr.Result{}}
	for i := 0; i < n; i++ {
		asn := 200000 + i
		ix, v4, v6 := "IX-A", "100.64", "2001:db8:a"
		if i%2 == 1 {
			ix, v4, v6 = "IX-B", "100.65", "2001:db8:b"
		}
		host := 10 + i/2
		fsys[fmt.Sprintf("peers/AS%d.hcl", asn)] = &fstest.MapFile{Data: []byte(fmt.Sprintf(`peer "AS%d" {
  name   = "Bench Peer %d"
  import = "AS-BENCH%d"
  export = "AS64500"
  gtsm   = %v
  max_prefix {
    ipv4 = 100
    ipv6 = 20
  }
  session %q {
    ipv4 = "%s.%d.%d"
    ipv6 = "%s::%x"
  }
}
`, asn, i, i, i%3 == 0, ix, v4, host/256, host%256, v6, host))}
		r := irr.Result{ASNs: []bgp.ASN{bgp.ASN(asn)}}
		base := netip.AddrFrom4([4]byte{byte(20 + i/256), byte(i % 256), 0, 0})
		for k := 0; k < 12; k++ {
			r.V4 = append(r.V4, netip.PrefixFrom(netip.AddrFrom4([4]byte{base.As4()[0], base.As4()[1], byte(k * 16), 0}), 20+k%5))
		}
		for k := 0; k < 4; k++ {
			r.V6 = append(r.V6, netip.MustParsePrefix(fmt.Sprintf("2a0%d:%x:%x::/%d", k%8, i, k, 32+k*4)))
		}
		in.IRR[bgp.ObjectRef{Name: fmt.Sprintf("AS-BENCH%d", i)}] = r
	}
	repo, diags := intent.Load(fsys)
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	return repo, in
}

// BenchmarkRenderAll renders every router of a 1,000-peer model.
func BenchmarkRenderAll(b *testing.B) {
	repo, in := benchRepo(b, 1000)
	m, _ := model.Build(repo, in)
	tm := defaultTemplates(b)
	b.ReportAllocs()
	b.ResetTimer()
	var bytes int
	for i := 0; i < b.N; i++ {
		out, err := RenderAll(m, tm)
		if err != nil {
			b.Fatal(err)
		}
		bytes = 0
		for _, o := range out {
			bytes += len(o.Config)
		}
	}
	b.ReportMetric(float64(bytes), "config-bytes")
}

// BenchmarkBuildAndRender adds resolving the intents against the (warm)
// IRR data: what `peerform render` does once the data is loaded.
func BenchmarkBuildAndRender(b *testing.B) {
	repo, in := benchRepo(b, 1000)
	tm := defaultTemplates(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, _ := model.Build(repo, in)
		if _, err := RenderAll(m, tm); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchRepoRenders keeps the benchmark's repository honest: every
// router has its 1,000 sessions and the BIRD config parses. (A real bgpd
// takes minutes to load 1,000 route-maps, so the FRR round trip is left
// to the golden tests; this runs FRR's syntax check only.)
func TestBenchRepoRenders(t *testing.T) {
	if testing.Short() {
		t.Skip("large configs")
	}
	repo, in := benchRepo(t, 1000)
	m, _ := model.Build(repo, in)
	out, err := RenderAll(m, defaultTemplates(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range out {
		if len(o.View.Sessions) != 1000 {
			t.Errorf("%s: %d sessions", o.Router, len(o.View.Sessions))
		}
	}
	checkBIRD(t, "bench r1", out[0].Config)
	checkFRRSyntax(t, "bench r2", out[1].Config)
}
