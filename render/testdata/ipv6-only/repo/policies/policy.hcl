# One BIRD router at one exchange; a peer with an IPv6 session only.
# RPKI in tag mode against a local RTR cache.
network {
  asn            = 64500
  name           = "Test Networks"
  prefixes       = ["198.51.100.0/24", "2001:db8:100::/48"]
  allow_peer_asn = ["documentation"]
}

ixp "IX-ONE" {
  ipv4_lan  = "192.0.2.0/25"
  ipv6_lan  = "2001:db8:ffff:1::/64"
  community = 7
}

router "r1" {
  platform  = "bird2"
  host      = "r1.example.net"
  router_id = "198.51.100.1"

  ixp "IX-ONE" {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
}

filters {
  rpki = "tag"
}

rpki {
  rtr = ["127.0.0.1:3323"]
}
