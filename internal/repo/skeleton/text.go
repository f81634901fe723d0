package skeleton

// The fixed parts of the skeleton: defaults written out so that they can be
// read and changed (docs/intents.md has every attribute).

const networkTail = `# AS-SETs are expanded by asking the IRR; add snapshot = ["file.rpsl"] to
# expand from files in the repository instead.
irr {
  servers = ["whois.radb.net:43"]
}

# RPKI: our routers drop RPKI-invalid routes (filters.rpki) by validating
# origins against RTR caches of our own (Routinator, rpki-client with
# StayRTR, …). List them here, host:port; until one is listed the routers do
# no origin validation and validate warns. vrps_file (rpki-client's JSON)
# lets plans and reviews show each prefix's RPKI state.
rpki {
  rtr = []
  # rtr       = ["rpki1.example.net:3323", "rpki2.example.net:3323"]
  # vrps_file = "data/rpki/vrps.json"
}

# PeeringDB: without a snapshot, peerform reads its cache
# (.peerform/peeringdb), filled by 'peerform peeringdb sync'.
# peeringdb {
#   snapshot = "data/peeringdb"
# }
`

const filtersHCL = `# The import policy every session gets: the safe defaults, written out.
filters {
  rpki                = "reject-invalid" # or "tag"; "off" accepts RPKI-invalid routes
  bogons              = true
  reject_own_prefixes = true
  graceful_shutdown   = true # honour GRACEFUL_SHUTDOWN (RFC 8326)
  ipv4_prefix_length  = [8, 24]
  ipv6_prefix_length  = [16, 48]
  local_pref          = 100

  # max-prefix = (PeeringDB count + absolute) x (1 + percent / 100)
  max_prefix_headroom_percent  = 10
  max_prefix_headroom_absolute = 0
  max_prefix_action            = "shutdown" # or "restart", "warn"
  max_prefix_restart_minutes   = 30

  max_prefix_default {
    ipv4 = 100
    ipv6 = 20
  }
}
`

const scoringHCL = `# Peer scoring (docs/scoring.md): the calibrated probability that a
# candidate agrees to peer, and where to peer (APC*).
scoring {
  profile         = "likelihood" # or "paper": the Meta-Peering felicity
  max_common_pops = 15
  criterion       = "own" # or "diff", "ratio"
  # traffic_mbps  = 2000  # our total traffic, for the saving estimates
}

# Prices as you are billed (docs/scoring.md, "Economics"): score, suggest
# and the pull-request comment weigh transit, settlement-free and paid
# peering per month. Until a price is set, no money figure is shown.
economics {
  # default_port_usd_per_month  = 500
  # cross_connect_usd_per_month = 150
  # port_usd_per_month    = { "ix:26" = 1200 } # PeeringDB ix id
  # ixp_fee_usd_per_month = { "ix:26" = 100 }  # membership fee
  #
  # transit "upstream" {
  #   asn                = 64496 # its neighbor_asn in the traffic block
  #   usd_per_mbps       = 0.40  # at the 95th percentile
  #   commit_mbps        = 1000
  #   burst_usd_per_mbps = 0.45  # above the commit
  #   billed             = "max" # or "in", "out", "sum"
  # }
  #
  # paid_peering "AS64511" {
  #   payer        = "us" # or "them"
  #   usd_per_mbps = 0.10
  # }
}
`

const peersReadme = `# peers/

One file per peer, named after its AS number: peers/AS13335.hcl.

    peer "AS13335" {
      name   = "Cloudflare"
      import = "AS13335:AS-CLOUDFLARE"  # what we accept: their AS-SET
      export = "AS-YOURNET"             # what we announce to them
    }

Sessions are derived from PeeringDB: the peer's addresses on the LANs of the
exchanges we share. Write session "IXP-NAME" { ipv4 = "…" } blocks to give
them by hand. 'peerform suggest' lists who to peer with;
'peerform validate' checks everything.
`

const gitignore = `# peerform's caches (PeeringDB, IRR) and local output
/.peerform/
/rendered/
`
