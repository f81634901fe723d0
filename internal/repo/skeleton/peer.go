package skeleton

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// PeerFile writes peers/AS<n>.hcl for a network from its PeeringDB record,
// in the layout of the example's peer files: name, import (the network's
// first usable irr_as_set entry, else its AS number), export (our AS-SET,
// else our AS number) and status. Sessions and max-prefix are left to
// derivation from PeeringDB. Notes say what PeeringDB gave that could not
// be used.
func PeerFile(net peeringdb.Net, ours intent.Network, status intent.Status) (File, []string) {
	b := &builder{asn: net.ASN}
	name := safeText(net.Name, net.ASN.String())
	if name != net.Name {
		b.notef("PeeringDB's name of %s cannot be used in router configs; it is written as %q", net.ASN, name)
	}
	imp := net.ASN.String()
	refs, _ := peeringdb.ParseIRRASSet(net.IRRASSet)
	if len(refs) > 0 {
		if _, err := bgp.ParseObjectRef(refs[0].String()); err == nil {
			imp = refs[0].String()
		}
	}
	if imp == net.ASN.String() {
		b.notef("PeeringDB gives no usable AS-SET for %s (irr_as_set %q): import is its AS number", net.ASN, net.IRRASSet)
	}
	exp := ours.ASN.String()
	if ours.ASSet.Name != "" {
		exp = ours.ASSet.String()
	}
	var w bytes.Buffer
	fmt.Fprintf(&w, "# From PeeringDB (net %d). Sessions and max-prefix are derived from\n# PeeringDB until written here.\n", net.ID)
	fmt.Fprintf(&w, "peer %s {\n  name = %s\n  import = %s\n  export = %s\n  status = %s\n}\n",
		quote(net.ASN.String()), quote(name), quote(imp), quote(exp), quote(string(status)))
	return File{Path: intent.PeersDir + "/" + net.ASN.String() + ".hcl", Data: hclwrite.Format(w.Bytes())}, b.notes
}
