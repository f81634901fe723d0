peer "AS64503" {
  name   = "Under Maintenance"
  import = "AS64503"
  export = "AS64500"
  status = "maintenance"

  session "IX-ONE" {
    ipv6   = "2001:db8:ffff:1::13"
    router = "r1"
  }
}
