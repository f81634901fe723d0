// Package score implements the Meta-Peering method of peer selection
// (Dey, Mustafa, Yuksel, ANRW '21) as pinned down in docs/scoring.md: common
// points of presence, traffic estimates, the possible peering contracts
// (every non-empty subset of the common PoPs), each side's policy filter and
// sorting criterion, willingness (W), affinity (A), felicity (F) and the
// joint ranking APC* that suggests where to peer.
//
// The package is pure: it takes networks, parameters and a Population to ask
// about, and returns results. It does no I/O, keeps no state between calls
// and is deterministic: the same inputs give the same output, including the
// sampling estimator, whose random source is seeded from Params.Seed.
//
// Exact enumeration runs up to ExactLimit (20) common PoPs: 2^20−1 contracts
// per side, with subset sums built by dynamic programming over bitmasks and
// one typed sort per side. Above that (only when the cap is raised past 20)
// W is estimated from uniformly sampled contracts in independent batches,
// reported with a 95% interval, and the top of APC* comes from a best-first
// search over contracts scored by their estimated quantiles.
//
// What the package does not do: fetch PeeringDB data, read policy files or
// know where population numbers come from. Callers adapt those into Network,
// Params and Population.
package score
