package review

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/peerform/peerform/internal/change/plan"
	"github.com/peerform/peerform/internal/decide/billing"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
)

// Markers are the hidden first lines by which Publisher finds its own
// earlier comments: one for the pull-request review, one for the deploy
// outcome posted after a merge.
const (
	Marker       = "<!-- peerform:review -->"
	DeployMarker = "<!-- peerform:deploy -->"
)

// legacyMarkers maps each marker to the one the tool's former name,
// peerctl, wrote: a comment carrying it is still ours and is edited (and
// given the new marker) rather than duplicated, for one release.
var legacyMarkers = map[string]string{
	Marker:       "<!-- peerctl:review -->",
	DeployMarker: "<!-- peerctl:deploy -->",
}

// MaxCommentChars is GitHub's limit on the body of an issue comment.
const MaxCommentChars = 65536

// Bounds on single items, so that no one field can crowd out the rest.
const (
	maxFilesListed = 30
	maxNotes       = 20
	maxPoPsShown   = 6
	maxTextRunes   = 1500
)

// Markdown renders the report as a GitHub comment of at most limit bytes
// (limit <= 0 means just under MaxCommentChars; bytes never undercount
// characters). When the full report is too long, router diffs are cut
// first, then findings, then peers, each with a note saying what is
// missing and where to see it.
func Markdown(r Report, limit int) string {
	if limit <= 0 || limit >= MaxCommentChars {
		limit = MaxCommentChars - 1
	}
	pre := prepare(r)
	full := caps{diffLines: -1, findings: -1, peers: -1}
	if out := render(r, full, pre); len(out) <= limit {
		return out
	}
	// Each cap is searched for the largest value that fits; output length
	// grows with every cap, so a binary search finds it.
	c := full
	c.diffLines = largestFitting(maxDiffLines(r), func(n int) bool {
		c.diffLines = n
		return len(render(r, c, pre)) <= limit
	})
	if c.diffLines >= 0 {
		return render(r, c, pre)
	}
	c.diffLines = omitDiffs
	c.findings = largestFitting(len(r.Findings), func(n int) bool {
		c.findings = n
		return len(render(r, c, pre)) <= limit
	})
	if c.findings >= 0 {
		return render(r, c, pre)
	}
	c.findings = 0
	c.peers = largestFitting(len(r.Peers), func(n int) bool {
		c.peers = n
		return len(render(r, c, pre)) <= limit
	})
	if c.peers >= 0 {
		return render(r, c, pre)
	}
	c.peers = 0
	return hardCut(render(r, c, pre), limit)
}

// largestFitting returns the largest n in [0, max] with fits(n), or -1.
func largestFitting(max int, fits func(int) bool) int {
	if !fits(0) {
		return -1
	}
	lo, hi := 0, max // fits(lo) holds
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func maxDiffLines(r Report) int {
	n := 0
	routers := r.Routers
	if r.HeadBuild != nil {
		routers = append(slices.Clip(routers), r.HeadBuild.Routers...)
	}
	for _, d := range routers {
		n = max(n, strings.Count(d.Diff, "\n")+1)
	}
	return n
}

// hardCut is the last resort: cut at a line boundary and say so.
func hardCut(s string, limit int) string {
	const note = "\n\n_…the rest of this report does not fit in a comment; run `peerform review --dry-run` to see it all._\n"
	cut := limit - len(note)
	if cut < len(Marker)+1 {
		return Marker + "\n"
	}
	s = s[:cut]
	if i := strings.LastIndexByte(s, '\n'); i > len(Marker) {
		s = s[:i]
	}
	for !utf8.ValidString(s) { // never split a character
		s = s[:len(s)-1]
	}
	return s + note
}

// omitDiffs as caps.diffLines means: show each router's summary, no diff.
const omitDiffs = -2

// caps limit what render shows; -1 means everything.
type caps struct {
	diffLines int // per router diff
	findings  int
	peers     int
}

// prepared holds the parts of a report that are rendered the same way at
// every cap, computed once for the search.
type prepared struct {
	findings  []string   // one list item per finding
	diffs     [][]string // each router's diff, as valid UTF-8 lines
	headDiffs [][]string // the same for the head's own build
}

func prepare(r Report) *prepared {
	p := &prepared{findings: make([]string, len(r.Findings)), diffs: diffLinesOf(r.Routers)}
	for i, f := range r.Findings {
		p.findings[i] = findingLine(f)
	}
	if r.HeadBuild != nil {
		p.headDiffs = diffLinesOf(r.HeadBuild.Routers)
	}
	return p
}

func diffLinesOf(rs []RouterDiff) [][]string {
	out := make([][]string, len(rs))
	for i, d := range rs {
		diff := strings.ToValidUTF8(strings.TrimRight(d.Diff, "\n"), "\uFFFD")
		if strings.TrimSpace(diff) != "" {
			out[i] = strings.Split(diff, "\n")
		}
	}
	return out
}

func render(r Report, c caps, pre *prepared) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("%s\n", Marker)
	w("### %s\n\n", verdictLine(r))
	w("%s\n\n", summaryLine(r))
	renderTrust(&b, r)

	if len(r.Files) > 0 {
		parts := make([]string, len(r.Files))
		for i, f := range r.Files {
			parts[i] = code(f.Path) + " " + text(f.Change)
		}
		w("**Intent files:** %s\n\n", capped(parts, maxFilesListed, " · "))
	}

	peers := r.Peers
	if c.peers >= 0 && c.peers < len(peers) {
		peers = peers[:c.peers]
	}
	for _, p := range peers {
		renderPeer(&b, p)
	}
	if hidden := len(r.Peers) - len(peers); hidden > 0 {
		w("_%s not shown to keep this comment within GitHub's size limit; run `peerform score AS…` for each._\n\n",
			plural(hidden, "more peer"))
	}

	renderFindings(&b, r.Findings, pre.findings, c.findings, r.Fallback)
	renderStatuses(&b, r.Statuses)
	renderDataChanges(&b, r.DataChanges)
	renderManagement(&b, r.Management, r.DeployPolicy)
	if len(r.Routers) > 0 {
		fmt.Fprintf(&b, "#### Router changes (%d)\n\n", len(r.Routers))
		renderRouters(&b, r.Routers, pre.diffs, c.diffLines)
	}
	renderHeadBuild(&b, r, pre.headDiffs, c.diffLines)

	if len(r.Notes) > 0 {
		w("#### Notes\n\n")
		for i, n := range r.Notes {
			if i == maxNotes {
				w("- …and %d more\n", len(r.Notes)-i)
				break
			}
			w("- %s\n", text(n))
		}
		w("\n")
	}
	switch {
	case slices.Equal(r.BaseData, r.HeadData) && len(r.HeadData) > 0:
		w("<sub>Data used by base and head: %s</sub>\n\n", dataLine(r.HeadData))
	case len(r.BaseData)+len(r.HeadData) > 0:
		w("<sub>Data used by the base: %s</sub><br>\n<sub>Data used by the head: %s</sub>\n\n", dataLine(r.BaseData), dataLine(r.HeadData))
	}
	reviewer := ""
	if r.Reviewer != "" {
		reviewer = " (" + text(r.Reviewer) + ")"
	}
	w("<sub>Posted by `peerform review`%s, updated on every push. Reproduce locally with `peerform review --base %s --head %s --dry-run`.</sub>\n",
		reviewer, shortRev(r.Base, "BASE"), shortRev(r.Head, "HEAD"))
	return b.String()
}

func dataLine(ds []DataVersion) string {
	if len(ds) == 0 {
		return "none"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = text(d.Name) + ": " + text(d.Version)
	}
	return strings.Join(parts, " · ")
}

// maxListed bounds the files a trust banner names and the routers of the
// management section.
const maxListed = 10

// renderTrust puts first what limits how far the comment can be trusted:
// a change to peerform itself (the diffs below come from the base's build,
// so the head's own rendering is shown apart) or to the CI workflows that
// produce this comment.
func renderTrust(b *strings.Builder, r Report) {
	if len(r.Templates) > 0 {
		fmt.Fprintf(b, "> [!WARNING]\n> **This pull request changes router templates:** %s. ", fileList(r.Templates))
		b.WriteString("Every router of their platforms is affected; the router changes below render each side with its own templates.\n\n")
	}
	if len(r.Code) > 0 {
		fmt.Fprintf(b, "> [!WARNING]\n> **This pull request changes peerform itself:** %s. ", fileList(r.Code))
		b.WriteString("The router changes below are rendered by peerform built from the base, which cannot show what the new code does. ")
		if r.HeadBuild != nil {
			b.WriteString("What the head's own build renders is shown apart, under *What the head's build renders*: it comes from the pull request's code, so read it as a claim.\n\n")
		} else {
			b.WriteString("What the head's own build renders is not part of this review; review the code itself.\n\n")
		}
	}
	if len(r.Workflows) > 0 {
		fmt.Fprintf(b, "> [!CAUTION]\n> **This pull request changes the CI workflows:** %s. This comment may have been produced by the changed workflow; review those files before trusting it.\n\n", fileList(r.Workflows))
	}
}

func fileList(files []string) string {
	parts := make([]string, len(files))
	for i, f := range files {
		parts[i] = code(f)
	}
	return capped(parts, maxListed, ", ")
}

// capped joins items with sep, naming at most max of them and counting
// the rest.
func capped(items []string, max int, sep string) string {
	if len(items) > max {
		items = append(items[:max:max], fmt.Sprintf("and %d more", len(items)-max))
	}
	return strings.Join(items, sep)
}

// renderDataChanges lists the changes of outside data: each moves router
// configs without any intent changing.
func renderDataChanges(b *strings.Builder, changes []plan.DataChange) {
	if len(changes) == 0 {
		return
	}
	fmt.Fprintf(b, "#### Data changed (%d)\n\n", len(changes))
	for _, c := range changes {
		what := text(c.New)
		if c.Old != c.New {
			what = text(c.Old) + " → " + text(c.New)
		}
		line := fmt.Sprintf("- **%s** %s", text(c.Source), what)
		for _, d := range c.Details {
			line += ", " + text(strings.ReplaceAll(d, "->", "→"))
		}
		asns := make([]string, 0, len(c.Affects))
		for _, a := range c.Affects {
			asns = append(asns, a.String())
		}
		if len(asns) > 0 {
			line += "; affects " + capped(asns, maxListed, ", ")
		} else {
			line += "; affects no peer"
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n")
}

// renderManagement shows how routers are reached and deployed, per
// router: no rendered config shows it. Values are names (hosts, users,
// environment variables, key files), never a secret's value.
func renderManagement(b *strings.Builder, routers []plan.RouterSettings, deploy []plan.Setting) {
	if len(routers) == 0 && len(deploy) == 0 {
		return
	}
	fmt.Fprintf(b, "#### Management plane (%s)\n\n", plural(len(routers), "router"))
	b.WriteString("How peerform reaches and deploys each router; no rendered config shows this. Credentials appear by the name they are read from, never by value.\n\n")
	for i, r := range routers {
		if i == maxListed {
			fmt.Fprintf(b, "_…and %s; run `peerform plan` to see them._\n\n", plural(len(routers)-i, "more router"))
			break
		}
		head := "**" + code(r.Router) + "**"
		if r.LeavesEnvironment != "" {
			head += " — ⚠️ leaves environment " + code(r.LeavesEnvironment) + ": deploy stops managing it"
		}
		b.WriteString(head + "\n\n")
		settingsTable(b, r.Changes)
	}
	if len(deploy) > 0 {
		b.WriteString("**Deploy policy**\n\n")
		settingsTable(b, deploy)
	}
}

func settingsTable(b *strings.Builder, changes []plan.Setting) {
	b.WriteString("| Setting | Base | Head |\n|---|---|---|\n")
	for _, c := range changes {
		fmt.Fprintf(b, "| %s | %s | %s |\n", code(c.Name), settingValue(c.Old), settingValue(c.New))
	}
	b.WriteString("\n")
}

func settingValue(v string) string {
	if v == "" {
		return "_unset_"
	}
	return code(v)
}

// renderHeadBuild shows what the head's own build renders, apart from the
// trusted diffs and marked as the pull request's claim.
func renderHeadBuild(b *strings.Builder, r Report, diffs [][]string, diffLines int) {
	hb := r.HeadBuild
	if hb == nil || len(r.Code) == 0 {
		return
	}
	fmt.Fprintf(b, "#### What the head's build renders (%s, untrusted)\n\n", plural(len(hb.Routers), "router change"))
	b.WriteString("peerform built from this pull request's code rendered the head; below is how that differs from what the base renders today. It is output of the code under review.\n\n")
	for _, m := range hb.Missing {
		fmt.Fprintf(b, "- ❌ no config for %s\n", code(m))
	}
	if len(hb.Missing) > 0 {
		b.WriteString("\n")
	}
	renderRouters(b, hb.Routers, diffs, diffLines)
}

func verdictLine(r Report) string {
	errs, warns := countFindings(r.Findings)
	switch r.Verdict {
	case Fail:
		return fmt.Sprintf("❌ Not ready to merge: %s to fix", plural(errs, "error"))
	case Warn:
		return fmt.Sprintf("⚠️ Ready to merge, with %s to read", plural(warns, "warning"))
	}
	return "✅ Ready to merge"
}

func summaryLine(r Report) string {
	var parts []string
	if r.Base != "" || r.Head != "" {
		parts = append(parts, fmt.Sprintf("%s → %s", code(shortRev(r.Base, "?")), code(shortRev(r.Head, "?"))))
	}
	var added, modified int
	for _, p := range r.Peers {
		if p.Change == "added" {
			added++
		} else {
			modified++
		}
	}
	if added > 0 {
		parts = append(parts, plural(added, "new peer"))
	}
	if modified > 0 {
		parts = append(parts, plural(modified, "changed peer"))
	}
	errs, warns := countFindings(r.Findings)
	parts = append(parts, plural(errs, "error"), plural(warns, "warning"))
	switch n := len(r.Routers); {
	case n > 0:
		parts = append(parts, plural(n, "router config")+" change")
	case r.Planned:
		parts = append(parts, "no router config changes")
	}
	if n := len(r.Management); n > 0 {
		parts = append(parts, "management of "+plural(n, "router")+" changes")
	}
	if len(r.DeployPolicy) > 0 {
		parts = append(parts, "deploy policy changes")
	}
	if n := len(r.DataChanges); n > 0 {
		parts = append(parts, plural(n, "data source")+" changed")
	}
	if len(r.Templates) > 0 {
		parts = append(parts, "**templates change**")
	}
	if len(r.Code) > 0 {
		parts = append(parts, "**peerform itself changes**")
	}
	return strings.Join(parts, " · ")
}

func renderPeer(b *strings.Builder, p PeerReport) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	head := p.ASN.String()
	if p.Name != "" {
		head += " " + text(p.Name)
	}
	change := "new peer"
	if p.Change == "modified" {
		change = "changed peer"
	}
	switch {
	case p.Unscored != "":
		w("#### %s — %s, not scored\n\n%s\n\n", head, change, text(p.Unscored))
		renderPeerNotes(b, p.Notes)
		return
	}
	w("#### %s — %s · %s\n\n", head, change, verdictBadge(p))
	if p.Likelihood != nil {
		renderLikelihood(b, p)
	} else {
		w("| Felicity | Willingness | Affinity | We gain (α<sub>R</sub>) | They gain (α<sub>C</sub>) |\n")
		w("|---:|---:|---:|---:|---:|\n")
		w("| **%s** | %s | %s | %s | %s |\n\n", num(p.Felicity, 3), num(p.Willingness, 3), num(p.Affinity, 3),
			num(p.AlphaR, 2), num(p.AlphaC, 2))
	}
	if m := p.Money; m != nil {
		renderMoney(b, *m)
	}
	if len(p.APC) > 0 {
		w("Where to peer (top of APC\\*):\n\n")
		// The contracts are ranked on the traffic model; when the money
		// above is measured, say which figure is which.
		moved := "Our outbound moved"
		if m := p.Money; m != nil && m.TrafficSource == "flows" {
			moved = "Our outbound moved (modelled)"
		}
		w("| # | Peer at | %s | Net saving / month | ω ours | ω theirs | ω joint |\n", moved)
		w("|---:|---|---:|---:|---:|---:|---:|\n")
		for _, ct := range p.APC {
			saving := "—"
			if ct.SavingKnown {
				saving = usd(ct.MonthlySavingUSD)
			}
			w("| %d | %s | %s | %s | %s | %s | %s |\n", ct.Rank, popList(ct.PoPs), traffic(ct.TrafficMoved, p.TrafficUnit),
				saving, num(ct.WillingnessR, 2), num(ct.WillingnessC, 2), num(ct.Willingness, 2))
		}
		w("\n")
		renderChart(b, p)
	}
	renderPeerNotes(b, p.Notes)
}

// verdictBadge is a peer's one mark: the verdict in words (the rule of
// score.Verdict, likelihood and money together) and the figure the
// likelihood half rests on.
func verdictBadge(p PeerReport) string {
	figure := fmt.Sprintf("felicity %s, threshold %s", num(p.Felicity, 3), num(p.Threshold, 2))
	if l := p.Likelihood; l != nil {
		figure = fmt.Sprintf("%s%% likely to agree, threshold %s%%", num(100*l.Probability, 1), num(100*l.Threshold, 1))
	}
	words := p.Verdict.Sentence(usd)
	switch p.Verdict.Kind {
	case score.Recommend:
		return fmt.Sprintf("✅ recommended: %s (%s)", words, figure)
	case score.LikelyButCosts:
		return fmt.Sprintf("⚠️ not recommended: %s (%s)", words, figure)
	}
	return fmt.Sprintf("not recommended: %s (%s)", words, figure)
}

// renderLikelihood is the likelihood profile's part of a peer's section:
// the probability, the components, and the strongest factors each way
// (model-made text from PeeringDB values, so escaped like any other).
func renderLikelihood(b *strings.Builder, p PeerReport) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	l := p.Likelihood
	w("| Likely to agree | Willingness | Affinity | We gain (α<sub>R</sub>) | They gain (α<sub>C</sub>) | Paper felicity |\n")
	w("|---:|---:|---:|---:|---:|---:|\n")
	w("| **%s%%** | %s | %s | %s | %s | %s |\n\n", num(100*l.Probability, 1), num(p.Willingness, 3), num(p.Affinity, 3),
		num(p.AlphaR, 2), num(p.AlphaC, 2), num(p.PaperFelicity, 3))
	for _, side := range []struct {
		label string
		fs    []likelihood.Factor
	}{{"For", l.For}, {"Against", l.Against}} {
		if len(side.fs) == 0 {
			continue
		}
		parts := make([]string, len(side.fs))
		for i, f := range side.fs {
			parts[i] = fmt.Sprintf("%s (%+.2f)", text(f.Text), f.Weight)
		}
		w("**%s:** %s\n\n", side.label, strings.Join(parts, " · "))
	}
}

func renderPeerNotes(b *strings.Builder, notes []string) {
	for i, n := range notes {
		if i == maxNotes {
			break
		}
		fmt.Fprintf(b, "- %s\n", text(n))
	}
	if len(notes) > 0 {
		b.WriteString("\n")
	}
}

// renderChart draws willingness per contract as a Mermaid XY chart, which
// GitHub renders in comments: bars for the joint willingness, a line for
// ours. Only numbers and fixed labels reach the chart source.
func renderChart(b *strings.Builder, p PeerReport) {
	labels := make([]string, len(p.APC))
	joint := make([]string, len(p.APC))
	ours := make([]string, len(p.APC))
	for i, ct := range p.APC {
		labels[i] = strconv.Quote("#" + strconv.Itoa(ct.Rank))
		joint[i] = num(ct.Willingness, 2)
		ours[i] = num(ct.WillingnessR, 2)
	}
	fmt.Fprintf(b, "```mermaid\nxychart-beta\n    title \"%s: willingness per contract\"\n", p.ASN)
	fmt.Fprintf(b, "    x-axis [%s]\n    y-axis \"willingness\" 0 --> 1\n", strings.Join(labels, ", "))
	fmt.Fprintf(b, "    bar [%s]\n    line [%s]\n```\n", strings.Join(joint, ", "), strings.Join(ours, ", "))
	b.WriteString("<sub>Bars: joint willingness ω<sub>RC</sub>; line: ours, ω<sub>R</sub>.</sub>\n\n")
}

// renderMoney writes the business case: what carrying the candidate's
// traffic costs a month on transit, over settlement-free peering and
// over its paid offer, at half, the measured (or modelled) and one and a
// half times its traffic, and the break-even volume.
func renderMoney(b *strings.Builder, m Money) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	breakEven := "no volume makes peering pay for itself (transit costs nothing more)"
	if m.BreakEven {
		breakEven = "settlement-free peering pays for itself above " + traffic(m.BreakEvenMbps, "Mbps") + " (larger direction, 95th percentile)"
	}
	if m.TrafficSource == "" {
		w("Money: peering at the best contract costs %s/month in ports, cross-connects and IXP fees; %s. No traffic volume is known: set scoring { traffic_mbps } or collect traffic.\n\n",
			usd(m.SettlementFreeUSD), breakEven)
		return
	}
	paid := ""
	if o := m.Offer; o != nil {
		paid = " Paid (we pay) |"
		if !o.WePay {
			paid = " Paid (they pay) |"
		}
	}
	w("Money per month at the best contract (traffic %s):\n\n", trafficSource(m.TrafficSource, m.MeasuredDays))
	w("| Its traffic | Transit | Settlement-free |%s Cheapest |\n", paid)
	align := "|---|---:|---:|"
	if paid != "" {
		align += "---:|"
	}
	w("%s---|\n", align)
	label := "as modelled"
	if m.TrafficSource == "flows" {
		label = "as measured"
	}
	rows := []billing.Costs{m.Costs}
	labels := []string{label}
	if len(m.Sensitivity) == 2 {
		rows = []billing.Costs{m.Sensitivity[0], m.Costs, m.Sensitivity[1]}
		labels = []string{"half", "**" + label + "**", "one and a half times"}
	}
	for i, k := range rows {
		paidCell := ""
		if k.PaidUSD != nil {
			paidCell = " " + usd(*k.PaidUSD) + " |"
		}
		w("| %s: %s | %s | %s |%s %s |\n", labels[i], traffic(k.MovedMbps, "Mbps"), usd(k.TransitUSD), usd(k.SettlementFreeUSD), paidCell, cheapest(k))
	}
	w("\nBreak-even: %s.\n\n", breakEven)
}

// cheapest names the cheapest arrangement and by how much.
func cheapest(k billing.Costs) string {
	switch k.Cheapest {
	case billing.SettlementFree:
		return "settlement-free, saves " + usd(k.SavingUSD)
	case billing.PaidPeering:
		return "paid, saves " + usd(k.SavingUSD)
	}
	if k.MarginUSD <= 0 {
		return "transit (a tie)"
	}
	return "transit, by " + usd(k.MarginUSD)
}

// trafficSource says whether a volume was measured or modelled.
func trafficSource(s string, days int) string {
	switch s {
	case "flows":
		return fmt.Sprintf("measured over %s: 95th percentile of our transit traffic to and from it", plural(days, "day"))
	case "measured":
		return "modelled from our total traffic"
	case "peeringdb":
		return "modelled from the traffic declared in PeeringDB"
	case "ports":
		return "modelled from our port capacity"
	}
	return text(s)
}

func renderFindings(b *strings.Builder, fs []Finding, lines []string, limit int, fallback string) {
	if len(fs) == 0 {
		return
	}
	errs, warns := countFindings(fs)
	fmt.Fprintf(b, "#### Findings (%s, %s)\n\n", plural(errs, "error"), plural(warns, "warning"))
	shown := lines
	if limit >= 0 && limit < len(lines) {
		shown = lines[:limit]
	}
	for _, l := range shown {
		b.WriteString(l)
	}
	if hidden := len(lines) - len(shown); hidden > 0 {
		where := "the check run has all of them as annotations"
		if fallback != "" {
			where = fallback
		}
		fmt.Fprintf(b, "- _%s not shown here: %s, or run `peerform validate`._\n", plural(hidden, "more finding"), where)
	}
	b.WriteString("\n")
}

func findingLine(f Finding) string {
	icon := map[Severity]string{SeverityError: "❌", SeverityWarning: "⚠️", SeverityNotice: "ℹ️"}[f.Severity]
	line := fmt.Sprintf("- %s ", icon)
	if loc := location(f); loc != "" {
		line += code(loc) + " "
	}
	line += "**" + text(f.Title) + "**"
	if f.Message != "" {
		line += " — " + text(f.Message)
	}
	return line + "\n"
}

func location(f Finding) string {
	if f.File == "" {
		return ""
	}
	switch {
	case f.Line > 0 && f.Col > 0:
		return fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Col)
	case f.Line > 0:
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return f.File
}

func renderRouters(b *strings.Builder, rs []RouterDiff, diffs [][]string, diffLines int) {
	for i, d := range rs {
		plus, minus := diffStat(d.Diff)
		summary := fmt.Sprintf("<code>%s</code> (%s)", html(d.Router), html(string(d.Platform)))
		if d.Summary != "" {
			summary += " — " + html(oneLine(d.Summary))
		}
		summary += fmt.Sprintf(" · +%d −%d", plus, minus)
		fmt.Fprintf(b, "<details><summary>%s</summary>\n\n", summary)
		switch {
		case diffLines == omitDiffs:
			b.WriteString("_The diff is left out to keep this comment within GitHub's size limit; run `peerform plan` to see it._\n\n")
		case len(diffs[i]) == 0:
			b.WriteString("_No textual diff._\n\n")
		default:
			lines := diffs[i]
			cut := 0
			if diffLines >= 0 && diffLines < len(lines) {
				lines, cut = lines[:diffLines], len(lines)-diffLines
			}
			body := strings.Join(lines, "\n")
			fence := fenceFor(body)
			fmt.Fprintf(b, "%sdiff\n%s\n%s\n", fence, body, fence)
			if cut > 0 {
				fmt.Fprintf(b, "_…%s not shown; run `peerform plan` for the whole diff._\n", plural(cut, "more line"))
			}
			b.WriteString("\n")
		}
		b.WriteString("</details>\n\n")
	}
}

func diffStat(diff string) (plus, minus int) {
	for _, l := range strings.Split(diff, "\n") {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			plus++
		case strings.HasPrefix(l, "-"):
			minus++
		}
	}
	return plus, minus
}

// fenceFor returns a backtick fence longer than any backtick run in s, so
// content can never close its own code block.
func fenceFor(s string) string {
	return strings.Repeat("`", max(3, longestBacktickRun(s)+1))
}

func longestBacktickRun(s string) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

func countFindings(fs []Finding) (errs, warns int) {
	for _, f := range fs {
		switch f.Severity {
		case SeverityError:
			errs++
		case SeverityWarning:
			warns++
		}
	}
	return errs, warns
}

// text makes untrusted text safe inside a Markdown paragraph, list item or
// table cell: one line, bounded, with HTML and Markdown syntax escaped so it
// cannot open tags, links, code or table columns.
func text(s string) string {
	s = oneLine(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#', '!', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// html escapes text for an HTML context such as <summary>. Markdown and
// math delimiters become character references too, so no renderer can
// read them as syntax.
func html(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
		"`", "&#96;", "[", "&#91;", "]", "&#93;", "|", "&#124;", "$", "&#36;", "*", "&#42;", "_", "&#95;", "~", "&#126;",
	).Replace(oneLine(s))
}

// code renders s as an inline code span. Pipes are escaped because GitHub
// splits table cells on them even inside code. Text with HTML syntax is
// escaped prose instead: a code span would be safe in Markdown, but not
// inside every HTML element a comment puts it in.
func code(s string) string {
	s = oneLine(s)
	if strings.ContainsAny(s, "<>&") {
		return text(s)
	}
	fence := strings.Repeat("`", longestBacktickRun(s)+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + strings.ReplaceAll(s, "|", "\\|") + pad + fence
}

// oneLine folds newlines and control characters into spaces and bounds the
// length.
func oneLine(s string) string {
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 {
			r = ' '
		}
		if r == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		if n == maxTextRunes {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

func popList(pops []string) string {
	shown := pops
	if len(shown) > maxPoPsShown {
		shown = shown[:maxPoPsShown]
	}
	parts := make([]string, len(shown))
	for i, p := range shown {
		parts[i] = text(p)
	}
	s := strings.Join(parts, ", ")
	if len(pops) > len(shown) {
		s += fmt.Sprintf(" and %d more", len(pops)-len(shown))
	}
	return s
}

// num formats a score; NaN and infinities (which a broken input could
// carry) print as a dash rather than as Go's spelling.
func num(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func traffic(v float64, unit string) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "—"
	case unit == "Mbps":
		if v >= 1000 {
			return group(int64(math.Round(v))) + " Mbps"
		}
		return strconv.FormatFloat(v, 'g', 3, 64) + " Mbps"
	case unit == "%":
		return strconv.FormatFloat(v, 'f', 1, 64) + " % of ours"
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + " (model units)"
}

// usd formats whole dollars with thousands separators: $1,200, −$35. The
// dollar sign is escaped: two of them on a line would start GitHub math.
func usd(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	n := int64(math.Round(v))
	if n < 0 {
		return "−\\$" + group(-n)
	}
	return "\\$" + group(n)
}

func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var parts []string
	for len(s) > 3 {
		parts = append([]string{s[len(s)-3:]}, parts...)
		s = s[:len(s)-3]
	}
	return strings.Join(append([]string{s}, parts...), ",")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// shortRev abbreviates a hash; other revisions keep only the characters
// a ref name needs, since they are shown inside code spans and commands.
func shortRev(rev, placeholder string) string {
	if isHex(rev) && len(rev) > 12 {
		return rev[:12]
	}
	rev = strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', strings.ContainsRune("._/~^-", r):
			return r
		}
		return -1
	}, rev)
	if rev == "" || len(rev) > 100 {
		return placeholder
	}
	return rev
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return s != ""
}

// sortFindings orders errors first, then by file, line and column, so the
// comment and the annotations read top-down.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}
