package device

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// IOSXR deploys to Cisco IOS-XR over its CLI (scrapligo's cisco_iosxr
// platform). Apply enters `configure exclusive`, sends the rendered lines
// and commits them with `commit confirmed` (seconds from 30 to 300, whole
// minutes beyond). Confirm is `commit`; Rollback is `rollback
// configuration last 1`. A refused line or commit is followed by `abort`,
// which throws the target configuration away; for a refused commit the
// reasons from `show configuration failed` go into the error.
//
// The managed configuration is `router bgp`, as `show running-config
// router bgp` prints it.
type IOSXR struct {
	cliChange
	cfg exclusive
}

var (
	_ Driver       = (*IOSXR)(nil)
	_ SecretFinder = (*IOSXR)(nil)
)

// iosxrPassword finds a neighbor's key, in clear (as rendered) or in the
// reversible form IOS-XR shows (password encrypted KEY).
var iosxrPassword = regexp.MustCompile(`(?m)^\s*password\s+(?:clear|encrypted)\s+(\S+)`)

// Secrets lists the neighbors' keys in a config.
func (x *IOSXR) Secrets(cfg string) []string { return findSecrets(iosxrPassword, cfg) }

const iosxrConfigPriv = "configuration-exclusive"

// "% Failed to commit one or more configuration items …" is how IOS-XR
// refuses a commit; scrapligo's platform only knows input errors.
var iosxrFailures = []string{"% Failed"}

var iosxrDenied = []string{"commit", "end", "abort", "rollback", "load", "replace", "do", "run", "clear", "configure"}

// OpenIOSXR opens a CLI session to an IOS-XR router.
func OpenIOSXR(ctx context.Context, ep Endpoint, o CLIOptions) (*IOSXR, error) {
	cli, err := openCLI(ctx, "cisco_iosxr", ep, o)
	if err != nil {
		return nil, err
	}
	x := &IOSXR{cfg: exclusive{cli: cli, priv: iosxrConfigPriv, failures: iosxrFailures}}
	x.cliChange = cliChange{cli: cli, platform: "iosxr", steps: x}
	return x, nil
}

// Running returns `show running-config router bgp` without the
// timestamp and banner lines IOS-XR puts around it.
func (x *IOSXR) Running(ctx context.Context) (string, error) {
	out, err := x.cli.command(ctx, "show running-config router bgp")
	if err != nil {
		return "", err
	}
	var keep []string
	for i, l := range outputLines(out) {
		if i == 0 && iosxrTimestamp.MatchString(l) || strings.HasPrefix(l, "Building configuration") || strings.HasPrefix(l, "!! IOS XR Configuration") {
			continue
		}
		keep = append(keep, l)
	}
	if len(keep) == 0 {
		return "", nil
	}
	return strings.Join(keep, "\n") + "\n", nil
}

// iosxrTimestamp is the line IOS-XR prints before command output.
var iosxrTimestamp = regexp.MustCompile(`^\w{3} \w{3} +\d{1,2} \d{2}:\d{2}:\d{2}\.\d{3} \S+$`)

// lines checks a rendered config: no session commands.
func (x *IOSXR) lines(cfg string) ([]string, error) {
	return configLines(cfg, []string{"!"}, nil, iosxrDenied)
}

// trial is iosxrCommitConfirmed.
func (x *IOSXR) trial(d time.Duration) (string, error) { return iosxrCommitConfirmed(d) }

// load sends the lines into the exclusive target configuration.
func (x *IOSXR) load(ctx context.Context, lines []string) error { return x.cfg.send(ctx, lines...) }

// commit runs the trial commit; a refusal carries the reasons IOS-XR
// keeps for it.
func (x *IOSXR) commit(ctx context.Context, cmd string) error {
	err := x.cfg.send(ctx, cmd)
	if errors.Is(err, ErrRejected) {
		return x.withFailedConfig(ctx, err)
	}
	return err
}

// discard leaves configuration mode without committing (`abort`).
func (x *IOSXR) discard(ctx context.Context) error {
	_, err := x.cli.configure(ctx, iosxrConfigPriv, []string{"abort"})
	return err
}

// confirm commits again, ending the trial.
func (x *IOSXR) confirm(ctx context.Context) error { return x.cfg.send(ctx, "commit") }

// rollback undoes the trial commit with `rollback configuration last 1`.
func (x *IOSXR) rollback(ctx context.Context) error {
	out, err := x.cli.command(ctx, "rollback configuration last 1")
	if err != nil {
		return err
	}
	if !strings.Contains(out, "successfully rolled back") {
		return x.errorf("rollback: %w: %s", ErrRejected, refusal(out))
	}
	return nil
}

// iosxrCommitConfirmed spells the trial commit: IOS-XR takes 30 to 300
// seconds, or whole minutes.
func iosxrCommitConfirmed(d time.Duration) (string, error) {
	if d > 0 && d <= 300*time.Second {
		secs, err := ceilUnits(d, time.Second, 30, 300)
		return fmt.Sprintf("commit confirmed %d", secs), err
	}
	minutes, err := ceilUnits(d, time.Minute, 1, 65535)
	return fmt.Sprintf("commit confirmed minutes %d", minutes), err
}

// withFailedConfig adds the "!!%" reasons of `show configuration failed`
// to a refused commit's error.
func (x *IOSXR) withFailedConfig(ctx context.Context, cause error) error {
	mr, err := x.cli.configure(ctx, iosxrConfigPriv, []string{"show configuration failed"})
	if err != nil || len(mr.Responses) == 0 {
		return cause
	}
	var reasons []string
	for _, l := range outputLines(mr.Responses[0].Result) {
		if r, ok := strings.CutPrefix(strings.TrimSpace(l), "!!%"); ok {
			reasons = append(reasons, strings.TrimSpace(r))
		}
	}
	if len(reasons) == 0 {
		return cause
	}
	return fmt.Errorf("%w (%s)", cause, strings.Join(reasons, "; "))
}

// Sessions reads the IPv4 and IPv6 unicast BGP summaries.
func (x *IOSXR) Sessions(ctx context.Context) ([]Session, error) {
	var all []Session
	for _, f := range []bgp.Family{bgp.IPv4, bgp.IPv6} {
		s, err := x.cli.summary(ctx, "iosxr", fmt.Sprintf("show bgp %s unicast summary", f),
			func(out string) ([]Session, error) { return parseIOSXRSummary(out, f) })
		if err != nil {
			return nil, err
		}
		all = append(all, s...)
	}
	return all, nil
}

// parseIOSXRSummary reads the neighbor table of `show bgp <afi> unicast
// summary`. A long IPv6 address sits alone on its line and the columns
// follow on the next. The last column is the accepted prefix count when
// the session is up, and the state otherwise ("Idle (Admin)", "Active").
func parseIOSXRSummary(out string, fam bgp.Family) ([]Session, error) {
	if len(out) > maxOutputBytes {
		return nil, fmt.Errorf("bgp summary: %d bytes of output", len(out))
	}
	sessions := []Session{}
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	table := false
	var carry string // an address waiting for its columns
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \r")
		if !table {
			table = strings.HasPrefix(line, "Neighbor ") && strings.Contains(line, "St/PfxRcd")
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) == 1 && carry == "" {
			carry = f[0]
			continue
		}
		if carry != "" {
			f = append([]string{carry}, f...)
			carry = ""
		}
		if len(f) < 10 {
			return nil, fmt.Errorf("bgp summary: short neighbor line %q", line)
		}
		addr, err := netip.ParseAddr(f[0])
		if err != nil {
			return nil, fmt.Errorf("bgp summary: neighbor %q: %w", f[0], err)
		}
		as, err := bgp.ParseASN(f[2])
		if err != nil {
			return nil, fmt.Errorf("bgp summary: neighbor %s: %w", addr, err)
		}
		s := Session{Neighbor: addr, PeerASN: as, Received: map[bgp.Family]int{}, RPKIInvalid: -1}
		last := strings.Join(f[9:], " ")
		if n, err := strconv.ParseUint(last, 10, 31); err == nil {
			s.State = "Established"
			s.Received[fam] = int(n)
			if s.Uptime, err = parseIOSXRUptime(f[8]); err != nil {
				return nil, fmt.Errorf("bgp summary: neighbor %s: %w", addr, err)
			}
		} else {
			s.State, s.Reason = splitIOSXRState(last)
		}
		sessions = append(sessions, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bgp summary: %w", err)
	}
	if carry != "" {
		return nil, fmt.Errorf("bgp summary: neighbor %q without columns", carry)
	}
	if !table {
		return nil, errors.New("bgp summary: no neighbor table in the output")
	}
	return sessions, nil
}

// splitIOSXRState reads "Idle (Admin)" as state Idle, reason "Admin".
func splitIOSXRState(s string) (state, reason string) {
	state, reason, _ = strings.Cut(s, " ")
	return state, strings.Trim(reason, "() ")
}

var (
	iosxrClock = regexp.MustCompile(`^(\d{1,2}):(\d{2}):(\d{2})$`)
	iosxrUnits = regexp.MustCompile(`^(\d+)([ywdh])(\d+)([wdhm])$`)
)

// parseIOSXRUptime reads the Up/Down column: "00:12:40", "1d02h",
// "2w3d", "1y10w"; "never" is zero.
func parseIOSXRUptime(s string) (time.Duration, error) {
	if s == "never" {
		return 0, nil
	}
	if m := iosxrClock.FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		se, _ := strconv.Atoi(m[3])
		return time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(se)*time.Second, nil
	}
	if m := iosxrUnits.FindStringSubmatch(s); m != nil {
		unit := map[string]time.Duration{"y": 365 * 24 * time.Hour, "w": 7 * 24 * time.Hour, "d": 24 * time.Hour, "h": time.Hour, "m": time.Minute}
		a, err1 := strconv.ParseUint(m[1], 10, 16)
		b, err2 := strconv.ParseUint(m[3], 10, 16)
		if err1 == nil && err2 == nil {
			return time.Duration(a)*unit[m[2]] + time.Duration(b)*unit[m[4]], nil
		}
	}
	return 0, fmt.Errorf("up/down time %q", s)
}
