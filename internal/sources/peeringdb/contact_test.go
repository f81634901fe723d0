package peeringdb

import (
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/testutil"
)

func TestCheckEmail(t *testing.T) {
	for _, s := range []string{"peering@example.net", "noc+as64504@epsilon.example.net", "o'brien@example.co.uk", "A.B-c_d@EXAMPLE.NET"} {
		if msg := CheckEmail(s); msg != "" {
			t.Errorf("CheckEmail(%q) = %q, want accepted", s, msg)
		}
	}
	for _, s := range []string{
		"", "peering", "@example.net", "peering@", "a@localhost", "a@@example.net", "a@b@example.net",
		"a@example.net\r\nBcc: victim@example.org", "a@example.net\nSubject: x", "a@exam\x00ple.net",
		"Peering <peering@example.net>", "peering@example.net (NOC)", `"peering desk"@example.net`, "a b@example.net",
		"a,b@example.net", "a@example.net, b@example.net", "a;b@example.net", "a@[192.0.2.1]", "a@-example.net",
		"a@example-.net", ".a@example.net", "a.@example.net", "a..b@example.net", "pé@example.net", "a@exämple.net",
		strings.Repeat("a", 65) + "@example.net", "a@" + strings.Repeat("b", 64) + ".net", "a@" + strings.Repeat("b.", 130) + "net",
	} {
		if CheckEmail(s) == "" {
			t.Errorf("CheckEmail(%q) accepted it", s)
		}
	}
}

// TestContacts loads poc rows with every visibility, role and a few
// hostile values: only visible policy, technical and NOC contacts with
// plain addresses are kept, policy first.
func TestContacts(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"net.json": `{"data": [{"id": 1, "asn": 64504, "name": "E", "status": "ok"}, {"id": 2, "asn": 64505, "name": "F", "status": "ok"}]}`,
		"poc.json": `{"data": [
			{"id": 10, "net_id": 1, "role": "NOC", "visible": "Public", "name": "NOC", "email": "noc@e.example", "status": "ok"},
			{"id": 11, "net_id": 1, "role": "Technical", "visible": "Users", "name": "Eng\u00e9", "email": "eng@e.example", "status": "ok"},
			{"id": 12, "net_id": 1, "role": "Policy", "visible": "Public", "name": "Peering", "email": "peering@e.example", "status": "ok"},
			{"id": 13, "net_id": 1, "role": "Policy", "visible": "Private", "name": "Hidden", "email": "hidden@e.example", "status": "ok"},
			{"id": 14, "net_id": 1, "role": "Sales", "visible": "Public", "name": "Sales", "email": "sales@e.example", "status": "ok"},
			{"id": 15, "net_id": 1, "role": "Technical", "visible": "Public", "name": "Evil", "email": "x@e.example\r\nBcc: victim@example.org", "status": "ok"},
			{"id": 16, "net_id": 1, "role": "Technical", "visible": "Public", "name": "Bad\r\nName", "email": "bad@e.example", "status": "ok"},
			{"id": 17, "net_id": 1, "role": "Policy", "visible": "Public", "name": "Gone", "email": "gone@e.example", "status": "deleted"},
			{"id": 18, "net_id": 1, "role": "Policy", "visible": "Everyone", "name": "Odd", "email": "odd@e.example", "status": "ok"},
			{"id": 19, "net_id": 99, "role": "Policy", "visible": "Public", "name": "Orphan", "email": "orphan@e.example", "status": "ok"},
			{"id": 20, "net_id": 2, "role": "NOC", "visible": "Public", "name": "", "email": "Name <noc@f.example>", "status": "ok"}
		]}`,
	})
	s := mustLoad(t, dir)
	got := s.Contacts(64504)
	want := []Contact{
		{ID: 12, Role: RolePolicy, Name: "Peering", Email: "peering@e.example"},
		{ID: 11, Role: RoleTechnical, Name: "Engé", Email: "eng@e.example"},
		{ID: 16, Role: RoleTechnical, Email: "bad@e.example"},
		{ID: 10, Role: RoleNOC, Name: "NOC", Email: "noc@e.example"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Contacts = %+v\nwant %+v", got, want)
	}
	if c := s.Contacts(64505); len(c) != 0 {
		t.Errorf("a display-name address was kept: %+v", c)
	}
	warnings := strings.Join(s.Meta().Warnings, "\n")
	for _, w := range []string{"poc 15: skipped", "poc 16: dropped a name", "poc 18: skipped, unknown visibility", "poc 20: skipped"} {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings lack %q:\n%s", w, warnings)
		}
	}
}

// TestExampleContactsAndAddresses pins what the example snapshot's
// README promises about poc and fac addresses.
func TestExampleContactsAndAddresses(t *testing.T) {
	s := mustLoad(t, testutil.Path(t, "data/peeringdb"))
	var emails []string
	for _, c := range s.Contacts(64504) {
		emails = append(emails, string(c.Role)+" "+c.Email)
	}
	if want := []string{"Policy peering@epsilon.example.net", "Technical neteng@epsilon.example.net", "NOC noc@epsilon.example.net"}; !slices.Equal(emails, want) {
		t.Errorf("AS64504's contacts = %q, want %q", emails, want)
	}
	f, _ := s.Fac(90102)
	if got, want := f.Address(), "Testlaan 22, Building B, 1100 BB Amsterdam, NL"; got != want {
		t.Errorf("fac 90102 address = %q, want %q", got, want)
	}
	if m := s.Meta(); m.Skipped != 0 || len(m.Warnings) != 0 {
		t.Errorf("the example snapshot has skipped rows or warnings: %d %q", m.Skipped, m.Warnings)
	}
}
