package irrtest

import (
	_ "embed"
	"strings"
)

//go:embed example.rpsl
var exampleRPSL string

// ExampleDB returns IRR data for the example peering repository of this
// tree (AS-EXAMPLE and the import sets of peers/*.hcl), for tests that need
// a server with fixed data. See example.rpsl for what it holds.
func ExampleDB() *DB {
	db, err := ParseRPSL(strings.NewReader(exampleRPSL))
	if err != nil {
		panic("irrtest: example.rpsl: " + err.Error()) // a bug in this package, caught by its tests
	}
	return db
}
