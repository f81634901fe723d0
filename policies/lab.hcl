# The lab environment: the same two sites, rebuilt in network namespaces on
# one machine by `make lab-up` (lab/README.md). `make lab-demo` deploys
# these routers with `peerform deploy --env lab` and checks their sessions;
# production commands leave them alone (--env defaults to production).

router "lab-ams-edge1" {
  platform     = "frr"
  host         = "127.0.0.1"
  port         = 2201
  user         = "peerform"
  ssh_key_file = "lab/run/demo/ssh/id_ed25519" # written by make lab-up
  router_id    = "198.51.100.1"
  environment  = "lab"
  rtr          = ["192.0.2.126:8282"] # the lab's stayrtr on the AMS LAN

  ixp "DOC-IX-AMS" {
    ipv4 = "192.0.2.1"
    ipv6 = "2001:db8:ffff:1::1"
  }
}

router "lab-fra-edge1" {
  platform     = "bird2"
  host         = "127.0.0.1"
  port         = 2202
  user         = "peerform"
  ssh_key_file = "lab/run/demo/ssh/id_ed25519"
  router_id    = "198.51.100.2"
  environment  = "lab"
  rtr          = ["192.0.2.254:8282"] # the lab's stayrtr on the FRA LAN

  ixp "DOC-IX-FRA" {
    ipv4 = "192.0.2.129"
    ipv6 = "2001:db8:ffff:2::1"
  }
}
