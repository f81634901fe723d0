# A BIRD router with peers the IRR said nothing useful about: one whose
# expansion failed, one that was never expanded, and one with IPv4 data
# only but sessions of both families. Every family without prefixes is
# deny-all.
network {
  asn            = 64500
  name           = "Test Networks"
  prefixes       = ["198.51.100.0/24"]
  allow_peer_asn = ["documentation", "private"]
}

ixp "IX-ONE" {
  ipv4_lan = "192.0.2.0/25"
  ipv6_lan = "2001:db8:ffff:1::/64"
}

router "r1" {
  platform = "bird2"
  host     = "r1.example.net"

  ixp "IX-ONE" {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
}
