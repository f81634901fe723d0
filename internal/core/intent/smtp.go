package intent

import (
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/hcl/v2"

	"github.com/peerform/peerform/internal/change/secret"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// SMTP is the mail server `peerform request --send` submits peering
// requests through (the smtp block; docs/intents.md). The zero SMTP
// (Host "") means none is configured.
type SMTP struct {
	Host string
	Port int
	// From is the sender, possibly with a display name; FromAddr its bare
	// address, the envelope sender.
	From     string
	FromAddr string
	// Cc is copied on every request (our own peering desk or ticket
	// queue), bare addresses.
	Cc []string
	// Username and PasswordEnv authenticate; PasswordEnv names a secret
	// read with secret.Lookup (PEERFORM_SECRET_<name>), never written in
	// the repository.
	Username    string
	PasswordEnv string
	// StartTLS requires STARTTLS before anything else is sent (default
	// true); AllowPlaintextAuth lets a password go over a connection
	// without it, which validation otherwise refuses.
	StartTLS           bool
	AllowPlaintextAuth bool
	// Timeout bounds the whole submission (default 30s).
	Timeout   time.Duration
	DeclRange hcl.Range
}

type rawSMTP struct {
	DefRange           hcl.Range `hcl:",def_range"`
	Host               string    `hcl:"host,attr"`
	Port               *int      `hcl:"port,optional"`
	From               string    `hcl:"from,attr"`
	Cc                 *[]string `hcl:"cc,optional"`
	Username           *string   `hcl:"username,optional"`
	PasswordEnv        *string   `hcl:"password_env,optional"`
	StartTLS           *bool     `hcl:"starttls,optional"`
	AllowPlaintextAuth *bool     `hcl:"allow_plaintext_auth,optional"`
	Timeout            *string   `hcl:"timeout,optional"`

	HostRange        hcl.Range `hcl:"host,attr_range"`
	PortRange        hcl.Range `hcl:"port,attr_range"`
	FromRange        hcl.Range `hcl:"from,attr_range"`
	CcRange          hcl.Range `hcl:"cc,attr_range"`
	UsernameRange    hcl.Range `hcl:"username,attr_range"`
	PasswordEnvRange hcl.Range `hcl:"password_env,attr_range"`
	StartTLSRange    hcl.Range `hcl:"starttls,attr_range"`
	TimeoutRange     hcl.Range `hcl:"timeout,attr_range"`
}

// maxSMTPCc bounds the cc list.
const maxSMTPCc = 16

// ParseMailbox reads one mailbox, "Name <local@domain>" or a bare
// address, and returns its display name and address, or what is wrong:
// the address must pass peeringdb.CheckEmail and the name may hold no
// control character, so that neither can start a header of its own.
func ParseMailbox(s string) (name, addr, problem string) {
	if strings.ContainsFunc(s, unicode.IsControl) || len(s) > 320 {
		return "", "", "holds a control character or is too long"
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", "", "is not an e-mail address (\"Name <local@example.net>\" or \"local@example.net\")"
	}
	if msg := peeringdb.CheckEmail(a.Address); msg != "" {
		return "", "", "has an address that " + msg
	}
	return a.Name, a.Address, ""
}

func (v *validator) smtp(r *rawSMTP) SMTP {
	if r == nil {
		return SMTP{}
	}
	out := SMTP{Host: r.Host, Port: 587, StartTLS: true, Timeout: 30 * time.Second, DeclRange: r.DefRange}
	if msg := checkHost(r.Host); msg != "" {
		v.errorf(r.HostRange, "Invalid SMTP host", "host %s.", msg)
	}
	if r.Port != nil {
		if *r.Port < 1 || *r.Port > 65535 {
			v.errorf(r.PortRange, "Invalid port", "port must be between 1 and 65535 (587 for submission with STARTTLS).")
		} else {
			out.Port = *r.Port
		}
	}
	if _, addr, msg := ParseMailbox(r.From); msg != "" {
		v.errorf(r.FromRange, "Invalid sender", "from %s.", msg)
	} else {
		out.From, out.FromAddr = r.From, addr
	}
	if r.Cc != nil {
		if len(*r.Cc) > maxSMTPCc {
			v.errorf(r.CcRange, "Too many addresses", "cc lists at most %d addresses.", maxSMTPCc)
		}
		for i, s := range *r.Cc {
			if i == maxSMTPCc {
				break
			}
			if _, addr, msg := ParseMailbox(s); msg != "" {
				v.errorf(r.CcRange, "Invalid address", "cc: %q %s.", s, msg)
			} else {
				out.Cc = append(out.Cc, addr)
			}
		}
	}
	if r.Username != nil {
		if msg := CheckText(*r.Username, 255); msg != "" {
			v.errorf(r.UsernameRange, "Invalid username", "username %s.", msg)
		}
		out.Username = *r.Username
	}
	if r.PasswordEnv != nil {
		if msg := secret.CheckName(*r.PasswordEnv); msg != "" {
			v.errorf(r.PasswordEnvRange, "Invalid environment variable name", "password_env %s.", msg)
		}
		out.PasswordEnv = *r.PasswordEnv
	}
	if (out.Username == "") != (out.PasswordEnv == "") {
		v.errorf(r.DefRange, "Incomplete SMTP login", "Give both username and password_env (the password comes from %s), or neither.",
			secret.EnvVar(orDefault(out.PasswordEnv, "NAME")))
	}
	if r.StartTLS != nil {
		out.StartTLS = *r.StartTLS
	}
	if r.AllowPlaintextAuth != nil {
		out.AllowPlaintextAuth = *r.AllowPlaintextAuth
	}
	if !out.StartTLS && out.PasswordEnv != "" && !out.AllowPlaintextAuth {
		v.errorf(r.StartTLSRange, "Password in plain text", "starttls = false with a login would send the password unencrypted; keep STARTTLS, or set allow_plaintext_auth = true if the server is reached over a trusted link only.")
	}
	out.Timeout = v.duration(r.Timeout, r.TimeoutRange, "timeout", out.Timeout)
	if out.Timeout > 5*time.Minute {
		v.errorf(r.TimeoutRange, "Timeout too long", "timeout is at most 5m: a submission that takes longer has failed.")
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
