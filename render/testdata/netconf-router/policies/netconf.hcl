# Added to the example repository (testdata/example/repo) by the test: a
# third router at DOC-IX-AMS, configured over NETCONF with the peerform-bgp
# payload.
router "ams-edge2" {
  platform  = "netconf"
  host      = "ams-edge2.example.net"
  user      = "peerform"
  router_id = "198.51.100.3"

  ixp "DOC-IX-AMS" {
    ipv4 = "192.0.2.2"
    ipv6 = "2001:db8:ffff:1::2"
  }
}
