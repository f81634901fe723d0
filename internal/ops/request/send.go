package request

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/peerform/peerform/internal/core/intent"
)

// Server is where Send submits: the policy's smtp block with the
// password read from its secret.
type Server struct {
	intent.SMTP
	Password string
	// TLS overrides the TLS settings (tests trust their own CA); nil
	// verifies the server's certificate for Host against the system roots.
	TLS *tls.Config
}

// Send submits m through s within s.Timeout: STARTTLS first when the
// policy asks for it (refusing a server without it), the login only over
// TLS unless the policy allows otherwise, then one transaction for every
// recipient. The password never appears in an error.
func Send(ctx context.Context, s Server, m *Message) error {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("connecting to the SMTP server %s: %w", addr, err)
	}
	// Closing the connection when the time is up ends whatever command is
	// waiting; go-smtp's own per-command deadlines are set to what is left.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	deadline, _ := ctx.Deadline()
	var c *smtp.Client
	tlsOn := false
	if s.StartTLS {
		cfg := s.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
		}
		if c, err = smtp.NewClientStartTLS(conn, cfg); err != nil {
			conn.Close()
			return fmt.Errorf("SMTP %s: STARTTLS (required by starttls = true): %w", addr, err)
		}
		tlsOn = true
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = time.Until(deadline), time.Until(deadline)
	if s.Username != "" {
		if !tlsOn && !s.AllowPlaintextAuth {
			return fmt.Errorf("SMTP %s: refusing to send the password without TLS (allow_plaintext_auth = false)", addr)
		}
		if err := c.Auth(sasl.NewPlainClient("", s.Username, s.Password)); err != nil {
			return fmt.Errorf("SMTP %s: login as %s: %w", addr, s.Username, err)
		}
	}
	if err := c.SendMail(m.Sender, m.Recipients, bytes.NewReader(m.Data)); err != nil {
		return fmt.Errorf("SMTP %s: sending: %w", addr, err)
	}
	return c.Quit()
}
