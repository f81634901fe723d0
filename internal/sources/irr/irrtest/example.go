package irrtest

import (
	_ "embed"
	"strings"

	"github.com/peerform/peerform/internal/sources/irr"
)

// exampleRPSL is a copy of data/irr/example.rpsl at the repository root
// (go:embed cannot reach it from here); TestExampleMatchesRepository
// keeps the two equal.
//
//go:embed example.rpsl
var exampleRPSL string

// ExampleDB returns the IRR data of the example peering repository in
// this tree (data/irr/example.rpsl: AS-EXAMPLE and the import sets of
// peers/*.hcl), for tests that need a server with fixed data.
func ExampleDB() *irr.DB {
	db, rep, err := irr.ParseRPSL(strings.NewReader(exampleRPSL), irr.DefaultSnapshotSource)
	// Either is a bug in this package, caught by its tests.
	if err != nil {
		panic("irrtest: example.rpsl: " + err.Error())
	}
	if len(rep.Warnings) > 0 {
		panic("irrtest: example.rpsl: " + rep.Warnings[0])
	}
	return db
}
