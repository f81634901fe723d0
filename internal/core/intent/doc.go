// Package intent loads and validates a peering repository: the peering
// intents in peers/*.hcl (one file per peer network) and our own network,
// routers, IXPs, filters, scoring weights and prices in policies/*.hcl.
// Both HCL native syntax (.hcl) and its JSON form (.hcl.json) are read.
//
// Load returns the intents as written, typed (bgp.ASN, netip addresses,
// bgp.ObjectRef) and with the source range of every value, plus every problem
// found as an hcl.Diagnostic pointing at file:line:col. It never stops at the
// first problem and never panics on any input: files are bounded in size and
// nesting, must be UTF-8, and every string that could reach a router config
// passes a strict allow-list.
//
// What the intents imply once PeeringDB, IRR and RPKI data are added (derived
// sessions, max-prefix limits, prefix lists) is not this package's concern;
// see package model. Intents are never modified after Load.
package intent
