// Package peeringdb is peerform's view of PeeringDB: who is present at which
// facility and exchange point, with which addresses, port speeds, traffic
// ratio, prefix counts and AS-SET.
//
// It has four parts:
//
//   - A read-only, indexed Store loaded from snapshot files in the API's JSON
//     shape ({"data": [...]} per object type, plain or gzip) or from a
//     single-file dump holding every type (LoadDir, LoadFile). Loading is
//     strict on JSON types, tolerant of unknown fields and bounded in size
//     (Limits); rows with impossible values are skipped and counted in Meta.
//   - A Client for the PeeringDB REST API that syncs into a cache directory
//     holding the same per-type files (Client.Sync), incrementally with
//     ?since=, honouring 429/Retry-After within a total time budget. Open
//     resolves the --peeringdb option (a directory, a file or "api").
//   - Queries: a network and its points of presence with coordinates and
//     port capacity (Store.PoPs), the common PoPs of two networks, an IX's
//     LAN prefixes and a network's ports at an IX.
//   - Pure derivations the intent model is built from, each value carrying
//     its Provenance: BGP sessions from netixlan addresses inside our IXPs'
//     LANs, merged with an exchange's IX-F member export where policy
//     names one (DeriveSessions; the export wins a disagreement), max-prefix limits with headroom (MaxPrefixes),
//     and IRR objects from irr_as_set (ParseIRRASSet, ResolveImport).
//
// The package never writes into the intent; callers build their model from
// what it returns. Only Client and Open do network I/O.
package peeringdb
