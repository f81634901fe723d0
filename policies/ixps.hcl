# The exchanges we are at. LANs come from PeeringDB (ixpfx) unless given
# here; giving them lets validation check addresses without PeeringDB.
# Peer addresses come from PeeringDB (netixlan) and, where the exchange
# publishes one, from its IX-F member export (ixf_export); where the two
# disagree the exchange's own export wins, with a warning.

ixp "DOC-IX-AMS" {
  peeringdb_ix = 90001
  ipv4_lan     = "192.0.2.0/25"
  ipv6_lan     = "2001:db8:ffff:1::/64"
  community    = 1                          # routes learnt here carry (64500, 1, peer AS)
  ixf_export   = "data/ixf/doc-ix-ams.json" # the exchange's member list
}

ixp "DOC-IX-FRA" {
  peeringdb_ix = 90002
  ipv4_lan     = "192.0.2.128/25"
  ipv6_lan     = "2001:db8:ffff:2::/64"
  community    = 2
}
