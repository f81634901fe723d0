peer "AS64510" {
  name         = "DOC-IX Route Servers"
  import       = "AS-DOCIX-RS"
  export       = "AS-EXAMPLE"
  route_server = true
}
