package irr_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/sources/irr"
	"github.com/peerform/peerform/internal/sources/irr/irrtest"
)

// testDB is testdata/crosscheck.rpsl, which must load without warnings.
func testDB(t testing.TB) *irr.DB {
	t.Helper()
	db, rep, err := irr.LoadSnapshots(context.Background(), []string{"testdata/crosscheck.rpsl"}, irr.LoadOptions{})
	if err != nil || len(rep.Warnings) > 0 {
		t.Fatalf("%v %q", err, rep.Warnings)
	}
	return db
}

func mustRefs(t *testing.T, names ...string) []bgp.ObjectRef {
	t.Helper()
	var refs []bgp.ObjectRef
	for _, n := range names {
		r, err := bgp.ParseObjectRef(n)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r)
	}
	return refs
}

func newClient(t *testing.T, opts irr.Options) *irr.Client {
	t.Helper()
	c, err := irr.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func expandOne(t *testing.T, c *irr.Client, name string) irr.Result {
	t.Helper()
	ref := mustRefs(t, name)[0]
	return c.Expand(context.Background(), []bgp.ObjectRef{ref})[ref]
}

// requireDenyAll checks the contract for a failed expansion.
func requireDenyAll(t *testing.T, r irr.Result) {
	t.Helper()
	if r.Err == nil {
		t.Fatalf("expected an error, got %+v", r)
	}
	if len(r.V4) != 0 || len(r.V6) != 0 || len(r.ASNs) != 0 {
		t.Errorf("failed expansion carries data: %+v", r)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "deny everything") }) {
		t.Errorf("no deny-all warning in %q", r.Warnings)
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestExpandServerDown(t *testing.T) {
	c := newClient(t, irr.Options{Servers: []string{closedPort(t)}, QueryTimeout: time.Second})
	requireDenyAll(t, expandOne(t, c, "AS-ALPHA"))
}

func TestExpandFailover(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	c := newClient(t, irr.Options{Servers: []string{closedPort(t), srv.Addr}})
	r := expandOne(t, c, "AS-BETA")
	if r.Err != nil || len(r.ASNs) == 0 {
		t.Fatalf("failover did not work: %+v", r)
	}
}

func TestExpandNotFound(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	for _, depth := range []int{0, 2} {
		c := newClient(t, irr.Options{Servers: []string{srv.Addr}, MaxDepth: depth})
		r := expandOne(t, c, "AS-NOPE")
		requireDenyAll(t, r)
		if !errors.Is(r.Err, irr.ErrNotFound) {
			t.Errorf("depth %d: err = %v, want ErrNotFound", depth, r.Err)
		}
	}
}

func TestExpandEmptyFamilyWarns(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	c := newClient(t, irr.Options{Servers: []string{srv.Addr}})
	r := expandOne(t, c, "AS-V6ONLY")
	if r.Err != nil || len(r.V6) != 2 || len(r.V4) != 0 {
		t.Fatalf("unexpected result %+v", r)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "IPv4 filter denies everything") }) {
		t.Errorf("no IPv4 deny-all warning: %q", r.Warnings)
	}
}

func TestExpandInvalidSources(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	c := newClient(t, irr.Options{Servers: []string{srv.Addr}, Sources: []string{"NOPE"}})
	r := expandOne(t, c, "AS-ALPHA")
	requireDenyAll(t, r)
	var se *irr.ServerError
	if !errors.As(r.Err, &se) {
		t.Errorf("err = %v, want a ServerError", r.Err)
	}
	if _, err := irr.New(irr.Options{Sources: []string{"RI PE"}}); err == nil {
		t.Error("a source with a space was accepted")
	}
	if _, err := irr.New(irr.Options{Servers: []string{"no-port"}}); err == nil {
		t.Error("a server without a port was accepted")
	}
}

func TestExpandQueryTimeout(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{Latency: 2 * time.Second})
	c := newClient(t, irr.Options{Servers: []string{srv.Addr}, QueryTimeout: 100 * time.Millisecond})
	requireDenyAll(t, expandOne(t, c, "AS-ALPHA"))
}

func TestExpandTotalTimeout(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{Latency: 300 * time.Millisecond})
	c := newClient(t, irr.Options{Servers: []string{srv.Addr}, TotalTimeout: 100 * time.Millisecond})
	r := expandOne(t, c, "AS-ALPHA")
	requireDenyAll(t, r)
	if !strings.Contains(r.Err.Error(), "did not finish within") {
		t.Errorf("err = %v, want the total timeout", r.Err)
	}
}

func TestExpandLimits(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	for _, opts := range []irr.Options{
		{MaxMembers: 3},
		{MaxMembers: 3, MaxDepth: 5},
		{MaxPrefixes: 3},
		{MaxReplyBytes: 10},
	} {
		opts.Servers = []string{srv.Addr}
		r := expandOne(t, newClient(t, opts), "AS-ALPHA")
		requireDenyAll(t, r)
		if opts.MaxReplyBytes == 0 && !errors.Is(r.Err, irr.ErrLimit) {
			t.Errorf("%+v: err = %v, want ErrLimit", opts, r.Err)
		}
	}
}

func TestSourcePinnedWalk(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	for _, depth := range []int{0, 2} {
		srv.ResetLog()
		c := newClient(t, irr.Options{Servers: []string{srv.Addr}, MaxDepth: depth})
		r := expandOne(t, c, "RIPE::AS-DELTA")
		// RIPE's AS-DELTA has AS500 (and a missing set); RADB's has AS600.
		if !slices.Equal(r.ASNs, []bgp.ASN{500}) {
			t.Errorf("depth %d: ASNs = %v, want [AS500]", depth, r.ASNs)
		}
		if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "AS-MISSING") }) {
			t.Errorf("depth %d: no warning about AS-MISSING: %q", depth, r.Warnings)
		}
		q := srv.Queries()
		if i := slices.Index(q, "!sRIPE"); i < 0 || i+1 >= len(q) || q[i+1] != "!iAS-DELTA" {
			t.Errorf("depth %d: queries %q do not select RIPE before the root", depth, q)
		}
	}
}

// A single AS pinned to a source takes only that source's routes. (bgpq4
// 1.9 returns nothing for "RIPE::AS100", so this is not cross-checked.)
func TestSourcePinnedASN(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	r := expandOne(t, newClient(t, irr.Options{Servers: []string{srv.Addr}}), "RIPE::AS100")
	want := []netip.Prefix{netip.MustParsePrefix("12.0.2.0/24"), netip.MustParsePrefix("12.0.3.0/24")}
	if r.Err != nil || !slices.Equal(r.V4, want) || len(r.V6) != 0 {
		t.Errorf("RIPE::AS100 = %+v, want only RIPE's %v", r, want)
	}
}

func TestWalkLoopAndDepth(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	c := newClient(t, irr.Options{Servers: []string{srv.Addr}, MaxDepth: 10})
	r := expandOne(t, c, "AS-ALPHA")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "loop: AS-GAMMA contains AS-ALPHA") }) {
		t.Errorf("no loop warning: %q", r.Warnings)
	}
	if n := strings.Count(strings.Join(srv.Queries(), " "), "!iAS-ALPHA"); n != 1 {
		t.Errorf("AS-ALPHA asked %d times", n)
	}
	c = newClient(t, irr.Options{Servers: []string{srv.Addr}, MaxDepth: 1})
	r = expandOne(t, c, "AS-ALPHA")
	if !slices.Equal(r.ASNs, []bgp.ASN{100}) {
		t.Errorf("depth 1: ASNs = %v, want the root's own [AS100]", r.ASNs)
	}
}

// Shared members are asked once, queries are pipelined, and the number of
// connections stays within Conns.
func TestExpandSharesAndPipelines(t *testing.T) {
	db := irr.NewDB()
	g := irrtest.NewGenerator(db, 3)
	names := g.AddPeerSets(40)
	srv := irrtest.Start(t, db, irrtest.Options{NoA: true, Latency: 5 * time.Millisecond})
	c := newClient(t, irr.Options{Servers: []string{srv.Addr}, Conns: 3})
	res := c.Expand(context.Background(), mustRefs(t, names...))
	if len(res) != len(names) {
		t.Fatalf("%d results for %d refs", len(res), len(names))
	}
	for ref, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", ref, r.Err)
		}
	}
	counts := map[string]int{}
	for _, q := range srv.Queries() {
		counts[q]++
	}
	for q, n := range counts {
		if n > 1 && strings.HasPrefix(q, "!g") {
			t.Errorf("%s asked %d times", q, n)
		}
	}
	if n := srv.Connections(); n > 3 {
		t.Errorf("%d connections, want at most 3", n)
	}
	if n := srv.MaxPipelined(); n < 10 {
		t.Errorf("at most %d queries in flight: not pipelined", n)
	}
}

func TestCache(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	now := time.Now()
	dir := filepath.Join(t.TempDir(), "irr")
	cache, err := irr.OpenCache(dir, irr.CacheOptions{TTL: time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, noA := range []bool{false, true} {
		srv.ResetLog()
		c := newClient(t, irr.Options{Servers: []string{srv.Addr}, Cache: cache, NoA: noA})
		first := expandOne(t, c, "AS-ALPHA")
		if first.Err != nil || srv.Connections() == 0 {
			t.Fatalf("first run: %+v, %d connections", first, srv.Connections())
		}
		srv.ResetLog()
		second := expandOne(t, c, "AS-ALPHA")
		if srv.Connections() != 0 {
			t.Errorf("noA=%v: warm run asked the server: %q", noA, srv.Queries())
		}
		if !slices.Equal(first.V4, second.V4) || !slices.Equal(first.V6, second.V6) || !slices.Equal(first.ASNs, second.ASNs) {
			t.Errorf("noA=%v: cached result differs", noA)
		}
	}
	// After the TTL the server is asked again.
	now = now.Add(2 * time.Hour)
	srv.ResetLog()
	expandOne(t, newClient(t, irr.Options{Servers: []string{srv.Addr}, Cache: cache}), "AS-ALPHA")
	if srv.Connections() == 0 {
		t.Error("expired answers were used")
	}
	// A damaged file is a miss, not an error or a wrong answer.
	files, _ := filepath.Glob(filepath.Join(dir, "*.irr"))
	if len(files) == 0 {
		t.Fatal("nothing cached")
	}
	for _, f := range files {
		os.WriteFile(f, []byte("peerform-irr-cache 1\ngarbage"), 0o600)
	}
	srv.ResetLog()
	r := expandOne(t, newClient(t, irr.Options{Servers: []string{srv.Addr}, Cache: cache}), "AS-ALPHA")
	if r.Err != nil || srv.Connections() == 0 {
		t.Errorf("damaged cache: %+v, %d connections", r, srv.Connections())
	}
}

// fakeServer accepts connections, reads the client's handshake (!!, !n,
// !s-lc), answers it like IRRd, and hands the connection to serve.
func fakeServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for _, want := range []string{"!!", "!n", "!s-lc"} {
					if l, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(l, want) {
						return
					}
				}
				c.Write([]byte("C\nA5\nTEST\nC\n"))
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				serve(c, br)
			}()
		}
	}()
	return ln.Addr().String()
}

// hostile serves canned bytes to every connection after the handshake.
func hostile(t *testing.T, payload string) string {
	return fakeServer(t, func(c net.Conn, br *bufio.Reader) {
		c.Write([]byte(payload))
		for {
			if _, err := br.ReadString('\n'); err != nil {
				return
			}
		}
	})
}

func TestHostileServers(t *testing.T) {
	for name, payload := range map[string]string{
		"huge length":     "A99999999999999\n",
		"wrong length":    "A3\nAS1 AS2\nC\n",
		"no terminator":   "A4\nAS1\nX\n",
		"garbage":         "<html>\n",
		"close mid-reply": "A100\nAS1",
	} {
		t.Run(name, func(t *testing.T) {
			addr := hostile(t, payload)
			c := newClient(t, irr.Options{Servers: []string{addr}, QueryTimeout: 500 * time.Millisecond, MaxReplyBytes: 1 << 20})
			requireDenyAll(t, expandOne(t, c, "AS-FOO"))
		})
	}
}

// Names from replies go into later queries only after validation.
func TestHostileMembersIgnored(t *testing.T) {
	db := irr.NewDB()
	db.AddSet("TEST", "AS-ROOT", "AS1", "AS-OK", "AS-BAD;!q", "RS-FOO")
	db.AddSet("TEST", "AS-OK", "AS2")
	srv := irrtest.Start(t, db, irrtest.Options{})
	c := newClient(t, irr.Options{Servers: []string{srv.Addr}, MaxDepth: 3})
	r := expandOne(t, c, "AS-ROOT")
	if !slices.Equal(r.ASNs, []bgp.ASN{1, 2}) {
		t.Errorf("ASNs = %v", r.ASNs)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "2 unusable") }) {
		t.Errorf("no warning about unusable members: %q", r.Warnings)
	}
	for _, q := range srv.Queries() {
		if strings.Contains(q, ";") || strings.Contains(q, "RS-FOO") {
			t.Errorf("unvalidated member reached a query: %q", q)
		}
	}
}

func TestExpandRejectsForgedRefs(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	c := newClient(t, irr.Options{Servers: []string{srv.Addr}})
	bad := bgp.ObjectRef{Name: "AS-FOO\n!q"}
	r := c.Expand(context.Background(), []bgp.ObjectRef{bad})[bad]
	requireDenyAll(t, r)
	if srv.Connections() != 0 {
		t.Errorf("a forged reference reached the server: %q", srv.Queries())
	}
}

// Without the server's source list a connection could not go back to the
// default sources after a "SOURCE::" query: such references fail with a
// clear error, and the others are unaffected.
func TestNoSourceList(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{NoSourceList: true, NoA: true})
	c := newClient(t, irr.Options{Servers: []string{srv.Addr}, Conns: 1})
	res := c.Expand(context.Background(), mustRefs(t, "RIPE::AS-DELTA", "AS-BETA"))
	if r := res[mustRefs(t, "RIPE::AS-DELTA")[0]]; !errors.Is(r.Err, irr.ErrNoSourceList) {
		t.Errorf("RIPE::AS-DELTA: err = %v, want errNoSourceList", r.Err)
	}
	if r := res[mustRefs(t, "AS-BETA")[0]]; r.Err != nil || !slices.Equal(r.ASNs, []bgp.ASN{200, 300, 600}) {
		t.Errorf("AS-BETA = %+v", r)
	}
	// With explicit sources a pinned reference works.
	c = newClient(t, irr.Options{Servers: []string{srv.Addr}, Sources: []string{"RADB", "RIPE"}})
	if r := expandOne(t, c, "RIPE::AS-DELTA"); r.Err != nil || !slices.Equal(r.ASNs, []bgp.ASN{500}) {
		t.Errorf("with sources: RIPE::AS-DELTA = %+v", r)
	}
}

// failing serves the handshake like IRRd, then fails in one way: "die"
// breaks off its first reply, "refuse" answers every query with "F",
// "silent" never answers.
func failing(t *testing.T, mode string) string {
	return fakeServer(t, func(c net.Conn, br *bufio.Reader) {
		for {
			if _, err := br.ReadString('\n'); err != nil {
				return
			}
			switch mode {
			case "die":
				c.Write([]byte("A100\nAS1 AS2"))
				return
			case "refuse":
				c.Write([]byte("F internal error\n"))
			}
		}
	})
}

// Whatever way the first server fails, after the handshake, the next one
// answers: the expansion is complete and comes from it.
func TestExpandFailoverAfterHandshake(t *testing.T) {
	good := irrtest.Start(t, testDB(t), irrtest.Options{})
	for _, mode := range []string{"die", "refuse", "silent"} {
		t.Run(mode, func(t *testing.T) {
			c := newClient(t, irr.Options{Servers: []string{failing(t, mode), good.Addr}, QueryTimeout: 2 * time.Second})
			start := time.Now()
			r := expandOne(t, c, "AS-BETA")
			t.Logf("%s: %s", mode, time.Since(start).Round(time.Millisecond))
			if r.Err != nil || !slices.Equal(r.ASNs, []bgp.ASN{200, 300, 600}) || r.Source != good.Addr {
				t.Errorf("no failover: %+v", r)
			}
		})
	}
}

// Bogon ASNs in a set are dropped with their prefixes and reported, the
// same ones the renderers' bogon-ASN filter rejects: with the server
// expanding the prefixes ("!a") or not, and walking the sets or not. The
// classes the network allows stay.
func TestExpandBogons(t *testing.T) {
	db := irr.NewDB()
	members := []bgp.ASN{3100, 0, 23456, 64500, 64512, 65535, 70000, 4200000001, 4294967295}
	var names []string
	for i, a := range members {
		names = append(names, a.String())
		db.AddPrefix("RIPE", netip.PrefixFrom(netip.AddrFrom4([4]byte{31, byte(i), 0, 0}), 16), a)
	}
	db.AddSet("RIPE", "AS-BOGONS", names...)
	srv := irrtest.Start(t, db, irrtest.Options{})
	for _, tc := range []struct {
		opts  irr.Options
		asns  []bgp.ASN
		v4    int
		drops int
	}{
		{irr.Options{}, []bgp.ASN{3100}, 1, 8},
		{irr.Options{NoA: true}, []bgp.ASN{3100}, 1, 8},
		{irr.Options{MaxDepth: 2}, []bgp.ASN{3100}, 1, 8},
		{irr.Options{AllowASN: []bgp.Class{bgp.Private}}, []bgp.ASN{3100, 64512, 4200000001}, 3, 6},
		{irr.Options{AllowASN: []bgp.Class{bgp.Documentation}}, []bgp.ASN{3100, 64500}, 2, 7},
	} {
		tc.opts.Servers = []string{srv.Addr}
		r := expandOne(t, newClient(t, tc.opts), "AS-BOGONS")
		dropped := 0
		for _, w := range r.Warnings {
			if strings.Contains(w, "bogon ASN") {
				dropped++
			}
		}
		if r.Err != nil || !slices.Equal(r.ASNs, tc.asns) || len(r.V4) != tc.v4 || dropped != tc.drops {
			t.Errorf("%+v: ASNs %v, %d prefixes, %d drops reported (%v); want %v, %d, %d", tc.opts, r.ASNs, len(r.V4), dropped, r.Err, tc.asns, tc.v4, tc.drops)
		}
	}
}

// An AS-SET that exists and has no members is empty, not missing: IRRd
// answers "D" to "!i" for both, and the expansion asks for the object.
func TestExpandEmptySet(t *testing.T) {
	srv := irrtest.Start(t, testDB(t), irrtest.Options{})
	for _, opts := range []irr.Options{{}, {NoA: true}, {MaxDepth: 2}} {
		opts.Servers = []string{srv.Addr}
		c := newClient(t, opts)
		res := c.Expand(context.Background(), mustRefs(t, "AS-EMPTY", "AS-BETA", "AS-NOPE"))
		if r := res[mustRefs(t, "AS-EMPTY")[0]]; r.Err != nil || len(r.ASNs)+len(r.V4)+len(r.V6) != 0 ||
			!slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.Contains(w, "no members") }) {
			t.Errorf("%+v: AS-EMPTY = %+v", opts, r)
		}
		if r := res[mustRefs(t, "AS-BETA")[0]]; r.Err != nil {
			t.Errorf("%+v: AS-BETA = %+v", opts, r)
		}
		if r := res[mustRefs(t, "AS-NOPE")[0]]; !errors.Is(r.Err, irr.ErrNotFound) {
			t.Errorf("%+v: AS-NOPE = %+v, want not found", opts, r)
		}
	}
}
