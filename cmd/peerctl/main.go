// Command peerctl is peering as code: it validates, scores, plans, reviews
// and deploys the peering intents kept in a git repository.
//
// This package only wires flags to the domain packages; the work is done in
// intent, peeringdb, score, render, deploy and review.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], newSystemIO()))
}
