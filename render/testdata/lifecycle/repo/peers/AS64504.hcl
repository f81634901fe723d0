peer "AS64504" {
  name   = "Asked"
  import = "AS64504"
  export = "AS64500"
  status = "requested"

  session "IX-ONE" {
    ipv4 = "192.0.2.14"
  }
}
