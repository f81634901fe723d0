peer "AS64501" {
  name       = "Two Places"
  import     = "AS64501"
  export     = "AS64500"
  local_pref = 150

  session "IX-ONE" {
    ipv4 = "192.0.2.11"
  }
  session "IX-TWO" {
    ipv4 = "192.0.2.139"
  }
}
