peer "AS64502" {
  name   = "Leaving"
  import = "AS64502"
  export = "AS64500"
  status = "decommissioning"

  session "IX-ONE" {
    ipv4   = "192.0.2.12"
    ipv6   = "2001:db8:ffff:1::12"
    router = "r1"
  }
}
