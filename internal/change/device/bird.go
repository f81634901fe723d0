package device

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scrapli/scrapligo/driver/generic"
	"github.com/scrapli/scrapligo/driver/opoptions"
	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/platform"
)

//go:embed platforms/bird_birdc.yaml
var birdPlatform []byte

const (
	birdDefaultConfig = "/etc/bird/bird.conf"
	birdMaxConfig     = 16 << 20
)

// BIRD drives a BIRD 2 router over SSH: birdc is the login shell, and
// configs travel as files over SFTP on a second SSH connection.
//
// Apply is atomic on the file system and uses BIRD's own commit-confirm:
// the config is written to "<file>.peerform-tmp" and renamed to
// "<file>.peerform-new" (a cut connection leaves at most a partial tmp
// file, never a partial config), checked with `configure check`, and
// activated with `configure "<file>.peerform-new" timeout N`, which leaves
// the file BIRD reads at start untouched. A config BIRD refuses is never
// activated, and nothing then needs undoing. Confirm runs `configure
// confirm` and only then renames the new file over the old one, so the
// file always holds the last confirmed config; Rollback activates that
// file again (`configure "<file>"`, which also stops BIRD's timer),
// rather than `configure undo`, which goes back to whatever BIRD ran
// before its last reconfiguration. If this process dies, BIRD undoes the
// change itself when the timeout expires. "<file>.peerform-lock", created
// exclusively, is the change lock; one left behind tells the next run
// that a change was interrupted (Leftover), and that run converges the
// router by applying again.
//
// Every config peerform writes ends with a constant whose name is derived
// from the config's text (its identity, see birdIdentity). BIRD lists the
// symbols of the config it runs (`show symbols`), so Running reports the
// config BIRD runs, not merely the file it would start from, and Drift
// notices a router that runs something else.
type BIRD struct {
	ep  Endpoint
	log *slog.Logger

	mu    sync.Mutex
	d     *generic.Driver
	files *sftpSession
	conf  string // absolute path of the config file
	// lock is the change lock this session holds on the router, and
	// change the identity of the config Apply activated (or may have: the
	// answer to its configure command was lost) and neither Confirm nor
	// Rollback has settled: Rollback has something to undo exactly then.
	lock   *lockNote
	change string
}

var (
	_ Driver           = (*BIRD)(nil)
	_ LeftoverReporter = (*BIRD)(nil)
	_ SecretFinder     = (*BIRD)(nil)
	_ Normalizer       = (*BIRD)(nil)
	_ DriftReporter    = (*BIRD)(nil)
)

var birdPassword = regexp.MustCompile(`(?m)^\s*password\s+"([^"\n]*)"`)

// Secrets lists the sessions' TCP MD5 passwords in a config.
func (b *BIRD) Secrets(cfg string) []string { return findSecrets(birdPassword, cfg) }

// OpenBIRD opens the birdc and SFTP sessions to a BIRD router.
func OpenBIRD(ctx context.Context, ep Endpoint, log *slog.Logger) (*BIRD, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &BIRD{ep: ep, log: log.With("router", ep.Host)}
	if err := b.connect(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *BIRD) connect(ctx context.Context) error {
	opts, err := b.ep.sshOptions(22, b.ep.sshTransport())
	if err != nil {
		return err
	}
	// birdc pages answers longer than the terminal (--More--): a tall
	// terminal keeps it from ever waiting for a key.
	opts = append(opts, options.WithTimeoutSocket(15*time.Second), options.WithTimeoutOps(opTimeout(ctx)),
		options.WithTermHeight(65000), options.WithTermWidth(1000))
	p, err := platform.NewPlatform(birdPlatform, b.ep.Host, opts...)
	if err != nil {
		return fmt.Errorf("BIRD platform: %w", err)
	}
	d, err := p.GetGenericDriver()
	if err != nil {
		return fmt.Errorf("BIRD platform: %w", err)
	}
	if err := d.Open(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrConnection, b.ep.addr(22), err)
	}
	if err := waitBirdc(ctx, d); err != nil {
		_ = d.Close()
		return fmt.Errorf("%w: %s: %w", ErrConnection, b.ep.addr(22), err)
	}
	files, err := b.ep.openSFTP(ctx)
	if err != nil {
		_ = d.Close()
		return fmt.Errorf("%s: %w", b.ep.addr(22), err)
	}
	conf := b.ep.ConfigFile
	if conf == "" {
		conf = birdDefaultConfig
	}
	if !path.IsAbs(conf) {
		home, err := files.sftp.Getwd()
		if err != nil {
			_ = d.Close()
			_ = files.Close()
			return fmt.Errorf("%w: SFTP home directory: %w", ErrConnection, err)
		}
		conf = path.Join(home, conf)
	}
	b.d, b.files, b.conf = d, files, conf
	return nil
}

// waitBirdc reads birdc's greeting up to its first prompt. birdc first
// connects to BIRD's control socket; a command sent before it has is
// echoed by the terminal, and birdc, reading it later, prints its own
// prompt and echo before the answer: that prompt would end the read, and
// the command be judged on its echo without BIRD's answer (a false
// "configure check" rejection of a slow router). The SSH session is up
// before birdc is; nothing may be sent before this returns.
func waitBirdc(ctx context.Context, d *generic.Driver) error {
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := d.Channel.ReadUntilPrompt(rctx)
	if err != nil {
		return fmt.Errorf("waiting for birdc's prompt: %w", err)
	}
	if !strings.Contains(string(out), " ready.") {
		return fmt.Errorf("birdc did not connect to BIRD: %s", birdMessage(birdOutput(string(out))))
	}
	return nil
}

func (b *BIRD) drop() {
	if b.d != nil {
		_ = b.d.Close()
		b.d = nil
	}
	if b.files != nil {
		_ = b.files.Close()
		b.files = nil
	}
}

// ensure reconnects lost sessions, with backoff, while ctx allows.
func (b *BIRD) ensure(ctx context.Context) error {
	if b.d != nil && b.d.Transport.IsAlive() && b.files != nil {
		return nil
	}
	b.drop()
	return reconnect(ctx, b.log, b.connect)
}

// cmd runs one birdc command and returns its output without the prompt
// echo birdc's line editor leaves in front of it.
func (b *BIRD) cmd(ctx context.Context, command string) (string, error) {
	if err := b.ensure(ctx); err != nil {
		return "", err
	}
	r, err := b.d.SendCommand(command, opoptions.WithTimeoutOps(opTimeout(ctx)), opoptions.WithNoStripPrompt())
	if err != nil {
		b.drop()
		return "", fmt.Errorf("%w: %q: %w", ErrConnection, command, err)
	}
	out := birdOutput(r.Result)
	if r.Failed != nil {
		return "", fmt.Errorf("%w: %q: %s", ErrRejected, command, birdMessage(out))
	}
	return out, nil
}

// birdOutput removes the prompts around a birdc answer: the one birdc
// redraws in front of it and the one that ends it.
func birdOutput(result string) string {
	out := strings.TrimPrefix(strings.TrimLeft(result, "\n"), "bird> ")
	out = strings.TrimRight(out, " \n")
	out = strings.TrimSuffix(out, "bird>")
	return strings.TrimRight(out, "\n")
}

// fileOp runs an SFTP operation that gives up, by closing the session,
// when ctx ends: pkg/sftp calls take no context.
func (b *BIRD) fileOp(ctx context.Context, op func(*sftpSession) error) error {
	if err := b.ensure(ctx); err != nil {
		return err
	}
	s := b.files
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	defer stop()
	err := op(s)
	if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrExist) && !errors.Is(err, errHeld) {
		if _, gerr := s.sftp.Getwd(); gerr != nil { // the session itself failed
			b.drop()
			return fmt.Errorf("%w: SFTP: %w", ErrConnection, err)
		}
	}
	return err
}

// errHeld reports a lock held by another run (internal to takeLock).
var errHeld = errors.New("lock held")

func (b *BIRD) readFile(ctx context.Context, name string) (string, error) {
	var content string
	err := b.fileOp(ctx, func(s *sftpSession) error {
		f, err := s.sftp.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, birdMaxConfig+1))
		if err != nil {
			return err
		}
		if len(data) > birdMaxConfig {
			return fmt.Errorf("%s is larger than %d bytes", name, birdMaxConfig)
		}
		content = string(data)
		return nil
	})
	return content, err
}

// writeFile writes content to name atomically: a temporary file in the
// same directory, then a POSIX rename over name.
func (b *BIRD) writeFile(ctx context.Context, name, content string) error {
	return b.fileOp(ctx, func(s *sftpSession) error {
		tmp := name + ".peerform-tmp"
		f, err := s.sftp.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte(content)); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		return s.sftp.PosixRename(tmp, name)
	})
}

func (b *BIRD) remove(ctx context.Context, name string) error {
	err := b.fileOp(ctx, func(s *sftpSession) error { return s.sftp.Remove(name) })
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (b *BIRD) lockFile() string { return b.conf + ".peerform-lock" }
func (b *BIRD) newFile() string  { return b.conf + ".peerform-new" }

// Running returns the config BIRD runs: the file it starts from when
// BIRD runs that file's identity, else the pending new file when BIRD
// runs that one. When BIRD runs neither, or the file has no (or a stale)
// identity, it returns the file under a first line that says so: it is
// then never equal to a rendered config, and the next deploy converges.
func (b *BIRD) Running(ctx context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	running, _, err := b.readBack(ctx)
	return running, err
}

// Normalize returns cfg as Running returns it once BIRD runs it.
func (b *BIRD) Normalize(cfg string) (string, error) { return birdNormalize(cfg), nil }

// Drift says why BIRD runs neither the config peerform last confirmed on
// it nor a pending change; "" when it runs one of them, or when the file
// was never written by peerform.
func (b *BIRD) Drift(ctx context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, drift, err := b.readBack(ctx)
	return drift, err
}

// readBack finds which config BIRD runs (Running) and, when it is neither
// the file nor a pending change, why (Drift).
func (b *BIRD) readBack(ctx context.Context) (running, drift string, err error) {
	text, err := b.readFile(ctx, b.conf)
	if err != nil {
		return "", "", err
	}
	conf := splitIdentity(text)
	if conf.state == identityValid {
		if runs, err := b.runs(ctx, conf.id); err != nil || runs {
			return conf.body, "", err
		}
	}
	switch next, err := b.readFile(ctx, b.newFile()); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", "", err
	default:
		if n := splitIdentity(next); n.state == identityValid {
			if runs, err := b.runs(ctx, n.id); err != nil || runs {
				return n.body, "", err
			}
		}
	}
	if conf.state != identityNone {
		drift = b.notRunning(conf)
	}
	return fmt.Sprintf("# peerform: BIRD may not run this file: %s\n%s", b.notRunning(conf), conf.body), drift, nil
}

// notRunning says why BIRD is not known to run the config file.
func (b *BIRD) notRunning(conf birdFile) string {
	switch conf.state {
	case identityNone:
		return b.conf + " was not written by peerform, so what BIRD runs cannot be read back"
	case identityEdited:
		return b.conf + " was edited after peerform wrote it"
	}
	return fmt.Sprintf("BIRD runs neither %s, the last confirmed config (%s), nor a pending change", b.conf, conf.id)
}

// runs reports whether BIRD's running config defines the identity id.
func (b *BIRD) runs(ctx context.Context, id string) (bool, error) {
	if err := b.waitReconfigured(ctx); err != nil {
		return false, err
	}
	out, err := b.cmd(ctx, "show symbols "+id)
	if err != nil {
		return false, err
	}
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == id {
			return f[1] == "constant", nil
		}
	}
	return false, fmt.Errorf("unexpected answer to show symbols: %s", birdMessage(out))
}

// Leftover reports another run's lock file, held or expired.
func (b *BIRD) Leftover(ctx context.Context) (*Leftover, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	text, err := b.readFile(ctx, b.lockFile())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n := parseLockNote(text)
	if b.lock != nil && n == *b.lock {
		return nil, nil
	}
	detail := b.lockFile() + " exists: the run was interrupted; BIRD undoes an unconfirmed change at its timeout, " +
		"but the new config may have been confirmed without being saved over the old file"
	if n.held(time.Now()) {
		detail = b.lockFile() + " exists: that run may still be in progress"
	}
	return &Leftover{Run: n.run, Deadline: n.until, Detail: detail}, nil
}

// takeLock creates the lock file exclusively; an expired one is replaced.
func (b *BIRD) takeLock(ctx context.Context, note lockNote) error {
	create := func() error {
		return b.fileOp(ctx, func(s *sftpSession) error {
			f, err := s.sftp.OpenFile(b.lockFile(), os.O_WRONLY|os.O_CREATE|os.O_EXCL)
			if err != nil {
				return err
			}
			if _, err := f.Write([]byte(note.String() + "\n")); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
	}
	err := create()
	if err == nil {
		return nil
	}
	// pkg/sftp reports O_EXCL on an existing file as a generic failure:
	// look at the file to tell.
	text, rerr := b.readFile(ctx, b.lockFile())
	if rerr != nil {
		return fmt.Errorf("taking the lock %s: %w", b.lockFile(), err)
	}
	old := parseLockNote(text)
	if old.held(time.Now()) {
		return fmt.Errorf("%w: run %s holds it until %s", ErrLocked, old.run, old.until.Format(time.RFC3339))
	}
	b.log.Warn("taking over an expired lock: converging an unfinished change", "run", old.run)
	if err := b.remove(ctx, b.lockFile()); err != nil {
		return err
	}
	return create()
}

// Apply locks the router, uploads cfg beside the current config, has
// BIRD check it, and activates it with BIRD's confirm timeout. A config
// that cannot be uploaded or that BIRD refuses is never activated: Apply
// removes it and the lock, and BIRD runs what it ran. Call Rollback after
// any other error: it undoes the change if it may have gone live.
func (b *BIRD) Apply(ctx context.Context, cfg string, confirmTimeout time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lock != nil {
		return errors.New("the previous change is neither confirmed nor rolled back")
	}
	if err := b.ensure(ctx); err != nil {
		return err
	}
	note := newLockNote(confirmTimeout)
	if err := b.takeLock(ctx, note); err != nil {
		return err
	}
	b.lock = &note
	cfg = birdNormalize(cfg)
	id := birdIdentity(cfg)
	if err := b.writeFile(ctx, b.newFile(), cfg+birdTrailer(id)); err != nil {
		return b.abandon(ctx, fmt.Errorf("uploading the config: %w", err))
	}
	out, err := b.cmd(ctx, fmt.Sprintf("configure check %q", b.newFile()))
	if err != nil {
		return b.abandon(ctx, err)
	}
	if !strings.Contains(out, "Configuration OK") {
		return b.abandon(ctx, fmt.Errorf("%w: configure check: %s", ErrRejected, birdMessage(out)))
	}
	secs := int(time.Until(note.until).Seconds())
	if secs < 1 {
		secs = 1
	}
	// From the moment the command is sent the change may be live, even
	// if its answer never arrives.
	b.change = id
	out, err = b.cmd(ctx, fmt.Sprintf("configure %q timeout %d", b.newFile(), secs))
	switch {
	case errors.Is(err, ErrRejected):
		b.change = ""
		return b.abandon(ctx, err)
	case err != nil:
		return err
	case !strings.Contains(out, "Reconfigur") || strings.Contains(out, "rejected"):
		b.change = ""
		return b.abandon(ctx, fmt.Errorf("%w: configure: %s", ErrRejected, birdMessage(out)))
	}
	if err := b.keepInterfaces(ctx); err != nil {
		return err
	}
	if runs, err := b.runs(ctx, id); err != nil || !runs {
		return errors.Join(err, fmt.Errorf("BIRD accepted %s but does not run it", b.newFile()))
	}
	b.log.Info("applied", "run", note.run, "confirm_by", note.until, "config", id)
	return nil
}

// abandon undoes the file system side of an Apply that activated nothing:
// the new file and the lock go, so that no later run sees a leftover.
func (b *BIRD) abandon(ctx context.Context, cause error) error {
	if err := b.removeChangeFiles(ctx); err != nil {
		return errors.Join(cause, fmt.Errorf("removing the refused change's files (the next run will): %w", err))
	}
	return cause
}

// removeChangeFiles removes the new file and releases the lock.
func (b *BIRD) removeChangeFiles(ctx context.Context) error {
	if err := b.remove(ctx, b.newFile()); err != nil {
		return err
	}
	if err := b.remove(ctx, b.lockFile()); err != nil {
		return err
	}
	b.lock = nil
	return nil
}

// keepInterfaces works around BIRD 2 losing its interfaces in a
// reconfiguration that replaces its device protocol (another name, as
// when a rendered config replaces a hand-written one, or back on undo):
// the old protocol's shutdown flushes the interface list after the new
// one has scanned, and until the next periodic scan (60 s by default) no
// directly connected BGP session can come up. Once the reconfiguration
// is done, an empty interface list is refilled by restarting the device
// protocols.
func (b *BIRD) keepInterfaces(ctx context.Context) error {
	if err := b.waitReconfigured(ctx); err != nil {
		return err
	}
	ifaces, err := b.cmd(ctx, "show interfaces")
	if err != nil {
		return err
	}
	if strings.TrimSpace(birdMessage(ifaces)) != "" {
		return nil
	}
	protos, err := b.cmd(ctx, "show protocols")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(protos, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "Device" {
			b.log.Info("BIRD lost its interfaces in the reconfiguration: restarting its device protocol", "protocol", f[0])
			if _, err := b.cmd(ctx, "restart "+f[0]); err != nil {
				return err
			}
		}
	}
	return nil
}

// birdMessage keeps the lines of birdc output that say something.
func birdMessage(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "BIRD ") && !strings.HasPrefix(l, "Reading configuration") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "; ")
}

// Confirm makes BIRD keep the change, then saves it over the config file
// BIRD starts from, and releases the lock.
func (b *BIRD) Confirm(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.change == "" {
		return errors.New("no change to confirm")
	}
	out, err := b.cmd(ctx, "configure confirm")
	if err != nil {
		return err
	}
	if !strings.Contains(out, "confirmed") {
		return fmt.Errorf("configure confirm: %s (the confirm timeout may have passed: BIRD undid the change)", birdMessage(out))
	}
	if err := b.fileOp(ctx, func(s *sftpSession) error { return s.sftp.PosixRename(b.newFile(), b.conf) }); err != nil {
		return fmt.Errorf("confirmed, but saving %s failed (the lock stays, so the next run converges): %w", b.conf, err)
	}
	b.change = ""
	if err := b.remove(ctx, b.lockFile()); err != nil {
		return err
	}
	b.lock = nil
	return nil
}

// Rollback undoes an unconfirmed change: BIRD runs the last confirmed
// config (the file it starts from) again, and the change's files go.
func (b *BIRD) Rollback(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rollback(ctx)
}

func (b *BIRD) rollback(ctx context.Context) error {
	if b.lock == nil {
		return nil
	}
	if b.change != "" {
		if err := b.restore(ctx); err != nil {
			return fmt.Errorf("rollback: %w", err)
		}
		b.log.Info("rolled back", "run", b.lock.run, "config", b.change)
		b.change = ""
	}
	if err := b.removeChangeFiles(ctx); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// restore has BIRD run the config file again, and checks that it does
// when the file carries an identity.
func (b *BIRD) restore(ctx context.Context) error {
	out, err := b.cmd(ctx, fmt.Sprintf("configure %q", b.conf))
	if err != nil {
		return err
	}
	if !strings.Contains(out, "Reconfigur") || strings.Contains(out, "rejected") {
		return fmt.Errorf("configure %q: %s", b.conf, birdMessage(out))
	}
	if err := b.keepInterfaces(ctx); err != nil {
		return err
	}
	text, err := b.readFile(ctx, b.conf)
	if err != nil {
		return err
	}
	if conf := splitIdentity(text); conf.state == identityValid {
		if runs, err := b.runs(ctx, conf.id); err != nil || !runs {
			return errors.Join(err, fmt.Errorf("BIRD does not run %s (%s) after reloading it", b.conf, conf.id))
		}
	}
	return nil
}

// waitReconfigured waits until BIRD has finished a reconfiguration it runs
// in the background (removing protocols takes a moment).
func (b *BIRD) waitReconfigured(ctx context.Context) error {
	for {
		out, err := b.cmd(ctx, "show status")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "Reconfiguration in progress") {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Close rolls back an unconfirmed change if the sessions are still up
// (BIRD would at its timeout anyway) and ends both sessions.
func (b *BIRD) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var err error
	if b.lock != nil && b.d != nil && b.d.Transport.IsAlive() && b.files != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err = b.rollback(ctx)
		cancel()
	}
	b.drop()
	return err
}

var birdCount = regexp.MustCompile(`(?m)^(\d+) of (\d+) routes`)

// protocols reads `show protocols all`.
func (b *BIRD) protocols(ctx context.Context) ([]birdProto, error) {
	out, err := b.cmd(ctx, "show protocols all")
	if err != nil {
		return nil, err
	}
	return parseBIRDProtocols(out)
}

// Sessions reads every BGP protocol and counts, per channel, the
// RPKI-invalid routes it holds, against the ROA tables of BIRD's RPKI
// protocols.
func (b *BIRD) Sessions(ctx context.Context) ([]Session, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	protos, err := b.protocols(ctx)
	if err != nil {
		return nil, err
	}
	// BIRD's clock after the protocols were read, so that no "since"
	// is later than it.
	status, err := b.cmd(ctx, "show status")
	if err != nil {
		return nil, err
	}
	now, err := birdServerTime(status)
	if err != nil {
		return nil, err
	}
	roa := map[string]string{} // "ipv4" → ROA table
	for _, p := range protos {
		if p.Proto != "RPKI" {
			continue
		}
		for _, ch := range p.Channels {
			switch ch.Name {
			case "roa4":
				roa["ipv4"] = ch.Table
			case "roa6":
				roa["ipv6"] = ch.Table
			}
		}
	}
	var sessions []Session
	for _, p := range protos {
		if p.Proto != "BGP" {
			continue
		}
		s := p.session(now)
		s.RPKIInvalid = -1
		if s.Established() && len(roa) > 0 {
			s.RPKIInvalid = 0
			for _, ch := range p.Channels {
				t, ok := roa[ch.Name]
				if !ok || ch.Table == "" {
					continue
				}
				q := fmt.Sprintf("show route table %s protocol %s where roa_check(%s, net, bgp_path.last) = ROA_INVALID count", ch.Table, p.Name, t)
				out, err := b.cmd(ctx, q)
				if err != nil {
					return nil, err
				}
				m := birdCount.FindStringSubmatch(out)
				if m == nil {
					return nil, fmt.Errorf("unexpected answer to %q: %s", q, birdMessage(out))
				}
				n, _ := strconv.Atoi(m[1])
				s.RPKIInvalid += n
			}
		}
		sessions = append(sessions, s)
	}
	sortSessions(sessions)
	return sessions, nil
}
