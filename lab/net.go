package lab

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// ns is the name of a node's network namespace.
func (l *Lab) ns(node string) string { return l.Name + "-" + node }

// Namespace is the network namespace of a node (a router or a peer), for
// tests that run something inside it (ip netns exec, setns).
func (l *Lab) Namespace(node string) string { return l.ns(node) }

// inNS prefixes a command so that it runs in a node's network namespace.
// `ip netns exec` execs the command in place, so the PID stays the
// daemon's.
func (l *Lab) inNS(node string, argv ...string) []string {
	return append([]string{"ip", "netns", "exec", l.ns(node)}, argv...)
}

// buildNetwork creates the ixp namespace with one bridge per LAN and a
// namespace per router and peer, wired to the bridges with veth pairs.
// Nothing is added to the root namespace.
func (l *Lab) buildNetwork(ctx context.Context) error {
	nodes := []string{"ixp"}
	for _, r := range l.Topology.Routers {
		nodes = append(nodes, r.Name)
	}
	for _, p := range l.Topology.Peers {
		nodes = append(nodes, p.Name)
	}
	for _, n := range nodes {
		if _, err := run(ctx, "ip", "netns", "add", l.ns(n)); err != nil {
			return err
		}
		l.Namespaces = append(l.Namespaces, l.ns(n))
		// DAD must be off before any interface exists: a tentative
		// link-local address makes FRR and GoBGP fail the first IPv6
		// session and back off for seconds (docs/lab.md, pitfall 1).
		for _, c := range [][]string{
			{"ip", "-n", l.ns(n), "link", "set", "lo", "up"},
			l.inNS(n, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"),
		} {
			if _, err := run(ctx, c[0], c[1:]...); err != nil {
				return err
			}
		}
	}
	ixp := l.ns("ixp")
	for _, lan := range l.Topology.LANs {
		br := "br-" + lan.Name
		for _, c := range [][]string{
			{"ip", "-n", ixp, "link", "add", br, "type", "bridge", "stp_state", "0", "mcast_snooping", "0"},
			{"ip", "-n", ixp, "addr", "add", lan.RPKI.String() + fmt.Sprintf("/%d", lan.IPv4.Bits()), "dev", br},
			{"ip", "-n", ixp, "link", "set", br, "up"},
		} {
			if _, err := run(ctx, c[0], c[1:]...); err != nil {
				return err
			}
		}
	}
	idx := 0
	wire := func(node string, ports []Port) error {
		idx++
		for _, pt := range ports {
			lan, _ := l.Topology.LAN(pt.LAN)
			dev := "eth-" + pt.LAN
			peerEnd := fmt.Sprintf("n%d-%s", idx, pt.LAN)
			cmds := [][]string{
				{"ip", "link", "add", dev, "netns", l.ns(node), "type", "veth", "peer", "name", peerEnd, "netns", ixp},
				{"ip", "-n", ixp, "link", "set", peerEnd, "master", "br-" + pt.LAN, "up"},
			}
			if pt.IPv4.IsValid() {
				cmds = append(cmds, []string{"ip", "-n", l.ns(node), "addr", "add", fmt.Sprintf("%s/%d", pt.IPv4, lan.IPv4.Bits()), "dev", dev})
			}
			if pt.IPv6.IsValid() {
				cmds = append(cmds, []string{"ip", "-n", l.ns(node), "addr", "add", fmt.Sprintf("%s/%d", pt.IPv6, lan.IPv6.Bits()), "dev", dev, "nodad"})
			}
			cmds = append(cmds, []string{"ip", "-n", l.ns(node), "link", "set", dev, "up"})
			for _, c := range cmds {
				if _, err := run(ctx, c[0], c[1:]...); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, r := range l.Topology.Routers {
		if err := wire(r.Name, r.Ports); err != nil {
			return err
		}
	}
	for _, p := range l.Topology.Peers {
		if err := wire(p.Name, p.Ports); err != nil {
			return err
		}
	}
	return nil
}

// utsFile is the bind-mounted UTS namespace that gives an FRR router its
// hostname: FRR daemons and the router's sshd (hence vtysh) run inside it,
// so the prompt is "ams-edge1#" (docs/lab.md, pitfall 3).
func (l *Lab) utsFile(router string) string { return filepath.Join(l.Dir, "ns", router+".uts") }

func (l *Lab) makeUTS(ctx context.Context, router string) error {
	f := l.utsFile(router)
	if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		return err
	}
	if _, err := run(ctx, "unshare", "--uts="+f, "hostname", router); err != nil {
		return err
	}
	l.UTSMounts = append(l.UTSMounts, f)
	return nil
}
