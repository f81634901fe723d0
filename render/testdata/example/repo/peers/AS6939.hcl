peer "AS6939" {
  name   = "Hurricane Electric"
  import = "AS-HURRICANE"
  export = "AS-EXAMPLE"

  max_prefix {
    ipv4 = 200000
    ipv6 = 80000
  }

  session "DOC-IX-AMS" {
    ipv4 = "192.0.2.41"
    ipv6 = "2001:db8:ffff:1::41"
  }
  session "DOC-IX-FRA" {
    ipv4 = "192.0.2.141"
    ipv6 = "2001:db8:ffff:2::41"
  }
}
