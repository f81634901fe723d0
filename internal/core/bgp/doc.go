// Package bgp holds the small vocabulary every other package shares: AS
// numbers, IRR object references (AS-SETs), address families and the bogon
// tables that safe peering filters start from.
//
// It does no I/O and has no dependencies beyond the standard library, so any
// package may import it.
package bgp
