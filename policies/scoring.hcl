# Peer scoring with the Meta-Peering method (docs/scoring.md).
scoring {
  beta  = 0.15
  gamma = 0.85
  # The method's default threshold is the paper's 0.55. Affinity is
  # sqrt(gain_R x gain_C) and the two gains add up to at most 1, so affinity
  # never exceeds 0.5 and felicity stays below about 0.555: at 0.55 almost
  # nothing is recommended. This network recommends from 0.3 (the paper's
  # holistic threshold).
  threshold       = 0.3
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
