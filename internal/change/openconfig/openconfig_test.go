package openconfig

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// exampleNeighbors are the AMS sessions of the example repository.
func exampleNeighbors() []Neighbor {
	return []Neighbor{
		{
			Address: netip.MustParseAddr("2001:db8:ffff:1::64"), PeerAS: 64501, Description: "Doc Transit Alpha",
			AFISAFIs: []AFISAFI{{Family: bgp.IPv6, MaxPrefixes: 110}},
		},
		{
			Address: netip.MustParseAddr("192.0.2.64"), PeerAS: 64501, Description: "Doc Transit Alpha",
			PeerGroup: "transit", AuthPassword: "md5-key",
			AFISAFIs: []AFISAFI{{Family: bgp.IPv4, MaxPrefixes: 1100, ShutdownThresholdPct: 90}},
		},
		{
			Address: netip.MustParseAddr("192.0.2.65"), PeerAS: 64503, Description: `Doc Eyeballs Gamma <&"'>`,
			Shutdown: true,
			AFISAFIs: []AFISAFI{{Family: bgp.IPv4, MaxPrefixes: 55, Disabled: true}},
		},
		{
			Address: netip.MustParseAddr("2001:db8:ffff:1::1:1"), PeerAS: 65537,
		},
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./openconfig -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (review, then go test ./openconfig -update):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestBuildGolden(t *testing.T) {
	got, err := Build(64500, exampleNeighbors())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ams-edge1.xml", got)

	empty, err := Build(64500, nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "no-neighbors.xml", empty)
	golden(t, "remove.xml", Remove())
}

func TestBuildIsDeterministic(t *testing.T) {
	a, err := Build(64500, exampleNeighbors())
	if err != nil {
		t.Fatal(err)
	}
	reversed := exampleNeighbors()
	for i, j := 0, len(reversed)-1; i < j; i, j = i+1, j-1 {
		reversed[i], reversed[j] = reversed[j], reversed[i]
	}
	reversed[0].AFISAFIs = []AFISAFI{{Family: bgp.IPv6, MaxPrefixes: 7}, {Family: bgp.IPv4, MaxPrefixes: 9}}
	want := exampleNeighbors()
	want[len(want)-1].AFISAFIs = []AFISAFI{{Family: bgp.IPv4, MaxPrefixes: 9}, {Family: bgp.IPv6, MaxPrefixes: 7}}
	b, err := Build(64500, reversed)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Build(64500, want)
	if err != nil {
		t.Fatal(err)
	}
	if b != c {
		t.Errorf("order of the input changed the payload:\n%s\n%s", b, c)
	}
	if a == b {
		t.Errorf("different families produced the same payload")
	}
}

func TestBuildRejects(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.64")
	ok := func() Neighbor {
		return Neighbor{Address: v4, PeerAS: 64501, AFISAFIs: []AFISAFI{{Family: bgp.IPv4, MaxPrefixes: 10}}}
	}
	with := func(f func(*Neighbor)) []Neighbor { n := ok(); f(&n); return []Neighbor{n} }
	cases := []struct {
		name      string
		local     bgp.ASN
		neighbors []Neighbor
		want      string
	}{
		{"local AS0", 0, nil, "local AS"},
		{"no address", 64500, with(func(n *Neighbor) { n.Address = netip.Addr{} }), "without an address"},
		{"zone", 64500, with(func(n *Neighbor) { n.Address = netip.MustParseAddr("fe80::1%eth0") }), "zone"},
		{"peer AS0", 64500, with(func(n *Neighbor) { n.PeerAS = 0 }), "AS0"},
		{"iBGP", 64500, with(func(n *Neighbor) { n.PeerAS = 64500 }), "only eBGP"},
		{"newline in description", 64500, with(func(n *Neighbor) { n.Description = "x\n protocol static evil {" }), "non-printable"},
		{"long description", 64500, with(func(n *Neighbor) { n.Description = strings.Repeat("é", 256) }), "256 characters"},
		{"bad UTF-8", 64500, with(func(n *Neighbor) { n.Description = "\xff" }), "UTF-8"},
		{"peer group space", 64500, with(func(n *Neighbor) { n.PeerGroup = "a b" }), "peer-group"},
		{"peer group long", 64500, with(func(n *Neighbor) { n.PeerGroup = strings.Repeat("a", 65) }), "peer-group"},
		{"long password", 64500, with(func(n *Neighbor) { n.AuthPassword = Secret(strings.Repeat("k", 81)) }), "auth-password: 81 characters"},
		{"password control", 64500, with(func(n *Neighbor) { n.AuthPassword = "top\tsecret" }), "auth-password: non-printable"},
		{"unknown family", 64500, with(func(n *Neighbor) { n.AFISAFIs[0].Family = 5 }), "unknown address family"},
		{"family twice", 64500, with(func(n *Neighbor) { n.AFISAFIs = append(n.AFISAFIs, n.AFISAFIs[0]) }), "listed twice"},
		{"no max prefixes", 64500, with(func(n *Neighbor) { n.AFISAFIs[0].MaxPrefixes = 0 }), "max-prefixes is required"},
		{"threshold", 64500, with(func(n *Neighbor) { n.AFISAFIs[0].ShutdownThresholdPct = 101 }), "over 100"},
		{"duplicate neighbor", 64500, []Neighbor{ok(), ok()}, "listed twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Build(tc.local, tc.neighbors)
			if err == nil {
				t.Fatalf("Build accepted it:\n%s", out)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q: want ErrInvalid mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "kkkk") {
				t.Errorf("error leaks the auth password: %q", err)
			}
		})
	}
}

func TestSecretIsRedacted(t *testing.T) {
	n := Neighbor{AuthPassword: "hunter2"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, n); strings.Contains(s, "hunter2") {
			t.Errorf("%s prints the secret: %s", verb, s)
		}
	}
}

func TestParseRoundTrip(t *testing.T) {
	want, err := Build(64500, exampleNeighbors())
	if err != nil {
		t.Fatal(err)
	}
	c, found, err := Parse([]byte(want))
	if err != nil || !found {
		t.Fatalf("Parse = %v, %v", found, err)
	}
	got, err := Build(c.LocalAS, c.Neighbors)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Build(Parse(Build(x))) != Build(x):\n%s\n%s", got, want)
	}
	for _, n := range c.Neighbors {
		if n.Address == netip.MustParseAddr("192.0.2.64") && n.AuthPassword != "md5-key" {
			t.Errorf("auth password not read back")
		}
	}
}

// TestParseServerReply reads a get-config reply captured from netconfd
// (yuma123 2.13): XML declaration, attributes on <rpc-reply>, indentation.
func TestParseServerReply(t *testing.T) {
	reply, err := os.ReadFile(filepath.Join("testdata", "get-config-reply.xml"))
	if err != nil {
		t.Fatal(err)
	}
	c, found, err := Parse(reply)
	if err != nil || !found {
		t.Fatalf("Parse = %v, %v", found, err)
	}
	want := Config{LocalAS: 64500, Neighbors: []Neighbor{{
		Address: netip.MustParseAddr("192.0.2.64"), PeerAS: 64501, Description: "Doc Transit Alpha",
		AFISAFIs: []AFISAFI{{Family: bgp.IPv4, MaxPrefixes: 1100}},
	}}}
	if fmt.Sprintf("%+v", c) != fmt.Sprintf("%+v", want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

func TestParseAbsent(t *testing.T) {
	for _, reply := range []string{
		`<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="101"><data></data></rpc-reply>`,
		`<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="101"><data/></rpc-reply>`,
		// Same local name, other namespace: not ours.
		`<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><bgp xmlns="http://openconfig.net/yang/bgp"/></data>`,
	} {
		c, found, err := Parse([]byte(reply))
		if err != nil || found || len(c.Neighbors) != 0 {
			t.Errorf("Parse(%s) = %+v, %v, %v; want nothing found", reply, c, found, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	const head = `<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><bgp xmlns="` + Namespace + `">`
	const global = `<global><config><as>64500</as></config></global>`
	cases := map[string]string{
		"truncated":          head + global,
		"no global":          head + `</bgp></data>`,
		"as not a number":    head + `<global><config><as>AS64500</as></config></global></bgp></data>`,
		"as too big":         head + `<global><config><as>4294967296</as></config></global></bgp></data>`,
		"bad address":        head + global + `<neighbors><neighbor><neighbor-address>192.0.2.300</neighbor-address><config><peer-as>1</peer-as></config></neighbor></neighbors></bgp></data>`,
		"ibgp":               head + global + `<neighbors><neighbor><neighbor-address>192.0.2.1</neighbor-address><config><peer-as>64500</peer-as></config></neighbor></neighbors></bgp></data>`,
		"bad enabled":        head + global + `<neighbors><neighbor><neighbor-address>192.0.2.1</neighbor-address><config><peer-as>1</peer-as><enabled>yes</enabled></config></neighbor></neighbors></bgp></data>`,
		"bad family":         head + global + `<neighbors><neighbor><neighbor-address>192.0.2.1</neighbor-address><config><peer-as>1</peer-as></config><afi-safis><afi-safi><afi-safi-name>L2VPN_EVPN</afi-safi-name></afi-safi></afi-safis></neighbor></neighbors></bgp></data>`,
		"no max prefixes":    head + global + `<neighbors><neighbor><neighbor-address>192.0.2.1</neighbor-address><config><peer-as>1</peer-as></config><afi-safis><afi-safi><afi-safi-name>IPV4_UNICAST</afi-safi-name></afi-safi></afi-safis></neighbor></neighbors></bgp></data>`,
		"two bgp containers": head + global + `</bgp><bgp xmlns="` + Namespace + `">` + global + `</bgp></data>`,
	}
	for name, reply := range cases {
		if c, _, err := Parse([]byte(reply)); err == nil {
			t.Errorf("%s: Parse accepted it: %+v", name, c)
		}
	}
	if _, _, err := Parse(make([]byte, MaxReplyBytes+1)); err == nil {
		t.Errorf("Parse accepted a reply over MaxReplyBytes")
	}
}

func TestYANGMatchesConstants(t *testing.T) {
	src := YANG()
	for _, want := range []string{
		"module " + Module + " {",
		`namespace "` + Namespace + `";`,
		"revision " + Revision + " {",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the YANG module does not contain %q", want)
		}
	}
}

func FuzzParse(f *testing.F) {
	seed, err := Build(64500, exampleNeighbors())
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(seed))
	if reply, err := os.ReadFile(filepath.Join("testdata", "get-config-reply.xml")); err == nil {
		f.Add(reply)
	}
	f.Add([]byte(Remove()))
	f.Fuzz(func(t *testing.T, reply []byte) {
		c, found, err := Parse(reply)
		if err != nil || !found {
			return
		}
		// Whatever Parse accepts, Build must render, and reading that
		// back must give the same payload: Running's canonical form
		// depends on it.
		first, err := Build(c.LocalAS, c.Neighbors)
		if err != nil {
			t.Fatalf("Build refused what Parse accepted: %v", err)
		}
		c2, _, err := Parse([]byte(first))
		if err != nil {
			t.Fatalf("Parse refused what Build wrote: %v\n%s", err, first)
		}
		second, err := Build(c2.LocalAS, c2.Neighbors)
		if err != nil || second != first {
			t.Fatalf("round trip changed the payload (%v):\n%s\n%s", err, first, second)
		}
	})
}

func BenchmarkBuild2000(b *testing.B) {
	neighbors := make([]Neighbor, 0, 2000)
	for i := range 2000 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1})
		neighbors = append(neighbors, Neighbor{
			Address: a, PeerAS: bgp.ASN(64501 + i), Description: fmt.Sprintf("peer %d", i),
			AFISAFIs: []AFISAFI{{Family: bgp.IPv4, MaxPrefixes: 1000}},
		})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build(64500, neighbors); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseState(t *testing.T) {
	reply, err := os.ReadFile(filepath.Join("testdata", "get-state-reply.xml"))
	if err != nil {
		t.Fatal(err)
	}
	states, err := ParseState(reply)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 {
		t.Fatalf("got %d neighbors: %+v", len(states), states)
	}
	up, down := states[0], states[1]
	if up.SessionState != "ESTABLISHED" || up.Received[bgp.IPv4] != 3 || !up.LastEstablished.Equal(time.Date(2026, 11, 21, 1, 47, 47, 0, time.UTC)) {
		t.Errorf("first neighbor: %+v", up)
	}
	if down.SessionState != "" || len(down.Received) != 0 || !down.LastEstablished.IsZero() {
		t.Errorf("neighbor without state: %+v", down)
	}
	for _, bad := range []string{
		strings.Replace(string(reply), "ESTABLISHED", "UP", 1),
		strings.Replace(string(reply), "1795225667000000000", "-1", 1),
		strings.Replace(string(reply), "<received>3</received>", "<received>many</received>", 1),
	} {
		if _, err := ParseState([]byte(bad)); err == nil {
			t.Errorf("ParseState accepted a bad value")
		}
	}
}

func FuzzParseState(f *testing.F) {
	if reply, err := os.ReadFile(filepath.Join("testdata", "get-state-reply.xml")); err == nil {
		f.Add(reply)
	}
	f.Fuzz(func(t *testing.T, reply []byte) {
		states, err := ParseState(reply)
		if err != nil {
			return
		}
		for _, s := range states {
			if !s.Address.IsValid() || (s.SessionState != "" && !sessionStates[s.SessionState]) {
				t.Fatalf("impossible state %+v", s)
			}
		}
	})
}

func BenchmarkParse2000(b *testing.B) {
	neighbors := make([]Neighbor, 0, 2000)
	for i := range 2000 {
		neighbors = append(neighbors, Neighbor{
			Address: netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1}), PeerAS: bgp.ASN(64501 + i),
			Description: fmt.Sprintf("peer %d", i), AFISAFIs: []AFISAFI{{Family: bgp.IPv4, MaxPrefixes: 1000}},
		})
	}
	payload, err := Build(64500, neighbors)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse([]byte(payload)); err != nil {
			b.Fatal(err)
		}
	}
}
