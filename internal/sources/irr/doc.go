// Package irr expands AS-SETs into the prefix lists that filter what a
// peer may announce, speaking the IRRd whois protocol natively (the "!"
// queries bgpq4 uses) instead of running bgpq4 once per peer and family.
//
// A Client expands many references in one Expand call: queries are
// pipelined ("!!" persistent connections, many queries written ahead of
// their replies) over a few parallel connections, and a query several
// peers need is asked once. With "!a" support on the server a set costs
// three queries ("!i<set>,1", "!a4<set>", "!a6<set>"); otherwise members
// come from "!i<set>,1" and prefixes from one "!g"/"!6" per member AS.
// "SOURCE::SET" references and a depth limit make the client walk nested
// sets itself, breadth first, each set once. Answers can be kept in an
// on-disk Cache with a TTL.
//
// The same expansion runs without a server from a DB: RPSL files (the
// registries' database dumps, plain or gzipped, or a few objects written
// by hand) loaded with LoadSnapshots and given as Options.DB. The DB
// answers each query in process exactly as an IRRd server holding the
// same objects would, and the expansion reads those answers with the same
// code, so results, warnings and limits are the same; only the transport
// (and the cache, which a DB does not need) differs.
//
// Everything from a server or a file is untrusted: replies, lines,
// objects and files are bounded in size, every query and the whole run
// have timeouts, set and prefix counts have limits, and names from
// replies are validated before they are used in another query. Results are per reference: a failed or empty expansion
// yields empty lists and a warning, which filters must render as deny-all.
//
// Aggregate shortens a prefix list into prefix-list ranges exactly as
// bgpq4 -A does. The package does not render router configs and does not
// validate origins (see rpki); irrtest holds a test server that serves
// a DB.
package irr
