package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Junos deploys to Juniper Junos over its CLI (scrapligo's juniper_junos
// platform). Apply enters `configure exclusive` and loads the rendered
// config: the curly-brace format `show configuration` prints, pasted into
// `load replace terminal` (statements tagged `replace:` replace what the
// router has, the rest merges), or `set`/`delete` statements, typed one
// by one. Then it runs `commit check` and `commit confirmed N` (N in whole
// minutes, rounded up: Junos counts in minutes). Confirm is `commit`;
// Rollback is `rollback 1` plus `commit`. A refused statement, load or
// check discards the candidate (`rollback 0`), so nothing half-applied is
// ever committed. The cycle itself is cliChange's.
//
// Running shows [edit protocols bgp] as sorted `set` statements.
type Junos struct {
	cliChange
	cfg exclusive
}

var (
	_ Driver       = (*Junos)(nil)
	_ Normalizer   = (*Junos)(nil)
	_ SecretFinder = (*Junos)(nil)
)

// junosKey finds an MD5 key in a Junos line, set or curly-brace style
// (Junos shows the keys it has as "$9$…" hashes, which are secrets too).
var junosKey = regexp.MustCompile(`authentication-key\s+("[^"\n]*"|[^\s;]+)`)

// Secrets lists the authentication-keys of a config.
func (j *Junos) Secrets(cfg string) []string { return findSecrets(junosKey, cfg) }

const junosConfigPriv = "configuration-exclusive"

// Junos reports refusals as "error: …" lines (scrapligo's platform only
// knows syntax errors): "error: configuration check-out failed", "error:
// commit failed: …".
var junosFailures = []string{"error:"}

// junosStatements are the configuration-mode commands a rendered config
// may use; commit and rollback belong to the driver.
var junosStatements = []string{"set", "delete", "activate", "deactivate", "annotate"}

// OpenJunos opens a CLI session to a Junos router.
func OpenJunos(ctx context.Context, ep Endpoint, o CLIOptions) (*Junos, error) {
	cli, err := openCLI(ctx, "juniper_junos", ep, o)
	if err != nil {
		return nil, err
	}
	j := &Junos{cfg: exclusive{cli: cli, priv: junosConfigPriv, failures: junosFailures}}
	j.cliChange = cliChange{cli: cli, platform: "junos", steps: j}
	return j, nil
}

// Running returns [edit protocols bgp] as sorted `set` statements.
func (j *Junos) Running(ctx context.Context) (string, error) {
	out, err := j.cli.command(ctx, "show configuration protocols bgp | display set")
	if err != nil {
		return "", err
	}
	return j.Normalize(out)
}

// Normalize turns a rendered config of `set` statements into Running's
// form: the statements with single spaces, sorted, deletes dropped
// (Running never shows them). A curly-brace config is returned as it is:
// it never equals Running, so every Apply goes to the router, which
// commits nothing when nothing changed.
func (j *Junos) Normalize(cfg string) (string, error) { return junosNormalize(cfg), nil }

// junosNormalize is Normalize, for the CLI and the NETCONF driver.
func junosNormalize(cfg string) string {
	if junosCurly(cfg) {
		return cfg
	}
	var sets []string
	for _, l := range outputLines(cfg) {
		f := strings.Fields(l)
		if len(f) > 1 && f[0] == "set" {
			sets = append(sets, strings.Join(f, " "))
		}
	}
	slices.Sort(sets)
	if len(sets) == 0 {
		return ""
	}
	return strings.Join(sets, "\n") + "\n"
}

// lines checks a config in either format: set-style statements, or a
// curly-brace config whose shape is sound.
func (j *Junos) lines(cfg string) ([]string, error) {
	if !junosCurly(cfg) {
		return configLines(cfg, []string{"#", "/*"}, junosStatements, nil)
	}
	lines, err := configLines(cfg, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	return lines, checkCurly(lines)
}

// trial is `commit confirmed N`, N in whole minutes (1 to 65535).
func (j *Junos) trial(d time.Duration) (string, error) {
	minutes, err := ceilUnits(d, time.Minute, 1, 65535)
	return fmt.Sprintf("commit confirmed %d", minutes), err
}

// load types set-style statements, or pastes a curly-brace config into
// `load replace terminal`.
func (j *Junos) load(ctx context.Context, lines []string) error {
	if junosCurly(strings.Join(lines, "\n")) {
		return j.loadTerminal(ctx, lines)
	}
	return j.cfg.send(ctx, lines...)
}

// commit checks the candidate, then commits it.
func (j *Junos) commit(ctx context.Context, cmd string) error {
	if err := j.cfg.send(ctx, "commit check"); err != nil {
		return err
	}
	return j.cfg.send(ctx, cmd)
}

// discard throws the candidate away.
func (j *Junos) discard(ctx context.Context) error { return j.cfg.send(ctx, "rollback 0") }

// confirm commits again, which makes the confirmed commit permanent.
func (j *Junos) confirm(ctx context.Context) error { return j.cfg.send(ctx, "commit") }

// rollback loads the configuration from before the pending commit and
// commits it.
func (j *Junos) rollback(ctx context.Context) error { return j.cfg.send(ctx, "rollback 1", "commit") }

// junosCurly reports whether cfg is in the curly-brace format: its first
// statement (after comments) is not a set/delete-style command.
func junosCurly(cfg string) bool {
	comment := false
	for _, l := range strings.Split(cfg, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case comment:
			comment = !strings.Contains(l, "*/")
			continue
		case strings.HasPrefix(l, "/*"):
			comment = !strings.Contains(l, "*/")
			continue
		case l == "" || strings.HasPrefix(l, "#"):
			continue
		}
		word, _, _ := strings.Cut(l, " ")
		return !slices.Contains(junosStatements, word)
	}
	return false
}

// checkCurly checks the shape of a curly-brace config before it is
// pasted: outside comments and quotes, every line ends a statement (";"),
// opens a block ("{") or closes one ("}"), and the braces balance. Junos
// parses pasted text as configuration, never as commands, so this is about
// failing early and clearly, not about safety.
func checkCurly(lines []string) error {
	depth, comment := 0, false
	for i, l := range lines {
		inQuote, last := false, byte(0)
		for k := 0; k < len(l); k++ {
			c := l[k]
			switch {
			case comment:
				if c == '*' && k+1 < len(l) && l[k+1] == '/' {
					comment = false
					k++
				}
				continue
			case inQuote:
				if c == '\\' {
					k++
				} else if c == '"' {
					inQuote = false
				}
				last = '"'
				continue
			case c == '"':
				inQuote = true
			case c == '/' && k+1 < len(l) && l[k+1] == '*':
				comment = true
				k++
				continue
			case c == '#':
				k = len(l) // a comment to the end of the line
				continue
			case c == '{':
				depth++
			case c == '}':
				depth--
				if depth < 0 {
					return fmt.Errorf("config line %d: '}' without its '{'", i+1)
				}
			}
			if c != ' ' && c != '\t' {
				last = c
			}
		}
		if inQuote {
			return fmt.Errorf("config line %d: unterminated quote", i+1)
		}
		if last != 0 && last != ';' && last != '{' && last != '}' {
			return fmt.Errorf("config line %d: a statement must end with ';', '{' or '}'", i+1)
		}
	}
	if comment {
		return errors.New("config ends inside a comment")
	}
	if depth != 0 {
		return fmt.Errorf("config has %d unclosed '{'", depth)
	}
	return nil
}

// junosLoadPrompt is what `load … terminal` prints before reading input.
const junosLoadPrompt = "[Type ^D at a new line to end input]"

// loadTerminal pastes a curly-brace config into `load replace terminal`
// and ends it with ^D. Junos echoes the lines and reports problems after
// the ^D ("terminal:12:(8) syntax error: …", "load complete (1 errors)").
func (j *Junos) loadTerminal(ctx context.Context, lines []string) error {
	if j.cli.d == nil {
		return fmt.Errorf("%s: junos: load: session is closed", j.cli.host)
	}
	if err := guard(func() error { return j.cli.d.AcquirePriv(junosConfigPriv) }); err != nil {
		j.cli.drop()
		return fmt.Errorf("%s: junos: entering configuration mode: %w: %w", j.cli.host, ErrConnection, err)
	}
	timeout, err := j.cli.opTimeout(ctx)
	if err != nil {
		return fmt.Errorf("%s: junos: load: %w", j.cli.host, err)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ch := j.cli.d.Channel
	var out []byte
	err = guard(func() error {
		if err := ch.WriteAndReturn([]byte("load replace terminal"), false); err != nil {
			return err
		}
		if _, err := ch.ReadUntilExplicit(rctx, []byte(junosLoadPrompt)); err != nil {
			return err
		}
		for _, l := range lines {
			// Written "redacted": scrapligo's debug log must not see keys.
			if err := ch.WriteAndReturn([]byte(l), true); err != nil {
				return err
			}
		}
		if err := ch.Write([]byte{0x04}, false); err != nil {
			return err
		}
		var err error
		out, err = ch.ReadUntilPrompt(rctx)
		return err
	})
	if err != nil {
		j.cli.drop()
		return fmt.Errorf("%s: junos: load: %w: %w", j.cli.host, ErrConnection, err)
	}
	// What is left once the echoed lines are taken out is Junos talking.
	sent := make(map[string]bool, len(lines))
	for _, l := range lines {
		sent[l] = true
	}
	var said []string
	failed := false
	for _, l := range outputLines(string(out)) {
		l = strings.TrimSpace(l)
		if sent[l] || l == "[edit]" || strings.HasPrefix(l, junosLoadPrompt) || strings.HasSuffix(l, "#") {
			continue
		}
		said = append(said, l)
		failed = failed || strings.Contains(l, "error")
	}
	if failed {
		return fmt.Errorf("%s: junos: load replace terminal: %w: %s", j.cli.host, ErrRejected, refusal(strings.Join(said, "\n")))
	}
	j.cli.log.Debug("loaded", "lines", len(lines))
	return nil
}

// Sessions reads `show bgp summary | display json`.
func (j *Junos) Sessions(ctx context.Context) ([]Session, error) {
	return j.cli.summary(ctx, "junos", "show bgp summary | display json", parseJunosSummary)
}

// junosValue is how Junos renders an XML element in JSON: a list holding
// the text in "data" and the XML attributes.
type junosValue []struct {
	Data       string            `json:"data"`
	Attributes map[string]string `json:"attributes"`
}

func (v junosValue) text() string {
	if len(v) == 0 {
		return ""
	}
	return strings.TrimSpace(v[0].Data)
}

func (v junosValue) attr(name string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0].Attributes[name]
}

// maxOutputBytes bounds the command output a parser accepts.
const maxOutputBytes = 64 << 20

// parseJunosSummary reads `show bgp summary | display json`: every peer
// with its state, uptime (junos:seconds) and accepted prefixes of
// inet.0 and inet6.0.
func parseJunosSummary(out string) ([]Session, error) {
	if len(out) > maxOutputBytes {
		return nil, fmt.Errorf("bgp summary: %d bytes of output", len(out))
	}
	start := strings.IndexByte(out, '{')
	if start < 0 {
		return nil, errors.New("bgp summary: no JSON in the output")
	}
	var doc struct {
		Info []struct {
			Peers []struct {
				Address junosValue `json:"peer-address"`
				AS      junosValue `json:"peer-as"`
				Desc    junosValue `json:"description"`
				State   junosValue `json:"peer-state"`
				Elapsed junosValue `json:"elapsed-time"`
				RIBs    []struct {
					Name     junosValue `json:"name"`
					Accepted junosValue `json:"accepted-prefix-count"`
				} `json:"bgp-rib"`
			} `json:"bgp-peer"`
		} `json:"bgp-information"`
	}
	if err := json.NewDecoder(strings.NewReader(out[start:])).Decode(&doc); err != nil {
		return nil, fmt.Errorf("bgp summary: %w", err)
	}
	if len(doc.Info) == 0 {
		return nil, errors.New("bgp summary: no bgp-information in the output")
	}
	var peers []junosPeer
	for _, info := range doc.Info {
		for _, p := range info.Peers {
			jp := junosPeer{address: p.Address.text(), as: p.AS.text(), desc: p.Desc.text(), state: p.State.text(),
				seconds: p.Elapsed.attr("junos:seconds")}
			for _, rib := range p.RIBs {
				jp.ribs = append(jp.ribs, junosRIB{name: rib.Name.text(), accepted: rib.Accepted.text()})
			}
			peers = append(peers, jp)
		}
	}
	return junosSessions(peers)
}

// junosPeer is one bgp-peer of a Junos BGP summary, from its JSON or its
// XML form, as text.
type junosPeer struct {
	address, as, desc, state string
	seconds                  string // elapsed-time's junos:seconds
	ribs                     []junosRIB
}

// junosRIB is a peer's routing table with its accepted prefix count.
type junosRIB struct{ name, accepted string }

// junosSessions checks and converts the peers of a BGP summary: uptime
// for Established sessions, accepted prefixes of inet.0 and inet6.0.
func junosSessions(peers []junosPeer) ([]Session, error) {
	sessions := []Session{}
	for _, p := range peers {
		// Junos writes "192.0.2.1+179" when it knows the port.
		host, _, _ := strings.Cut(strings.TrimSpace(p.address), "+")
		addr, err := netip.ParseAddr(host)
		if err != nil {
			return nil, fmt.Errorf("bgp summary: peer-address %q: %w", p.address, err)
		}
		as, err := bgp.ParseASN(strings.TrimSpace(p.as))
		if err != nil {
			return nil, fmt.Errorf("bgp summary: peer %s: %w", addr, err)
		}
		s := Session{Neighbor: addr, PeerASN: as, Description: strings.TrimSpace(p.desc), State: strings.TrimSpace(p.state),
			Received: map[bgp.Family]int{}, RPKIInvalid: -1}
		if s.State == "" {
			return nil, fmt.Errorf("bgp summary: peer %s has no state", addr)
		}
		if secs := strings.TrimSpace(p.seconds); secs != "" && s.Established() {
			n, err := strconv.ParseUint(secs, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("bgp summary: peer %s: elapsed-time %q", addr, secs)
			}
			s.Uptime = time.Duration(n) * time.Second
		}
		for _, rib := range p.ribs {
			fam, ok := map[string]bgp.Family{"inet.0": bgp.IPv4, "inet6.0": bgp.IPv6}[strings.TrimSpace(rib.name)]
			accepted := strings.TrimSpace(rib.accepted)
			if !ok || accepted == "" {
				continue
			}
			n, err := strconv.ParseUint(accepted, 10, 31)
			if err != nil {
				return nil, fmt.Errorf("bgp summary: peer %s: accepted-prefix-count %q", addr, accepted)
			}
			s.Received[fam] = int(n)
		}
		sessions = append(sessions, s)
	}
	return sessions, nil
}
