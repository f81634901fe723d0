// Package skeleton writes the first files of a new peering repository:
// our network, our exchanges and their LANs, and our own addresses there,
// as PeeringDB knows them; a router stub per platform; the RPKI, filter,
// scoring and economics blocks with their defaults written out; and the
// two GitHub workflows that run peerform through its reusable action.
//
// Every string taken from PeeringDB is untrusted: names pass the same
// allow-lists validation applies (or are replaced by a safe form), every
// value reaches HCL through hclwrite's quoting, and LANs and addresses are
// parsed and cross-checked before they are written.
package skeleton
