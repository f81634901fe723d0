package device

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/response"

	"github.com/peerform/peerform/internal/core/bgp"
)

//go:embed platforms/frr_vtysh.yaml
var frrPlatform []byte

// FRR drives an FRR router over SSH with vtysh as the login shell.
//
// Apply computes the difference between the running config and the
// rendered one (frrconfig.go) and sends only the differing lines. FRR has
// no commit-confirm, so it is emulated: Apply first writes a lock marker
// into the running config (route-map PEERFORM-LOCK, whose description names
// the run and its confirm deadline), keeps the running config it found,
// and arms a timer; Rollback — called by the caller, by the timer, or by
// Close on an unconfirmed change — reconnects if the session was lost and
// restores the kept config by the same diff mechanism. Confirm removes the
// marker and saves (`write memory`), so the startup config is always a
// confirmed one.
//
// If this process dies mid-change, nothing on the router undoes it; the
// marker stays in the running config, and the next run reports it
// (Leftover) and converges the router to the intended config.
type FRR struct {
	ep  Endpoint
	log *slog.Logger

	mu      sync.Mutex
	d       *network.Driver
	pending *frrChange
	timer   *time.Timer
}

// frrChange is an applied, unconfirmed change.
type frrChange struct {
	lock lockNote
	// want is the config being applied, named by the PEERFORM-DEPLOYED
	// marker once it is confirmed.
	want *frrConfig
	// raw is show running-config before the change, byte for byte;
	// saved is its managed part, which Rollback restores.
	raw   string
	saved *frrConfig
	// staleLock is set when the config found already carried another
	// run's expired marker (so raw will not come back byte for byte).
	staleLock bool
}

var (
	_ Driver           = (*FRR)(nil)
	_ LeftoverReporter = (*FRR)(nil)
	_ Normalizer       = (*FRR)(nil)
	_ SecretFinder     = (*FRR)(nil)
	_ DriftReporter    = (*FRR)(nil)
)

var frrPassword = regexp.MustCompile(`(?m)^\s*neighbor\s+\S+\s+password\s+(\S+)`)

// Secrets lists the neighbors' TCP MD5 passwords in a config.
func (f *FRR) Secrets(cfg string) []string { return findSecrets(frrPassword, cfg) }

// OpenFRR opens a session to an FRR router.
func OpenFRR(ctx context.Context, ep Endpoint, log *slog.Logger) (*FRR, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &FRR{ep: ep, log: log.With("router", ep.Host)}
	if err := f.connect(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

// errNoBGPD: the vtysh session does not reach bgpd (checkBGPD).
var errNoBGPD = errors.New("vtysh is not connected to bgpd")

func (f *FRR) connect(ctx context.Context) error {
	// A vtysh that missed bgpd (busy, its listen queue full) is replaced
	// by a new session, a few times.
	for attempt := 1; ; attempt++ {
		d, err := f.open(ctx)
		if err != nil {
			return err
		}
		f.d = d
		err = f.checkBGPD(ctx)
		if err == nil {
			return nil
		}
		f.drop()
		if !errors.Is(err, errNoBGPD) || attempt == 3 {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}

// open opens one vtysh session.
func (f *FRR) open(ctx context.Context) (*network.Driver, error) {
	opts, err := f.ep.sshOptions(22, f.ep.sshTransport())
	if err != nil {
		return nil, err
	}
	// A wide terminal keeps readline from redrawing long lines.
	opts = append(opts, options.WithTimeoutSocket(15*time.Second), options.WithTimeoutOps(opTimeout(ctx)),
		options.WithTermWidth(1000))
	p, err := platform.NewPlatform(frrPlatform, f.ep.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("FRR platform: %w", err)
	}
	d, err := p.GetNetworkDriver()
	if err != nil {
		return nil, fmt.Errorf("FRR platform: %w", err)
	}
	if err := d.Open(); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConnection, f.ep.addr(22), err)
	}
	return d, nil
}

// checkBGPD makes sure this vtysh talks to bgpd. vtysh connects to each
// daemon when it starts, and a daemon it could not reach (a busy bgpd
// with a full listen queue) or lost is left out without a word: its part
// of show running-config is simply missing, which would read as a router
// without BGP.
func (f *FRR) checkBGPD(ctx context.Context) error {
	r, err := f.d.SendCommand("show daemons", opoptions.WithTimeoutOps(opTimeout(ctx)))
	if err != nil {
		return fmt.Errorf("%w: %s: show daemons: %w", ErrConnection, f.ep.addr(22), err)
	}
	if !slices.Contains(strings.Fields(r.Result), "bgpd") {
		return fmt.Errorf("%w: %s: %w (connected: %s)", ErrConnection, f.ep.addr(22), errNoBGPD, strings.TrimSpace(r.Result))
	}
	return nil
}

// ensure reconnects a lost session, retrying with backoff while ctx
// allows: a cut connection must not leave a change half-applied when a
// new one can restore it.
func (f *FRR) ensure(ctx context.Context) error {
	if f.d != nil && f.d.Transport.IsAlive() {
		return nil
	}
	f.drop()
	return reconnect(ctx, f.log, f.connect)
}

// drop closes a session that failed: after a transport error scrapligo's
// channel state is unknown.
func (f *FRR) drop() {
	if f.d != nil {
		_ = f.d.Close()
		f.d = nil
	}
}

// opTimeout bounds one CLI operation by the context's deadline.
func opTimeout(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		if t := time.Until(dl); t > time.Second {
			return t
		}
		return time.Second
	}
	return 60 * time.Second
}

// cmd runs one exec-mode command.
func (f *FRR) cmd(ctx context.Context, command string) (string, error) {
	if err := f.ensure(ctx); err != nil {
		return "", err
	}
	r, err := f.d.SendCommand(command, opoptions.WithTimeoutOps(opTimeout(ctx)))
	if err != nil {
		f.drop()
		return "", fmt.Errorf("%w: %q: %w", ErrConnection, command, err)
	}
	if r.Failed != nil {
		return "", fmt.Errorf("%w: %q: %s", ErrRejected, command, strings.TrimSpace(r.Result))
	}
	return r.Result, nil
}

// configure sends lines in config mode, stopping at the first one FRR
// refuses. Lines before it stay applied: FRR is not transactional, which
// is why Apply keeps the config to restore.
func (f *FRR) configure(ctx context.Context, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	if err := f.ensure(ctx); err != nil {
		return err
	}
	f.log.Debug("configuring", "lines", len(lines))
	mr, err := f.d.SendConfigs(lines, opoptions.WithStopOnFailed(), opoptions.WithTimeoutOps(opTimeout(ctx)))
	if err != nil {
		f.drop()
		return fmt.Errorf("%w: while configuring: %w", ErrConnection, err)
	}
	if mr.Failed != nil {
		for _, r := range mr.Responses {
			if r.Failed != nil {
				return fmt.Errorf("%w: %q: %s", ErrRejected, r.Input, firstLine(r))
			}
		}
		return fmt.Errorf("%w: %w", ErrRejected, mr.Failed)
	}
	return nil
}

func firstLine(r *response.Response) string {
	for _, l := range strings.Split(r.Result, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return "refused"
}

func (f *FRR) running(ctx context.Context) (string, *frrConfig, error) {
	raw, err := f.cmd(ctx, "show running-config")
	if err != nil {
		return "", nil, err
	}
	// A connection to bgpd lost while reading leaves its part out.
	if err := f.checkBGPD(ctx); err != nil {
		f.drop()
		return "", nil, err
	}
	c, err := parseFRR(raw)
	if err != nil {
		return "", nil, fmt.Errorf("parsing the running config: %w", err)
	}
	return raw, c, nil
}

// Running returns the canonical form of the managed part of the running
// config (see NormalizeFRR).
func (f *FRR) Running(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, c, err := f.running(ctx)
	if err != nil {
		return "", err
	}
	return c.String(), nil
}

// Normalize returns the canonical form of a rendered config.
func (f *FRR) Normalize(cfg string) (string, error) { return NormalizeFRR(cfg) }

// Drift says how the managed config departs from the one the
// PEERFORM-DEPLOYED marker names; "" when it is that one, or when no
// marker is there (peerform never confirmed a change on the router).
func (f *FRR) Drift(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, c, err := f.running(ctx)
	if err != nil || c.deployed == "" {
		return "", err
	}
	if id := c.deployedIdentity(); id != frrIdentity(c) {
		return fmt.Sprintf("the managed config is not the one peerform last confirmed (route-map %s says %q): it was changed by hand, or by an interrupted change",
			c.deployedName, c.deployed), nil
	}
	return "", nil
}

// Leftover reports another run's lock marker, held or expired.
func (f *FRR) Leftover(ctx context.Context) (*Leftover, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, c, err := f.running(ctx)
	if err != nil || c.lock == "" {
		return nil, err
	}
	if f.pending != nil && c.lock == f.pending.lock.String() {
		return nil, nil
	}
	n := parseLockNote(c.lock)
	detail := "route-map " + c.lockName + " is in the running config: the run was interrupted, so the router may run part of its change"
	if n.held(time.Now()) {
		detail = "route-map " + c.lockName + " is in the running config: that run may still be in progress"
	}
	return &Leftover{Run: n.run, Deadline: n.until, Detail: detail}, nil
}

// Apply locks the router, saves its running config, pushes the
// difference to cfg, checks that the router now runs exactly cfg, and
// arms the rollback timer. On error the change may be partly applied:
// call Rollback.
func (f *FRR) Apply(ctx context.Context, cfg string, confirmTimeout time.Duration) error {
	want, err := parseFRRIntended(cfg)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending != nil {
		return errors.New("the previous change is neither confirmed nor rolled back")
	}
	raw, cur, err := f.running(ctx)
	if err != nil {
		return err
	}
	if err := identityMismatch(want, cur); err != nil {
		return err
	}
	stale := false
	if cur.lock != "" {
		n := parseLockNote(cur.lock)
		if n.held(time.Now()) {
			return fmt.Errorf("%w: run %s holds it until %s", ErrLocked, n.run, n.until.Format(time.RFC3339))
		}
		f.log.Warn("taking over an expired lock: converging an unfinished change", "run", n.run)
		stale = true
	}
	note := newLockNote(confirmTimeout)
	f.pending = &frrChange{lock: note, want: want, raw: raw, saved: cur, staleLock: stale}
	diff, err := frrDiff(cur, want)
	if err != nil {
		return err
	}
	lock := []string{"route-map " + frrLockName + " deny 65535", "description " + note.String(), "exit"}
	if err := f.configure(ctx, append(lock, diff...)); err != nil {
		return err
	}
	_, got, err := f.running(ctx)
	if err != nil {
		return err
	}
	if g, w := got.String(), want.String(); g != w {
		return fmt.Errorf("%w: after the push the router runs a different config than the one rendered "+
			"(templates must use FRR's own form of each line):\n%s", ErrRejected, lineDiff(want.flat(), got.flat()))
	}
	if err := f.reevaluateLimits(ctx, diff); err != nil {
		return err
	}
	f.timer = time.AfterFunc(time.Until(note.until), func() { f.expire(note) })
	f.log.Info("applied", "lines", len(diff), "run", note.run, "confirm_by", note.until)
	return nil
}

// frrMaxPrefixLine matches a neighbor's maximum-prefix line in a diff.
var frrMaxPrefixLine = regexp.MustCompile(`^\s*neighbor (\S+) maximum-prefix `)

// reevaluateLimits asks every neighbor whose maximum-prefix changed for
// its routes again (a route refresh, "clear bgp … soft in"): FRR checks
// the limit only as routes arrive, so a limit lowered below what a peer
// already sends would otherwise not act until the session next resets,
// while BIRD applies it at once. Verification then sees the real outcome.
func (f *FRR) reevaluateLimits(ctx context.Context, diff []string) error {
	seen := map[string]bool{}
	for _, l := range diff {
		m := frrMaxPrefixLine.FindStringSubmatch(l)
		if m == nil || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		if _, err := f.cmd(ctx, "clear bgp "+m[1]+" soft in"); err != nil {
			return fmt.Errorf("asking %s for its routes again after a max-prefix change: %w", m[1], err)
		}
	}
	return nil
}

// expire is the emulated commit-confirm timer.
func (f *FRR) expire(note lockNote) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending == nil || f.pending.lock != note {
		return
	}
	f.log.Warn("not confirmed in time: rolling back", "run", note.run)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := f.rollback(ctx); err != nil {
		f.log.Error("rollback after the confirm timeout failed", "err", err)
	}
}

// Confirm removes the lock marker and saves the config.
func (f *FRR) Confirm(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending == nil {
		return errors.New("no change to confirm")
	}
	if f.timer != nil && !f.timer.Stop() {
		return errors.New("the confirm timer already fired: the change was rolled back")
	}
	marker := []string{"route-map " + frrDeployedName + " deny 65535", "description " + frrDeployedNote(f.pending.want, f.pending.lock.run), "exit"}
	marker = append(marker, "no route-map "+frrLockName)
	// Markers left under the former name go with the first change.
	for _, name := range []string{f.pending.saved.lockName, f.pending.saved.deployedName} {
		if name == frrLegacyLockName || name == frrLegacyDeployedName {
			marker = append(marker, "no route-map "+name)
		}
	}
	if err := f.configure(ctx, marker); err != nil {
		f.rearm()
		return err
	}
	f.pending = nil
	if _, err := f.cmd(ctx, "write memory"); err != nil {
		return fmt.Errorf("confirmed, but saving the config failed: %w", err)
	}
	return nil
}

// rearm restarts the timer after a failed Confirm, so that the change is
// still rolled back at its deadline.
func (f *FRR) rearm() {
	note := f.pending.lock
	f.timer = time.AfterFunc(time.Until(note.until), func() { f.expire(note) })
}

// Rollback restores the config saved by Apply.
func (f *FRR) Rollback(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rollback(ctx)
}

func (f *FRR) rollback(ctx context.Context) error {
	p := f.pending
	if p == nil {
		return nil
	}
	if f.timer != nil {
		f.timer.Stop()
	}
	_, cur, err := f.running(ctx)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	diff, err := frrDiff(cur, p.saved)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if cur.lock != "" {
		diff = append(diff, "no route-map "+cur.lockName)
	}
	if err := f.configure(ctx, diff); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	raw, cur, err := f.running(ctx)
	if err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	if cur.String() != p.saved.String() {
		return fmt.Errorf("rollback: the router's config still differs from the saved one:\n%s", lineDiff(p.saved.flat(), cur.flat()))
	}
	if !p.staleLock && raw != p.raw {
		// Same managed config, other text: FRR printed something in
		// another order. Worth knowing, not worth failing.
		f.log.Warn("restored config is equivalent but not byte-identical", "diff", lineDiff(p.raw, raw))
	}
	f.pending = nil
	f.log.Info("rolled back", "run", p.lock.run)
	return nil
}

// Close ends the session. An unconfirmed change is rolled back first if
// the session is still up, since the emulated timer dies with this
// process; if it is not, the lock marker stays on the router and the next
// run converges it.
func (f *FRR) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	if f.pending != nil && f.d != nil && f.d.Transport.IsAlive() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err = f.rollback(ctx)
		cancel()
	}
	if f.timer != nil {
		f.timer.Stop()
	}
	if f.d != nil {
		err = errors.Join(err, f.d.Close())
		f.d = nil
	}
	return err
}

// frrNeighbor is the part of `show bgp neighbors json` peerform reads.
type frrNeighbor struct {
	RemoteAS        uint32 `json:"remoteAs"`
	Desc            string `json:"nbrDesc"`
	State           string `json:"bgpState"`
	UpMsec          int64  `json:"bgpTimerUpMsec"`
	LastReason      string `json:"lastNotificationReason"`
	LastResetDueTo  string `json:"lastResetDueTo"`
	ExceedMax       bool   `json:"prefixesConfigExceedMax"`
	AddressFamilies map[string]struct {
		Accepted int `json:"acceptedPrefixCounter"`
	} `json:"addressFamilyInfo"`
}

// parseFRRNeighbors reads `show bgp neighbors json`.
func parseFRRNeighbors(out string) ([]Session, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return nil, fmt.Errorf("show bgp neighbors json: %w", err)
	}
	var sessions []Session
	for key, raw := range m {
		addr, err := netip.ParseAddr(key)
		if err != nil {
			continue // "vrfName" style keys, interface neighbors
		}
		var n frrNeighbor
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, fmt.Errorf("show bgp neighbors json: %s: %w", key, err)
		}
		s := Session{Neighbor: addr.Unmap(), PeerASN: bgp.ASN(n.RemoteAS), State: n.State, Description: n.Desc,
			Received: map[bgp.Family]int{}, RPKIInvalid: 0}
		if s.State == "" {
			s.State = "Idle"
		}
		if s.Established() {
			s.Uptime = time.Duration(n.UpMsec) * time.Millisecond
		} else {
			switch {
			case n.ExceedMax:
				s.Reason = ReasonMaxPrefix
			case n.LastReason != "":
				s.Reason = n.LastReason
			case n.LastResetDueTo != "":
				s.Reason = n.LastResetDueTo
			}
		}
		for af, info := range n.AddressFamilies {
			switch {
			case strings.HasPrefix(af, "ipv4"):
				s.Received[bgp.IPv4] += info.Accepted
			case strings.HasPrefix(af, "ipv6"):
				s.Received[bgp.IPv6] += info.Accepted
			}
		}
		sessions = append(sessions, s)
	}
	return sessions, nil
}

// parseFRRInvalid counts, per neighbor, the routes in
// `show bgp <afi> unicast rpki invalid json`.
func parseFRRInvalid(out string, counts map[netip.Addr]int) error {
	var t struct {
		Routes map[string][]struct {
			PeerID string `json:"peerId"`
		} `json:"routes"`
	}
	if err := json.Unmarshal([]byte(out), &t); err != nil {
		return fmt.Errorf("rpki invalid json: %w", err)
	}
	for _, paths := range t.Routes {
		for _, p := range paths {
			if a, err := netip.ParseAddr(p.PeerID); err == nil {
				counts[a.Unmap()]++
			}
		}
	}
	return nil
}

// Sessions reads every BGP neighbor and, per neighbor, the RPKI-invalid
// routes the router holds (when bgpd runs with the RPKI module).
func (f *FRR) Sessions(ctx context.Context) ([]Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out, err := f.cmd(ctx, "show bgp neighbors json")
	if err != nil {
		return nil, err
	}
	sessions, err := parseFRRNeighbors(out)
	if err != nil {
		return nil, err
	}
	invalid := map[netip.Addr]int{}
	rpki := true
	for _, afi := range []string{"ipv4", "ipv6"} {
		out, err := f.cmd(ctx, "show bgp "+afi+" unicast rpki invalid json")
		if errors.Is(err, ErrRejected) {
			rpki = false // no RPKI module: the command does not exist
			break
		}
		if err != nil {
			return nil, err
		}
		if err := parseFRRInvalid(out, invalid); err != nil {
			return nil, err
		}
	}
	for i := range sessions {
		sessions[i].RPKIInvalid = invalid[sessions[i].Neighbor]
		if !rpki {
			sessions[i].RPKIInvalid = -1
		}
	}
	sortSessions(sessions)
	return sessions, nil
}
