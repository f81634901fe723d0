// Package likelihood estimates the probability that a candidate network
// agrees to peer: a logistic regression over what PeeringDB says about
// both networks and the pair (policy, ratio type, size, where both are
// present), the Meta-Peering results (W, A, α_R, α_C, the acceptable
// contracts) and, when an AS-relationships file is given, each network's
// place in the topology. Its raw output is calibrated on networks held
// out of the fit (isotonic regression), so 0.2 means about one in five.
//
// A Model is a small JSON document: feature names, the scaler, the
// coefficients, the calibration map, the decision threshold and where the
// model came from (data, date, held-out metrics). The product embeds a
// default fitted on public data (see docs/scoring.md for the command that
// refits it); operators refit on their own with `peerform model fit`.
//
// Evaluation never mixes networks across a split: Folds assigns networks,
// not pairs, to folds, and a fold's test pairs have both ends in the fold
// while its training pairs have neither (a random pair split lets a
// network's habits leak across and inflates every score).
//
// The package is pure: it takes feature inputs and labels and returns
// models, probabilities and metrics. It reads no files; callers adapt
// PeeringDB, scoring results and relationship files into Pair values.
package likelihood
