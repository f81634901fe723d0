// Package rib holds a routing table for traffic attribution: which route
// a flow's address follows (longest-prefix match), with its AS path and
// next hop, hence the neighbor AS the traffic leaves through and the AS
// that originates the destination.
//
// Tables come from MRT TABLE_DUMP_V2 RIB dumps (RFC 6396), the format
// BIRD's mrt protocol, `gobgp mrt dump rib` and route collectors such as
// RouteViews and RIPE RIS write, parsed with GoBGP's packet packages.
// A dump lists every route a router holds per prefix; BIRD and GoBGP put
// the best one first, so the first entry is taken, or the first entry of
// the peer Options.Peer names (a collector's dump holds many views).
// Dumps are untrusted input: records, routes and path lengths are
// bounded, gzip and bzip2 files are read as streams, and a record GoBGP
// cannot parse is counted and skipped.
//
// Longest-prefix match uses github.com/gaissmai/bart.
package rib
