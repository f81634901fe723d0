package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/peerform/peerform/internal/core/platform"
)

// Options says which lab to build and where.
type Options struct {
	// Name prefixes the lab's network namespaces ("<name>-ixp", …): two
	// labs with different names run side by side. 1–10 of [a-z0-9],
	// starting with a letter.
	Name string
	// Dir holds configs, sockets, keys, logs and the state file. It must
	// be traversable by other users (the routers' SSH login shells run as
	// the lab's peerform user), so not under a 0700 directory.
	Dir string
	// Topology is the lab's content, usually Example's.
	Topology Topology
	// SSHPorts fixes the port of a router's sshd on 127.0.0.1; routers
	// not listed get a free port.
	SSHPorts map[string]int
	// Configs are the routers' initial configs by router name: for FRR
	// the part peerform manages (added after the lab's baseline of
	// hostname and static routes), for BIRD the whole file. Routers not
	// listed start without BGP.
	Configs map[string]string
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Lab is a running lab. It is saved as lab.json in its directory, so that
// another process (`peerform-lab down`) can stop it.
type Lab struct {
	Name     string     `json:"name"`
	Dir      string     `json:"dir"`
	Topology Topology   `json:"topology"`
	Routers  []Endpoint `json:"routers"`
	// KeyFile is the private key that logs in to every router as User;
	// KnownHostsFile holds their host keys.
	KeyFile        string    `json:"key_file"`
	KnownHostsFile string    `json:"known_hosts_file"`
	User           string    `json:"user"`
	Processes      []Process `json:"processes"`
	Namespaces     []string  `json:"namespaces"`
	UTSMounts      []string  `json:"uts_mounts"`
	Started        time.Time `json:"started"`

	log    *slog.Logger
	exited map[int]chan struct{}
}

// Endpoint is how peerform reaches one of the lab's routers.
type Endpoint struct {
	Router   string         `json:"router"`
	Platform platform.Name  `json:"platform"`
	SSH      netip.AddrPort `json:"ssh"`
	// ConfigFile is the router's config file on this machine: frr.conf,
	// or the bird.conf BIRD runs (which BIRD and the router's sshd see as
	// /etc/bird/bird.conf, the BIRD driver's default).
	ConfigFile string `json:"config_file"`
}

// Endpoint returns the access data of one of the lab's routers.
func (l *Lab) Endpoint(router string) (Endpoint, bool) {
	for _, e := range l.Routers {
		if e.Router == router {
			return e, true
		}
	}
	return Endpoint{}, false
}

var labName = regexp.MustCompile(`^[a-z][a-z0-9]{0,9}$`)

// ErrUnavailable means this machine cannot run a lab: not root, no network
// namespaces, or a daemon is not installed. Tests skip on it unless
// PEERFORM_LAB=required.
var ErrUnavailable = errors.New("lab unavailable")

// Requirements lists what the lab needs from the machine; it returns an
// error wrapping ErrUnavailable that says what is missing.
func Requirements() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: needs root (network namespaces, sshd)", ErrUnavailable)
	}
	var missing []string
	for _, bin := range []string{"ip", "nsenter", "unshare", "mount", "bird", "birdc", "vtysh", "gobgpd", "gobgp", "stayrtr", "/usr/sbin/sshd",
		filepath.Join(frrDaemonDir, "zebra"), filepath.Join(frrDaemonDir, "bgpd"), filepath.Join(frrDaemonDir, "staticd"),
	} {
		if filepath.IsAbs(bin) {
			if _, err := os.Stat(bin); err != nil {
				missing = append(missing, bin)
			}
		} else if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if m, _ := filepath.Glob("/usr/lib/*/frr/modules/bgpd_rpki.so"); len(m) == 0 {
		missing = append(missing, "bgpd_rpki.so (frr-rpki-rtrlib)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %v (Debian: apt-get install frr frr-rpki-rtrlib bird2 gobgpd openssh-server stayrtr)", ErrUnavailable, missing)
	}
	if fi, err := os.Stat("/etc/bird"); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: /etc/bird is missing (the bird2 package creates it; the lab mounts over it privately)", ErrUnavailable)
	}
	if _, err := os.Stat("/run/netns"); err != nil {
		if err := os.MkdirAll("/run/netns", 0o755); err != nil {
			return fmt.Errorf("%w: cannot create /run/netns: %v", ErrUnavailable, err)
		}
	}
	return nil
}

// Up builds and starts a lab: namespaces and bridges, the RPKI cache, the
// peers, our routers, and an sshd per router. It returns once every daemon
// answers; BGP sessions come up afterwards (WaitSessions). On failure it
// tears down what it started.
func Up(ctx context.Context, o Options) (*Lab, error) {
	if err := Requirements(); err != nil {
		return nil, err
	}
	if !labName.MatchString(o.Name) {
		return nil, fmt.Errorf("lab: name %q must match %s", o.Name, labName)
	}
	topo := o.Topology
	if len(topo.Routers) == 0 {
		return nil, fmt.Errorf("lab: no topology; lab.Example builds the example repository's")
	}
	if err := topo.Check(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "lab.json")); err == nil {
		return nil, fmt.Errorf("lab: %s already holds a lab; run down first", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l := &Lab{Name: o.Name, Dir: dir, Topology: topo, User: sshUser, Started: time.Now(),
		log: log.With("lab", o.Name), exited: map[int]chan struct{}{}}
	if err := l.up(ctx, o); err != nil {
		l.log.Error("lab failed to start; tearing down", "err", err)
		_ = l.Down(context.WithoutCancel(ctx))
		return nil, err
	}
	l.log.Info("lab up", "took", time.Since(l.Started).Round(time.Millisecond))
	return l, nil
}

func (l *Lab) up(ctx context.Context, o Options) error {
	if err := l.save(); err != nil { // early, so that down works even after a partial start
		return err
	}
	if err := l.buildNetwork(ctx); err != nil {
		return err
	}
	if err := l.startRPKI(ctx); err != nil {
		return err
	}
	// Peers first: our routers connect as soon as they are configured,
	// and a refused connection makes them back off (docs/lab.md, pitfall 2).
	for _, pr := range l.Topology.Peers {
		var err error
		if pr.Daemon == "bird" {
			err = l.startBIRDPeer(ctx, pr)
		} else {
			err = l.startGoBGPPeer(ctx, pr)
		}
		if err != nil {
			return fmt.Errorf("lab: peer %s: %w", pr.Name, err)
		}
	}
	if err := l.setupSSH(); err != nil {
		return err
	}
	for _, r := range l.Topology.Routers {
		var err error
		conf := filepath.Join(l.nodeDir(r.Name), "bird.conf")
		if r.Platform == platform.FRR {
			err = l.startFRR(ctx, r, o.Configs[r.Name])
			conf = filepath.Join(l.nodeDir(r.Name), "frr.conf")
		} else {
			err = l.startBIRDRouter(ctx, r, o.Configs[r.Name])
		}
		if err != nil {
			return fmt.Errorf("lab: router %s: %w", r.Name, err)
		}
		port := o.SSHPorts[r.Name]
		if port == 0 {
			if port, err = freePort(); err != nil {
				return err
			}
		}
		if err := l.startSSHD(ctx, r, port); err != nil {
			return fmt.Errorf("lab: router %s: %w", r.Name, err)
		}
		l.Routers = append(l.Routers, Endpoint{Router: r.Name, Platform: r.Platform,
			SSH: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)), ConfigFile: conf})
	}
	return l.save()
}

func (l *Lab) save() error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(l.Dir, "lab.json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(l.Dir, "lab.json"))
}

// Load reads the state of a lab started by another process from its
// directory.
func Load(dir string, logger *slog.Logger) (*Lab, error) {
	b, err := os.ReadFile(filepath.Join(dir, "lab.json"))
	if err != nil {
		return nil, fmt.Errorf("lab: no lab in %s: %w", dir, err)
	}
	l := &Lab{exited: map[int]chan struct{}{}}
	if err := json.Unmarshal(b, l); err != nil {
		return nil, fmt.Errorf("lab: reading %s/lab.json: %w", dir, err)
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	l.log = logger.With("lab", l.Name)
	return l, nil
}

// Down stops every daemon the lab started (by PID, checking each is still
// the process it started), deletes its namespaces and removes its
// directory. It is safe to call on a partly started lab, and twice.
func (l *Lab) Down(ctx context.Context) error {
	// Reverse order: sshd and our routers before the peers and the cache.
	for i := len(l.Processes) - 1; i >= 0; i-- {
		l.stop(l.Processes[i])
	}
	var errs []error
	for _, f := range l.UTSMounts {
		if _, err := run(ctx, "umount", f); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ns := range l.Namespaces {
		if _, err := run(ctx, "ip", "netns", "delete", ns); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(l.Dir); err != nil {
		errs = append(errs, err)
	}
	// A second Down has nothing left to do.
	l.Processes, l.UTSMounts, l.Namespaces = nil, nil, nil
	return errors.Join(errs...)
}
