#!/usr/bin/env bash
# Benchmarks of the irr package, each side by side with bgpq4 (Debian
# package bgpq4) against the same in-process test server:
#
#   BenchmarkLargeSet  one AS-SET: 716 ASNs, 57,746 IPv4 and 11,759 IPv6
#                      prefixes, nested four levels with a loop, on loopback.
#                      peerform/cold, /cold-no-a, /warm-cache: the library;
#                      peerform/process-*: `peerform irr expand` processes;
#                      bgpq4/process-*: bgpq4 processes (one per family).
#   BenchmarkPeers     the AS-SETs of 200 peers of mixed sizes that share
#                      members, with 20 ms added to every round trip: one
#                      Expand call against bgpq4 once per peer and family,
#                      sequentially and four at a time; against a server
#                      with "!a" and one without.
#   BenchmarkSnapshot  a generated IRR dump of 1,000,000 route and 200,000
#                      route6 objects loaded (plain and gzip) and expanded
#                      from in process: no server, no bgpq4.
#
# Besides ns/op, each line reports CPU time: cpu-ms/op for in-process runs
# (client and test server), child-cpu-ms/op for the processes run. On a
# shared machine the CPU time is the steadier number.
#
# Usage (from anywhere): irr/bench.sh [benchtime for BenchmarkLargeSet]
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-20x}
command -v bgpq4 >/dev/null || { echo "bgpq4 is not installed (apt-get install bgpq4)" >&2; exit 2; }
echo "bgpq4 $(bgpq4 -v 2>&1 | sed -n 's/^version: //p'), $(go version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
go test ./irr/ -run '^$' -bench 'BenchmarkLargeSet' -benchtime "$benchtime" -timeout 30m
# Each bgpq4 pass here takes about a minute: one iteration is enough.
go test ./irr/ -run '^$' -bench 'BenchmarkPeers' -benchtime 1x -timeout 30m
go test ./irr/ -run '^$' -bench 'BenchmarkSnapshot' -benchtime 3x -benchmem -timeout 30m
