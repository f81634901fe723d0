# Prices, as we are billed (docs/scoring.md, "Economics"). score, suggest
# and the pull-request comment weigh them against the likelihood that a
# candidate agrees: transit, settlement-free peering and paid peering
# side by side, per month. Without this block no money figure is shown.
economics {
  # A port at an exchange we are not priced for individually, and a
  # cross-connect for a private interconnect at a facility.
  default_port_usd_per_month  = 500
  cross_connect_usd_per_month = 150
  port_usd_per_month = {
    "ix:90001" = 1200
    "ix:90002" = 900
  }
  # Each exchange's membership fee, on top of its ports.
  ixp_fee_usd_per_month = {
    "ix:90001" = 100
  }

  # Transit at the 95th percentile of a month of 5-minute samples. asn
  # ties the provider to the transit links of the traffic policy
  # (neighbor_asn), so that measured traffic is billed with and without
  # a candidate. Defaults: no commit, burst at usd_per_mbps, billed on
  # the larger direction ("max"; or "in", "out", "sum").
  transit "upstream" {
    asn                = 64496
    usd_per_mbps       = 0.40
    commit_mbps        = 1000
    burst_usd_per_mbps = 0.45
    billed             = "max"
  }

  # A cloud provider bills volume instead (egress_usd_per_gb and
  # ingress_usd_per_gb, per decimal GB), e.g.
  #   transit "cloud" { asn = 64497, egress_usd_per_gb = 0.05 }

  # Paid peering: AS64504 sells access to its users. payer is "us" (the
  # default) or "them"; per Mbps at the 95th percentile, per GB and/or
  # flat, billed like transit (default "max").
  paid_peering "AS64504" {
    payer              = "us"
    usd_per_mbps       = 0.05
    flat_usd_per_month = 250
  }
}
