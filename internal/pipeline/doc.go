// Package pipeline turns a peering repository into what the commands
// report and act on: a state of the repository (the working tree, or a
// commit read from git) with the outside data its policies name
// (PeeringDB, IRR, RPKI) resolved into a model; the plan of two states
// (PlanStates); the inputs of a pull request's review (ReviewInputs); the
// deploy targets of an environment (RepoRollout); and the scoring
// environment of score, suggest and evaluate (LoadScoring).
//
// Everything a step needs from the command line comes in Options: the
// repository directory, the PeeringDB source, --offline, and where logs,
// progress and warnings go. The package prints nothing else: diagnostics
// are returned for the caller to show. A request that does not fit the
// repository (a router or environment it does not have) is a UsageError;
// a repository whose problems keep a step from its result is a
// FindingsError.
package pipeline
