// Package smtpdtest runs a real OpenSMTPD (Debian package opensmtpd) for
// tests: listening on a free port of 127.0.0.1, optionally offering
// STARTTLS with a certificate made for the test and requiring a login,
// and delivering every recipient into one maildir.
//
// smtpd keeps its control socket and queue at fixed paths (/run and
// /var/spool/smtpd), so each instance runs in a private mount namespace
// with the test's own directories mounted there: parallel instances do
// not meet. It needs root; without smtpd or root the test is skipped, or
// fails when PEERFORM_LAB=required.
package smtpdtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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
	"testing"
	"time"

	"github.com/peerform/peerform/internal/testutil"
)

// Options say what the server demands.
type Options struct {
	// TLS offers STARTTLS with a certificate for 127.0.0.1 (Server.CAs
	// trusts it); RequireTLS refuses mail without it.
	TLS, RequireTLS bool
	// Users, when set, are the logins the server requires (name →
	// password); a login is offered only over TLS.
	Users map[string]string
}

// Server is a running smtpd.
type Server struct {
	Port    int
	Maildir string
	// CAs trusts the server's certificate (TLS only).
	CAs *x509.CertPool

	mu  sync.Mutex
	log bytes.Buffer
}

// Log is what smtpd printed so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

func (s *Server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
}

// Start runs smtpd until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	skip := func(format string, args ...any) {
		t.Helper()
		if testutil.LabRequired() {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (PEERFORM_LAB=required makes this a failure)", args...)
	}
	smtpd, err := exec.LookPath("smtpd")
	if err != nil {
		if smtpd = "/usr/sbin/smtpd"; !fileExists(smtpd) {
			skip("OpenSMTPD is not installed (Debian package opensmtpd)")
		}
	}
	if os.Geteuid() != 0 {
		skip("OpenSMTPD needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		skip("no user nobody to deliver as: %v", err)
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	base := t.TempDir()
	// Delivery runs as nobody, who must reach the maildir.
	for d := base; d != "/" && d != filepath.Clean(os.TempDir()); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	s := &Server{Maildir: filepath.Join(base, "Maildir")}
	for _, d := range []string{"run", "spool", "Maildir"} {
		if err := os.Mkdir(filepath.Join(base, d), 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chown(s.Maildir, uid, -1); err != nil {
		t.Fatal(err)
	}
	if !fileExists("/var/spool/smtpd") {
		if err := os.MkdirAll("/var/spool/smtpd", 0o711); err != nil {
			skip("no /var/spool/smtpd to mount over: %v", err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()

	var conf strings.Builder
	listen := fmt.Sprintf("listen on 127.0.0.1 port %d", s.Port)
	if opts.TLS || opts.RequireTLS {
		cert, key := s.certificate(t, base)
		fmt.Fprintf(&conf, "pki localhost cert %q\npki localhost key %q\n", cert, key)
		listen += " tls pki localhost"
		if opts.RequireTLS {
			listen = strings.Replace(listen, " tls ", " tls-require ", 1)
		}
	}
	if len(opts.Users) > 0 {
		conf.WriteString("table creds {")
		first := true
		for name, pw := range opts.Users {
			hash, err := exec.Command(filepath.Join(filepath.Dir(smtpd), "smtpctl"), "encrypt", pw).Output()
			if err != nil {
				t.Fatalf("smtpctl encrypt: %v", err)
			}
			if !first {
				conf.WriteString(",")
			}
			first = false
			fmt.Fprintf(&conf, " %q = %q", name, strings.TrimSpace(string(hash)))
		}
		conf.WriteString(" }\n")
		listen += " auth <creds>"
	}
	fmt.Fprintf(&conf, "table vusers { \"@\" = \"nobody\" }\n%s\naction \"deliver\" maildir %q virtual <vusers>\nmatch from any for any action \"deliver\"\n",
		listen, s.Maildir)
	confPath := filepath.Join(base, "smtpd.conf")
	if err := os.WriteFile(confPath, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("mount --bind %q /run && mount --bind %q /var/spool/smtpd && exec %q -d -f %q",
		filepath.Join(base, "run"), filepath.Join(base, "spool"), smtpd, confPath)
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script)
	cmd.Stdout, cmd.Stderr = s, s
	if err := cmd.Start(); err != nil {
		skip("starting smtpd: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
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
			t.Fatalf("smtpd did not come up: %v\n%s", err, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// certificate makes a self-signed certificate for 127.0.0.1 and
// localhost; smtpd wants the key readable by root only.
func (s *Server) certificate(t testing.TB, dir string) (certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certPath, keyPath
}

// WaitDeliveries waits until n messages are in the maildir (delivery is
// queued: it follows the accepted submission) and returns them.
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

// traceHeader matches the header fields the server adds at delivery,
// with their folded continuation lines.
var traceHeader = regexp.MustCompile(`(?m)^(Return-Path|Delivered-To|Received):.*\n(?:[ \t].*\n)*`)

// StripTrace leaves out what the server added (Return-Path, Delivered-To,
// Received) and turns the maildir's LF line ends back into the CRLF that
// was sent.
func StripTrace(msg []byte) []byte {
	s := traceHeader.ReplaceAllString(strings.ReplaceAll(string(msg), "\r\n", "\n"), "")
	return []byte(strings.ReplaceAll(s, "\n", "\r\n"))
}
