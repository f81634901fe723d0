# Peer scoring (docs/scoring.md). The "likelihood" profile rates a peering
# by the calibrated probability that the candidate agrees, from the embedded
# model, and recommends at the model's own threshold (chosen from data to
# keep 85% of known peerings). profile = "paper" gives the Meta-Peering
# felicity as published, with beta, gamma and threshold (0.55).
scoring {
  profile         = "likelihood"
  max_common_pops = 15
  criterion       = "own" # or "diff", "ratio": where to peer (APC*)
}

