package request

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/ops/request/mtatest"
)

func message(t *testing.T) *Message {
	t.Helper()
	m, err := Compose(sample(), Envelope{From: "Example Peering <peering@example.net>", Date: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), IDSeed: "s"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func server(port int) Server {
	return Server{SMTP: intent.SMTP{Host: "127.0.0.1", Port: port, From: "peering@example.net", FromAddr: "peering@example.net",
		StartTLS: true, Timeout: 30 * time.Second}}
}

// TestSendStartTLSLogin submits through a real Exim that requires
// STARTTLS and a login: the message arrives unchanged; a wrong password
// fails without showing it.
func TestSendStartTLSLogin(t *testing.T) {
	mta := mtatest.Start(t, mtatest.Options{Login: "peering", Password: "pw-Secret-123"})
	s := server(mta.Port)
	s.Username, s.PasswordEnv, s.TLS = "peering", "SMTP_PASSWORD", &tls.Config{RootCAs: mta.CAs, ServerName: "127.0.0.1"}

	s.Password = "wrong-Password-456"
	err := Send(context.Background(), s, message(t))
	if err == nil || strings.Contains(err.Error(), s.Password) {
		t.Fatalf("wrong password: %v", err)
	}
	s.Password = "pw-Secret-123"
	m := message(t)
	if err := Send(context.Background(), s, m); err != nil {
		t.Fatalf("%v\n%s", err, mta.Log())
	}
	for _, got := range mta.WaitDeliveries(t, len(m.Recipients)) {
		if !bytes.Equal(mtatest.StripTrace(got), m.Data) {
			t.Errorf("delivered:\n%s\nsent:\n%s", got, m.Data)
		}
	}
}

// TestSendRefusesWithoutTLS: a server without STARTTLS gets nothing when
// the policy requires it, and a password is not sent in the clear unless
// the policy allows it.
func TestSendRefusesWithoutTLS(t *testing.T) {
	mta := mtatest.Start(t, mtatest.Options{})
	s := server(mta.Port)
	if err := Send(context.Background(), s, message(t)); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("no STARTTLS offered: %v", err)
	}
	s.StartTLS, s.Username, s.Password = false, "peering", "pw-Secret-123"
	if err := Send(context.Background(), s, message(t)); err == nil || !strings.Contains(err.Error(), "without TLS") {
		t.Errorf("plaintext login: %v", err)
	}
	if strings.Contains(mta.Log(), "<=") {
		t.Errorf("the server took a message:\n%s", mta.Log())
	}
}

// TestSendTimeout: a server that accepts and never greets costs the
// policy's timeout, not the library's minutes.
func TestSendTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s := server(l.Addr().(*net.TCPAddr).Port)
	s.Timeout = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Send(ctx, s, message(t)); err == nil {
		t.Fatal("a silent server took the message")
	}
	if ctx.Err() != nil {
		t.Error("Send outlived its own timeout by a minute")
	}
}
