peer "AS64502" {
  name        = "Doc Content Beta"
  description = "Content network, Frankfurt only"
  import      = "AS64502"
  export      = "AS-EXAMPLE"
  ixps        = ["DOC-IX-FRA"]
  local_pref  = 150
}
