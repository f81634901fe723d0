package device

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshTransport picks scrapligo's SSH implementation for e: the one it
// names, else Go's own when a key file or password is given (no ssh
// binary needed), else OpenSSH, the only one that can use an SSH agent.
func (e Endpoint) sshTransport() string {
	switch {
	case e.Transport != "":
		return e.Transport
	case e.KeyFile != "" || e.PasswordEnv != "":
		return "standard"
	default:
		return "system"
	}
}

// String names the endpoint in errors: "user@host:port".
func (e Endpoint) addr(defaultPort int) string {
	port := e.Port
	if port == 0 {
		port = defaultPort
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(port))
}

// sshClientConfig builds an x/crypto/ssh configuration from e: the key
// file, the password variable and the SSH agent (SSH_AUTH_SOCK), in that
// order, and the host key checked against the known hosts file. Secrets
// are read here and kept nowhere else.
func (e Endpoint) sshClientConfig() (*ssh.ClientConfig, func(), error) {
	var auths []ssh.AuthMethod
	cleanup := func() {}
	if e.KeyFile != "" {
		pem, err := os.ReadFile(e.KeyFile)
		if err != nil {
			return nil, cleanup, fmt.Errorf("reading SSH key: %w", err)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, cleanup, fmt.Errorf("SSH key %s is encrypted: load it into an SSH agent and leave the key file out", e.KeyFile)
		}
		if err != nil {
			return nil, cleanup, fmt.Errorf("SSH key %s: %w", e.KeyFile, err)
		}
		auths = append(auths, ssh.PublicKeys(signer))
	}
	if e.PasswordEnv != "" {
		pw, ok := os.LookupEnv(e.PasswordEnv)
		if !ok || pw == "" {
			return nil, cleanup, fmt.Errorf("password variable %s is not set", e.PasswordEnv)
		}
		auths = append(auths, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, qs []string, _ []bool) ([]string, error) {
				a := make([]string, len(qs))
				for i := range a {
					a[i] = pw
				}
				return a, nil
			}))
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" && e.KeyFile == "" {
		conn, err := net.Dial("unix", sock)
		if err == nil {
			cleanup = func() { conn.Close() }
			auths = append(auths, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
		}
	}
	if len(auths) == 0 {
		return nil, cleanup, errors.New("no credentials: name a key file or a password variable, or run an SSH agent")
	}
	khFile := e.KnownHostsFile
	if khFile == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, cleanup, fmt.Errorf("finding known_hosts: %w", err)
		}
		khFile = filepath.Join(home, ".ssh", "known_hosts")
	}
	hostKeys, err := knownhosts.New(khFile)
	if err != nil {
		return nil, cleanup, fmt.Errorf("reading known hosts: %w", err)
	}
	return &ssh.ClientConfig{
		User:            e.User,
		Auth:            auths,
		HostKeyCallback: hostKeys,
		Timeout:         15 * time.Second,
	}, cleanup, nil
}

// dialSSH opens an SSH connection to e, bounded by ctx.
func (e Endpoint) dialSSH(ctx context.Context, defaultPort int) (*ssh.Client, error) {
	cfg, cleanup, err := e.sshClientConfig()
	defer cleanup()
	if err != nil {
		return nil, err
	}
	addr := e.addr(defaultPort)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConnection, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(cfg.Timeout))
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: %w", ErrConnection, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

// sftpSession is an SSH connection with an SFTP client on it.
type sftpSession struct {
	ssh  *ssh.Client
	sftp *sftp.Client
}

func (e Endpoint) openSFTP(ctx context.Context) (*sftpSession, error) {
	c, err := e.dialSSH(ctx, 22)
	if err != nil {
		return nil, err
	}
	s, err := sftp.NewClient(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: starting SFTP: %w", ErrConnection, err)
	}
	return &sftpSession{ssh: c, sftp: s}, nil
}

func (s *sftpSession) Close() error {
	err := s.sftp.Close()
	return errors.Join(err, s.ssh.Close())
}
