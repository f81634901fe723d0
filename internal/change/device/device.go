// Package device talks to routers through scrapligo: SSH sessions to CLI
// platforms (FRR's vtysh, BIRD's birdc, Junos, IOS-XR, EOS, SR OS) and
// NETCONF sessions. Every platform offers the same small contract — read the
// running config, apply a new one with commit-confirmed semantics, confirm or
// roll back, read BGP session state — so deploy and check never care which
// vendor they talk to.
//
// A device refusing a command is not a Go error in scrapligo (it is a
// response whose Failed field is set); this package turns both into errors,
// and keeps them apart with the Rejected error kind.
package device

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/scrapli/scrapligo/driver/options"
	"github.com/scrapli/scrapligo/util"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Driver is one open management session to one router.
type Driver interface {
	// Running returns the router's current configuration in the form
	// Apply takes, so that Apply(Running()) is a no-op and two Running
	// results can be compared byte for byte.
	Running(ctx context.Context) (string, error)
	// Apply replaces the managed configuration with cfg and arms an
	// automatic rollback that fires unless Confirm is called within
	// confirmTimeout (natively where the platform can, emulated elsewhere).
	Apply(ctx context.Context, cfg string, confirmTimeout time.Duration) error
	// Confirm makes the last Apply permanent.
	Confirm(ctx context.Context) error
	// Rollback undoes the last unconfirmed Apply now.
	Rollback(ctx context.Context) error
	// Sessions reports the state of every BGP session the router has.
	Sessions(ctx context.Context) ([]Session, error)
	// Close ends the management session. An unconfirmed Apply is rolled
	// back by the router (or by the emulation) when its timer expires.
	Close() error
}

// Session is the observed state of one BGP session.
type Session struct {
	Neighbor    netip.Addr
	PeerASN     bgp.ASN
	State       string // "Established", "Idle", "Active", "Connect", …
	Uptime      time.Duration
	Received    map[bgp.Family]int // prefixes accepted, per family
	Description string
	// Reason says why a session is not Established when the router
	// tells ("max-prefix exceeded", the last error); empty otherwise.
	Reason string
	// RPKIInvalid counts the RPKI-invalid routes from this neighbor that
	// the router accepted: 0 when origin validation filters work, -1 when
	// the driver cannot tell.
	RPKIInvalid int
}

// Established reports whether the session is up.
func (s Session) Established() bool { return s.State == "Established" }

// ErrRejected marks an error where the router answered but refused the
// change (a syntax error, a failed commit); other errors mean the router
// could not be reached or did not answer in time.
var ErrRejected = errors.New("rejected by the router")

// Endpoint says how to reach a router's management interface over SSH.
// It holds no secret: KeyFile names a private key file and PasswordEnv an
// environment variable, both read only when a session opens.
type Endpoint struct {
	Host string
	Port int // 0: 22 for CLI sessions, 830 for NETCONF
	User string
	// KeyFile is an unencrypted private key; PasswordEnv names the
	// variable holding a login password. With neither, the "system"
	// transport uses the SSH agent.
	KeyFile     string
	PasswordEnv string
	// KnownHostsFile holds the router's host key; "" means
	// ~/.ssh/known_hosts. Host keys are always checked.
	KnownHostsFile string
	// Transport is scrapligo's SSH implementation: "system" (OpenSSH,
	// with agent and ssh_config support) or "standard" (Go's x/crypto/ssh).
	// "" lets the platform choose.
	Transport string
	// NETCONF says the router is managed over NETCONF (RFC 6241, port
	// 830 unless given) instead of its CLI: always for the netconf
	// platform, and Junos when its router block says transport =
	// "netconf".
	NETCONF bool
	// ConfigFile is, on platforms whose config is a file pushed over SFTP
	// (BIRD), its path on the router; a relative path starts at the SSH
	// user's home directory. "" means the platform's default.
	ConfigFile string
}

// sshOptions turns e into scrapligo options for user, port, credentials,
// host key checking and transport. The password, if any, is read from the
// environment here and goes nowhere else.
func (e Endpoint) sshOptions(defaultPort int, transport string) ([]util.Option, error) {
	if e.Host == "" {
		return nil, errors.New("endpoint has no host")
	}
	port := e.Port
	if port == 0 {
		port = defaultPort
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("%s: port %d out of range", e.Host, port)
	}
	opts := []util.Option{
		options.WithPort(port),
		options.WithAuthUsername(e.User),
		options.WithTransportType(transport),
	}
	if e.KeyFile != "" {
		opts = append(opts, options.WithAuthPrivateKey(e.KeyFile, ""))
	}
	if e.PasswordEnv != "" {
		pw, ok := os.LookupEnv(e.PasswordEnv)
		if !ok || pw == "" {
			return nil, fmt.Errorf("%s: password variable %s is not set", e.Host, e.PasswordEnv)
		}
		opts = append(opts, options.WithAuthPassword(pw))
	}
	if e.KeyFile == "" && e.PasswordEnv == "" && transport != "system" {
		return nil, fmt.Errorf("%s: the %s SSH transport cannot use an SSH agent: name a key file or a password variable", e.Host, transport)
	}
	if e.KnownHostsFile != "" {
		opts = append(opts, options.WithSSHKnownHostsFile(e.KnownHostsFile))
	} else {
		opts = append(opts, options.WithSSHKnownHostsFileSystem())
	}
	return opts, nil
}
