# The lifecycle statuses on one router at two exchanges, one of which is
# in maintenance, and a second router in maintenance: a peer drained at
# one IXP only, one drained everywhere, one being decommissioned, and a
# requested and a declined peer that render nothing.
network {
  asn            = 64500
  name           = "Test Networks"
  prefixes       = ["198.51.100.0/24", "2001:db8:100::/48"]
  allow_peer_asn = ["documentation"]
}

ixp "IX-ONE" {
  ipv4_lan = "192.0.2.0/25"
  ipv6_lan = "2001:db8:ffff:1::/64"
}

ixp "IX-TWO" {
  ipv4_lan = "192.0.2.128/25"
  ipv6_lan = "2001:db8:ffff:2::/64"
  status   = "maintenance"
}

router "r1" {
  platform  = "frr"
  host      = "r1.example.net"
  router_id = "198.51.100.1"

  ixp "IX-ONE" {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
  ixp "IX-TWO" {
    ipv4 = "192.0.2.129"
    ipv6 = "2001:db8:ffff:2::1"
  }
}

router "r2" {
  platform  = "bird2"
  host      = "r2.example.net"
  router_id = "198.51.100.2"
  status    = "maintenance"

  ixp "IX-ONE" {
    ipv4 = "192.0.2.2"
  }
}

filters {
  rpki = "off"
}
