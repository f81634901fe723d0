# Measured traffic (docs/traffic.md). fra-edge1 exports IPFIX to
# `peerform traffic collect`; flows are attributed with a dump of its BGP
# table (BIRD's mrt protocol), and the links below tell transit from
# peering. The store lives in .peerform/traffic unless `store` says where.
traffic {
  rib           = "data/traffic/rib.mrt" # the example's invented table
  sampling_rate = 1000                   # fra-edge1 samples 1 in 1000
  exporters     = ["198.51.100.0/24"]    # our routers' loopbacks

  link "transit-upstream" {
    class        = "transit"
    neighbor_asn = 64496
    exporter     = "198.51.100.2" # fra-edge1
    ifindex      = [3]
    next_hops    = ["203.0.113.254", "2001:db8:ffff:9::1"]
  }
}
