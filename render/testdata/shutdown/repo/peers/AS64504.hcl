peer "AS64504" {
  name       = "Steady"
  import     = "AS64504"
  export     = "AS64500"
  local_pref = 120

  session "IX-ONE" {
    ipv4 = "192.0.2.14"
  }
}
