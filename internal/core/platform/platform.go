// Package platform names the router platforms peerform knows: the one set
// that intents validate against, render keys its templates by and device
// dials drivers for.
package platform

import (
	"fmt"
	"slices"
	"strings"
)

// Name is a platform as a router block writes it: platform = "frr".
type Name string

// The platforms.
const (
	BIRD2   Name = "bird2"   // BIRD 2, its config file pushed over SFTP
	FRR     Name = "frr"     // FRRouting through vtysh
	Junos   Name = "junos"   // Juniper Junos, CLI or NETCONF
	IOSXR   Name = "iosxr"   // Cisco IOS-XR CLI
	EOS     Name = "eos"     // Arista EOS CLI
	SROS    Name = "sros"    // Nokia SR OS model-driven CLI
	NETCONF Name = "netconf" // any router taking peerform's YANG module over NETCONF
)

// All lists every platform, in the order messages show them.
var All = []Name{BIRD2, FRR, Junos, IOSXR, EOS, SROS, NETCONF}

// Parse returns the platform s names, or an error listing the platforms.
func Parse(s string) (Name, error) {
	if n := Name(s); n.Valid() {
		return n, nil
	}
	return "", fmt.Errorf("unknown platform %q: want one of %s", s, List())
}

// List spells All for messages: "bird2, frr, …".
func List() string {
	names := make([]string, len(All))
	for i, n := range All {
		names[i] = string(n)
	}
	return strings.Join(names, ", ")
}

// Valid reports whether n is one of All.
func (n Name) Valid() bool { return slices.Contains(All, n) }

func (n Name) String() string { return string(n) }

// Templated reports whether n's configuration is printed by templates
// (templates/<n>/*.tmpl); the netconf platform's payload is built in.
func (n Name) Templated() bool { return n.Valid() && n != NETCONF }

// NETCONF reports whether n can be managed over NETCONF: the netconf
// platform always, Junos when its router block asks for it.
func (n Name) NETCONF() bool { return n == NETCONF || n == Junos }
