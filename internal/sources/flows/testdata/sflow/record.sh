#!/usr/bin/env bash
# Records the sFlow v5 datagrams in this directory: pmacctd's sfprobe
# plugin (Debian pmacct) watches one end of a veth pair between two
# network namespaces while UDP datagrams of known sizes cross it, and a
# receiver on loopback writes each datagram it gets to NN.bin. Run as
# root; only documentation addresses, only inside the namespaces.
#
#   flows/testdata/sflow/record.sh   (writes *.bin and expected.txt here)
set -euo pipefail
cd "$(dirname "$0")"
a=sfrec-a$$ b=sfrec-b$$ tmp=$(mktemp -d)
cleanup() { kill "$(cat "$tmp/pmacctd.pid" 2>/dev/null)" "${rcv:-}" 2>/dev/null || true; ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$a"; ip netns add "$b"
ip link add v0 netns "$a" type veth peer name v1 netns "$b"
for n in "$a" "$b"; do ip -n "$n" link set lo up; ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0; done
ip -n "$a" addr add 198.51.100.1/24 dev v0; ip -n "$a" addr add 2001:db8:100::1/64 dev v0 nodad; ip -n "$a" link set v0 up
ip -n "$b" addr add 198.51.100.2/24 dev v1; ip -n "$b" addr add 2001:db8:100::2/64 dev v1 nodad; ip -n "$b" link set v1 up
rm -f ./*.bin
ip netns exec "$a" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 6343)); s.settimeout(8)
n = 0
try:
    while True:
        d, _ = s.recvfrom(65535); n += 1
        open("%02d.bin" % n, "wb").write(d)
except socket.timeout:
    pass
' & rcv=$!
cat > "$tmp/pmacctd.conf" <<CONF
daemonize: false
pidfile: $tmp/pmacctd.pid
pcap_interface: v0
plugins: sfprobe
sfprobe_receiver: 127.0.0.1:6343
sfprobe_agentip: 198.51.100.1
sfprobe_agentsubid: 1
sampling_rate: 1
CONF
ip netns exec "$a" pmacctd -f "$tmp/pmacctd.conf" >"$tmp/pmacctd.log" 2>&1 &
sleep 2
# 40 IPv4 datagrams of 1000 payload bytes (1028-byte IP packets) and 20
# IPv6 ones of 500 (548-byte IP packets), from a to b.
ip netns exec "$a" bash -c 'for i in $(seq 40); do head -c 1000 /dev/zero > /dev/udp/198.51.100.2/9; done
  for i in $(seq 20); do head -c 500 /dev/zero > /dev/udp/2001:db8:100::2/9; done'
wait "$rcv" || true
printf 'IPv4 198.51.100.1 -> 198.51.100.2: 40 packets of 1028 bytes\nIPv6 2001:db8:100::1 -> 2001:db8:100::2: 20 packets of 548 bytes\nsampling rate 1, agent 198.51.100.1\n' > expected.txt
ls -l ./*.bin
