package device

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// FRR configs are applied the way frr-reload.py does it, for the subset of
// FRR that peerform renders: both the running config and the rendered one
// are parsed into contexts (a line and the lines nested under it), the two
// trees are compared, and only the differing lines are sent in config mode.
//
// Managed statements (peerform owns them; the rest of the router's config,
// such as hostname, interfaces and static routes, is never touched):
//   - ip/ipv6 prefix-list, bgp as-path access-list, bgp community-list,
//     bgp large-community-list, bgp extcommunity-list (one line each);
//   - route-map entries, router bgp (with its address-family blocks) and
//     the rpki block.
//
// The canonical form (frrConfig.String) sorts statements, contexts and the
// lines inside a context, so that the router's output and a rendered config
// compare byte for byte whatever order each was written in. Order inside a
// context carries no meaning for these statements: list and route-map
// entries are ordered by their sequence numbers, which are part of the line.

const (
	// frrMaxConfig bounds the text parsed from a router or a template.
	frrMaxConfig = 32 << 20
	// frrLockName is the route-map that marks a change in progress (see
	// frr.go): it lives in the running config, so a later run finds it
	// even when the run that set it could not finish.
	frrLockName = "PEERFORM-LOCK"
	// frrDeployedName is the route-map whose description names the
	// managed config peerform last confirmed (frrIdentity), so that a
	// later run can tell a router changed behind its back.
	frrDeployedName = "PEERFORM-DEPLOYED"
	// The same two markers under the tool's former name, peerctl: still
	// recognised for one release; a confirmed change replaces the
	// deployed one with frrDeployedName.
	frrLegacyLockName     = "PEERCTL-LOCK"
	frrLegacyDeployedName = "PEERCTL-DEPLOYED"
)

// frrNode is one config line and the lines nested under it.
type frrNode struct {
	line     string
	children []*frrNode
}

// frrConfig is the managed part of an FRR config.
type frrConfig struct {
	top []*frrNode
	// lock is the description of the PEERFORM-LOCK marker, if present,
	// and deployed that of the PEERFORM-DEPLOYED one. Neither marker is
	// part of the managed config.
	lock, deployed string
	// lockName and deployedName are the route-maps they were read from:
	// the current names or the legacy ones.
	lockName, deployedName string
	// unmanaged lists the top-level statements that were skipped, as
	// "line N: text". A rendered config must have none: peerform would
	// silently not apply them.
	unmanaged []string
	// identity holds the "frr defaults" and "hostname" lines. They are
	// not changed at run time (the defaults cannot be); a rendered config
	// may state them, and Apply checks that the router agrees.
	identity map[string]string
}

var frrSingleLine = []string{
	"ip prefix-list ", "ipv6 prefix-list ", "bgp as-path access-list ", "bgp community-list ",
	"bgp large-community-list ", "bgp extcommunity-list ",
}

// frrKindOrder is FRR's own section order in show running-config.
func frrKindOrder(line string) int {
	for i, p := range []string{"router bgp ", "ip prefix-list ", "ipv6 prefix-list ", "bgp as-path access-list ",
		"bgp community-list ", "bgp large-community-list ", "bgp extcommunity-list ", "route-map ", "rpki"} {
		if strings.HasPrefix(line, p) || line == p {
			return i
		}
	}
	return 99
}

func frrManagedBlock(line string) bool {
	return strings.HasPrefix(line, "router bgp ") || line == "router bgp" || strings.HasPrefix(line, "route-map ") || line == "rpki"
}

func frrManagedLine(line string) bool {
	for _, p := range frrSingleLine {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// frrTopOnly are statements that only exist at the top level: seeing one
// inside a block means the block ended without `exit`.
func frrTopOnly(line string) bool {
	return frrManagedLine(line) || frrManagedBlock(line) || strings.HasPrefix(line, "router ") ||
		strings.HasPrefix(line, "interface ") || strings.HasPrefix(line, "ip route ") || strings.HasPrefix(line, "ipv6 route ")
}

// frrNoise are lines of show running-config that are not configuration.
func frrNoise(line string) bool {
	return line == "" || strings.HasPrefix(line, "!") || line == "end" || line == "Building configuration..." ||
		line == "Current configuration:" || strings.HasPrefix(line, "frr version ")
}

// parseFRR reads show running-config output or a rendered config. It
// keeps the managed statements and skips everything else, including whole
// unmanaged blocks (interface, other routing protocols, line vty).
func parseFRR(text string) (*frrConfig, error) {
	if len(text) > frrMaxConfig {
		return nil, fmt.Errorf("FRR config of %d bytes is larger than the %d bytes accepted", len(text), frrMaxConfig)
	}
	type raw struct {
		text   string
		indent int
		no     int
	}
	var lines []raw
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		trimmed := strings.TrimLeft(l, " \t")
		norm := strings.Join(strings.Fields(trimmed), " ")
		if frrNoise(norm) {
			continue
		}
		lines = append(lines, raw{norm, len(l) - len(trimmed), i + 1})
	}
	c := &frrConfig{}
	for i := 0; i < len(lines); {
		l := lines[i]
		switch {
		case l.indent > 0 && (l.text == "exit" || strings.HasPrefix(l.text, "exit-")):
			// A stray nested exit of an unmanaged block.
			i++
		case frrManagedLine(l.text):
			c.top = append(c.top, &frrNode{line: l.text})
			i++
		case frrManagedBlock(l.text):
			n := &frrNode{line: l.text}
			i++
			var af *frrNode
			for ; i < len(lines); i++ {
				t := lines[i].text
				if t == "exit" {
					i++
					break
				}
				if frrTopOnly(t) && lines[i].indent == 0 {
					break
				}
				switch {
				case isAddressFamily(n.line, t):
					if af != nil {
						return nil, fmt.Errorf("line %d: %q inside another address-family (missing exit-address-family)", lines[i].no, t)
					}
					af = &frrNode{line: t}
					n.children = append(n.children, af)
				case t == "exit-address-family":
					if af == nil {
						return nil, fmt.Errorf("line %d: exit-address-family outside an address-family", lines[i].no)
					}
					af = nil
				case af != nil:
					af.children = append(af.children, &frrNode{line: t})
				default:
					n.children = append(n.children, &frrNode{line: t})
				}
			}
			if af != nil {
				return nil, fmt.Errorf("%s: address-family %q has no exit-address-family", n.line, af.line)
			}
			if name, ok := routeMapName(n.line); ok && isFRRMarker(name) {
				desc := "(no description)"
				for _, ch := range n.children {
					if d, ok := strings.CutPrefix(ch.line, "description "); ok {
						desc = d
					}
				}
				if name == frrLockName || name == frrLegacyLockName {
					c.lock, c.lockName = desc, name
				} else {
					c.deployed, c.deployedName = desc, name
				}
				continue
			}
			c.top = append(c.top, n)
		case strings.HasPrefix(l.text, "frr defaults ") || strings.HasPrefix(l.text, "hostname "):
			key := "hostname"
			if strings.HasPrefix(l.text, "frr defaults ") {
				key = "frr defaults"
			}
			if c.identity == nil {
				c.identity = map[string]string{}
			}
			c.identity[key] = strings.TrimPrefix(l.text, key+" ")
			i++
		default:
			// Unmanaged: a single line, or a block whose content is
			// indented (as FRR prints it) up to an unindented exit.
			c.unmanaged = append(c.unmanaged, fmt.Sprintf("line %d: %s", l.no, l.text))
			i++
			for i < len(lines) && lines[i].indent > 0 {
				i++
			}
			if i < len(lines) && lines[i].text == "exit" {
				i++
			}
		}
	}
	m := c.merged()
	for _, n := range m.top {
		if err := checkCreateLines(n); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkCreateLines refuses a router bgp block with two lines of the same
// kind creating one neighbor ("neighbor X remote-as 1" and "neighbor X
// remote-as 2"): FRR keeps one of them, so such text is no running config
// and no config peerform can apply.
func checkCreateLines(n *frrNode) error {
	if !strings.HasPrefix(n.line, "router bgp") {
		return nil
	}
	seen := map[string]string{}
	for _, ch := range n.children {
		k := frrCreateKey(ch.line)
		if k == "" {
			continue
		}
		if prev, dup := seen[k]; dup && prev != ch.line {
			return fmt.Errorf("%s: %q and %q both set %s", n.line, prev, ch.line, k)
		}
		seen[k] = ch.line
	}
	return nil
}

// merged joins contexts that appear twice with the same header (a
// rendered config may open `router bgp 64500` more than once) and drops
// exact duplicate lines, as the router would.
func (c *frrConfig) merged() *frrConfig {
	out := &frrConfig{lock: c.lock, deployed: c.deployed, lockName: c.lockName, deployedName: c.deployedName, unmanaged: c.unmanaged, identity: c.identity}
	out.top = mergeNodes(c.top)
	return out
}

func mergeNodes(nodes []*frrNode) []*frrNode {
	var out []*frrNode
	index := map[string]*frrNode{}
	for _, n := range nodes {
		if prev, ok := index[n.line]; ok {
			prev.children = mergeNodes(append(prev.children, n.children...))
			continue
		}
		cp := &frrNode{line: n.line, children: mergeNodes(n.children)}
		index[n.line] = cp
		out = append(out, cp)
	}
	return out
}

// isAddressFamily reports whether line opens an address-family block
// inside the block parent: only router bgp has them.
func isAddressFamily(parent, line string) bool {
	return strings.HasPrefix(line, "address-family ") && strings.HasPrefix(parent, "router bgp")
}

// isFRRMarker reports whether a route-map is one of peerform's markers.
func isFRRMarker(name string) bool {
	switch name {
	case frrLockName, frrDeployedName, frrLegacyLockName, frrLegacyDeployedName:
		return true
	}
	return false
}

func routeMapName(header string) (string, bool) {
	f := strings.Fields(header)
	if len(f) != 4 || f[0] != "route-map" {
		return "", false
	}
	return f[1], true
}

// String prints the canonical form: FRR's section order, everything
// sorted inside it, one space of indentation per level, `!` between
// sections. An empty rpki block prints nothing (FRR shows one whenever
// the RPKI module is loaded).
func (c *frrConfig) String() string {
	top := slices.Clone(c.top)
	slices.SortStableFunc(top, func(a, b *frrNode) int {
		if d := frrKindOrder(a.line) - frrKindOrder(b.line); d != 0 {
			return d
		}
		return naturalCompare(a.line, b.line)
	})
	var b strings.Builder
	last := -1
	for _, n := range top {
		if n.line == "rpki" && len(n.children) == 0 {
			continue
		}
		k := frrKindOrder(n.line)
		if b.Len() > 0 && (k != last || len(n.children) > 0 || frrManagedBlock(n.line)) {
			b.WriteString("!\n")
		}
		last = k
		writeNode(&b, n, "", 0)
	}
	return b.String()
}

// writeNode prints n, nested depth levels deep inside parent.
func writeNode(b *strings.Builder, n *frrNode, parent string, depth int) {
	b.WriteString(strings.Repeat(" ", depth))
	b.WriteString(n.line)
	b.WriteByte('\n')
	block := (depth == 0 && frrManagedBlock(n.line)) || (depth == 1 && isAddressFamily(parent, n.line))
	if !block {
		return
	}
	kids := slices.Clone(n.children)
	slices.SortStableFunc(kids, func(a, b *frrNode) int {
		// Plain lines first, then nested blocks.
		if ab, bb := isAddressFamily(n.line, a.line), isAddressFamily(n.line, b.line); ab != bb {
			if ab {
				return 1
			}
			return -1
		}
		return naturalCompare(a.line, b.line)
	})
	for _, k := range kids {
		writeNode(b, k, n.line, depth+1)
	}
	switch {
	case depth == 1:
		b.WriteString(strings.Repeat(" ", depth) + "exit-address-family\n")
	default:
		b.WriteString(strings.Repeat(" ", depth) + "exit\n")
	}
}

// naturalCompare orders strings with embedded numbers by value, so that
// "seq 5" sorts before "seq 10".
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			i, j := digits(a), digits(b)
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return len(na) - len(nb)
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits(s string) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// parseFRRIntended parses a config to be applied: unlike the running
// config, it may hold nothing peerform does not manage.
func parseFRRIntended(cfg string) (*frrConfig, error) {
	c, err := parseFRR(cfg)
	if err != nil {
		return nil, err
	}
	if len(c.unmanaged) > 0 {
		return nil, fmt.Errorf("config has statements peerform does not manage on FRR (only prefix-lists, community and "+
			"as-path lists, route-maps, router bgp and rpki): %s", strings.Join(c.unmanaged, "; "))
	}
	if c.lock != "" || c.deployed != "" {
		return nil, fmt.Errorf("config has the route-map %s or %s, which peerform reserves", frrLockName, frrDeployedName)
	}
	return c, nil
}

// frrIdentity names a managed config by 64 bits of the SHA-256 of its
// canonical form, for the PEERFORM-DEPLOYED marker.
func frrIdentity(c *frrConfig) string {
	sum := sha256.Sum256([]byte(c.String()))
	return hex.EncodeToString(sum[:8])
}

// frrDeployedNote is the description of the PEERFORM-DEPLOYED marker.
func frrDeployedNote(c *frrConfig, run string) string {
	return fmt.Sprintf("peerform config=%s run=%s", frrIdentity(c), run)
}

// deployedIdentity reads the config identity out of the marker's
// description; "" when there is none.
func (c *frrConfig) deployedIdentity() string {
	for _, f := range strings.Fields(c.deployed) {
		if v, ok := strings.CutPrefix(f, "config="); ok {
			return v
		}
	}
	return ""
}

// identityMismatch reports the "frr defaults" and "hostname" lines of want
// that the running config does not have: peerform does not change them.
func identityMismatch(want, running *frrConfig) error {
	var bad []string
	for _, k := range slices.Sorted(maps.Keys(want.identity)) {
		if have := running.identity[k]; have != want.identity[k] {
			bad = append(bad, fmt.Sprintf("the config says %q, the router has %q", k+" "+want.identity[k], k+" "+have))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: %s (peerform does not change these; is this the right router?)", ErrRejected, strings.Join(bad, "; "))
	}
	return nil
}

// NormalizeFRR returns the canonical form of an FRR config to be applied:
// what the FRR driver's Running returns once the router runs it.
func NormalizeFRR(cfg string) (string, error) {
	c, err := parseFRRIntended(cfg)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

// frrListKey is the identity of a one-line list entry: the line up to and
// including its sequence number ("ip prefix-list X seq 5"), so that a
// changed entry is replaced rather than added next to the old one.
func frrListKey(line string) string {
	f := strings.Fields(line)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == "seq" {
			return strings.Join(f[:i+2], " ")
		}
	}
	return line
}

// frrNeg returns the command that removes line.
func frrNeg(line string) string {
	if rest, ok := strings.CutPrefix(line, "no "); ok {
		return rest
	}
	if strings.HasPrefix(line, "on-match goto ") {
		// FRR's command takes no clause number: "no on-match goto 100"
		// is an unknown command.
		return "no on-match goto"
	}
	return "no " + line
}

// frrDiff returns the config-mode commands that turn from into to. The
// order avoids references to things that do not exist yet: lists first,
// then route-maps, then router bgp (removals, then neighbors created before
// their other lines), rpki, and last the removal of lists and route-maps
// that nothing uses any more.
func frrDiff(from, to *frrConfig) ([]string, error) {
	var cmds []string
	index := func(nodes []*frrNode) map[string]*frrNode {
		m := make(map[string]*frrNode, len(nodes))
		for _, n := range nodes {
			m[n.line] = n
		}
		return m
	}
	inFrom, inTo := index(from.top), index(to.top)
	var fromBGP, toBGP *frrNode
	for _, n := range from.top {
		if strings.HasPrefix(n.line, "router bgp") {
			if fromBGP != nil {
				return nil, errors.New("running config has more than one router bgp")
			}
			fromBGP = n
		}
	}
	for _, n := range to.top {
		if strings.HasPrefix(n.line, "router bgp") {
			if toBGP != nil {
				return nil, errors.New("config has more than one router bgp (VRFs are not managed)")
			}
			toBGP = n
		}
	}

	// 1. One-line list entries: new and changed ones.
	replaced := map[string]bool{}
	fromByKey := map[string][]string{}
	for _, old := range from.top {
		if frrManagedLine(old.line) {
			if key := frrListKey(old.line); key != old.line {
				fromByKey[key] = append(fromByKey[key], old.line)
			}
		}
	}
	for _, n := range to.top {
		if !frrManagedLine(n.line) || inFrom[n.line] != nil {
			continue
		}
		for _, old := range fromByKey[frrListKey(n.line)] {
			if old != n.line && !replaced[old] {
				cmds = append(cmds, frrNeg(old))
				replaced[old] = true
			}
		}
		cmds = append(cmds, n.line)
	}
	// 2. Route-map entries: new ones, and changed lines in kept ones.
	for _, n := range to.top {
		if !strings.HasPrefix(n.line, "route-map ") {
			continue
		}
		old := inFrom[n.line]
		var body []string
		if old == nil {
			for _, ch := range n.children {
				body = append(body, ch.line)
			}
		} else {
			body = frrChildDiff(old.children, n.children, nil)
		}
		if old == nil || len(body) > 0 {
			cmds = append(cmds, n.line)
			cmds = append(cmds, body...)
			cmds = append(cmds, "exit")
		}
	}
	// 3. router bgp.
	switch {
	case toBGP == nil && fromBGP != nil:
		cmds = append(cmds, frrNeg(fromBGP.line))
	case toBGP != nil && fromBGP != nil && toBGP.line != fromBGP.line:
		// Another AS number: FRR needs the instance deleted first.
		cmds = append(cmds, frrNeg(fromBGP.line))
		cmds = append(cmds, frrBGPBody(&frrNode{line: toBGP.line}, toBGP)...)
	case toBGP != nil:
		if fromBGP == nil {
			fromBGP = &frrNode{line: toBGP.line}
		}
		cmds = append(cmds, frrBGPBody(fromBGP, toBGP)...)
	}
	// 4. rpki.
	var fromRPKI, toRPKI []*frrNode
	if n := inFrom["rpki"]; n != nil {
		fromRPKI = n.children
	}
	if n := inTo["rpki"]; n != nil {
		toRPKI = n.children
	}
	if body := frrChildDiff(fromRPKI, toRPKI, nil); len(body) > 0 {
		cmds = append(cmds, "rpki")
		cmds = append(cmds, body...)
		cmds = append(cmds, "exit")
	}
	// 5. Removed route-map entries and list entries.
	for _, n := range from.top {
		if strings.HasPrefix(n.line, "route-map ") && inTo[n.line] == nil {
			cmds = append(cmds, frrNeg(n.line))
		}
	}
	for _, n := range from.top {
		if frrManagedLine(n.line) && !replaced[n.line] && inTo[n.line] == nil {
			cmds = append(cmds, frrNeg(n.line))
		}
	}
	return cmds, nil
}

// frrChildDiff returns the commands, inside one context, that turn the
// lines of from into those of to: removals first, then additions in
// creation order. Lines about neighbors in gone are skipped: the neighbor
// is deleted as a whole.
func frrChildDiff(from, to []*frrNode, gone map[string]bool) []string {
	lines := func(nodes []*frrNode) map[string]bool {
		m := make(map[string]bool, len(nodes))
		for _, n := range nodes {
			m[n.line] = true
		}
		return m
	}
	inFrom, inTo := lines(from), lines(to)
	var out []string
	for _, n := range from {
		if !inTo[n.line] && !gone[neighborOf(n.line)] {
			out = append(out, frrNeg(n.line))
		}
	}
	var adds []*frrNode
	for _, n := range to {
		if !inFrom[n.line] {
			adds = append(adds, n)
		}
	}
	slices.SortStableFunc(adds, func(a, b *frrNode) int { return frrCreateOrder(a.line) - frrCreateOrder(b.line) })
	for _, n := range adds {
		out = append(out, n.line)
	}
	return out
}

// frrCreateOrder puts instance-wide settings first (`no bgp default
// ipv4-unicast` must precede the neighbors it applies to when they are
// created), then the lines that create a peer group or a neighbor, then
// the lines that configure them.
func frrCreateOrder(line string) int {
	f := strings.Fields(line)
	switch {
	case len(f) > 0 && (f[0] == "bgp" || (f[0] == "no" && len(f) > 1 && f[1] == "bgp")):
		return -1
	case len(f) == 3 && f[0] == "neighbor" && f[2] == "peer-group":
		return 0
	case len(f) >= 3 && f[0] == "neighbor" && (f[2] == "remote-as" || f[2] == "peer-group" || f[2] == "interface"):
		return 1
	}
	return 2
}

// frrCreateKey identifies a line that creates a peer group or a neighbor
// by the neighbor and the kind of line ("192.0.2.1 remote-as"), so that
// a changed line of a kind replaces the old one; "" for other lines. A
// block holds at most one line per key (parseFRR checks).
func frrCreateKey(line string) string {
	switch frrCreateOrder(line) {
	case 0:
		return neighborOf(line) + " peer-group-definition"
	case 1:
		return neighborOf(line) + " " + strings.Fields(line)[2]
	}
	return ""
}

// neighborOf returns X for a "neighbor X …" line.
func neighborOf(line string) string {
	f := strings.Fields(line)
	if len(f) >= 2 && f[0] == "neighbor" {
		return f[1]
	}
	return ""
}

// frrBGPBody diffs two router bgp blocks with the same header.
func frrBGPBody(from, to *frrNode) []string {
	split := func(n *frrNode) (lines, afs []*frrNode) {
		for _, ch := range n.children {
			if strings.HasPrefix(ch.line, "address-family ") {
				afs = append(afs, ch)
			} else {
				lines = append(lines, ch)
			}
		}
		return
	}
	fromLines, fromAFs := split(from)
	toLines, toAFs := split(to)

	// A neighbor none of whose creating lines (remote-as, peer-group
	// membership) remains is deleted whole; one whose remote-as changes
	// is re-pointed by the new line alone (a `no … remote-as` first would
	// delete it).
	created := func(nodes []*frrNode) (byKey map[string]string, byNeighbor map[string]bool) {
		byKey, byNeighbor = map[string]string{}, map[string]bool{}
		for _, n := range nodes {
			if k := frrCreateKey(n.line); k != "" {
				byKey[k] = n.line
				byNeighbor[neighborOf(n.line)] = true
			}
		}
		return byKey, byNeighbor
	}
	_, fromNbr := created(fromLines)
	toKey, toNbr := created(toLines)
	gone := map[string]bool{}
	var cmds []string
	for _, n := range fromLines {
		nb := neighborOf(n.line)
		if frrCreateKey(n.line) != "" && fromNbr[nb] && !toNbr[nb] && !gone[nb] {
			gone[nb] = true
			cmds = append(cmds, "no neighbor "+nb)
		}
	}
	keep := fromLines[:0:0]
	for _, n := range fromLines {
		if k := frrCreateKey(n.line); k != "" && !gone[neighborOf(n.line)] && toKey[k] != "" && toKey[k] != n.line {
			continue // replaced by the new line of the same kind
		}
		keep = append(keep, n)
	}
	cmds = append(cmds, frrChildDiff(keep, toLines, gone)...)
	for _, af := range toAFs {
		var old []*frrNode
		for _, f := range fromAFs {
			if f.line == af.line {
				old = f.children
			}
		}
		if body := frrChildDiff(old, af.children, gone); len(body) > 0 {
			cmds = append(cmds, af.line)
			cmds = append(cmds, body...)
			cmds = append(cmds, "exit-address-family")
		}
	}
	for _, f := range fromAFs {
		if slices.ContainsFunc(toAFs, func(n *frrNode) bool { return n.line == f.line }) {
			continue
		}
		if body := frrChildDiff(f.children, nil, gone); len(body) > 0 {
			cmds = append(cmds, f.line)
			cmds = append(cmds, body...)
			cmds = append(cmds, "exit-address-family")
		}
	}
	if len(cmds) == 0 {
		return nil
	}
	return append(append([]string{to.line}, cmds...), "exit")
}

// flat lists every line of the canonical form with its contexts, as
// "router bgp 64500 > address-family ipv4 unicast > neighbor X activate",
// so that a difference says where it is.
func (c *frrConfig) flat() string {
	var out []string
	var walk func(prefix string, n *frrNode)
	walk = func(prefix string, n *frrNode) {
		out = append(out, prefix+n.line)
		for _, ch := range n.children {
			walk(prefix+n.line+" > ", ch)
		}
	}
	for _, n := range c.top {
		walk("", n)
	}
	slices.SortFunc(out, naturalCompare)
	return strings.Join(out, "\n")
}
