// Package model resolves the intents of a peering repository against the
// outside world — PeeringDB, the IRR and RPKI — into what each router must
// be configured with: its sessions per IXP and address family, each peer's
// prefix filters and limits, and where every value came from (provenance).
//
// The model is built fresh from an intent.Repo and data that has already
// been fetched; it does no I/O and never modifies the intents. render turns
// a model into router configs; deploy and check use it to know which
// sessions must be Established.
package model
