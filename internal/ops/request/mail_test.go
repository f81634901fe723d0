package request

import (
	"bytes"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

func sample() *Request {
	return &Request{
		Ours:    Network{ASN: 64500, Name: "Example Networks", ASSet: "AS-EXAMPLE", PeeringDBURL: PeeringDBURL(64500)},
		Peer:    Network{ASN: 64504, Name: "Réseau Épsilon", PeeringDBURL: PeeringDBURL(64504)},
		To:      []Recipient{{Role: "Policy", Name: "Équipe \"peering\"", Email: "peering@epsilon.example.net"}},
		Cc:      []Recipient{{Role: "NOC", Email: "noc@epsilon.example.net"}, {Role: "NOC", Email: "PEERING@epsilon.example.net"}},
		Summary: Summary{Headline: "recommended"},
	}
}

// TestComposeReadsBack: the message parses with net/mail, its headers
// decode to what was put in, the non-ASCII body is quoted-printable and
// decodes to the text, and the same inputs give the same bytes.
func TestComposeReadsBack(t *testing.T) {
	r := sample()
	env := Envelope{From: "Example Peering <peering@example.net>", Cc: []string{"desk@example.net"}, Date: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC), IDSeed: "s"}
	m, err := Compose(r, env)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Compose(r, env)
	if !bytes.Equal(m.Data, again.Data) {
		t.Error("the same inputs gave different messages")
	}
	env.IDSeed = "t"
	if other, _ := Compose(r, env); other.MessageID == m.MessageID {
		t.Error("another seed gave the same Message-ID")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != `Équipe "peering"` || to[0].Address != "peering@epsilon.example.net" {
		t.Errorf("To = %v (%v)", to, err)
	}
	cc, _ := msg.Header.AddressList("Cc")
	if len(cc) != 2 || cc[1].Address != "desk@example.net" {
		t.Errorf("Cc = %v: the NOC once (case-insensitive duplicate dropped) and our desk", cc)
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subj != r.Subject() {
		t.Errorf("Subject %q (%v), want %q", subj, err, r.Subject())
	}
	for _, line := range strings.Split(string(m.Data), "\r\n") {
		// An encoded word is up to 75 characters (RFC 2047) and cannot be
		// broken; every other line keeps to 78.
		if len(line) > 78 && !(strings.Contains(line, "=?utf-8?q?") && len(line) <= 998) {
			t.Errorf("line longer than 78: %q", line)
		}
	}
	if msg.Header.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Fatalf("encoding %q", msg.Header.Get("Content-Transfer-Encoding"))
	}
	body, _ := io.ReadAll(quotedPrintableReader(msg.Body))
	if string(body) != strings.ReplaceAll(r.Text(), "\n", "\r\n") {
		t.Errorf("body decodes to\n%s", body)
	}
	if got := strings.Join(m.Recipients, " "); got != "peering@epsilon.example.net noc@epsilon.example.net desk@example.net" {
		t.Errorf("recipients %s", got)
	}
}

// TestComposeRefusesInjection: a recipient or sender that could add a
// header or an SMTP command is refused, whatever built the Request.
func TestComposeRefusesInjection(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Request, *Envelope)
	}{
		{"to", func(r *Request, _ *Envelope) { r.To[0].Email = "a@example.net\r\nBcc: x@example.org" }},
		{"cc", func(r *Request, _ *Envelope) { r.Cc[0].Email = "a@example.net>\r\nRCPT TO:<x@example.org" }},
		{"our cc", func(_ *Request, e *Envelope) { e.Cc = []string{"a@example.net, b@example.org"} }},
		{"from", func(_ *Request, e *Envelope) { e.From = "p@example.net\nBcc: x@example.org" }},
		{"no recipient", func(r *Request, _ *Envelope) { r.To = nil; r.Cc = nil }},
	} {
		r := sample()
		env := Envelope{From: "peering@example.net", Date: time.Unix(0, 0)}
		c.edit(r, &env)
		if _, err := Compose(r, env); err == nil {
			t.Errorf("%s: composed", c.name)
		}
	}
	// A display name with a line break is cleaned, never copied.
	r := sample()
	r.To[0].Name = "Evil\r\nBcc: x@example.org"
	r.Peer.Name = "Evil\r\nBcc: x@example.org"
	m, err := Compose(r, Envelope{From: "peering@example.net", Date: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(m.Data), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(line, "Bcc") {
			t.Errorf("a Bcc header got in:\n%s", head)
		}
	}
	if strings.Join(m.Recipients, ",") != "peering@epsilon.example.net,noc@epsilon.example.net" {
		t.Errorf("recipients %v", m.Recipients)
	}
}

func TestCleanAndPeeringDBURL(t *testing.T) {
	if got := clean("a\x00b\r\n\tc  \xffd" + strings.Repeat("é", 200)); strings.ContainsAny(got, "\x00\r\n\t") || len(got) > 200 || !strings.HasPrefix(got, "a b c d") {
		t.Errorf("clean = %q", got)
	}
	if PeeringDBURL(bgp.ASN(4200000000)) != "https://www.peeringdb.com/asn/4200000000" {
		t.Error(PeeringDBURL(4200000000))
	}
}

func quotedPrintableReader(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }
