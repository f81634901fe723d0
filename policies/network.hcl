# Our own network. Everything in this repository uses documentation
# numbers (RFC 5398, RFC 5737, RFC 3849): fork it and put in your own.
network {
  asn      = 64500
  name     = "Example Networks"
  as_set   = "AS-EXAMPLE"
  prefixes = ["198.51.100.0/24", "2001:db8:100::/48"]

  # The example peers with documentation AS numbers; a production
  # repository normally leaves this out.
  allow_peer_asn = ["documentation"]
}

# Where PeeringDB data comes from when --peeringdb is not given: the small
# snapshot shipped with the example, so everything runs offline.
peeringdb {
  snapshot = "data/peeringdb"
}

# AS-SETs are expanded from the IRR snapshot shipped with the example
# (data/irr/README.md), so that everything runs offline; without
# snapshot, the servers are asked.
irr {
  servers   = ["rr.ntt.net:43"]
  sources   = ["RIPE", "ARIN", "RADB"]
  cache_ttl = "12h"
  snapshot  = ["data/irr/example.rpsl"]
}

# RPKI: the routers validate origins against these RTR caches; peerform
# itself reads the validator's output to tag IRR prefixes in plans and
# reviews (the example ships invented VRPs, data/rpki/README.md).
rpki {
  rtr       = ["198.51.100.10:8282", "198.51.100.11:8282"]
  vrps_file = "data/rpki/vrps.json"
}
