// Package billing prices traffic the way operators are billed: transit at
// the 95th percentile of a month of 5-minute samples, with a commit and a
// burst price above it; per-GB charges per direction (cloud egress);
// monthly port, cross-connect and IXP fees; and paid peering, paid by us or
// to us. Compare puts the three arrangements a candidate allows side by
// side: staying on transit, settlement-free peering and paid peering.
//
// Everything here is arithmetic on numbers the caller gives: no I/O, no
// clock. Traffic is a series of 5-minute rates in Mbps per direction; a
// modelled volume is a series of one sample (a flat rate all month).
// docs/scoring.md ("Economics") states every convention.
package billing
