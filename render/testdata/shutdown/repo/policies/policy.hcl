# One FRR router; one peer being drained (RFC 8326 graceful shutdown) and
# one that is not. Max-prefix only warns; RPKI is off.
network {
  asn            = 64500
  name           = "Test Networks"
  prefixes       = ["198.51.100.0/24", "2001:db8:100::/48"]
  allow_peer_asn = ["documentation"]
}

ixp "IX-ONE" {
  ipv4_lan  = "192.0.2.0/25"
  ipv6_lan  = "2001:db8:ffff:1::/64"
  community = 3
}

router "r1" {
  platform  = "frr"
  host      = "r1.example.net"
  router_id = "198.51.100.1"

  ixp "IX-ONE" {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
}

filters {
  rpki               = "off"
  max_prefix_action  = "warn"
  ipv4_prefix_length = [8, 24]
  ipv6_prefix_length = [19, 48]
}
