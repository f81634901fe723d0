peer "AS20940" {
  name   = "Akamai"
  import = "RIPE::AS-AKAMAI"
  export = "AS-EXAMPLE"

  max_prefix {
    ipv4 = 7000
    ipv6 = 1500
  }
  md5 = secret("AS20940") # PEERFORM_SECRET_AS20940 in the deploy job

  session "DOC-IX-FRA" {
    ipv4 = "192.0.2.142"
  }
}
