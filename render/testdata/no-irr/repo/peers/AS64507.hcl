peer "AS64507" {
  name   = "Never Expanded"
  import = "AS-NEVER"
  export = "AS64500"

  session "IX-ONE" {
    ipv4 = "192.0.2.17"
  }
}
