// Package lab starts and stops a real BGP lab in Linux network namespaces,
// for integration tests and demos: an IXP bridge per LAN, our routers (FRR
// and BIRD 2, each reachable by SSH on 127.0.0.1 with key authentication
// and vtysh or birdc as the login shell), peers running BIRD and GoBGP, and
// stayrtr as the RPKI cache. Example builds the lab's world from the
// example peering repository's own data: the peers announce the routes its
// IRR snapshot registers for them plus crafted ones (RPKI-invalid, outside
// their IRR data), stayrtr serves its VRPs, and Topology.Acceptable judges
// each route from the same files; Lab.CheckRoutes holds the routers to it.
//
// Every address lives inside the lab's namespaces; the root namespace only
// gets the sshd listeners on 127.0.0.1. Labs with different names run side
// by side. Daemons run in the foreground as children of the process that
// called Up, each in its own process group, and are stopped by PID.
//
// The recipe, its timings and its pitfalls are described in docs/lab.md;
// the `peerform-lab` command (lab/cmd/peerform-lab) wraps Up and
// Down for `make lab-up` and `make lab-down`, and package labtest wraps
// them for Go tests.
package lab
