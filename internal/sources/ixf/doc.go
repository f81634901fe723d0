// Package ixf reads IX-F member exports: the JSON member list that IXP
// Manager and other exchange points publish in the Euro-IX schema
// (github.com/euro-ix/json-schemas). An exchange's export is its own record
// of who is connected to its LAN with which addresses, so peerform uses it
// as a second source of peer addresses next to PeeringDB's netixlan.
//
// Schema versions 0.6, 0.7 and 1.0 are accepted: every field peerform
// reads (ixp_list with its VLAN prefixes, member_list with asnum and
// connection_list, vlan_list with ipv4/ipv6 address, as_macro, max_prefix
// and routeserver) has the same name, type and meaning in all three. 1.0
// only adds informational fields (services, switch software) and 0.7
// ixf_id, which 0.7 and 1.0 require. Earlier versions put the IXP
// information in a differently shaped object and are refused.
//
// The file is untrusted, so reading it is strict and bounded (Limits):
// regular files only (through repofs), a size limit checked before
// reading, UTF-8 only, JSON nesting, array lengths and string lengths
// bounded, no duplicate keys and no key that differs from one of the
// schema's only in case (encoding/json would read "ASNUM" as asnum). Wrong
// JSON types, an unsupported version, a missing required top-level or IXP
// field make the whole file unreadable (an *Error with its line). Fields
// the schema does not name are ignored, as the schema allows. A member
// entry whose values cannot be trusted — an AS number out of range or
// reserved, an address that does not parse, is of the wrong family or lies
// outside the VLAN's prefix, a max_prefix out of bounds, an as_macro that
// is not an AS-SET name, a missing required field, an address two members
// claim — is skipped (the value or the entry) and reported as a Problem
// with its line: the rest of the exchange's list stays usable.
package ixf
