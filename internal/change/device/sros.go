package device

import (
	"bufio"
	"context"
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

// SROS deploys to Nokia SR OS over the model-driven CLI (scrapligo's
// nokia_sros platform). Apply enters `edit-config exclusive`, sends the
// rendered lines and commits with `commit confirmed N` (N in whole
// minutes, 1 to 168). Confirm is `commit confirmed accept`; Rollback is
// `commit confirmed cancel`. A refused line or commit is followed by
// `discard`, which empties the candidate.
//
// Rendered lines use absolute paths (`/configure router "Base" bgp …`
// or `delete /configure …`), so that no line depends on the context
// the one before it left. The managed configuration is `/configure router
// "Base" bgp`; Running shows it with `info full-context`, one line per
// leaf, sorted.
type SROS struct {
	cliChange
	cfg exclusive
}

var (
	_ Driver       = (*SROS)(nil)
	_ Normalizer   = (*SROS)(nil)
	_ SecretFinder = (*SROS)(nil)
)

// Secrets lists the authentication-keys of a config (in clear, or the
// hashes SR OS shows, which are as good as the key to a reader).
func (s *SROS) Secrets(cfg string) []string { return findSecrets(junosKey, cfg) }

// srosConfigPriv is scrapligo's name for edit-config exclusive.
const srosConfigPriv = "configuration"

// OpenSROS opens an MD-CLI session to an SR OS router.
func OpenSROS(ctx context.Context, ep Endpoint, o CLIOptions) (*SROS, error) {
	cli, err := openCLI(ctx, "nokia_sros", ep, o)
	if err != nil {
		return nil, err
	}
	s := &SROS{cfg: exclusive{cli: cli, priv: srosConfigPriv}}
	s.cliChange = cliChange{cli: cli, platform: "sros", steps: s}
	return s, nil
}

// lines checks a rendered config: every statement an absolute /configure
// path, set or deleted.
func (s *SROS) lines(cfg string) ([]string, error) {
	lines, err := configLines(cfg, []string{"#"}, []string{"/configure", "delete"}, nil)
	if err != nil {
		return nil, err
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "delete ") && !strings.HasPrefix(l, "delete /configure ") {
			return nil, fmt.Errorf("statement %d: delete needs an absolute /configure path", i+1)
		}
	}
	return lines, nil
}

// Running returns `/configure router "Base" bgp` as sorted full-context
// lines. It reads them in exclusive configuration mode, the only mode
// scrapligo's platform knows; the next Apply would enter it anyway.
func (s *SROS) Running(ctx context.Context) (string, error) {
	mr, err := s.cfg.run(ctx, `info full-context /configure router "Base" bgp`)
	if err != nil {
		return "", err
	}
	return s.Normalize(mr.Responses[0].Result)
}

// Normalize turns a rendered config into Running's form: its /configure
// lines with single spaces between words, sorted; deletes are dropped.
func (s *SROS) Normalize(cfg string) (string, error) {
	var sets []string
	for _, l := range outputLines(cfg) {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "/configure ") {
			sets = append(sets, strings.Join(strings.Fields(l), " "))
		}
	}
	slices.Sort(sets)
	if len(sets) == 0 {
		return "", nil
	}
	return strings.Join(sets, "\n") + "\n", nil
}

// trial is `commit confirmed N`, N in whole minutes (1 to 168).
func (s *SROS) trial(d time.Duration) (string, error) {
	minutes, err := ceilUnits(d, time.Minute, 1, 168)
	return fmt.Sprintf("commit confirmed %d", minutes), err
}

// load sends the lines into the exclusive candidate.
func (s *SROS) load(ctx context.Context, lines []string) error { return s.cfg.send(ctx, lines...) }

// commit runs the trial commit.
func (s *SROS) commit(ctx context.Context, cmd string) error { return s.cfg.send(ctx, cmd) }

// discard empties the candidate.
func (s *SROS) discard(ctx context.Context) error { return s.cfg.send(ctx, "discard") }

// confirm accepts the confirmed commit.
func (s *SROS) confirm(ctx context.Context) error { return s.cfg.send(ctx, "commit confirmed accept") }

// rollback cancels the confirmed commit, restoring the configuration from
// before it.
func (s *SROS) rollback(ctx context.Context) error { return s.cfg.send(ctx, "commit confirmed cancel") }

// Sessions reads `show router bgp summary`.
func (s *SROS) Sessions(ctx context.Context) ([]Session, error) {
	return s.cli.summary(ctx, "sros", "show router bgp summary", parseSROSSummary)
}

var (
	// srosCounts is "Rcv/Act/Sent (Addr Family)", as in "3/3/1 (IPv4)".
	srosCounts = regexp.MustCompile(`^(\d+)/(\d+)/(\d+) \((IPv4|IPv6)\)$`)
	srosUptime = regexp.MustCompile(`^(?:(\d+)d)?(\d+)h(\d+)m(?:(\d+)s)?$`)
)

// parseSROSSummary reads the neighbor table of `show router bgp summary`.
// Each neighbor takes several lines: its address, its description, a line
// with AS, packets received, queue, Up/Down and either the state or the
// counts of the first family, then lines with the counts of further
// families (the second line also carries packets sent and the out queue).
func parseSROSSummary(out string) ([]Session, error) {
	if len(out) > maxOutputBytes {
		return nil, fmt.Errorf("bgp summary: %d bytes of output", len(out))
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	sessions := []Session{}
	var cur *Session
	// stage: 0 outside the table, 1 expecting an address, 2 a description,
	// 3 the AS line, 4 continuation lines.
	stage := 0
	dashes := 0
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \r")
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "-----") {
			dashes++
			if dashes == 1 {
				stage = 1
				continue
			}
			break // the table's closing rule
		}
		if stage == 0 || trimmed == "" {
			continue
		}
		if stage == 4 {
			// A new neighbor starts at the left margin; counts are indented.
			if line[0] != ' ' {
				stage = 1
			} else {
				if err := addSROSCounts(cur, lastField(trimmed)); err != nil {
					return nil, err
				}
				continue
			}
		}
		switch stage {
		case 1:
			addr, err := netip.ParseAddr(trimmed)
			if err != nil {
				return nil, fmt.Errorf("bgp summary: neighbor %q: %w", trimmed, err)
			}
			sessions = append(sessions, Session{Neighbor: addr, Received: map[bgp.Family]int{}, RPKIInvalid: -1})
			cur = &sessions[len(sessions)-1]
			stage = 2
		case 2:
			if trimmed != "(Not Specified)" {
				cur.Description = trimmed
			}
			stage = 3
		case 3:
			f := strings.Fields(trimmed)
			if len(f) < 5 {
				return nil, fmt.Errorf("bgp summary: neighbor %s: short line %q", cur.Neighbor, trimmed)
			}
			as, err := bgp.ParseASN(f[0])
			if err != nil {
				return nil, fmt.Errorf("bgp summary: neighbor %s: %w", cur.Neighbor, err)
			}
			cur.PeerASN = as
			rest := strings.Join(f[4:], " ")
			if srosCounts.MatchString(rest) {
				cur.State = "Established"
				if cur.Uptime, err = parseSROSUptime(f[3]); err != nil {
					return nil, fmt.Errorf("bgp summary: neighbor %s: %w", cur.Neighbor, err)
				}
				if err := addSROSCounts(cur, rest); err != nil {
					return nil, err
				}
			} else {
				cur.State = rest
			}
			stage = 4
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bgp summary: %w", err)
	}
	if dashes == 0 {
		return nil, errors.New("bgp summary: no neighbor table in the output")
	}
	if stage == 2 || stage == 3 {
		return nil, fmt.Errorf("bgp summary: neighbor %s is cut short", cur.Neighbor)
	}
	return sessions, nil
}

// lastField returns the counts part of a continuation line: "118 0
// 2/2/1 (IPv6)" gives "2/2/1 (IPv6)", and "118 0" gives "".
func lastField(s string) string {
	f := strings.Fields(s)
	if len(f) >= 2 && strings.HasPrefix(f[len(f)-1], "(") {
		return f[len(f)-2] + " " + f[len(f)-1]
	}
	return ""
}

// addSROSCounts records the received count of "3/3/1 (IPv4)"; "" is a
// continuation line without counts.
func addSROSCounts(s *Session, counts string) error {
	if counts == "" {
		return nil
	}
	m := srosCounts.FindStringSubmatch(counts)
	if m == nil {
		return fmt.Errorf("bgp summary: neighbor %s: counts %q", s.Neighbor, counts)
	}
	n, err := strconv.ParseUint(m[1], 10, 31)
	if err != nil {
		return fmt.Errorf("bgp summary: neighbor %s: counts %q", s.Neighbor, counts)
	}
	fam := bgp.IPv4
	if m[4] == "IPv6" {
		fam = bgp.IPv6
	}
	s.Received[fam] = int(n)
	return nil
}

// parseSROSUptime reads "01d02h03m" and "00h12m40s".
func parseSROSUptime(s string) (time.Duration, error) {
	m := srosUptime.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("up/down time %q", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseUint(m[i+1], 10, 16)
		if err != nil {
			return 0, fmt.Errorf("up/down time %q", s)
		}
		d += time.Duration(n) * unit
	}
	return d, nil
}
