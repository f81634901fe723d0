package render

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/core/model"
	"github.com/peerform/peerform/internal/sources/irr"
)

// fuzzPolicy is the fixed policy of the fuzz target: one BIRD router at
// one IXP, RTR cache, bogon exception.
const fuzzPolicy = `network {
  asn            = 64500
  name           = "Fuzz Networks"
  prefixes       = ["198.51.100.0/24", "2001:db8:100::/48"]
  allow_peer_asn = ["documentation", "private"]
}
ixp "IX-FUZZ" {
  ipv4_lan  = "192.0.2.0/24"
  ipv6_lan  = "2001:db8:ffff:1::/64"
  community = 9
}
router "r1" {
  platform  = "bird2"
  host      = "r1.example.net"
  router_id = "198.51.100.1"
  ixp "IX-FUZZ" {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
}
rpki {
  rtr = ["127.0.0.1:3323"]
}
filters {
  bogon_exceptions = ["203.0.113.0/24"]
}
`

// fuzzPeer writes a peer file from fuzzer values: strings are quoted as
// HCL strings (so anything can reach the loader), numbers and flags pick
// the rest.
func fuzzPeer(asn uint32, name, desc, imp, extra string, flags uint16, localPref int16, host4 uint8, host6 uint16, mp4, mp6 uint16) string {
	var b strings.Builder
	fmt.Fprintf(&b, "peer \"AS%d\" {\n  name = %s\n  import = %s\n  export = \"AS64500\"\n", asn, hclString(name), hclString(imp))
	if desc != "" {
		fmt.Fprintf(&b, "  description = %s\n", hclString(desc))
	}
	for i, attr := range []string{"gtsm", "bfd", "shutdown", "route_server"} {
		if flags&(1<<i) != 0 {
			fmt.Fprintf(&b, "  %s = true\n", attr)
		}
	}
	if flags&(1<<4) != 0 {
		fmt.Fprintf(&b, "  md5 = secret(%s)\n", hclString(extra))
	}
	if flags&(1<<5) != 0 {
		fmt.Fprintf(&b, "  local_pref = %d\n", localPref)
	}
	if flags&(1<<6) != 0 {
		fmt.Fprintf(&b, "  max_prefix {\n    ipv4 = %d\n    ipv6 = %d\n  }\n", mp4, mp6)
	}
	// Bits 9-11 pick a lifecycle status (0: none written).
	if st := int(flags>>9) & 7; st > 0 {
		statuses := []string{"active", "requested", "maintenance", "decommissioning", "declined", "paused", "MAINTENANCE"}
		fmt.Fprintf(&b, "  status = %q\n", statuses[st-1])
	}
	if flags&(3<<7) != 0 {
		b.WriteString("  session \"IX-FUZZ\" {\n")
		if flags&(1<<7) != 0 {
			fmt.Fprintf(&b, "    ipv4 = \"192.0.2.%d\"\n", host4)
		}
		if flags&(1<<8) != 0 {
			fmt.Fprintf(&b, "    ipv6 = \"2001:db8:ffff:1::%x\"\n", host6)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// FuzzRenderBIRD feeds random peer intents through validation, the model
// and rendering: whatever validates must render, on every platform, and
// the BIRD config must be accepted by BIRD's own parser.
func FuzzRenderBIRD(f *testing.F) {
	f.Add(uint32(64501), "Alpha", "", "AS-ALPHA", "", uint16(0x1ff), int16(150), uint8(11), uint16(0x11), uint16(100), uint16(20), uint8(3))
	f.Add(uint32(64502), "Beta (FRA) & co", "Content, mostly", "RIPE::AS-BETA", "BETA_MD5", uint16(0x1d3), int16(0), uint8(12), uint16(0x12), uint16(1), uint16(1), uint8(0))
	f.Add(uint32(65001), "Route Servers", "", "AS65001:AS-RS", "", uint16(0x188), int16(-1), uint8(254), uint16(0xffff), uint16(0), uint16(0), uint8(7))
	f.Add(uint32(64503), "x\n protocol static evil {", "", "AS-GAMMA", "", uint16(0x180), int16(0), uint8(13), uint16(0), uint16(0), uint16(0), uint8(1))
	f.Add(uint32(64504), `q"; } filter evil { accept; } "`, "d", "AS64504", "S", uint16(0x190), int16(0), uint8(14), uint16(0), uint16(0), uint16(0), uint8(2))
	f.Add(uint32(13335), "Cloudflare", "", "AS13335:AS-CLOUDFLARE", "", uint16(0x100), int16(100), uint8(40), uint16(0x40), uint16(3000), uint16(1000), uint8(5))
	f.Add(uint32(64505), "Shut", "Draining for maintenance", "AS-SHUT", "", uint16(0x184), int16(0), uint8(15), uint16(0x15), uint16(10), uint16(10), uint8(6))
	f.Add(uint32(64506), "Leaving", "", "AS-LEAVING", "", uint16(0x180|4<<9), int16(0), uint8(16), uint16(0x16), uint16(10), uint16(10), uint8(6))
	f.Add(uint32(64507), "Drained", "", "AS-DRAINED", "", uint16(0x180|3<<9), int16(0), uint8(17), uint16(0x17), uint16(10), uint16(10), uint8(6))
	f.Fuzz(func(t *testing.T, asn uint32, name, desc, imp, extra string, flags uint16, localPref int16, host4 uint8, host6 uint16, mp4, mp6 uint16, pfx uint8) {
		fsys := fstest.MapFS{
			"policies/policy.hcl":              {Data: []byte(fuzzPolicy)},
			fmt.Sprintf("peers/AS%d.hcl", asn): {Data: []byte(fuzzPeer(asn, name, desc, imp, extra, flags, localPref, host4, host6, mp4, mp6))},
		}
		repo, diags := intent.Load(fsys)
		if diags.HasErrors() {
			return
		}
		in := model.Inputs{IRR: map[bgp.ObjectRef]irr.Result{}}
		for _, ref := range model.ImportRefs(repo) {
			in.IRR[ref] = fuzzIRR(pfx)
		}
		m, _ := model.Build(repo, in)
		tm := defaultTemplates(t)
		for _, p := range tm.Platforms() {
			b, err := Render(withPlatform(m, p), "r1", tm)
			if err != nil {
				t.Fatalf("%s: a validated repository does not render: %v\n%s", p, err, fsys[fmt.Sprintf("peers/AS%d.hcl", asn)].Data)
			}
			if p == "bird2" {
				if err := parseBIRD(t, b); err != nil {
					t.Fatalf("%v\npeer file:\n%s", err, fsys[fmt.Sprintf("peers/AS%d.hcl", asn)].Data)
				}
			}
		}
	})
}

// fuzzIRR picks IRR data by the bits of pfx: an error, IPv4 and IPv6
// prefixes that aggregate in different ways, or nothing.
func fuzzIRR(pfx uint8) irr.Result {
	if pfx&1 != 0 {
		return irr.Result{Err: irr.ErrNotFound}
	}
	var r irr.Result
	if pfx&2 != 0 {
		for _, s := range []string{"198.18.0.0/23", "198.18.0.0/24", "198.18.1.0/24", "203.0.113.0/25"} {
			r.V4 = append(r.V4, netip.MustParsePrefix(s))
		}
	}
	if pfx&4 != 0 {
		for _, s := range []string{"2001:db8:a000::/36", "2001:db8:a000::/40", "2001:db8:b000::/48"} {
			r.V6 = append(r.V6, netip.MustParsePrefix(s))
		}
	}
	r.ASNs = []bgp.ASN{64501}
	return r
}
