# Peer scoring with the Meta-Peering method (docs/scoring.md).
scoring {
  beta            = 0.15
  gamma           = 0.85
  threshold       = 0.55
  max_common_pops = 15
  criterion       = "own" # or "diff", "ratio"
}

# Prices for the monthly cost/benefit estimate of a peering.
economics {
  transit_usd_per_mbps        = 0.40
  default_port_usd_per_month  = 500
  cross_connect_usd_per_month = 150
  port_usd_per_month = {
    "ix:90001" = 1200
    "ix:90002" = 900
  }
}
