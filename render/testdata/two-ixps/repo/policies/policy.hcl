# Two routers, one per exchange (BIRD at IX-ONE, FRR at IX-TWO), and a
# peer at both. Origin validation against two RTR caches; a peer that
# exceeds its limit is restarted after 15 minutes.
network {
  asn            = 64500
  name           = "Test Networks"
  prefixes       = ["198.51.100.0/24", "2001:db8:100::/48", "2001:db8:200::/48"]
  allow_peer_asn = ["documentation"]
}

ixp "IX-ONE" {
  ipv4_lan  = "192.0.2.0/25"
  ipv6_lan  = "2001:db8:ffff:1::/64"
  community = 1
}

ixp "IX-TWO" {
  ipv4_lan  = "192.0.2.128/25"
  ipv6_lan  = "2001:db8:ffff:2::/64"
  community = 2
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

router "r2" {
  platform  = "frr"
  host      = "r2.example.net"
  router_id = "198.51.100.2"

  ixp "IX-TWO" {
    ipv4 = "192.0.2.129"
    ipv6 = "2001:db8:ffff:2::1"
  }
}

filters {
  rpki                       = "reject-invalid"
  max_prefix_action          = "restart"
  max_prefix_restart_minutes = 15
}

rpki {
  rtr = ["127.0.0.1:3323", "localhost:8282"]
}
