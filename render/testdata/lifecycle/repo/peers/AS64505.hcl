peer "AS64505" {
  name        = "Said No"
  import      = "AS64505"
  export      = "AS64500"
  status      = "declined"
  retry_after = "2027-06-30"

  session "IX-ONE" {
    ipv4 = "192.0.2.15"
  }
}
