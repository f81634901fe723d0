// Package rpki answers one question for the rest of peerctl: is this route's
// origin authorised by RPKI? It holds Validated ROA Payloads (VRPs) and does
// RFC 6811 route origin validation against them.
//
// VRPs come from three places:
//
//   - an RPKI-to-Router cache (RFC 8210, protocol versions 0 and 1): [Client]
//     keeps a session, follows Serial Notify and the refresh interval with
//     Serial Queries, and publishes a new [Table] after every End of Data;
//     [Fetch] takes one complete snapshot and hangs up;
//   - a JSON file written by rpki-client, Routinator or stayrtr: [LoadJSON];
//   - local exceptions (RFC 8416 SLURM): [LoadSLURM] and [SLURM.Apply].
//
// A [Table] is immutable once built, so it can be shared between goroutines
// and swapped atomically when new data arrives. Lookups cost a binary search
// and a short walk up the chain of covering prefixes; they do not allocate.
//
// The package does no BGP and touches no router: render turns the states into
// filters, intent and validate turn them into findings.
//
// The RTR client uses the PDU types and decoder of github.com/bgp/stayrtr/lib
// but not its ClientSession, whose connection flag is shared between
// goroutines without synchronisation (go test -race reports it) and which
// cannot bound a dial or a silent cache with a deadline. The session logic
// here is race-free, so the tests against a real stayrtr run under -race too.
package rpki
