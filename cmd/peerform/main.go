// Command peerform is peering as code: it validates, scores, plans, reviews
// and deploys the peering intents kept in a git repository.
//
// This package only wires flags to the domain packages; the work is done in
// intent, peeringdb, score, render, deploy and review.
package main

import "os"

func main() {
	ios := newSystemIO()
	ctx, stop := interruptible(ios.ErrOut, os.Exit)
	code := runContext(ctx, os.Args[1:], ios)
	stop()
	os.Exit(code)
}
