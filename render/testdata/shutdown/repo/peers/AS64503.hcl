peer "AS64503" {
  name        = "Draining"
  description = "Maintenance window: traffic moves away"
  import      = "AS-DRAIN"
  export      = "AS64500"
  shutdown    = true

  session "IX-ONE" {
    ipv4 = "192.0.2.13"
    ipv6 = "2001:db8:ffff:1::13"
  }
}
