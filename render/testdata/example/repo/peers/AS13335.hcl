peer "AS13335" {
  name   = "Cloudflare"
  import = "AS13335:AS-CLOUDFLARE"
  export = "AS-EXAMPLE"

  max_prefix {
    ipv4 = 3000
    ipv6 = 1000
  }

  session "DOC-IX-AMS" {
    ipv4 = "192.0.2.40"
    ipv6 = "2001:db8:ffff:1::40"
  }
}
