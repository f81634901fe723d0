// Package flows receives flow records from border routers: NetFlow v9,
// IPFIX and sFlow v5 datagrams (and NetFlow v5), decoded by goflow2's
// decoders and turned into flow messages by its producer, then reduced to
// the few fields traffic attribution needs (Record).
//
// Everything that arrives is untrusted. The decoder keeps per-exporter
// state (templates, sampling rates) in bounded tables, refuses templates
// that goflow2 would decode forever or that no router sends (no
// fixed-size field, hundreds of fields), and counts and skips what it
// cannot use: malformed datagrams, data sets whose template it has not
// seen, absurd sampling rates or byte counts, flow times far from the
// time of receipt. Nothing an exporter sends can make it panic or grow
// without bound (Limits).
//
// What the package does not do: decide which network a flow belongs to
// (package traffic does, with the routes of package rib) or store
// anything.
package flows
