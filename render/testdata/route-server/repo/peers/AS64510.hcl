# Sessions with both route servers come from PeeringDB.
peer "AS64510" {
  name         = "One IX Route Servers"
  import       = "AS-ONEIX-RS"
  export       = "AS64500"
  route_server = true
  role_strict  = true # the route servers announce their role (RFC 9234)
}
