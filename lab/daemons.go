package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

const frrDaemonDir = "/usr/lib/frr"

// nodeDir is a node's working directory: configs, sockets, logs.
func (l *Lab) nodeDir(node string) string { return filepath.Join(l.Dir, node) }

// startRPKI runs stayrtr in the ixp namespace, serving the topology's ROAs
// (Example: the repository's VRPs file) on port 8282 of every LAN's RPKI
// address.
func (l *Lab) startRPKI(ctx context.Context) error {
	dir := l.nodeDir("rpki")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	type roa struct {
		Prefix    string `json:"prefix"`
		MaxLength int    `json:"maxLength"`
		ASN       string `json:"asn"`
		TA        string `json:"ta"`
	}
	doc := struct {
		Metadata struct {
			Buildtime string `json:"buildtime"`
		} `json:"metadata"`
		ROAs []roa `json:"roas"`
	}{}
	doc.Metadata.Buildtime = time.Now().UTC().Format(time.RFC3339)
	for _, r := range l.Topology.ROAs {
		doc.ROAs = append(doc.ROAs, roa{r.Prefix.String(), r.MaxLength, r.ASN.String(), "lab"})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	vrps := filepath.Join(dir, "vrps.json")
	if err := os.WriteFile(vrps, b, 0o644); err != nil {
		return err
	}
	// -checktime=false: lab data may be older than 24 h when a lab stays
	// up; all addresses are inside the ixp namespace.
	return l.start("stayrtr", filepath.Join(dir, "stayrtr.log"), l.inNS("ixp",
		"stayrtr", "-cache", vrps, "-bind", ":8282", "-checktime=false", "-refresh", "10",
		"-metrics.addr", "127.0.0.1:9847", "-loglevel", "warn")...)
}

// birdPeerConfig is a peer's BIRD configuration: static routes for its
// announcements and one BGP session per shared LAN and family, with short
// retry timers so that a session comes up within a second of our router
// being configured for it (docs/lab.md, pitfall 2).
func (l *Lab) birdPeerConfig(pr Peer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# BIRD config of lab peer %s (%s), written by the lab harness.\n", pr.Name, pr.ASN)
	fmt.Fprintf(&b, "log stderr all;\nrouter id %s;\nprotocol device {}\n", pr.RouterID)
	for _, fam := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
		fmt.Fprintf(&b, "protocol static static_%s {\n  %s;\n", fam, fam)
		for _, an := range pr.Announce {
			if bgp.FamilyOf(an.Prefix.Addr()) != fam {
				continue
			}
			fmt.Fprintf(&b, "  route %s blackhole", an.Prefix)
			var attrs []string
			if len(an.Path) > 0 {
				// Path runs from the neighbor side to the origin (a
				// route server relays a member's route: the member's
				// ASN is the origin), so it is prepended from the end.
				for i := len(an.Path) - 1; i >= 0; i-- {
					attrs = append(attrs, fmt.Sprintf("bgp_path.prepend(%d);", uint32(an.Path[i])))
				}
			}
			if an.OTC != 0 {
				attrs = append(attrs, fmt.Sprintf("bgp_otc = %d;", uint32(an.OTC)))
			}
			if len(attrs) > 0 {
				fmt.Fprintf(&b, " { %s }", strings.Join(attrs, " "))
			}
			b.WriteString(";\n")
		}
		b.WriteString("}\n")
	}
	fmt.Fprintf(&b, "template bgp lab {\n  local as %d;\n  connect delay time 1;\n  connect retry time 2;\n  error wait time 1, 2;\n  hold time 9;\n  keepalive time 3;\n", uint32(pr.ASN))
	if pr.RouteServer {
		b.WriteString("  rs client;\n")
	}
	if pr.GTSM {
		b.WriteString("  ttl security on;\n")
	}
	if pr.Password != "" {
		fmt.Fprintf(&b, "  password %q;\n", pr.Password)
	}
	if pr.Role != "" {
		fmt.Fprintf(&b, "  local role %s;\n", pr.Role)
	}
	if pr.RoleStrict {
		b.WriteString("  require roles on;\n")
	}
	b.WriteString("}\n")
	for _, ln := range l.Topology.Links() {
		if ln.Peer != pr.Name {
			continue
		}
		r, _ := l.Topology.Router(ln.Router)
		pp := portOn(pr.Ports, ln.LAN)
		local := pp.IPv4
		if ln.Family == bgp.IPv6 {
			local = pp.IPv6
		}
		fmt.Fprintf(&b, "protocol bgp %s_%s from lab {\n  local %s;\n  neighbor %s as %d;\n  %s { import all; export where source = RTS_STATIC; };\n}\n",
			protoName(ln.Router), ln.Family, local, ln.Local, uint32(r.ASN), ln.Family)
	}
	return b.String()
}

func portOn(ports []Port, lan string) Port {
	for _, p := range ports {
		if p.LAN == lan {
			return p
		}
	}
	return Port{}
}

func protoName(s string) string { return strings.ReplaceAll(s, "-", "_") }

func (l *Lab) startBIRDPeer(ctx context.Context, pr Peer) error {
	dir := l.nodeDir(pr.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf := filepath.Join(dir, "bird.conf")
	if err := os.WriteFile(conf, []byte(l.birdPeerConfig(pr)), 0o644); err != nil {
		return err
	}
	sock := filepath.Join(dir, "bird.ctl")
	if err := l.start(pr.Name, filepath.Join(dir, "bird.log"),
		l.inNS(pr.Name, "bird", "-f", "-c", conf, "-s", sock)...); err != nil {
		return err
	}
	return WaitFor(ctx, "BIRD of peer "+pr.Name, 10*time.Second, func() error {
		_, err := run(ctx, "birdc", "-s", sock, "show", "status")
		return err
	})
}

// gobgpConfig is a GoBGP peer's TOML config. GoBGP has no static routes in
// its config file: announcements are added through its API once it runs.
func (l *Lab) gobgpConfig(pr Peer) string {
	var b strings.Builder
	var locals []string
	for _, pt := range pr.Ports {
		for _, a := range []netip.Addr{pt.IPv4, pt.IPv6} {
			if a.IsValid() {
				locals = append(locals, fmt.Sprintf("%q", a.String()))
			}
		}
	}
	fmt.Fprintf(&b, "# GoBGP config of lab peer %s (%s), written by the lab harness.\n", pr.Name, pr.ASN)
	fmt.Fprintf(&b, "[global.config]\n  as = %d\n  router-id = %q\n  local-address-list = [%s]\n\n",
		uint32(pr.ASN), pr.RouterID, strings.Join(locals, ", "))
	for _, ln := range l.Topology.Links() {
		if ln.Peer != pr.Name {
			continue
		}
		r, _ := l.Topology.Router(ln.Router)
		pp := portOn(pr.Ports, ln.LAN)
		local, afi := pp.IPv4, "ipv4-unicast"
		if ln.Family == bgp.IPv6 {
			local, afi = pp.IPv6, "ipv6-unicast"
		}
		auth := ""
		if pr.Password != "" {
			auth = fmt.Sprintf("    auth-password = %q\n", pr.Password)
		}
		fmt.Fprintf(&b, "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = %q\n    peer-as = %d\n%s"+
			"  [neighbors.transport.config]\n    local-address = %q\n"+
			"  [neighbors.timers.config]\n    connect-retry = 2\n    hold-time = 9\n    keepalive-interval = 3\n    idle-hold-time-after-reset = 1\n",
			ln.Local, uint32(r.ASN), auth, local)
		if pr.GTSM {
			b.WriteString("  [neighbors.ttl-security.config]\n    enabled = true\n    ttl-min = 255\n")
		}
		fmt.Fprintf(&b, "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = %q\n\n", afi)
	}
	return b.String()
}

func (l *Lab) startGoBGPPeer(ctx context.Context, pr Peer) error {
	dir := l.nodeDir(pr.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	conf := filepath.Join(dir, "gobgpd.toml")
	if err := os.WriteFile(conf, []byte(l.gobgpConfig(pr)), 0o644); err != nil {
		return err
	}
	if err := l.start(pr.Name, filepath.Join(dir, "gobgpd.log"), l.inNS(pr.Name,
		"gobgpd", "-f", conf, "--api-hosts", "127.0.0.1:50051", "--pprof-disable", "-p", "-l", "warn")...); err != nil {
		return err
	}
	if err := WaitFor(ctx, "GoBGP API of peer "+pr.Name, 15*time.Second, func() error {
		_, err := l.GoBGP(ctx, pr.Name, "global")
		return err
	}); err != nil {
		return err
	}
	for _, an := range pr.Announce {
		afi := "ipv4"
		if an.Prefix.Addr().Is6() {
			afi = "ipv6"
		}
		args := []string{"global", "rib", "add", "-a", afi, an.Prefix.String(), "origin", "igp"}
		if len(an.Path) > 0 {
			var path []string
			for _, a := range an.Path {
				path = append(path, fmt.Sprint(uint32(a)))
			}
			args = append(args, "aspath", strings.Join(path, " "))
		}
		if _, err := l.GoBGP(ctx, pr.Name, args...); err != nil {
			return err
		}
	}
	return nil
}

// GoBGP runs the gobgp CLI against a GoBGP peer's API.
func (l *Lab) GoBGP(ctx context.Context, peer string, args ...string) (string, error) {
	argv := l.inNS(peer, append([]string{"gobgp", "-u", "127.0.0.1", "-p", "50051"}, args...)...)
	return run(ctx, argv[0], argv[1:]...)
}

// Birdc runs a birdc command against a BIRD node (one of our BIRD routers
// or a BIRD peer) over its control socket, bypassing SSH.
func (l *Lab) Birdc(ctx context.Context, node string, command string) (string, error) {
	return run(ctx, "birdc", "-s", filepath.Join(l.nodeDir(node), "bird.ctl"), command)
}

// Vtysh runs vtysh commands against an FRR router over its vty sockets,
// bypassing SSH. It runs in the router's UTS namespace: a vtysh with
// another hostname adds its own `hostname` line to the running config.
func (l *Lab) Vtysh(ctx context.Context, router string, commands ...string) (string, error) {
	args := []string{"--uts=" + l.utsFile(router), "vtysh", "--vty_socket", l.nodeDir(router), "--config_dir", l.nodeDir(router)}
	for _, c := range commands {
		args = append(args, "-c", c)
	}
	return run(ctx, "nsenter", args...)
}

// frrBaseline is the part of an FRR router's config that the lab owns and
// peerform leaves alone: defaults, hostname, and blackhole routes for our
// prefixes so that `network` statements announce them.
func frrBaseline(r Router) string {
	var b strings.Builder
	fmt.Fprintf(&b, "frr defaults traditional\nhostname %s\nservice integrated-vtysh-config\n!\n", r.Name)
	for _, pfx := range r.Originate {
		v := "ip"
		if pfx.Addr().Is6() {
			v = "ipv6"
		}
		fmt.Fprintf(&b, "%s route %s blackhole\n", v, pfx)
	}
	b.WriteString("!\n")
	return b.String()
}

// startFRR runs zebra, staticd and bgpd (with the RPKI module) in the
// router's network and UTS namespaces, in the foreground, with sockets and
// config under the router's directory, then loads frr.conf as frrinit does.
func (l *Lab) startFRR(ctx context.Context, r Router, managed string) error {
	dir := l.nodeDir(r.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// setgid frr, group-writable: `write memory` by the SSH user keeps the
	// file readable for the daemons (docs/lab.md, pitfall 4).
	if _, err := run(ctx, "chown", "frr:frr", dir); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o2770|os.ModeSetgid); err != nil {
		return err
	}
	conf := filepath.Join(dir, "frr.conf")
	if err := os.WriteFile(conf, []byte(frrBaseline(r)+managed), 0o660); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "vtysh.conf"), []byte("service integrated-vtysh-config\n"), 0o660); err != nil {
		return err
	}
	if _, err := run(ctx, "chown", "frr:frr", conf, filepath.Join(dir, "vtysh.conf")); err != nil {
		return err
	}
	if err := l.makeUTS(ctx, r.Name); err != nil {
		return err
	}
	for _, d := range []string{"zebra", "staticd", "bgpd"} {
		argv := []string{"nsenter", "--uts=" + l.utsFile(r.Name), filepath.Join(frrDaemonDir, d),
			"-P", "0", "--vty_socket", dir, "-z", filepath.Join(dir, "zserv.api"),
			"-i", filepath.Join(dir, d+".pid"), "-f", "/dev/null", "--log", "file:" + filepath.Join(dir, d+".log")}
		if d == "bgpd" {
			argv = append(argv, "-M", "rpki")
		}
		if err := l.start(r.Name+"/"+d, filepath.Join(dir, d+".out"), l.inNS(r.Name, argv...)...); err != nil {
			return err
		}
		sock := filepath.Join(dir, d+".vty")
		if err := WaitFor(ctx, d+" of "+r.Name, 10*time.Second, func() error {
			_, err := os.Stat(sock)
			return err
		}); err != nil {
			return err
		}
	}
	boot := exec.CommandContext(ctx, "vtysh", "--vty_socket", dir, "--config_dir", dir, "-b")
	if out, err := boot.CombinedOutput(); err != nil {
		return fmt.Errorf("lab: loading frr.conf on %s: %w: %s", r.Name, err, out)
	}
	return nil
}

// birdBaseline is the config our BIRD routers start with: no BGP at all.
// BIRD's config is one file, all of it managed by peerform once it deploys.
func birdBaseline(r Router) string {
	return fmt.Sprintf("# %s: lab baseline, replaced by peerform deploy\nrouter id %s;\nprotocol device {}\n", r.Name, r.RouterID)
}

// startBIRDRouter runs one of our BIRD routers. Its directory and control
// socket belong to the SSH user's group, so that peerform can push the
// config over SFTP and drive birdc.
func (l *Lab) startBIRDRouter(ctx context.Context, r Router, conf string) error {
	dir := l.nodeDir(r.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if conf == "" {
		conf = birdBaseline(r)
	}
	path := filepath.Join(dir, "bird.conf")
	if err := os.WriteFile(path, []byte(conf), 0o664); err != nil {
		return err
	}
	for _, p := range []string{dir, path} {
		if err := os.Chown(p, 0, sshGID); err != nil {
			return err
		}
	}
	if err := os.Chmod(dir, 0o2770|os.ModeSetgid); err != nil {
		return err
	}
	sock := filepath.Join(dir, "bird.ctl")
	// Seen from BIRD and from the router's sshd (each in a private mount
	// namespace), the router's directory is /etc/bird: the config is at
	// the Debian default path, as on a real router, and the host's
	// /etc/bird is not touched.
	script := fmt.Sprintf("mount --bind %s /etc/bird && exec bird -f -c /etc/bird/bird.conf -s %s", dir, sock)
	if err := l.start(r.Name, filepath.Join(dir, "bird.log"),
		l.inNS(r.Name, "unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script)...); err != nil {
		return err
	}
	if err := WaitFor(ctx, "BIRD of "+r.Name, 10*time.Second, func() error {
		_, err := run(ctx, "birdc", "-s", sock, "show", "status")
		return err
	}); err != nil {
		return err
	}
	// BIRD creates its socket root:root 0660 (docs/lab.md, pitfall 10).
	return os.Chown(sock, 0, sshGID)
}
