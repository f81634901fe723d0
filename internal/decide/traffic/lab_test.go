package traffic_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/peerform/peerform/internal/decide/traffic"
	"github.com/peerform/peerform/internal/sources/flows"
	"github.com/peerform/peerform/internal/sources/rib"
	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

// inNetns runs f on a thread inside a network namespace. Sockets f opens
// stay in that namespace whichever thread uses them afterwards.
func inNetns(ns string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // not unlocked if the thread cannot go back: it then ends with the goroutine
		orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open(filepath.Join("/run/netns", ns))
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ferr := f()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("setns back: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

func sh(t *testing.T, argv ...string) {
	t.Helper()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v: %s", argv, err, out)
	}
}

// phases of the test's probes: start, end, fence.
const phases = 3

// collector is one `traffic collect` inside the router's namespace: a
// decoder, an aggregator and a store of its own.
type collector struct {
	conn  *net.UDPConn
	dec   *flows.Decoder
	agg   *traffic.Aggregator
	store *traffic.Store
	// probes counts the records of each phase's probes, outbound and
	// inbound.
	probes [phases][2]atomic.Int64
	done   chan error
}

// generated is one stream the test sends: n UDP datagrams of size bytes
// (IP packet) from src to dst, and the row it must make.
type generated struct {
	name     string
	src, dst netip.Addr
	n, size  int
	want     traffic.Key
}

// TestLabFlowsToPerASTable is the measured-traffic path end to end on the
// lab's real routers: BIRD on lab-fra-edge1 learns the peers' routes and
// dumps its table as MRT; softflowd watches the router's IXP port and
// exports NetFlow v9 (1 in 2 packets sampled) and IPFIX (1 in 4) to two
// collectors; UDP streams of known size cross the port to and from the
// peers; each collector's per-AS table must match what was sent within
// the sampling error.
func TestLabFlowsToPerASTable(t *testing.T) {
	labtest.NeedTools(t, "softflowd", "softflowctl")
	topo := labtest.Example(t)
	const router = "lab-fra-edge1"
	sessions := []labtest.Session{{Peer: "alpha"}, {Peer: "beta"}, {Peer: "he"}, {Peer: "rs"}}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := labtest.BIRDConfig(topo, router, sessions) + fmt.Sprintf(`
protocol kernel kernel4 { ipv4 { export all; }; }
protocol kernel kernel6 { ipv6 { export all; }; }
protocol mrt mrt4 { table "master4"; filename "%[1]s/rib4.mrt"; period 1; }
protocol mrt mrt6 { table "master6"; filename "%[1]s/rib6.mrt"; period 1; }
`, dir)
	l := labtest.Start(t, lab.Options{Topology: topo, Configs: map[string]string{router: conf}})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var links []lab.Link
	for _, s := range sessions {
		links = append(links, lab.LinksOf(topo.Links(), router, s.Peer, 0)...)
	}
	if _, err := l.WaitSessions(ctx, links, time.Minute); err != nil {
		t.Fatal(err)
	}

	addr := netip.MustParseAddr
	streams := []generated{
		{"to alpha (IXP)", addr("198.51.100.1"), addr("11.64.0.9"), 4000, 1028, traffic.Key{Dir: traffic.Out, Class: traffic.IXP, Neighbor: 64501, Remote: 64501}},
		{"to he (transit)", addr("198.51.100.1"), addr("216.218.130.9"), 3000, 1228, traffic.Key{Dir: traffic.Out, Class: traffic.Transit, Neighbor: 6939, Remote: 6939}},
		{"from beta (IXP)", addr("11.65.0.1"), addr("198.51.100.200"), 3500, 828, traffic.Key{Dir: traffic.In, Class: traffic.IXP, Neighbor: 64502, Remote: 64502}},
	}
	// The table as BIRD dumps it, once it holds the routes the streams
	// follow (the dump is rewritten every second: read until it parses).
	var routes *rib.Table
	probeRoute := generated{name: "probe", src: addr("198.51.100.1"), dst: addr("11.64.16.77"), want: traffic.Key{Dir: traffic.Out, Remote: 64511}}
	err := lab.WaitFor(ctx, "BIRD's MRT dump with the streams' routes", time.Minute, func() error {
		var all []byte
		for _, f := range []string{"rib4.mrt", "rib6.mrt"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				return err
			}
			all = append(all, b...)
		}
		tab, rep, err := rib.Load(bytes.NewReader(all), rib.Options{})
		if err != nil {
			return err
		}
		for _, s := range append(streams, probeRoute) {
			remote := s.dst
			if s.want.Dir == traffic.In {
				remote = s.src
			}
			if r, ok := tab.Lookup(remote); !ok || r.Origin() != s.want.Remote {
				return fmt.Errorf("no route of %s for %v yet (%+v: %+v; dump %+v)", s.want.Remote, remote, ok, r, rep)
			}
		}
		routes = tab
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	fra, _ := topo.LAN("fra")
	he, _ := topo.Peer("he")
	var heHops []netip.Addr
	for _, p := range he.Ports {
		heHops = append(heHops, p.IPv4, p.IPv6)
	}
	attr := &traffic.Attributor{Routes: routes, Local: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")},
		IXPLANs: []netip.Prefix{fra.IPv4, fra.IPv6},
		Links:   []traffic.Link{{Name: "he transit", Class: traffic.Transit, Neighbor: 6939, NextHops: heHops}}}
	g := &rig{t: t, ctx: ctx, dir: dir, rns: l.Namespace(router), bns: l.Namespace("beta"), attr: attr}
	// Addresses the streams come from, and the way back to us from beta.
	sh(t, "ip", "-n", g.rns, "addr", "add", "198.51.100.1/32", "dev", "lo")
	sh(t, "ip", "-n", g.bns, "addr", "add", "11.65.0.1/32", "dev", "lo")
	sh(t, "ip", "-n", g.bns, "route", "add", "198.51.100.0/24", "via", "192.0.2.129")
	// Beta must know our router's MAC before its stream: packets sent
	// while ARP resolves are queued only up to a few hundred, the rest
	// dropped. A packet from beta's LAN address (no route: no row)
	// resolves it.
	if err := lab.WaitFor(ctx, "beta's neighbor entry for our router", 30*time.Second, func() error {
		if err := g.send(g.bns, inProbeSrc, addr("198.51.100.201"), 1, 100); err != nil {
			return err
		}
		out, err := exec.Command("ip", "-n", g.bns, "neigh", "show", "192.0.2.129").Output()
		if err != nil || !bytes.Contains(out, []byte("lladdr")) {
			return fmt.Errorf("beta has no neighbor entry for 192.0.2.129: %s %v", out, err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// One exporter at a time, each measured on its own. A capture the
	// exporter itself reports lossy (libpcap drops packets when a busy
	// machine leaves softflowd no time to read) is measured again.
	for i, v := range []struct{ version, rate string }{{"9", "2"}, {"10", "4"}} {
		for attempt := 0; ; attempt++ {
			store, dropped, err := g.measure(v.version, v.rate, 10*i+3*attempt, streams)
			if err != nil {
				t.Fatal(err)
			}
			if dropped == 0 {
				checkTable(t, "v"+v.version, store, streams, v.rate)
				break
			}
			if attempt == 2 {
				t.Fatalf("softflowd -v %s lost packets in its capture %d times (%d the last)", v.version, attempt+1, dropped)
			}
			t.Logf("softflowd -v %s lost %d packets in its capture; measuring again", v.version, dropped)
		}
	}
}

// inProbeSrc is where inbound probes come from: beta's LAN address, which
// no route covers, so that they make no row the test checks.
var inProbeSrc = netip.MustParseAddr("192.0.2.140")

// rig drives one exporter and one collector in the lab.
type rig struct {
	t        *testing.T
	ctx      context.Context
	dir      string
	rns, bns string // the router's and beta's namespaces
	attr     *traffic.Attributor
}

// send sends n UDP datagrams making IP packets of size bytes from src to
// dst, from inside namespace ns.
func (g *rig) send(ns string, src, dst netip.Addr, n, size int) error {
	var conn *net.UDPConn
	if err := inNetns(ns, func() (err error) {
		conn, err = net.DialUDP("udp", &net.UDPAddr{IP: src.AsSlice()}, &net.UDPAddr{IP: dst.AsSlice(), Port: 9})
		return err
	}); err != nil {
		return err
	}
	defer conn.Close()
	payload := make([]byte, size-28) // IPv4 and UDP headers
	for i := range n {
		if _, err := conn.Write(payload); err != nil {
			return err
		}
		if i%50 == 49 {
			// Pace: a burst longer than the veth backlog (1000
			// packets) is dropped before any router sees it.
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

// measure runs softflowd -v version sampling 1 in rate on the router's FRA
// port, exporting to a collector of its own, sends the streams, and
// returns the collector's store and how many packets softflowd says its
// capture dropped.
//
// Probes mark three phases: the start of the streams (0), their end (1)
// and a fence (2): one export of several datagrams may deliver the end
// probe before the streams, but the next export comes after all of them.
// Each phase (and each measurement, from seq) probes addresses of its
// own, so that a late record cannot pass for a later phase: outbound to
// alpha's customer AS64511, inbound from inProbeSrc, neither a row the
// test checks. Inbound packets reach the capture through the router's
// backlog and may be overtaken by outbound ones, so each direction has
// its probe.
func (g *rig) measure(version, rate string, seq int, streams []generated) (*traffic.Store, int, error) {
	t := g.t
	ctx, cancel := context.WithCancel(g.ctx)
	defer cancel()
	name := fmt.Sprintf("v%s-%d", version, seq)
	var outProbe, inProbe [phases]netip.Addr
	for i := range phases {
		outProbe[i] = netip.AddrFrom4([4]byte{11, 64, 16, byte(77 + seq + i)})
		inProbe[i] = netip.AddrFrom4([4]byte{198, 51, 100, byte(202 + seq + i)})
	}
	c := &collector{store: &traffic.Store{Dir: filepath.Join(g.dir, "store-"+name)}, done: make(chan error, 1)}
	c.dec, _ = flows.NewDecoder(flows.Limits{})
	c.agg = traffic.NewAggregator(c.store, g.attr)
	if err := inNetns(g.rns, func() (err error) {
		c.conn, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		return err
	}); err != nil {
		return nil, 0, err
	}
	go func() {
		c.done <- flows.Serve(ctx, c.conn, c.dec, func(r flows.Record) {
			for phase := range phases {
				switch {
				case r.Dst == outProbe[phase]:
					c.probes[phase][0].Add(1)
				case r.Src == inProbeSrc && r.Dst == inProbe[phase]:
					c.probes[phase][1].Add(1)
				}
			}
			if _, err := c.agg.Add(r); err != nil {
				t.Error(err)
			}
		})
	}()
	ctl := filepath.Join(g.dir, "softflowd-"+name+".ctl")
	cmd := exec.Command("ip", "netns", "exec", g.rns, "softflowd", "-d", "-i", "eth-fra", "-v", version, "-s", rate,
		"-n", c.conn.LocalAddr().String(), "-c", ctl, "-p", filepath.Join(g.dir, "softflowd-"+name+".pid"))
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("softflowd -v %s:\n%s", version, log.String())
		}
	}()
	// probeAndExpire sends the phase's probes each way, has softflowd
	// expire its flows, and returns once the collector has records of
	// both.
	probeAndExpire := func(phase int) error {
		return lab.WaitFor(ctx, "the probes through softflowd", time.Minute, func() error {
			if err := g.send(g.rns, netip.MustParseAddr("198.51.100.1"), outProbe[phase], 16, 128); err != nil {
				return err
			}
			if err := g.send(g.bns, inProbeSrc, inProbe[phase], 16, 128); err != nil {
				return err
			}
			exec.Command("softflowctl", "-c", ctl, "expire-all").Run()
			if c.probes[phase][0].Load() == 0 || c.probes[phase][1].Load() == 0 {
				return fmt.Errorf("the collector of softflowd -v %s has not seen both probes of phase %d", version, phase)
			}
			return nil
		})
	}
	// softflowd captures once probes come back through it.
	if err := probeAndExpire(0); err != nil {
		return nil, 0, err
	}
	for _, s := range streams {
		ns := g.rns
		if s.want.Dir == traffic.In {
			ns = g.bns
		}
		if err := g.send(ns, s.src, s.dst, s.n, s.size); err != nil {
			return nil, 0, err
		}
	}

	for _, phase := range []int{1, 2} {
		if err := probeAndExpire(phase); err != nil {
			return nil, 0, err
		}
	}
	stats, err := exec.Command("softflowctl", "-c", ctl, "statistics").CombinedOutput()
	if err != nil {
		return nil, 0, fmt.Errorf("softflowctl statistics: %v: %s", err, stats)
	}
	dropped := -1
	for _, line := range strings.Split(string(stats), "\n") {
		if n, ok := strings.CutPrefix(line, "Packets dropped by libpcap: "); ok {
			dropped, _ = strconv.Atoi(strings.TrimSpace(n))
		}
	}
	if dropped < 0 {
		return nil, 0, fmt.Errorf("softflowctl statistics says nothing of drops:\n%s", stats)
	}
	cancel()
	if err := <-c.done; err != nil {
		return nil, 0, err
	}
	if err := c.agg.Flush(time.Now(), 0); err != nil {
		return nil, 0, err
	}
	if st := c.dec.Stats(); st.Malformed != 0 || st.Skipped() != 0 {
		t.Errorf("%s decoder: %+v", name, st)
	}
	return c.store, dropped, nil
}

// checkTable holds a collector's store to the streams: every stream's
// bytes, in its row and nowhere else, within four standard deviations
// of 1-in-N sampling (binomial: σ = size·√(n·(N−1))) plus one packet.
func checkTable(t *testing.T, name string, s *traffic.Store, streams []generated, rate string) {
	var n float64
	fmt.Sscan(rate, &n)
	now := time.Now()
	for _, st := range streams {
		f, err := s.Read(now)
		if err != nil || f == nil {
			t.Fatalf("%s: no day file: %v", name, err)
		}
		var got uint64
		for i, e := range f.Entries {
			if e.Key == st.want {
				var ser traffic.Series
				if err := f.AddTo(i, &ser); err != nil {
					t.Fatal(err)
				}
				got += ser.Total()
			}
		}
		f.Close()
		want := float64(st.n * st.size)
		tol := float64(st.size) * (4*math.Sqrt(float64(st.n)*(n-1)) + n)
		if math.Abs(float64(got)-want) > tol {
			t.Errorf("%s %s %+v: %d bytes, sent %.0f (±%.0f)", name, st.name, st.want, got, want, tol)
		} else {
			t.Logf("%s %s: %d bytes for %.0f sent (%.2f %%)", name, st.name, got, want, 100*(float64(got)-want)/want)
		}
	}
	rep, err := s.Top(traffic.TopOptions{Period: traffic.LastDays(now, 1)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Rows {
		if r.AS != 64501 && r.AS != 6939 && r.AS != 64502 && r.In.Bytes+r.Out.Bytes > 1<<20 {
			t.Errorf("%s: unexpected traffic for %s: %+v", name, r.AS, r)
		}
	}
}
