# From PeeringDB (net 90507). Sessions and max-prefix are derived from
# PeeringDB until written here.
peer "AS64504" {
  name   = "Doc Hosting Epsilon"
  import = "AS-EPSILON"
  export = "AS-EXAMPLE"
  status = "requested"
}
