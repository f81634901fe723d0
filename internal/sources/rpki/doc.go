// Package rpki answers one question for the rest of peerform: is this route's
// origin authorised by RPKI? It holds Validated ROA Payloads (VRPs) and does
// RFC 6811 route origin validation against them.
//
// VRPs come from three places:
//
//   - an RPKI-to-Router cache (RFC 8210, protocol versions 1 and 0):
//     [Fetch] asks for the complete set with a Reset Query, reads it up to
//     its End of Data and hangs up (peerform's commands each need one
//     consistent snapshot; the routers keep their own RTR sessions);
//   - a JSON file written by rpki-client, Routinator or stayrtr: [LoadJSON];
//   - local exceptions (RFC 8416 SLURM): [LoadSLURM] and [SLURM.Apply].
//
// A [Table] is immutable once built, so it can be shared between goroutines
// and swapped when new data arrives. [Table.Validate] answers for one
// (prefix, origin) pair without allocating, [Table.Explain] adds the VRPs
// that decided, and [Table.ValidatePrefixes] tags a peer's IRR prefixes,
// whose origin is any member of its AS-SET. A full table (a million routes
// against half a million VRPs) takes well under a second.
//
// The package does no BGP and touches no router: render turns the states into
// filters, intent and validate turn them into findings.
//
// The RTR code uses the PDU types and decoder of github.com/bgp/stayrtr/lib
// but not its ClientSession, whose connection flag is shared between
// goroutines without synchronisation (go test -race reports it on the
// simplest fetch) and which cannot bound a dial or a silent cache with a
// deadline. The exchange here is race-free, so the tests that talk to a
// real stayrtr need no isolation and run under -race like the rest.
//
// Those tests start the stayrtr binary (Debian package stayrtr) through
// [github.com/peerform/peerform/internal/sources/rpki/rpkitest] and skip when it is missing,
// unless PEERFORM_LAB=required, which makes a missing binary a failure.
package rpki
