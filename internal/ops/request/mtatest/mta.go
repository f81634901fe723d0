// Package mtatest runs a real mail server for tests: Exim 4 (Debian
// package exim4-daemon-light), listening on a free port of 127.0.0.1 and
// delivering every recipient into one maildir. It can demand STARTTLS
// with a certificate made for the test and a login; it refuses mail
// before either then.
//
// Each instance has its own configuration, spool, logs and port, so
// parallel tests do not meet. It needs root (Exim reads a configuration
// given with -C only for root without dropping privileges); without exim
// or root the test is skipped, or fails when PEERFORM_LAB=required.
package mtatest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/testutil"
)

// Options say what the server demands.
type Options struct {
	// Login, when set, makes the server offer STARTTLS with a certificate
	// for 127.0.0.1 (Server.CAs trusts it) and accept mail only over TLS
	// after a login with this user name and Password.
	Login, Password string
}

// Server is a running Exim.
type Server struct {
	Port    int
	Maildir string
	// CAs trusts the server's certificate (with a login only).
	CAs *x509.CertPool

	dir string
	mu  sync.Mutex
	out bytes.Buffer
}

// Log is what Exim printed and logged so far.
func (s *Server) Log() string {
	s.mu.Lock()
	out := s.out.String()
	s.mu.Unlock()
	main, _ := os.ReadFile(filepath.Join(s.dir, "mainlog"))
	reject, _ := os.ReadFile(filepath.Join(s.dir, "rejectlog"))
	return out + string(main) + string(reject)
}

func (s *Server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

// Start runs Exim until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if testutil.LabRequired() {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (PEERFORM_LAB=required makes this a failure)", args...)
	}
	exim, err := exec.LookPath("exim")
	if err != nil {
		if exim = "/usr/sbin/exim"; !fileExists(exim) {
			skip("Exim is not installed (Debian package exim4-daemon-light)")
		}
	}
	if os.Geteuid() != 0 {
		skip("the Exim test server needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		skip("no user nobody to run Exim as: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	gid, _ := strconv.Atoi(nobody.Gid)
	base := t.TempDir()
	// Exim runs as nobody, who must reach its directory.
	for d := filepath.Dir(base); d != "/" && d != filepath.Clean(os.TempDir()); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{dir: filepath.Join(base, "exim"), Maildir: filepath.Join(base, "exim", "Maildir")}
	for _, d := range []string{s.dir, s.Maildir, filepath.Join(s.dir, "spool")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()

	conf := fmt.Sprintf(`keep_environment =
spool_directory = %[1]s/spool
log_file_path = %[1]s/%%slog
pid_file_path = %[1]s/exim.pid
primary_hostname = mta.test
local_interfaces = 127.0.0.1
exim_user = %[2]d
exim_group = %[3]d
never_users =
host_lookup =
acl_smtp_mail = acl_mail
acl_smtp_rcpt = acl_rcpt
`, s.dir, uid, gid)
	acl := "acl_mail:\n  accept\n"
	auth := ""
	if opts.Login != "" {
		cert, key := s.certificate(t, uid, gid)
		conf += fmt.Sprintf("tls_certificate = %s\ntls_privatekey = %s\ntls_advertise_hosts = *\nauth_advertise_hosts = ${if eq{$tls_in_cipher}{}{}{*}}\n", cert, key)
		acl = "acl_mail:\n  deny message = STARTTLS first\n    condition = ${if eq{$tls_in_cipher}{}{yes}{no}}\n  deny message = log in first\n    !authenticated = *\n  accept\n"
		auth = fmt.Sprintf("begin authenticators\nplain:\n  driver = plaintext\n  public_name = PLAIN\n  server_prompts = :\n  server_condition = ${if and {{eq{$auth2}{%s}}{eq{$auth3}{%s}}}}\n  server_set_id = $auth2\n",
			opts.Login, opts.Password)
	} else {
		conf += "tls_advertise_hosts =\n"
	}
	conf += "\nbegin acl\n" + acl + "acl_rcpt:\n  accept\n" +
		"\nbegin routers\nall:\n  driver = accept\n  transport = maildir\n" +
		fmt.Sprintf("\nbegin transports\nmaildir:\n  driver = appendfile\n  directory = %s\n  maildir_format\n  user = %d\n  group = %d\n  delivery_date_add = false\n  envelope_to_add = false\n  return_path_add = false\n\n", s.Maildir, uid, gid) +
		auth
	// Exim reads a configuration that root owns and only root can change.
	confPath := filepath.Join(base, "exim.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exim, "-C", confPath, "-bdf", "-oX", strconv.Itoa(s.Port))
	cmd.Stdout, cmd.Stderr = s, s
	if err := cmd.Start(); err != nil {
		skip("starting exim: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	// Ready when it greets.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)), time.Second)
		if err == nil {
			buf := make([]byte, 64)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			n, _ := c.Read(buf)
			c.Close()
			if strings.HasPrefix(string(buf[:n]), "220 ") {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("exim did not come up: %v\n%s", err, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// certificate makes a self-signed certificate for 127.0.0.1 and
// localhost, its key readable by Exim's user only.
func (s *Server) certificate(t testing.TB, uid, gid int) (certPath, keyPath string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	s.CAs = x509.NewCertPool()
	s.CAs.AddCert(cert)
	certPath, keyPath = filepath.Join(s.dir, "cert.pem"), filepath.Join(s.dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(keyPath, uid, gid); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// WaitDeliveries waits until n messages are in the maildir (delivery
// follows the accepted submission) and returns them.
func (s *Server) WaitDeliveries(t testing.TB, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(s.Maildir, "new", "*"))
		if len(files) >= n {
			var out [][]byte
			for _, f := range files {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, data)
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries after 60s\n%s", len(files), n, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// traceHeader matches the header fields a server adds on the way
// (Return-Path, Delivered-To, Received), with their continuation lines.
var traceHeader = regexp.MustCompile(`(?m)^(Return-Path|Delivered-To|Received):.*\n(?:[ \t].*\n)*`)

// StripTrace leaves out what the server added and turns the maildir's LF
// line ends back into the CRLF that was sent.
func StripTrace(msg []byte) []byte {
	s := traceHeader.ReplaceAllString(strings.ReplaceAll(string(msg), "\r\n", "\n"), "")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}
