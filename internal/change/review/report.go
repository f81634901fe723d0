package review

import (
	"fmt"

	"github.com/peerform/peerform/internal/core/platform"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
)

// Verdict is the one-line outcome of a review.
type Verdict int

const (
	// Pass: no errors and no warnings.
	Pass Verdict = iota
	// Warn: mergeable, but there are warnings to read.
	Warn
	// Fail: there are errors; the change must not be merged as is.
	Fail
)

func (v Verdict) String() string {
	switch v {
	case Pass:
		return "pass"
	case Warn:
		return "warn"
	case Fail:
		return "fail"
	}
	return fmt.Sprintf("Verdict(%d)", int(v))
}

// MarshalText makes the verdict "pass", "warn" or "fail" in JSON.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Conclusion is the check-run conclusion for the verdict. Warnings do not
// block a merge, so they conclude "neutral".
func (v Verdict) Conclusion() string {
	switch v {
	case Pass:
		return "success"
	case Warn:
		return "neutral"
	}
	return "failure"
}

// Severity of a finding.
type Severity int

const (
	SeverityError Severity = iota
	SeverityWarning
	SeverityNotice
)

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityNotice:
		return "notice"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Report is everything a review says, in the order the comment shows it.
type Report struct {
	Verdict Verdict
	// Base and Head are the commits compared (the merge base and the
	// pull request's head); shown abbreviated.
	Base, Head string
	// Files are the intent files the change touches.
	Files []FileChange
	// Peers are the new or changed peers, scored.
	Peers []PeerReport
	// Findings are validation, IRR and RPKI problems, errors first.
	Findings []Finding
	// Routers are the routers whose rendered config changes.
	Routers []RouterDiff
	// Planned says router configs were rendered and compared; when false
	// the report makes no claim about router changes.
	Planned bool
	// BaseData and HeadData say which outside data and templates each
	// state was rendered from, so the review can be reproduced.
	BaseData, HeadData []DataVersion
	// DataChanges are the differences between them, with the peers each
	// one affects.
	DataChanges []plan.DataChange
	// Management lists the routers whose management settings change (how
	// peerform reaches and deploys them); DeployPolicy the changes of the
	// deploy block.
	Management   []plan.RouterSettings
	DeployPolicy []plan.Setting
	// Statuses are the lifecycle changes: peers requested, drained,
	// decommissioned or removed, routers and IXPs in maintenance.
	Statuses []plan.StatusChange
	// Code lists the changed files that are peerform itself (Go code, its
	// module files, embedded files), Templates the changed router
	// templates of the repository's templates/ folder (which the diffs
	// render, each state with its own), Workflows the changed CI files.
	Code, Templates, Workflows []string
	// HeadBuild is what peerform built from the head renders, when the
	// change touches Code and that rendering was provided.
	HeadBuild *HeadBuild
	// Reviewer is the version of peerform that made the report.
	Reviewer string
	// Notes are remarks about the review itself (a step that could not
	// run, data that was unavailable).
	Notes []string
	// Fallback, when set, says where the findings are when the report
	// is not the pull request comment (the job summary of a fork's
	// pull request): Markdown cites it instead of the check run.
	Fallback string
}

// HeadBuild is the rendering of the head by peerform built from the head:
// untrusted output of the pull request's own code, compared with what the
// base renders.
type HeadBuild struct {
	// Routers are the routers whose config it renders differently from
	// the base.
	Routers []RouterDiff
	// Missing lists routers it rendered no config for.
	Missing []string
}

// FileChange is one intent file the change adds, modifies or deletes.
type FileChange struct {
	Path   string
	Change string // "added", "modified" or "deleted"
}

// PeerReport is the Meta-Peering assessment of one new or changed peer.
type PeerReport struct {
	ASN    bgp.ASN
	Name   string
	File   string // the intent file, e.g. peers/AS13335.hcl
	Change string // "added" or "modified"
	// Unscored says why there is no score (not in PeeringDB, no common
	// PoP, no acceptable contract); empty when the scores below are set.
	Unscored string

	Felicity, Willingness, Affinity float64
	// Likelihood is set under the likelihood profile: Felicity is then the
	// probability that the peer agrees, with the reasons each way.
	Likelihood *likelihood.Prediction
	// PaperFelicity is the Meta-Peering F, whatever the profile.
	PaperFelicity float64
	// AlphaR is what we gain in coverage, AlphaC what the peer gains.
	AlphaR, AlphaC float64
	Threshold      float64
	// TrafficUnit is "Mbps" when traffic was measured, else "model"
	// (gravity units, meaningful only as ratios).
	TrafficUnit string
	// APC is the top of APC*, best first.
	APC []Contract
	// Verdict is the recommendation: likelihood and money in one rule
	// (score.Verdict); the only mark the peer gets.
	Verdict score.Verdict
	// Money is the business case of the best contract; nil when no
	// prices are known.
	Money *Money
	Notes []string
}

// Contract is one entry of APC*: a set of PoPs to peer at.
type Contract struct {
	Rank int
	// PoPs are display names with cities, e.g. "Doc DC Amsterdam 1
	// (Amsterdam)".
	PoPs []string
	// TrafficMoved is the traffic the contract takes off transit, in the
	// report's TrafficUnit.
	TrafficMoved float64
	// MonthlySavingUSD is the net monthly saving of settlement-free
	// peering over transit; known only for the
	// contracts the economics were computed for.
	MonthlySavingUSD float64
	SavingKnown      bool
	// WillingnessR, WillingnessC and Willingness are ω_R (ours), ω_C
	// (theirs) and the joint ω_RC.
	WillingnessR, WillingnessC, Willingness float64
}

// Money is the monthly business case of peering at the best contract:
// transit, settlement-free and paid peering side by side.
type Money struct {
	billing.Comparison
	// TrafficSource is "flows" (measured over MeasuredDays days),
	// "measured" (modelled from the policy's total), "peeringdb"
	// (modelled from declared traffic), "ports" (modelled from port
	// capacity) or "" when no volume is known and only the break-even
	// means anything.
	TrafficSource string
	MeasuredDays  int
}

// Finding is one problem, located in a file when it has a place.
type Finding struct {
	Severity Severity
	// File is repository-relative; empty for problems without a place
	// (an IRR server that did not answer).
	File    string
	Line    int // 1-based; 0 when unknown
	Col     int
	EndLine int
	EndCol  int
	Title   string // short summary
	Message string // what is wrong and what to do
}

// RouterDiff is the change of one router's rendered configuration.
type RouterDiff struct {
	Router   string
	Platform platform.Name
	// Summary is a one-line description, e.g. "1 session added".
	Summary string
	// Diff is a unified diff of the rendered config, base → head.
	Diff string
}

// DataVersion names one outside data source and the version used.
type DataVersion struct {
	Name    string // "PeeringDB", "IRR", "RPKI"
	Version string // snapshot time, serial, server
}
