// Package review is the pull-request side of peerform: it turns what a pull
// request changes — validation findings, the scores of new or changed peers,
// each router's config diff — into one Markdown report, and publishes it on
// GitHub as a sticky comment plus a check run whose annotations sit on the
// HCL lines at fault.
//
// The package has three parts that can be used apart:
//
//   - Event reads the GitHub Actions event payload (pull_request,
//     pull_request_target, push).
//   - Report is the typed content of a review; Build assembles it from the
//     results of validation, scoring and planning, and Markdown renders it,
//     always within GitHub's 65,536-character comment limit (router diffs are
//     cut first, then findings, each with a note saying so). What limits the
//     trust in it comes first: a change to peerform itself or to the CI
//     workflows.
//   - Publisher posts a report with go-github over a transport that bounds
//     every request in time and size, paces writes a second apart and waits
//     out 403/429 rate limits as GitHub's headers say. It edits its earlier
//     comment (found by marker and the token's own account) instead of
//     adding one per push, looks for what an unanswered create may have made
//     before making it again, creates the check run already completed and
//     sends annotations 50 per request, and falls back to workflow commands
//     and the job summary when the token cannot write (a pull request from a
//     fork) or there is none. Posting problems are logged, never returned as
//     a failure: the review must not fail a job because GitHub refused a
//     comment.
//
// The package does no validation, scoring or rendering of its own; callers
// pass the results in.
package review
