package netconftest

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/peerform/peerform/internal/change/openconfig"
)

// TestServerSpeaksNETCONF logs in with the key and with the password,
// checking the host key, and reads the server's hello: it must advertise
// the candidate datastore, confirmed commit and the peerform-bgp module.
func TestServerSpeaksNETCONF(t *testing.T) {
	s := Start(t)
	key, err := os.ReadFile(s.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	hostKeys, err := knownhosts.New(s.KnownHostsFile)
	if err != nil {
		t.Fatal(err)
	}
	auths := map[string]ssh.AuthMethod{"key": ssh.PublicKeys(signer)}
	if s.Password != "" {
		auths["password"] = ssh.Password(s.Password)
	} else {
		t.Log("openssl not found: password login not tested")
	}
	for name, auth := range auths {
		t.Run(name, func(t *testing.T) {
			hello := readHello(t, s, &ssh.ClientConfig{User: s.User, Auth: []ssh.AuthMethod{auth}, HostKeyCallback: hostKeys, Timeout: 5 * time.Second})
			for _, want := range []string{
				"urn:ietf:params:netconf:capability:candidate:1.0",
				"urn:ietf:params:netconf:capability:confirmed-commit:1.1",
				"urn:ietf:params:netconf:base:1.1",
				openconfig.Namespace + "?module=" + openconfig.Module + "&amp;revision=" + openconfig.Revision,
			} {
				if !strings.Contains(hello, want) {
					t.Errorf("hello lacks %s:\n%s", want, hello)
				}
			}
		})
	}
	t.Run("wrong password", func(t *testing.T) {
		_, err := ssh.Dial("tcp", s.Host+":"+strconv.Itoa(s.Port), &ssh.ClientConfig{
			User: s.User, Auth: []ssh.AuthMethod{ssh.Password("not-the-password")}, HostKeyCallback: hostKeys, Timeout: 5 * time.Second,
		})
		if err == nil {
			t.Fatal("login with a wrong password succeeded")
		}
	})
}

func readHello(t *testing.T, s *Server, cfg *ssh.ClientConfig) string {
	t.Helper()
	c, err := ssh.Dial("tcp", s.Host+":"+strconv.Itoa(s.Port), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestSubsystem("netconf"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	chunk := make([]byte, 4096)
	deadline := time.Now().Add(10 * time.Second)
	for !bytes.Contains(buf.Bytes(), []byte("]]>]]>")) {
		if time.Now().After(deadline) {
			t.Fatalf("no complete hello after 10s: %q", buf.String())
		}
		n, err := out.Read(chunk)
		buf.Write(chunk[:n])
		if err == io.EOF {
			t.Fatalf("session closed before the hello: %q", buf.String())
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return buf.String()
}
