peer "AS64501" {
  name       = "Both Places"
  import     = "AS-BOTH"
  export     = "AS64500"
  md5        = secret("AS64501")
  gtsm       = true
  bfd        = true
  local_pref = 200

  max_prefix {
    ipv4 = 500
    ipv6 = 100
  }

  session "IX-ONE" {
    ipv4 = "192.0.2.11"
    ipv6 = "2001:db8:ffff:1::11"
  }
  session "IX-TWO" {
    ipv4 = "192.0.2.139"
    ipv6 = "2001:db8:ffff:2::11"
  }
}
