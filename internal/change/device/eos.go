package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// EOS deploys to Arista EOS over its CLI (scrapligo's arista_eos
// platform) with a configuration session: `configure session NAME`, the
// rendered lines, then `commit timer hh:mm:ss`, which commits with a
// timer. Confirm is `configure session NAME commit`; Rollback, and the
// cleanup after a refused line, is `configure session NAME abort`.
//
// The managed configuration is `router bgp`, as `show running-config
// section router bgp` prints it.
type EOS struct {
	cliChange
	session string // the configuration session of the change
}

var (
	_ Driver       = (*EOS)(nil)
	_ SecretFinder = (*EOS)(nil)
)

// eosPassword finds a neighbor's key, in clear (password 0 KEY, as
// rendered) or in the reversible form EOS shows (password 7 KEY).
var eosPassword = regexp.MustCompile(`(?m)^\s*neighbor\s+\S+\s+password\s+(?:\d+\s+)?(\S+)`)

// Secrets lists the neighbors' keys in a config.
func (e *EOS) Secrets(cfg string) []string { return findSecrets(eosPassword, cfg) }

var eosDenied = []string{"configure", "commit", "end", "abort", "rollback", "copy", "write", "reload", "bash", "do", "run"}

// OpenEOS opens a CLI session to an EOS router.
func OpenEOS(ctx context.Context, ep Endpoint, o CLIOptions) (*EOS, error) {
	cli, err := openCLI(ctx, "arista_eos", ep, o)
	if err != nil {
		return nil, err
	}
	e := &EOS{}
	e.cliChange = cliChange{cli: cli, platform: "eos", steps: e}
	return e, nil
}

// Running returns `show running-config section router bgp`.
func (e *EOS) Running(ctx context.Context) (string, error) {
	out, err := e.cli.command(ctx, "show running-config section router bgp")
	if err != nil {
		return "", err
	}
	lines := outputLines(out)
	if len(lines) == 0 {
		return "", nil
	}
	return strings.Join(lines, "\n") + "\n", nil
}

// lines checks a rendered config: no session commands.
func (e *EOS) lines(cfg string) ([]string, error) {
	return configLines(cfg, []string{"!"}, nil, eosDenied)
}

// trial is `commit timer hh:mm:ss`.
func (e *EOS) trial(d time.Duration) (string, error) {
	timer, err := eosTimer(d)
	return "commit timer " + timer, err
}

// eosTimer spells a commit timer: hh:mm:ss, rounded up to the second,
// under a day.
func eosTimer(d time.Duration) (string, error) {
	secs, err := ceilUnits(d, time.Second, 1, 24*3600-1)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60), nil
}

// load opens a configuration session named after the clock and sends
// the lines into it.
func (e *EOS) load(ctx context.Context, lines []string) error {
	e.session = "peerform-" + e.cli.now().UTC().Format("20060102-150405")
	if e.cli.d == nil {
		return e.errorf("session is closed")
	}
	if err := guard(func() error { return e.cli.d.AcquirePriv("privilege-exec") }); err != nil {
		e.cli.drop()
		return e.errorf("%w: %w", ErrConnection, err)
	}
	// The session and its sub-modes are entered by typing, not through
	// scrapligo's privilege levels: EOS's exec prompt pattern also
	// matches configuration prompts, so scrapligo cannot tell them apart.
	_, err := e.cli.send(ctx, slices.Concat([]string{"configure session " + e.session}, lines))
	return err
}

// commit commits the session with its timer, from inside it.
func (e *EOS) commit(ctx context.Context, cmd string) error {
	_, err := e.cli.send(ctx, []string{cmd})
	return err
}

// discard throws the session away, committed with a timer or not: it
// leaves configuration mode with `end` (which keeps a session
// uncommitted) if a prompt shows it is still there, then runs
// `configure session NAME abort` from exec.
func (e *EOS) discard(ctx context.Context) error {
	if e.cli.d == nil {
		return e.errorf("session is closed")
	}
	var prompt string
	if err := guard(func() error {
		var err error
		prompt, err = e.cli.d.GetPrompt()
		return err
	}); err != nil {
		e.cli.drop()
		return e.errorf("%w: %w", ErrConnection, err)
	}
	cmds := []string{"configure session " + e.session + " abort"}
	if strings.Contains(prompt, "(config") {
		cmds = append([]string{"end"}, cmds...)
	}
	_, err := e.cli.send(ctx, cmds)
	return err
}

// confirm commits the session for good, stopping its timer.
func (e *EOS) confirm(ctx context.Context) error {
	_, err := e.cli.command(ctx, "configure session "+e.session+" commit")
	return err
}

// rollback aborts the session, which restores the configuration from
// before its commit; like the cleanup after a refusal, it runs even when
// ctx has ended.
func (e *EOS) rollback(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cli.timeout)
	defer cancel()
	return e.discard(ctx)
}

// Sessions reads the IPv4 and IPv6 BGP summaries as JSON.
func (e *EOS) Sessions(ctx context.Context) ([]Session, error) {
	var all []Session
	for _, c := range []struct {
		cmd string
		fam bgp.Family
	}{{"show ip bgp summary | json", bgp.IPv4}, {"show ipv6 bgp summary | json", bgp.IPv6}} {
		s, err := e.cli.summary(ctx, "eos", c.cmd,
			func(out string) ([]Session, error) { return parseEOSSummary(out, c.fam, e.cli.now()) })
		if err != nil {
			return nil, err
		}
		all = append(all, s...)
	}
	return all, nil
}

// parseEOSSummary reads `show ip[v6] bgp summary | json` for the default
// VRF. upDownTime is the Unix time of the last state change.
func parseEOSSummary(out string, fam bgp.Family, now time.Time) ([]Session, error) {
	if len(out) > maxOutputBytes {
		return nil, fmt.Errorf("bgp summary: %d bytes of output", len(out))
	}
	start := strings.IndexByte(out, '{')
	if start < 0 {
		return nil, errors.New("bgp summary: no JSON in the output")
	}
	var doc struct {
		VRFs map[string]struct {
			Peers map[string]struct {
				ASN         json.RawMessage `json:"asn"` // a string since EOS 4.22 (asdot), a number before
				Description string          `json:"description"`
				State       string          `json:"peerState"`
				IdleReason  string          `json:"peerStateIdleReason"`
				UpDownTime  float64         `json:"upDownTime"`
				Accepted    *int            `json:"prefixAccepted"`
			} `json:"peers"`
		} `json:"vrfs"`
	}
	if err := json.NewDecoder(strings.NewReader(out[start:])).Decode(&doc); err != nil {
		return nil, fmt.Errorf("bgp summary: %w", err)
	}
	vrf, ok := doc.VRFs["default"]
	if !ok {
		return nil, errors.New("bgp summary: no default VRF in the output")
	}
	sessions := []Session{}
	for key, p := range vrf.Peers {
		addr, err := netip.ParseAddr(key)
		if err != nil {
			return nil, fmt.Errorf("bgp summary: peer %q: %w", key, err)
		}
		as, err := bgp.ParseASN(strings.Trim(string(p.ASN), `"`))
		if err != nil {
			return nil, fmt.Errorf("bgp summary: peer %s: %w", addr, err)
		}
		if p.State == "" {
			return nil, fmt.Errorf("bgp summary: peer %s has no state", addr)
		}
		s := Session{Neighbor: addr, PeerASN: as, Description: p.Description, State: p.State, Reason: p.IdleReason,
			Received: map[bgp.Family]int{}, RPKIInvalid: -1}
		if s.Established() {
			if p.Accepted != nil {
				if *p.Accepted < 0 {
					return nil, fmt.Errorf("bgp summary: peer %s: prefixAccepted %d", addr, *p.Accepted)
				}
				s.Received[fam] = *p.Accepted
			}
			if up := now.Sub(eosTime(p.UpDownTime)); p.UpDownTime > 0 && up > 0 {
				s.Uptime = up.Truncate(time.Second)
			}
		}
		sessions = append(sessions, s)
	}
	slices.SortFunc(sessions, func(a, b Session) int { return a.Neighbor.Compare(b.Neighbor) })
	return sessions, nil
}

// eosTime converts EOS's fractional Unix time, clamped to what time.Time
// can hold.
func eosTime(f float64) time.Time {
	if math.IsNaN(f) || f <= 0 {
		return time.Time{}
	}
	f = min(f, 1<<40)
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9))
}
