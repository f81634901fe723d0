package review

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/repo/gitfs"
)

// Inputs are the results a review is built from. Validation, scoring and
// planning produce them; Build only arranges them.
type Inputs struct {
	// Base and Head are the commits compared: the merge base of the pull
	// request's base and head, and its head.
	Base, Head string
	// Changes are the paths under peers/ and policies/ the change touches
	// (gitfs.Repo.Changes).
	Changes []gitfs.Change
	// Diagnostics are every problem found at head: intent validation and
	// what resolving the intents against PeeringDB, IRR and RPKI found.
	Diagnostics hcl.Diagnostics
	// Scores are the Meta-Peering results for new or changed peers.
	Scores []PeerScore
	// Routers are the routers whose rendered config differs between base
	// and head; Planned says that comparison was made.
	Routers []RouterDiff
	Planned bool
	// The rest is copied into the Report (see there).
	BaseData, HeadData []DataVersion
	DataChanges        []plan.DataChange
	Management         []plan.RouterSettings
	DeployPolicy       []plan.Setting
	Statuses           []plan.StatusChange
	Code, Templates    []string
	Workflows          []string
	HeadBuild          *HeadBuild
	Reviewer           string
	Notes              []string
}

// PeerScore is the scoring outcome for one peer: a result, or why there is
// none.
type PeerScore struct {
	ASN  bgp.ASN
	Name string
	// Result is nil when the peer could not be scored.
	Result *score.Result
	// Unscored says why Result is nil ("not in the PeeringDB snapshot").
	Unscored string
}

// contractsShown is how many APC* entries a peer's section lists: the
// paper's "top 3".
const contractsShown = 3

// Build arranges the inputs into a report: findings from diagnostics
// (errors first), a section per new or changed peer file in the order of
// the changes, routers by name, and the verdict — Fail with any error, Warn
// with warnings, Pass otherwise.
func Build(in Inputs) Report {
	r := Report{Base: in.Base, Head: in.Head, BaseData: in.BaseData, HeadData: in.HeadData, Notes: in.Notes,
		DataChanges: in.DataChanges, Management: in.Management, DeployPolicy: in.DeployPolicy, Statuses: in.Statuses,
		Code: in.Code, Templates: in.Templates, Workflows: in.Workflows, HeadBuild: in.HeadBuild, Reviewer: in.Reviewer,
		Planned: in.Planned || len(in.Routers) > 0}
	var hidden int
	r.Findings, hidden = scopeFindings(FindingsFromHCL(in.Diagnostics), in.Changes, len(in.DataChanges) > 0)
	if hidden > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d warning(s) about files this change does not touch are not shown; peerform validate lists them.", hidden))
	}
	sortFindings(r.Findings)

	scores := map[bgp.ASN]PeerScore{}
	for _, s := range in.Scores {
		scores[s.ASN] = s
	}
	seen := map[bgp.ASN]bool{}
	for _, ch := range in.Changes {
		r.Files = append(r.Files, FileChange{Path: ch.Path, Change: changeWord(ch.Action)})
		asn, ok := PeerFile(ch.Path)
		if !ok || ch.Action == gitfs.Delete || seen[asn] {
			continue
		}
		seen[asn] = true
		s, scored := scores[asn]
		if !scored {
			s = PeerScore{ASN: asn, Unscored: "no score was computed for this peer"}
		}
		p := PeerFromScore(s)
		p.File, p.Change = ch.Path, changeWord(ch.Action)
		r.Peers = append(r.Peers, p)
	}
	// Scores for peers whose own file did not change (a policy change
	// that affects them) follow, by ASN.
	var rest []PeerScore
	for _, s := range in.Scores {
		if !seen[s.ASN] {
			rest = append(rest, s)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i].ASN < rest[j].ASN })
	for _, s := range rest {
		p := PeerFromScore(s)
		p.Change = "modified"
		r.Peers = append(r.Peers, p)
	}

	r.Routers = append([]RouterDiff(nil), in.Routers...)
	sort.Slice(r.Routers, func(i, j int) bool { return r.Routers[i].Router < r.Routers[j].Router })

	errs, warns := countFindings(r.Findings)
	switch {
	case errs > 0:
		r.Verdict = Fail
	case warns > 0:
		r.Verdict = Warn
	default:
		r.Verdict = Pass
	}
	return r
}

func changeWord(a gitfs.Action) string {
	switch a {
	case gitfs.Insert:
		return "added"
	case gitfs.Delete:
		return "deleted"
	}
	return "modified"
}

// PeerFile reports whether p is a peer intent file (peers/AS13335.hcl or
// peers/AS13335.hcl.json) and the AS number its name carries.
func PeerFile(p string) (bgp.ASN, bool) {
	dir, file := path.Split(p)
	if dir != "peers/" {
		return 0, false
	}
	base, ok := strings.CutSuffix(file, ".hcl.json")
	if !ok {
		if base, ok = strings.CutSuffix(file, ".hcl"); !ok {
			return 0, false
		}
	}
	if !strings.HasPrefix(strings.ToUpper(base), "AS") {
		return 0, false
	}
	asn, err := bgp.ParseASN(base)
	return asn, err == nil
}

// PeerFromScore turns a scoring result into the peer's section: the
// scores, the top of APC* with PoP names and cities, the traffic each
// contract moves and the business case of the best one.
func PeerFromScore(s PeerScore) PeerReport {
	p := PeerReport{ASN: s.ASN, Name: s.Name, Unscored: s.Unscored}
	res := s.Result
	if res == nil {
		if p.Unscored == "" {
			p.Unscored = "not scored"
		}
		return p
	}
	if p.Name == "" {
		p.Name = res.Candidate.Name
	}
	p.Notes = res.Notes
	if res.Felicity < 0 {
		why := firstOr(res.Notes, "the two networks have no acceptable peering contract")
		if len(res.Rejections) > 0 {
			why = fmt.Sprintf("%v accepts no contract: %s", res.Rejections[0].ASN, res.Rejections[0].Reason)
		}
		p.Unscored = "no felicity: " + why
		p.Notes = restOf(res.Notes)
		return p
	}
	p.Felicity, p.Willingness, p.Affinity = res.Felicity, res.Willingness, res.Affinity
	p.Likelihood, p.PaperFelicity = res.Likelihood, res.PaperFelicity
	p.AlphaR, p.AlphaC = res.AlphaRequester, res.AlphaCandidate
	p.Threshold, p.Verdict = res.Threshold, res.Verdict()

	// Model units mean nothing alone; a share of our own traffic does.
	p.TrafficUnit = res.TrafficUnit
	scale := 1.0
	if res.TrafficUnit != "Mbps" && res.Requester.Traffic > 0 {
		p.TrafficUnit, scale = "%", 100/res.Requester.Traffic
	}
	var best []string
	if e := res.Economics; e != nil && len(e.PoPs) > 0 {
		best = e.PoPs
		if c := e.Comparison; c != nil {
			p.Money = &Money{Comparison: *c, TrafficSource: e.TrafficSource, MeasuredDays: e.MeasuredDays}
		}
	}
	for i, rk := range res.APC {
		if i == contractsShown {
			break
		}
		c := Contract{Rank: i + 1, TrafficMoved: rk.Out * scale,
			WillingnessR: rk.OmegaR, WillingnessC: rk.OmegaC, Willingness: rk.OmegaRC}
		keys := make([]string, len(rk.PoPs))
		for j, pop := range rk.PoPs {
			keys[j] = pop.Key
			name := pop.Name
			if name == "" {
				name = pop.Key
			}
			if pop.City != "" {
				name += " (" + pop.City + ")"
			}
			c.PoPs = append(c.PoPs, name)
		}
		if m := p.Money; m != nil && m.TrafficSource != "" && sameSet(keys, best) {
			c.MonthlySavingUSD, c.SavingKnown = m.TransitUSD-m.SettlementFreeUSD, true
		}
		p.APC = append(p.APC, c)
	}
	return p
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

func restOf(s []string) []string {
	if len(s) <= 1 {
		return nil
	}
	return s[1:]
}

// FindingsFromHCL converts diagnostics to findings. File names are made
// repository-relative and slash-separated, as annotations need them.
func FindingsFromHCL(diags hcl.Diagnostics) []Finding {
	out := make([]Finding, 0, len(diags))
	for _, d := range diags {
		if d == nil {
			continue
		}
		f := Finding{Severity: SeverityError, Title: d.Summary, Message: d.Detail}
		if d.Severity == hcl.DiagWarning {
			f.Severity = SeverityWarning
		}
		if s := d.Subject; s != nil && s.Filename != "" {
			f.File = strings.TrimPrefix(path.Clean(strings.ReplaceAll(s.Filename, "\\", "/")), "./")
			f.Line, f.Col = s.Start.Line, s.Start.Column
			f.EndLine, f.EndCol = s.End.Line, s.End.Column
		}
		out = append(out, f)
	}
	return out
}

// scopeFindings keeps what a reviewer of this change must read: every
// error (the change cannot merge with one anywhere), warnings without a
// place, and warnings in the files the change touches. When a policy file
// or the outside data changes, any peer may be affected, so every warning
// is kept. It returns how many warnings it left out.
func scopeFindings(fs []Finding, changes []gitfs.Change, dataChanged bool) ([]Finding, int) {
	if dataChanged {
		return fs, 0
	}
	touched := map[string]bool{}
	for _, ch := range changes {
		if strings.HasPrefix(ch.Path, "policies/") {
			return fs, 0
		}
		touched[ch.Path] = true
	}
	out := fs[:0:0]
	for _, f := range fs {
		if f.Severity == SeverityError || f.File == "" || touched[f.File] {
			out = append(out, f)
		}
	}
	return out, len(fs) - len(out)
}
