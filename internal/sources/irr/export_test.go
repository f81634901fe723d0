package irr

// Internals the external tests (package irr_test, which can import
// irrtest) check against.
var (
	ErrNoSourceList = errNoSourceList
	ComparePrefix   = comparePrefix
)
