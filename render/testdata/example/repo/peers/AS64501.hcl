# Sessions are derived from PeeringDB: its addresses on both our IXPs.
peer "AS64501" {
  name   = "Doc Transit Alpha"
  import = "AS-ALPHA"
  export = "AS-EXAMPLE"
  gtsm   = true
  bfd    = true
}
