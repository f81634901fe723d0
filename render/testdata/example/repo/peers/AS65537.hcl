peer "AS65537" {
  name   = "Doc Cloud Delta"
  import = "AS65537:AS-DELTA"
  export = "AS-EXAMPLE"
}
