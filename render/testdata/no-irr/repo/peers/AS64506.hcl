peer "AS64506" {
  name   = "Failed Lookup"
  import = "AS-FAILS"
  export = "AS64500"

  session "IX-ONE" {
    ipv4 = "192.0.2.16"
    ipv6 = "2001:db8:ffff:1::16"
  }
}
