peer "AS64503" {
  name     = "Doc Eyeballs Gamma"
  import   = "AS-GAMMA"
  export   = "AS-EXAMPLE"
  shutdown = true # draining for maintenance: RFC 8326 graceful shutdown
}
