// Package review is the pull-request side of peerctl: it turns what a pull
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
//     cut first, then findings, each with a note saying so).
//   - Publisher posts a report with go-github: it edits its earlier comment
//     instead of adding one per push, sends annotations 50 per request, waits
//     out primary and secondary rate limits, and falls back to workflow
//     commands and the job summary when the token cannot write (a pull
//     request from a fork) or there is none. Posting problems are logged,
//     never returned as a failure: the review must not fail a job because
//     GitHub refused a comment.
//
// The package does no validation, scoring or rendering of its own; callers
// pass the results in.
package review
