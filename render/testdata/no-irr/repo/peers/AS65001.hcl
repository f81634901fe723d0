peer "AS65001" {
  name   = "Four Only (private AS)"
  import = "AS65001"
  export = "AS64500"

  session "IX-ONE" {
    ipv4 = "192.0.2.18"
    ipv6 = "2001:db8:ffff:1::18"
  }
}
