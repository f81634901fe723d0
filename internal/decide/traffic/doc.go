// Package traffic turns flow records into the figures peering decisions
// need: bytes per 5-minute bucket, per direction, per class of link
// (transit, IXP, PNI), per neighbor AS and per remote AS, kept in a
// compact on-disk store (one file per UTC day, docs/traffic.md), and the
// 95th percentile of each series as transit is billed.
//
// An Attributor decides where a flow belongs: its direction from the
// interfaces the policy classifies (or from our own prefixes), the remote
// AS and AS path from the route its remote address follows (package rib),
// and the class from the link it crossed. An Aggregator adds attributed
// records to the open days and writes them to the Store; queries (Top,
// Verify, Moved) read the store.
//
// Memory and disk are bounded: a day holds at most Limits.MaxKeys series
// (the rest are folded into one "other AS" series per direction, class
// and neighbor), files are read with length checks and a checksum, and the
// store keeps a bounded number of days and bytes.
package traffic
