package peeringdb

import (
	"cmp"
	"github.com/peerform/peerform/internal/core/bgp"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxEmailLen is the longest address SMTP carries in a path (RFC 5321
// 4.5.3.1.3: 256 octets with the angle brackets).
const maxEmailLen = 254

// roleRank orders contacts the way a request addresses them; roles
// missing here are not kept.
var roleRank = map[ContactRole]int{RolePolicy: 0, RoleTechnical: 1, RoleNOC: 2}

// CheckEmail returns what is wrong with s as a contact's e-mail address,
// or "". Only a bare ASCII addr-spec is accepted (local@domain.example):
// no display name, comment, quoting, whitespace or control character, so
// that the address can go into a message header or an SMTP command as it
// is and cannot start a header or command of its own.
func CheckEmail(s string) string {
	if len(s) < 3 || len(s) > maxEmailLen {
		return "is not 3 to 254 characters long"
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || strings.Contains(domain, "@") {
		return "does not have exactly one @"
	}
	if len(local) > 64 || local == "" || strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return "has an empty, long or badly dotted local part"
	}
	for _, r := range local {
		if !isAtext(r) && r != '.' {
			return "has a character that a plain local part cannot have"
		}
	}
	if !isDomain(domain) {
		return "does not end in a DNS domain name"
	}
	// The same judgement by the standard parser: it must read the whole
	// string as one address and nothing else.
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "is not a plain address"
	}
	return ""
}

// isAtext reports the characters RFC 5322 allows unquoted in a local part.
func isAtext(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// isDomain accepts a DNS name of at least two labels, each 1 to 63
// letters, digits and inner hyphens.
func isDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// cleanName is a contact's name fit for a display name: valid UTF-8
// without control characters, trimmed; "" when it is not.
func cleanName(s string) string {
	if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
		return ""
	}
	return strings.Join(strings.Fields(s), " ")
}

func (b *builder) addPoc(r *pocRow) {
	if _, ok := b.admit("poc", r.ID, r.Status, r.Updated, r.Role, r.Visible, r.Name, r.Email); !ok || !b.refsOK("poc", r.ID, r.NetID) {
		return
	}
	switch r.Visible {
	case "Public", "Users":
	case "Private":
		return // not shown to others: not ours to use
	default:
		b.skipf("poc %d: skipped, unknown visibility %q", r.ID, r.Visible)
		return
	}
	if _, ok := roleRank[ContactRole(r.Role)]; !ok {
		return // a role no request is sent to (Abuse, Sales, …)
	}
	if msg := CheckEmail(r.Email); msg != "" {
		b.skipf("poc %d: skipped, e-mail address %q %s", r.ID, r.Email, msg)
		return
	}
	name := cleanName(r.Name)
	if name == "" && r.Name != "" {
		b.warnf("poc %d: dropped a name with control characters or invalid UTF-8", r.ID)
	}
	b.pocs = append(b.pocs, pocRef{netID: r.NetID, c: Contact{ID: r.ID, Role: ContactRole(r.Role), Name: name, Email: r.Email}})
	b.meta.Counts["poc"]++
}

// pocRef is a contact before its network's AS number is known.
type pocRef struct {
	netID int
	c     Contact
}

// indexContacts files the contacts under their networks' AS numbers,
// policy before technical before NOC, then by id.
func (b *builder) indexContacts(s *Store, netASN map[int]bgp.ASN) {
	for _, p := range b.pocs {
		if asn, ok := netASN[p.netID]; ok {
			s.contacts[asn] = append(s.contacts[asn], p.c)
		}
	}
	for _, cs := range s.contacts {
		slices.SortFunc(cs, func(x, y Contact) int {
			return cmp.Or(cmp.Compare(roleRank[x.Role], roleRank[y.Role]), cmp.Compare(x.ID, y.ID))
		})
	}
}

// Contacts returns the network's policy, technical and NOC contacts, in
// that order; the e-mail addresses are checked (CheckEmail).
func (s *Store) Contacts(asn bgp.ASN) []Contact { return slices.Clone(s.contacts[asn]) }
