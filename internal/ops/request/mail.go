package request

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/sources/peeringdb"
)

// Envelope is who a message is from and to, with what SMTP needs.
type Envelope struct {
	// From is the sender as written in policy ("Name <addr>" or addr).
	From string
	// Cc are our own addresses copied on the request.
	Cc []string
	// Date and IDSeed make the message reproducible: the same request,
	// date and seed give the same bytes.
	Date   time.Time
	IDSeed string
}

// Message is a composed RFC 5322 message.
type Message struct {
	// Sender is the envelope sender; Recipients every To and Cc address.
	Sender     string
	Recipients []string
	MessageID  string
	Data       []byte
}

// maxHeaderLine is where address lists are folded (RFC 5322 2.1.1).
const maxHeaderLine = 78

// Compose writes the request as a text/plain UTF-8 message: To the
// network's policy and technical contacts (else its NOC), Cc its NOC and
// our own addresses. The body is 7bit when it is short-lined ASCII,
// quoted-printable otherwise.
func Compose(r *Request, env Envelope) (*Message, error) {
	fromName, fromAddr, msg := intent.ParseMailbox(env.From)
	if msg != "" {
		return nil, fmt.Errorf("sender %q %s", env.From, msg)
	}
	from := mail.Address{Name: fromName, Address: fromAddr}
	to := make([]*mail.Address, 0, len(r.To))
	m := &Message{Sender: fromAddr}
	add := func(list []*mail.Address, name, addr string) ([]*mail.Address, error) {
		// Checked again here: a Request may come from anywhere, and an
		// address reaches both a header and an SMTP command.
		if msg := peeringdb.CheckEmail(addr); msg != "" {
			return nil, fmt.Errorf("recipient %q %s", addr, msg)
		}
		for _, have := range m.Recipients {
			if strings.EqualFold(have, addr) {
				return list, nil
			}
		}
		m.Recipients = append(m.Recipients, addr)
		return append(list, &mail.Address{Name: clean(name), Address: addr}), nil
	}
	var err error
	for _, c := range r.To {
		if to, err = add(to, c.Name, c.Email); err != nil {
			return nil, err
		}
	}
	var cc []*mail.Address
	for _, c := range r.Cc {
		if cc, err = add(cc, c.Name, c.Email); err != nil {
			return nil, err
		}
	}
	for _, c := range env.Cc {
		if cc, err = add(cc, "", c); err != nil {
			return nil, err
		}
	}
	if len(to) == 0 {
		return nil, errors.New("the request has no recipient")
	}
	domain := fromAddr[strings.LastIndexByte(fromAddr, '@')+1:]
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d", env.IDSeed, r.Ours.ASN, r.Peer.ASN, env.Date.UnixNano())))
	m.MessageID = "<peerform." + hex.EncodeToString(sum[:12]) + "@" + domain + ">"

	body := strings.ReplaceAll(r.Text(), "\n", "\r\n")
	enc := "7bit"
	if !plain(body) {
		enc = "quoted-printable"
		var qp bytes.Buffer
		w := quotedprintable.NewWriter(&qp)
		w.Write([]byte(body))
		w.Close()
		body = qp.String()
	}
	var b bytes.Buffer
	header := func(name, value string) error {
		// Only folding may break a line: CRLF followed by a space.
		if strings.ContainsRune(strings.ReplaceAll(value, "\r\n ", ""), '\r') || strings.ContainsAny(strings.ReplaceAll(value, "\r\n ", ""), "\n\x00") {
			return fmt.Errorf("header %s would hold a line break", name)
		}
		b.WriteString(name + ": " + value + "\r\n")
		return nil
	}
	for _, h := range [][2]string{
		{"Date", env.Date.Format(time.RFC1123Z)},
		{"Message-ID", m.MessageID},
		{"From", from.String()},
		{"To", addressList(to)},
		{"Cc", addressList(cc)},
		{"Subject", fold(len("Subject: "), strings.Split(mime.QEncoding.Encode("utf-8", r.Subject()), " "), "")},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=utf-8"},
		{"Content-Transfer-Encoding", enc},
	} {
		if h[1] == "" {
			continue
		}
		if err := header(h[0], h[1]); err != nil {
			return nil, err
		}
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	m.Data = b.Bytes()
	return m, nil
}

// addressList is the addresses, comma-separated, folded between them.
func addressList(as []*mail.Address) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = a.String()
	}
	return fold(len("To: "), parts, ",")
}

// fold joins parts with sep and a space, breaking the line before a part
// that would pass maxHeaderLine (RFC 5322 folding: CRLF, then the space);
// used is the length of the field name and colon on the first line.
func fold(used int, parts []string, sep string) string {
	var b strings.Builder
	line := used
	for i, p := range parts {
		if i > 0 {
			b.WriteString(sep)
			line += len(sep)
			if line+1+len(p) > maxHeaderLine {
				b.WriteString("\r\n")
				line = 0
			}
			b.WriteString(" ")
			line++
		}
		b.WriteString(p)
		line += len(p)
	}
	return b.String()
}

// plain reports whether body can go as 7bit: ASCII, lines of at most 998
// octets (RFC 5322 2.1.1).
func plain(body string) bool {
	for _, line := range strings.Split(body, "\r\n") {
		if len(line) > 998 {
			return false
		}
		for i := 0; i < len(line); i++ {
			if line[i] >= 0x80 || line[i] == 0 {
				return false
			}
		}
	}
	return true
}
