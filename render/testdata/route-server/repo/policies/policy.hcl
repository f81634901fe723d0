# An FRR router at one exchange with two route servers (two addresses per
# family, from PeeringDB). Bogon exceptions; GRACEFUL_SHUTDOWN from peers
# is not honoured; own prefixes are not filtered.
network {
  asn            = 64500
  name           = "Test Networks"
  prefixes       = ["198.51.100.0/24", "2001:db8:100::/48"]
  allow_peer_asn = ["documentation"]
}

ixp "IX-ONE" {
  peeringdb_ix = 90001
  community    = 11
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
  bogon_exceptions    = ["203.0.113.0/24", "192.0.2.0/24", "2001:db8:5000::/36"]
  graceful_shutdown   = false
  reject_own_prefixes = false
}
