package intent

// Bounds of the numbers that reach router configs. Validation refuses
// values outside them and the renderers check them again (package render's
// guard) from these same constants, so that a repository that validates
// renders on every platform.
const (
	// MaxLocalPref is the largest local preference: BIRD's filter
	// integers are signed 32-bit, so 2^31-1 is what every platform takes.
	MaxLocalPref = 1<<31 - 1
	// MaxPrefixLimit is the largest max-prefix limit of a session (BIRD's
	// import limit is a signed 32-bit integer as well).
	MaxPrefixLimit = 1<<31 - 1
	// MaxRestartMinutes bounds max_prefix_restart_minutes (a day).
	MaxRestartMinutes = 1440
	// MaxHeadroomPercent and MaxHeadroomAbsolute bound the max-prefix
	// headroom, so that a derived limit (at most 10,000,000 PeeringDB
	// prefixes plus headroom) stays below MaxPrefixLimit.
	MaxHeadroomPercent  = 1000
	MaxHeadroomAbsolute = 1_000_000
	// MaxCommunityID bounds an IXP's informational community id, the
	// 16-bit middle part of a large community on every platform.
	MaxCommunityID = 65535
)
