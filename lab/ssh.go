package lab

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/platform"

	"golang.org/x/crypto/ssh"
)

// The SSH user peerform logs in as. It exists only in the passwd, group and
// shadow copies bind-mounted into each router's sshd, never in the host's
// /etc.
const (
	sshUser = "peerform"
	sshUID  = 64001
	sshGID  = 64001
)

// writeKey creates an ed25519 key pair: the private key in OpenSSH format
// at path (mode 600) and the public key, returned.
func writeKey(path, comment string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	blk, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(blk), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// setupSSH makes the client key, authorized_keys and known_hosts shared by
// the lab's routers.
func (l *Lab) setupSSH() error {
	dir := filepath.Join(l.Dir, "ssh")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	l.KeyFile = filepath.Join(dir, "id_ed25519")
	pub, err := writeKey(l.KeyFile, "peerform-lab-"+l.Name)
	if err != nil {
		return fmt.Errorf("lab: client key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(pub), 0o644); err != nil {
		return err
	}
	l.KnownHostsFile = filepath.Join(dir, "known_hosts")
	return os.WriteFile(l.KnownHostsFile, nil, 0o644)
}

// userFiles writes passwd, group and shadow copies for one router's sshd:
// the host's files plus the peerform user, whose login shell reaches the
// router's CLI (vtysh or birdc). The shadow copy keeps the host file's
// group (shadow), or vtysh's PAM account check fails.
func (l *Lab) userFiles(ctx context.Context, dir, home, shell string) error {
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return err
	}
	passwd = fmt.Appendf(passwd, "%s:x:%d:%d:peerform lab user:%s:%s\n", sshUser, sshUID, sshGID, home, shell)
	group, err := os.ReadFile("/etc/group")
	if err != nil {
		return err
	}
	var lines []string
	for _, ln := range strings.Split(strings.TrimRight(string(group), "\n"), "\n") {
		// FRR's vty sockets belong to frrvty; `write memory` needs frr.
		if strings.HasPrefix(ln, "frr:") || strings.HasPrefix(ln, "frrvty:") {
			if strings.HasSuffix(ln, ":") {
				ln += sshUser
			} else {
				ln += "," + sshUser
			}
		}
		lines = append(lines, ln)
	}
	lines = append(lines, fmt.Sprintf("%s:x:%d:", sshUser, sshGID))
	if err := os.WriteFile(filepath.Join(dir, "passwd"), passwd, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "group"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	shadow := filepath.Join(dir, "shadow")
	if _, err := run(ctx, "cp", "-p", "/etc/shadow", shadow); err != nil {
		return err
	}
	f, err := os.OpenFile(shadow, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	// "*": no password; key authentication only.
	_, err = fmt.Fprintf(f, "%s:*:19000:0:99999:7:::\n", sshUser)
	return err
}

// startSSHD runs one sshd per router on 127.0.0.1:port in the root network
// namespace (the login shell reaches the router's daemons over unix
// sockets, so no management link into the lab is needed), in a private
// mount namespace where /etc/passwd, group and shadow are the lab's copies
// and /run is a private tmpfs (for sshd's privilege separation directory).
func (l *Lab) startSSHD(ctx context.Context, r Router, port int) error {
	dir := filepath.Join(l.Dir, "ssh", r.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	rdir := l.nodeDir(r.Name)
	shell := filepath.Join(dir, "shell")
	var script string
	switch r.Platform {
	case platform.FRR:
		// Absolute paths: sshd gives the session a PATH without /usr/sbin.
		v := fmt.Sprintf("/usr/bin/vtysh --vty_socket %s --config_dir %s", rdir, rdir)
		script = fmt.Sprintf("#!/bin/sh\n# login shell of %s: vtysh\n[ \"$1\" = -c ] && exec %s -c \"$2\"\nexec %s\n", r.Name, v, v)
	default:
		sock := filepath.Join(rdir, "bird.ctl")
		script = fmt.Sprintf("#!/bin/sh\n# login shell of %s: birdc\n[ \"$1\" = -c ] && exec /usr/sbin/birdc -s %s \"$2\"\nexec /usr/sbin/birdc -s %s\n", r.Name, sock, sock)
	}
	if err := os.WriteFile(shell, []byte(script), 0o755); err != nil {
		return err
	}
	if err := l.userFiles(ctx, dir, rdir, shell); err != nil {
		return fmt.Errorf("lab: user files for %s: %w", r.Name, err)
	}
	hostKey := filepath.Join(dir, "host_ed25519")
	hostPub, err := writeKey(hostKey, r.Name)
	if err != nil {
		return err
	}
	cfg := fmt.Sprintf(`# sshd of lab router %s, written by the lab harness.
Port %d
ListenAddress 127.0.0.1
HostKey %s
PidFile %s
AuthorizedKeysFile %s
AllowUsers %s
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
Subsystem sftp internal-sftp
PrintMotd no
PrintLastLog no
UseDNS no
`, r.Name, port, hostKey, filepath.Join(dir, "sshd.pid"), filepath.Join(l.Dir, "ssh", "authorized_keys"), sshUser)
	conf := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		return err
	}
	inner := fmt.Sprintf("mount --bind %[1]s/passwd /etc/passwd && mount --bind %[1]s/group /etc/group && "+
		"mount --bind %[1]s/shadow /etc/shadow && mount -t tmpfs lab-run /run && mkdir -m 755 /run/sshd && "+
		"exec /usr/sbin/sshd -D -f %[2]s -E %[3]s", dir, conf, filepath.Join(dir, "sshd.log"))
	if r.Platform == platform.BIRD2 {
		inner = fmt.Sprintf("mount --bind %s /etc/bird && ", rdir) + inner
	}
	argv := []string{"unshare", "-m", "--propagation", "private", "/bin/sh", "-c", inner}
	if r.Platform == platform.FRR {
		argv = append([]string{"nsenter", "--uts=" + l.utsFile(r.Name)}, argv...)
	}
	if err := l.start(r.Name+"/sshd", filepath.Join(dir, "sshd.out"), argv...); err != nil {
		return err
	}
	addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
	line := fmt.Sprintf("[127.0.0.1]:%d %s", port, ssh.MarshalAuthorizedKey(hostPub))
	f, err := os.OpenFile(l.KnownHostsFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line)
	f.Close()
	if err != nil {
		return err
	}
	return WaitFor(ctx, "sshd of "+r.Name, 10*time.Second, func() error {
		c, err := net.DialTimeout("tcp", addr.String(), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	})
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Another
// process may take it before sshd binds it; Up fails clearly if so.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
