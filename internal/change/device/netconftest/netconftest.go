// Package netconftest runs a real NETCONF server for tests: Debian's
// netconfd (yuma123) loaded with the peerform-bgp YANG module, behind a
// private OpenSSH sshd on 127.0.0.1.
//
// Everything lives in a temporary directory. The login user exists only
// inside a private mount namespace, where sshd sees copies of passwd,
// shadow and group bind-mounted over the host's; the host's /etc and /run
// are never written. This needs root. Without root or without the
// binaries (packages netconfd, openssh-server) Start skips the test,
// unless PEERFORM_LAB=required, when it fails it instead.
//
// Each Start runs its own pair of daemons, so tests stay independent;
// this matters because netconfd runs its confirmed-commit timer only
// after the whole server has been idle for a second (see docs/netconf.md).
package netconftest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/peerform/peerform/internal/change/openconfig"
	"github.com/peerform/peerform/internal/testutil"
)

// Server is a running netconfd reachable over SSH.
type Server struct {
	Host string // always 127.0.0.1
	Port int
	User string
	// KeyFile is an unencrypted ed25519 private key the server accepts.
	KeyFile string
	// KnownHostsFile lists the server's host key for Host:Port.
	KnownHostsFile string
	// Password is accepted for User as well; "" when no tool to hash it
	// (openssl) was found, and then password login is off.
	Password string
	// Dir holds configs, keys, sockets and the logs netconfd.log and
	// sshd.log, which are printed when the test fails.
	Dir string
}

// Binaries the harness runs, with the Debian packages that ship them.
var binaries = []struct{ name, pkg string }{
	{"netconfd", "netconfd"},
	{"netconf-subsystem", "netconfd"},
	{"sshd", "openssh-server"},
	{"mount", "mount"},
	{"sh", "dash"},
}

const userName = "peerform-nc"

// Start launches netconfd and sshd for t and stops them when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	paths, err := lookBinaries()
	if err != nil {
		skipOrFail(t, err.Error())
	}
	if os.Geteuid() != 0 {
		skipOrFail(t, "the NETCONF test server needs root (a private mount namespace for its login user)")
	}
	s, err := start(t, paths)
	if err != nil {
		t.Fatalf("starting the NETCONF test server: %v", err)
	}
	return s
}

func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	if testutil.LabRequired() {
		t.Fatalf("PEERFORM_LAB=required, but: %s", reason)
	}
	t.Skip("skipping NETCONF server test: " + reason)
}

func lookBinaries() (map[string]string, error) {
	paths := map[string]string{}
	var missing []string
	for _, b := range binaries {
		p, err := exec.LookPath(b.name)
		if err != nil {
			// sbin is often missing from a non-root PATH.
			for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
				if _, statErr := os.Stat(filepath.Join(dir, b.name)); statErr == nil {
					p, err = filepath.Join(dir, b.name), nil
					break
				}
			}
		}
		if err != nil {
			missing = append(missing, fmt.Sprintf("%s (package %s)", b.name, b.pkg))
			continue
		}
		paths[b.name] = p
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("not installed: %s", strings.Join(missing, ", "))
	}
	return paths, nil
}

func start(t testing.TB, bin map[string]string) (*Server, error) {
	dir, err := os.MkdirTemp("", "peerform-netconfd-")
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	// The login user must read authorized_keys and reach the netconfd
	// socket, so the tree is world-traversable (MkdirTemp makes 0700).
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	for _, sub := range []string{"home", "run", "etc", "ssh", "yang"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", Port: port, User: userName, Dir: dir}
	if err := s.writeKeys(); err != nil {
		return nil, err
	}
	if err := s.writeAccounts(); err != nil {
		return nil, err
	}

	yang := filepath.Join(dir, "yang", openconfig.Module+".yang")
	startup := filepath.Join(dir, "run", "startup-cfg.xml")
	sock := filepath.Join(dir, "run", "ncxserver.sock")
	files := map[string]string{
		yang:                                     openconfig.YANG(),
		startup:                                  `<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"/>` + "\n",
		filepath.Join(dir, "ssh", "sshd_config"): s.sshdConfig(bin["netconf-subsystem"], sock),
	}
	for path, content := range files {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return nil, err
		}
	}

	// netconfd: candidate datastore with confirmed commit, access control
	// off for our user, running saved to a startup file we own.
	nc := exec.Command(bin["netconfd"],
		"--module="+yang,
		"--target=candidate", "--with-startup=false", "--with-validate=true",
		"--startup="+startup,
		"--ncxserver-sockname="+sock,
		"--port="+strconv.Itoa(port), // must match the port netconf-subsystem reports
		"--superuser="+userName, "--access-control=off",
		"--log-level=info", "--log="+filepath.Join(dir, "netconfd.log"))
	nc.Env = []string{"HOME=" + filepath.Join(dir, "home"), "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	ncExited, err := startLogged(t, nc, filepath.Join(dir, "netconfd.out"))
	if err != nil {
		return nil, fmt.Errorf("netconfd: %w", err)
	}
	if err := waitFor(10*time.Second, func() bool { _, err := os.Stat(sock); return err == nil }, ncExited); err != nil {
		return nil, fmt.Errorf("netconfd socket %s: %w\n%s", sock, err, tail(filepath.Join(dir, "netconfd.log")))
	}

	// sshd in a private mount namespace (Go makes / private before the
	// exec, so the bind mounts never reach the host).
	script := `set -e
mount --bind "$1" /etc/passwd
mount --bind "$2" /etc/shadow
mount --bind "$3" /etc/group
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -m 0755 /run/sshd
exec "$4" -D -e -f "$5"`
	sshd := exec.Command(bin["sh"], "-c", script, "sh",
		filepath.Join(dir, "etc", "passwd"), filepath.Join(dir, "etc", "shadow"), filepath.Join(dir, "etc", "group"),
		bin["sshd"], filepath.Join(dir, "ssh", "sshd_config"))
	sshd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	sshd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Setpgid: true}
	sshdExited, err := startLogged(t, sshd, filepath.Join(dir, "sshd.log"))
	if err != nil {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	if err := waitFor(10*time.Second, func() bool { return sshBanner(s.Host, port) }, sshdExited); err != nil {
		return nil, fmt.Errorf("sshd on port %d: %w\n%s", port, err, tail(filepath.Join(dir, "sshd.log")))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("netconfd.log:\n%s\nsshd.log:\n%s", tail(filepath.Join(dir, "netconfd.log")), tail(filepath.Join(dir, "sshd.log")))
		}
	})
	return s, nil
}

// startLogged starts cmd with its output in logPath and registers a
// cleanup that stops it: SIGTERM, then SIGKILL after 5 s (netconfd needs
// about a second, as its select loop wakes once a second). The returned
// channel closes when the process has exited.
func startLogged(t testing.TB, cmd *exec.Cmd, logPath string) (<-chan struct{}, error) {
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(done) }()
	t.Cleanup(func() {
		signal := func(sig syscall.Signal) {
			if cmd.SysProcAttr != nil && cmd.SysProcAttr.Setpgid {
				_ = syscall.Kill(-cmd.Process.Pid, sig) // sshd and its session children
			} else {
				_ = cmd.Process.Signal(sig)
			}
		}
		signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			signal(syscall.SIGKILL)
			<-done
		}
	})
	return done, nil
}

func waitFor(limit time.Duration, ready func() bool, exited <-chan struct{}) error {
	deadline := time.Now().Add(limit)
	for !ready() {
		select {
		case <-exited:
			return errors.New("exited early")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// sshBanner reports whether an SSH server answers on host:port.
func sshBanner(host string, port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "SSH-2.0-")
}

func (s *Server) writeKeys() error {
	hostPub, err := writeKey(filepath.Join(s.Dir, "ssh", "ssh_host_ed25519_key"))
	if err != nil {
		return err
	}
	s.KeyFile = filepath.Join(s.Dir, "ssh", "client_key")
	clientPub, err := writeKey(s.KeyFile)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(s.Dir, "ssh", "authorized_keys"), ssh.MarshalAuthorizedKey(clientPub), 0o644); err != nil {
		return err
	}
	s.KnownHostsFile = filepath.Join(s.Dir, "ssh", "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))}, hostPub)
	return os.WriteFile(s.KnownHostsFile, []byte(line+"\n"), 0o644)
}

// writeKey writes a new ed25519 private key in OpenSSH format (mode 0600,
// as sshd and ssh insist) and returns its public half.
func writeKey(path string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// writeAccounts writes copies of the host's passwd, shadow and group with
// the login user added, for sshd's private namespace.
func (s *Server) writeAccounts() error {
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return err
	}
	uid := freeUID(passwd)
	hash := ""
	if pw, h, err := hashPassword(); err == nil {
		s.Password, hash = pw, h
	} else {
		hash = "!" // locked: key login only
	}
	home := filepath.Join(s.Dir, "home")
	add := map[string]string{
		"/etc/passwd": fmt.Sprintf("%s:x:%d:%d:peerform NETCONF test:%s:/bin/sh\n", userName, uid, uid, home),
		"/etc/shadow": fmt.Sprintf("%s:%s:19000:0:99999:7:::\n", userName, hash),
		"/etc/group":  fmt.Sprintf("%s:x:%d:\n", userName, uid),
	}
	for src, line := range add {
		old, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
			old = append(old, '\n')
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(src, "shadow") {
			mode = 0o640
		}
		if err := os.WriteFile(filepath.Join(s.Dir, "etc", filepath.Base(src)), append(old, line...), mode); err != nil {
			return err
		}
	}
	return nil
}

// freeUID returns a uid that no account in passwd uses.
func freeUID(passwd []byte) int {
	used := map[int]bool{}
	for _, line := range strings.Split(string(passwd), "\n") {
		f := strings.Split(line, ":")
		if len(f) > 3 {
			if n, err := strconv.Atoi(f[2]); err == nil {
				used[n] = true
			}
			if n, err := strconv.Atoi(f[3]); err == nil {
				used[n] = true
			}
		}
	}
	uid := 23456
	for used[uid] {
		uid++
	}
	return uid
}

// hashPassword makes a random password and its SHA-512 crypt hash with
// openssl, which sshd checks against the shadow copy (UsePAM no).
func hashPassword() (password, hash string, err error) {
	buf := make([]byte, 12)
	if _, err := rand.Read(buf); err != nil {
		return "", "", err
	}
	password = hex.EncodeToString(buf)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "openssl", "passwd", "-6", "-stdin")
	cmd.Stdin = strings.NewReader(password + "\n")
	out, err := cmd.Output()
	if err != nil {
		return "", "", fmt.Errorf("openssl passwd: %w", err)
	}
	hash = strings.TrimSpace(string(out))
	if !strings.HasPrefix(hash, "$6$") {
		return "", "", errors.New("openssl passwd: unexpected output")
	}
	return password, hash, nil
}

func (s *Server) sshdConfig(subsystem, sock string) string {
	passwordAuth := "no"
	if s.Password != "" {
		passwordAuth = "yes"
	}
	return fmt.Sprintf(`# peerform NETCONF test server: loopback only, one user, nothing from /etc/ssh.
ListenAddress %[1]s:%[2]d
HostKey %[3]s
PidFile none
UsePAM no
StrictModes no
AllowUsers %[4]s
PermitRootLogin no
PubkeyAuthentication yes
AuthorizedKeysFile %[5]s
PasswordAuthentication %[6]s
KbdInteractiveAuthentication no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
LogLevel VERBOSE
# netconf-subsystem finds netconfd by port and socket; netconfd was told the same port.
Subsystem netconf %[7]s --ncxserver-sockname=%[2]d@%[8]s
`, s.Host, s.Port, filepath.Join(s.Dir, "ssh", "ssh_host_ed25519_key"), userName,
		filepath.Join(s.Dir, "ssh", "authorized_keys"), passwordAuth, subsystem, sock)
}

// tail returns the last lines of a log file, for failure messages.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}
