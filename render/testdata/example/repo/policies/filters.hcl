# The import policy every session gets. These are the defaults, written
# out so that they can be read and changed.
filters {
  rpki                = "reject-invalid" # or "tag", "off"
  bogons              = true
  reject_own_prefixes = true
  graceful_shutdown   = true # honour GRACEFUL_SHUTDOWN (RFC 8326)
  ipv4_prefix_length  = [8, 24]
  ipv6_prefix_length  = [16, 48]
  local_pref          = 100

  # max-prefix = (PeeringDB count + absolute) x (1 + percent / 100)
  max_prefix_headroom_percent  = 10
  max_prefix_headroom_absolute = 0
  max_prefix_action            = "shutdown" # or "restart", "warn"
  max_prefix_restart_minutes   = 30

  max_prefix_default {
    ipv4 = 100
    ipv6 = 20
  }
  max_prefix_floor {
    ipv4 = 10
    ipv6 = 10
  }
}
