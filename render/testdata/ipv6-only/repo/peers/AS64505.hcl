peer "AS64505" {
  name   = "Six Only"
  import = "AS-SIXONLY"
  export = "AS64500"

  max_prefix {
    ipv4 = 100
    ipv6 = 250
  }

  session "IX-ONE" {
    ipv6 = "2001:db8:ffff:1::5"
  }
}
