# Our routers and the exchanges they connect to. Each ixp block inside a
# router gives that router's own addresses on the exchange LAN.

router "ams-edge1" {
  platform  = "frr"
  host      = "ams-edge1.example.net"
  user      = "peerform"
  router_id = "198.51.100.1"

  ixp "DOC-IX-AMS" {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
}

router "fra-edge1" {
  platform  = "bird2"
  host      = "fra-edge1.example.net"
  user      = "peerform"
  router_id = "198.51.100.2"

  ixp "DOC-IX-FRA" {
    ipv4 = "192.0.2.129"
    ipv6 = "2001:db8:ffff:2::1"
  }
}

deploy {
  parallel        = 1
  order           = ["fra-edge1", "ams-edge1"]
  confirm_timeout = "2m"
  verify_timeout  = "60s"
}
