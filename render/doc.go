// Package render turns the resolved model of a peering repository into the
// text of each router's configuration.
//
// Rendering has two steps. NewView builds, for one router, a typed view
// of everything its configuration holds: sessions per IXP and address
// family, each peer's aggregated IRR prefix list (or deny-all), limits,
// policy names, bogon tables, RTR caches. Names of protocols, policies and
// prefix lists are derived from AS numbers, IXP identifiers and families,
// never from free text, and every string in the view is checked again
// against the allow-list the intent loader applies, so a value that slipped
// past validation makes rendering fail instead of changing a config's
// shape. Then a platform's text/template set (see package templates)
// prints the view. Templates get only pure helper functions.
//
// The package is pure: no I/O, no clock, no global state. The same model
// and templates always give the same bytes, which is what makes plans
// (package plan) and reviews meaningful.
package render
