package ixf

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/internal/testutil"
)

// doc is a version 1.0 export of one IXP (ixp_id 1, VLAN 1 with
// 192.0.2.0/25 and 2001:db8:ffff:1::/64) whose member_list holds members.
func doc(members ...string) string {
	return `{
  "version": "1.0",
  "timestamp": "2026-11-30T04:00:00Z",
  "ixp_list": [{"ixp_id": 1, "ixf_id": 9001, "shortname": "DOC-IX AMS", "peeringdb_id": 90001,
    "vlan": [{"id": 1, "ipv4": {"prefix": "192.0.2.0", "mask_length": 25}, "ipv6": {"prefix": "2001:db8:ffff:1::", "mask_length": 64}}]}],
  "member_list": [` + strings.Join(members, ",\n") + `]
}`
}

// member is a member entry with one connection to IXP 1 on VLAN 1; vlan
// is the inside of its vlan_list entry after "vlan_id": 1.
func member(asn, vlan string) string {
	return fmt.Sprintf(`{"asnum": %s, "connection_list": [{"ixp_id": 1, "state": "active", "vlan_list": [{"vlan_id": 1%s}]}]}`, asn, vlan)
}

func parse(t *testing.T, s string) *Export {
	t.Helper()
	e, err := Parse([]byte(s), Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return e
}

func addrs(e *Export, asn bgp.ASN) []string {
	var out []string
	for _, m := range e.Members {
		if m.ASN == asn {
			for _, p := range m.Ports {
				out = append(out, p.Addr.String())
			}
		}
	}
	return out
}

// TestExampleExport reads the example repository's export as peerform
// does: every member, address and attribute, and no problem.
func TestExampleExport(t *testing.T) {
	e, err := ReadFile(testutil.Root(t), "data/ixf/doc-ix-ams.json", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Problems) > 0 {
		t.Errorf("problems: %v", e.Problems)
	}
	if e.Version != "1.0" || !e.Timestamp.Equal(time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)) {
		t.Errorf("version %s, timestamp %s", e.Version, e.Timestamp)
	}
	if len(e.IXPs) != 1 || e.IXPs[0].ID != 1 || e.IXPs[0].PeeringDBID != 90001 || e.IXPs[0].Shortname != "DOC-IX AMS" {
		t.Fatalf("ixp_list: %+v", e.IXPs)
	}
	if got := fmt.Sprint(e.IXPs[0].Prefixes()); got != "[192.0.2.0/25 2001:db8:ffff:1::/64]" {
		t.Errorf("prefixes %s", got)
	}
	if len(e.Members) != 7 {
		t.Errorf("%d members, want 7", len(e.Members))
	}
	x, err := e.Exchange("data/ixf/doc-ix-ams.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	ps := x.Ports(64504)
	if len(ps) != 2 || ps[1].Addr != netip.MustParseAddr("2001:db8:ffff:1::114") || !ps[1].RouteServer ||
		ps[1].MaxPrefix != 20 || ps[1].ASMacro.String() != "AS-EPSILON" || !ps[1].Active || ps[1].VLANID != 1 {
		t.Errorf("AS64504: %+v", ps)
	}
	if ps := x.Ports(64501); len(ps) != 2 || ps[0].ASMacro != (bgp.ObjectRef{Source: "RIPE", Name: "AS-ALPHA"}) {
		t.Errorf("AS64501: %+v", ps)
	}
	if got := x.String(); got != "IX-F export data/ixf/doc-ix-ams.json (ixp_id 1, exported 2026-11-30T04:00:00Z)" {
		t.Errorf("String() = %s", got)
	}
}

// TestVersion06 reads a 0.6 export (no ixf_id, the old singular
// mac_address, an inactive connection, two IXPs and another VLAN).
func TestVersion06(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "v0.6.json"))
	if err != nil {
		t.Fatal(err)
	}
	e := parse(t, string(b))
	if len(e.Problems) > 0 {
		t.Errorf("problems: %v", e.Problems)
	}
	if _, err := e.Exchange("f", nil); err == nil || !strings.Contains(err.Error(), "lists 2 IXPs (ixp_id 7 (DOC-IX FRA), 8 (DOC-IX FRA GRX)); say which") {
		t.Errorf("Exchange(nil) = %v", err)
	}
	id := int64(99)
	if _, err := e.Exchange("f", &id); err == nil || !strings.Contains(err.Error(), "no IXP with ixp_id 99") {
		t.Errorf("Exchange(99) = %v", err)
	}
	id = 7
	x, err := e.Exchange("f", &id)
	if err != nil {
		t.Fatal(err)
	}
	if ps := x.Ports(64501); len(ps) != 2 || ps[0].Addr.String() != "192.0.2.139" || !ps[0].RouteServer {
		t.Errorf("AS64501 at 7: %+v", ps)
	}
	if ps := x.Ports(64502); len(ps) != 1 || ps[0].Active || ps[0].State != "inactive" || ps[0].MaxPrefix != 500 {
		t.Errorf("AS64502 at 7: %+v", ps)
	}
	if !e.Timestamp.Equal(time.Date(2026, 11, 1, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("timestamp %s", e.Timestamp)
	}
}

// TestFileErrors: what makes a whole file unreadable, with the line
// where one is known.
func TestFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		tooLarge       bool
	}{
		{"empty", "", "empty", false},
		{"array", `[]`, "is a JSON object", false},
		{"trailing", doc() + ` {}`, "more data after the JSON object", false},
		{"truncated", doc()[:100], "ends inside", false},
		{"syntax", strings.Replace(doc(), `"version": "1.0",`, `"version": "1.0",,`, 1), "line 2:", false},
		{"trailing comma", doc(member("64501", ``) + `,`), "invalid character ']'", false},
		{"no version", strings.Replace(doc(), `"version": "1.0",`, ``, 1), `no "version"`, false},
		{"version 0.5", strings.Replace(doc(), `"1.0"`, `"0.5"`, 1), `schema version "0.5" is not supported (supported: 0.6, 0.7, 1.0)`, false},
		{"version number", strings.Replace(doc(), `"1.0"`, `1.0`, 1), "version: a JSON number where the schema has a string", false},
		{"no timestamp", strings.Replace(doc(), `"timestamp": "2026-11-30T04:00:00Z",`, ``, 1), `no "timestamp"`, false},
		{"bad timestamp", strings.Replace(doc(), `2026-11-30T04:00:00Z`, `30/11/2026`, 1), "not an RFC 3339", false},
		{"no member_list", `{"version": "1.0", "timestamp": "2026-11-30T04:00:00Z", "ixp_list": []}`, `no "member_list"`, false},
		{"no ixf_id in 1.0", strings.Replace(doc(), `"ixf_id": 9001,`, ``, 1), `line 4:1: ixp_list[0]: no "ixf_id"`, false},
		{"no ixp_id", strings.Replace(doc(), `"ixp_id": 1, "ixf_id"`, `"ixf_id"`, 1), `no "ixp_id"`, false},
		{"duplicate ixp", strings.Replace(doc(), `"ixp_list": [`, `"ixp_list": [{"ixp_id": 1, "ixf_id": 1, "shortname": "x"}, `, 1), "ixp_id 1 is listed twice", false},
		{"asnum string", doc(member(`"64501"`, ``)), "line 6:", false},
		{"asnum float", doc(member(`64501.5`, ``)), "member_list.asnum: a JSON number 64501.5 where the schema has an integer", false},
		{"asnum exponent", doc(member(`1e30`, ``)), "number 1e30", false},
		{"asnum huge", doc(member(`99999999999999999999999`, ``)), "number 99999999999999999999999", false},
		{"connection_list object", doc(`{"asnum": 64501, "connection_list": {}}`), "connection_list: a JSON object where the schema has an array", false},
		{"duplicate key", doc(`{"asnum": 64501, "asnum": 64502, "connection_list": []}`), `line 6:36: key "asnum" appears twice`, false},
		{"duplicate key in address", doc(member("64501", `, "ipv4": {"address": "192.0.2.11", "address": "192.0.2.99"}`)), `key "address" appears twice`, false},
		{"case variant", doc(`{"ASNUM": 64501, "connection_list": []}`), `key "ASNUM": the schema's field is "asnum"`, false},
		{"unicode case variant", doc(`{"a` + "\u017f" + `num": 64501, "connection_list": []}`), `the schema's field is "asnum"`, false},
		{"kelvin", strings.Replace(doc(), `"mask_length": 25`, `"mas`+"\u212a"+`_length": 25`, 1), `the schema's field is "mask_length"`, false},
		{"not utf-8", strings.Replace(doc(member("64501", ``)), `"asnum"`, `"name": "caf`+"\xe9"+`", "asnum"`, 1), "line 6:32: not UTF-8", false},
		{"deep", doc(`{"asnum": 64501, "connection_list": [], "x": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`), "nested deeper than 16 levels", true},
		{"long string", doc(`{"asnum": 64501, "connection_list": [], "name": "` + strings.Repeat("x", 2000) + `"}`), "a string of 2000 bytes", true},
		{"long key", doc(`{"asnum": 64501, "connection_list": [], "` + strings.Repeat("k", 2000) + `": 1}`), "a key of 2000 bytes", true},
		{"many vlan entries", doc(`{"asnum": 64501, "connection_list": [{"ixp_id": 1, "vlan_list": [` + strings.Repeat(`{},`, 1100) + `{}]}]}`), "member_list.connection_list.vlan_list has more than 1024 entries", true},
		{"many connections", doc(`{"asnum": 64501, "connection_list": [` + strings.Repeat(`{"ixp_id": 1},`, 1100) + `{"ixp_id": 1}]}`), "member_list.connection_list has more than 1024 entries", true},
		{"many unknown items", doc(`{"asnum": 64501, "connection_list": [], "contact_email": [` + strings.Repeat(`"a",`, 1100) + `"a"]}`), "member_list.contact_email has more than 1024 entries", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in), Limits{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			var fe *Error
			if !errors.As(err, &fe) {
				t.Errorf("%T is not an *Error", err)
			}
			if got := errors.Is(err, ErrTooLarge); got != tc.tooLarge {
				t.Errorf("errors.Is(ErrTooLarge) = %v", got)
			}
		})
	}
}

// TestHostileValues: values that could reach a router config are checked
// one by one; a bad one is skipped with a problem, the rest is kept.
func TestHostileValues(t *testing.T) {
	ok := member("64511", `, "ipv4": {"address": "192.0.2.50"}`)
	for _, tc := range []struct {
		name, member string
		problem      string // "" = none
		asn          bgp.ASN
		addrs        string // the member's addresses afterwards
	}{
		{"negative asn", member("-64501", ``), "-64501 is not an AS number", 0, ""},
		{"asn past 32 bits", member("4294967296", ``), "4294967296 is not an AS number", 0, ""},
		{"asn zero", member("0", ``), "0 is not an AS number", 0, ""},
		{"as_trans", member("23456", `, "ipv4": {"address": "192.0.2.51"}`), "AS23456 is reserved", 23456, ""},
		{"asn null", `{"asnum": null, "connection_list": []}`, `no "asnum"`, 0, ""},
		{"no connection_list", `{"asnum": 64501}`, `no "connection_list"`, 64501, ""},
		{"unknown ixp", `{"asnum": 64501, "connection_list": [{"ixp_id": 2, "vlan_list": [{"ipv4": {"address": "192.0.2.11"}}]}]}`, "2 is not in ixp_list", 64501, ""},
		{"outside the LAN", member("64501", `, "ipv4": {"address": "198.51.100.7"}`), "198.51.100.7 is outside the VLAN's prefix 192.0.2.0/25", 64501, ""},
		{"next LAN", member("64501", `, "ipv4": {"address": "192.0.2.129"}`), "outside the VLAN's prefix", 64501, ""},
		{"ipv6 outside", member("64501", `, "ipv6": {"address": "2001:db8:ffff:2::11"}`), "outside the VLAN's prefix 2001:db8:ffff:1::/64", 64501, ""},
		{"v4 as v6", member("64501", `, "ipv6": {"address": "192.0.2.11"}`), "is not an ipv6 address", 64501, ""},
		{"v4-mapped", member("64501", `, "ipv6": {"address": "::ffff:192.0.2.11"}`), "is not an ipv6 address", 64501, ""},
		{"zone", member("64501", `, "ipv6": {"address": "fe80::1%eth0"}`), `"fe80::1%eth0" is not an ipv6 address`, 64501, ""},
		{"not an address", member("64501", `, "ipv4": {"address": "192.0.2.300"}`), "is not an ipv4 address", 64501, ""},
		{"config in address", member("64501", `, "ipv4": {"address": "192.0.2.11\n}\nprotocol static x {"}`), `"192.0.2.11\n}\nprotocol static x {" is not an ipv4 address`, 64501, ""},
		{"multicast", `{"asnum": 64501, "connection_list": [{"ixp_id": 1, "vlan_list": [{"vlan_id": 9, "ipv4": {"address": "224.0.0.5"}}]}]}`, "cannot be a BGP neighbor address", 64501, ""},
		{"no address", member("64501", `, "ipv4": {"routeserver": true}`), "", 64501, ""},
		{"max_prefix negative", member("64501", `, "ipv4": {"address": "192.0.2.11", "max_prefix": -5}`), "-5 is not between 0 and 2147483647", 64501, "192.0.2.11"},
		{"max_prefix huge", member("64501", `, "ipv4": {"address": "192.0.2.11", "max_prefix": 9223372036854775807}`), "9223372036854775807 is not between", 64501, "192.0.2.11"},
		{"as_macro injection", member("64501", `, "ipv4": {"address": "192.0.2.11", "as_macro": "AS-FOO\"; };\nprotocol bgp x {"}`), `"AS-FOO\"; };\nprotocol bgp x {" is not an AS-SET`, 64501, "192.0.2.11"},
		{"as_macro route-set", member("64501", `, "ipv4": {"address": "192.0.2.11", "as_macro": "RS-FOO"}`), `"RS-FOO" is not an AS-SET`, 64501, "192.0.2.11"},
		{"as_macro empty", member("64501", `, "ipv4": {"address": "192.0.2.11", "as_macro": ""}`), "", 64501, "192.0.2.11"},
		{"name with config", `{"asnum": 64501, "name": "x\"}\n}\nprotocol bgp evil {", "connection_list": [{"ixp_id": 1, "vlan_list": [{"ipv4": {"address": "192.0.2.11"}}]}]}`, "", 64501, "192.0.2.11"},
		{"unknown vlan, inside a LAN", `{"asnum": 64501, "connection_list": [{"ixp_id": 1, "vlan_list": [{"vlan_id": 5, "ipv6": {"address": "2001:db8:ffff:1::11"}}]}]}`, "", 64501, "2001:db8:ffff:1::11"},
		{"duplicate member", member("64501", `, "ipv4": {"address": "192.0.2.11"}`) + ",\n" + member("64501", `, "ipv6": {"address": "2001:db8:ffff:1::11"}`),
			"AS64501 is listed again (first at line 7)", 64501, "192.0.2.11 2001:db8:ffff:1::11"},
		{"duplicate address, one member", member("64501", `, "ipv4": {"address": "192.0.2.11"}`) + ",\n" + member("64501", `, "ipv4": {"address": "192.0.2.11"}`),
			"listed again", 64501, "192.0.2.11"},
		{"address of another member", member("64501", `, "ipv4": {"address": "192.0.2.50"}`), "192.0.2.50 is also listed for AS64511; neither gets it", 64501, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := parse(t, doc(ok, tc.member))
			var msgs []string
			for _, p := range e.Problems {
				msgs = append(msgs, p.String())
			}
			all := strings.Join(msgs, "\n")
			if tc.problem == "" && len(msgs) > 0 || !strings.Contains(all, tc.problem) {
				t.Errorf("problems:\n%s\nwant %q", all, tc.problem)
			}
			if len(msgs) > 0 && !strings.HasPrefix(msgs[0], "line ") {
				t.Errorf("problem without a line: %s", msgs[0])
			}
			if tc.asn != 0 {
				if got := strings.Join(addrs(e, tc.asn), " "); got != tc.addrs {
					t.Errorf("%s has %q, want %q", tc.asn, got, tc.addrs)
				}
			}
			// The other member is untouched unless it was the one in conflict.
			if want := "192.0.2.50"; !strings.Contains(tc.name, "another member") && strings.Join(addrs(e, 64511), " ") != want {
				t.Errorf("AS64511 has %v, want %s", addrs(e, 64511), want)
			}
			checkExport(t, e)
		})
	}
}

// TestHostileIXP: an IXP's text and prefixes are checked too.
func TestHostileIXP(t *testing.T) {
	in := strings.Replace(doc(member("64501", `, "ipv4": {"address": "192.0.2.11"}`)), `"shortname": "DOC-IX AMS"`, `"shortname": "AMS\n} evil {"`, 1)
	in = strings.Replace(in, `"mask_length": 64`, `"mask_length": 129`, 1)
	e := parse(t, in)
	if e.IXPs[0].Shortname != "" {
		t.Errorf("shortname %q kept", e.IXPs[0].Shortname)
	}
	if len(e.Problems) != 1 || !strings.Contains(e.Problems[0].String(), "ixp_list[0].vlan[0].ipv6: mask_length 129 is not a length of an ipv6 prefix") {
		t.Errorf("problems %v", e.Problems)
	}
	in = strings.Replace(doc(), `"prefix": "192.0.2.0", "mask_length": 25`, `"prefix": "192.0.2.1", "mask_length": 25`, 1)
	if e := parse(t, in); len(e.Problems) != 1 || !strings.Contains(e.Problems[0].Message, "192.0.2.1/25 has bits set past its length") {
		t.Errorf("problems %v", e.Problems)
	}
}

// TestSizeBounds: a file past MaxBytes is refused before it is read, and
// a stream after MaxBytes+1 bytes.
func TestSizeBounds(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "big.json"))
	if err != nil {
		t.Fatal(err)
	}
	// 100 MB, sparse: nothing is written, and nothing should be read.
	if err := f.Truncate(100 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := ReadFile(dir, "big.json", Limits{}); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "104857600 bytes") {
		t.Errorf("100 MB file: %v", err)
	}
	if _, err := Read(endless{}, Limits{MaxBytes: 1 << 20}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("endless stream: %v", err)
	}
	if _, err := Parse([]byte(doc()), Limits{MaxBytes: 100}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Parse past MaxBytes: %v", err)
	}
	many := make([]string, 11)
	for i := range many {
		many[i] = member(fmt.Sprint(64496+i), ``)
	}
	if _, err := Parse([]byte(doc(many...)), Limits{MaxMembers: 10}); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "member_list has more than 10 entries") {
		t.Errorf("11 members: %v", err)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// TestSpecialFiles: a symbolic link or a FIFO in place of the export is
// refused without reading it (a FIFO would block a reader forever).
func TestSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	testutil.WriteFile(t, dir, "real.json", []byte(doc()))
	if err := os.Symlink("real.json", filepath.Join(dir, "link.json")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(dir, "real.json", Limits{}); err != nil {
		t.Fatalf("regular file: %v", err)
	}
	for _, name := range []string{"link.json", "fifo.json", "../escape.json"} {
		done := make(chan error, 1)
		go func() { _, err := ReadFile(dir, name, Limits{}); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s was read", name)
			} else if name != "../escape.json" && !errors.Is(err, repofs.ErrNotRegular) {
				t.Errorf("%s: %v, want repofs.ErrNotRegular", name, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: ReadFile blocks", name)
		}
	}
}

// checkExport asserts what callers rely on, whatever the input was.
func checkExport(t *testing.T, e *Export) {
	t.Helper()
	seen := map[netip.Addr]bgp.ASN{}
	ixps := map[int64]*IXP{}
	for i := range e.IXPs {
		ixps[e.IXPs[i].ID] = &e.IXPs[i]
		if s := e.IXPs[i].Shortname; s != "" && !isPlain(s) {
			t.Errorf("shortname %q", s)
		}
	}
	asns := map[bgp.ASN]bool{}
	for _, m := range e.Members {
		if asns[m.ASN] {
			t.Errorf("%s twice", m.ASN)
		}
		asns[m.ASN] = true
		if m.ASN.Class() == bgp.Reserved {
			t.Errorf("reserved %s kept", m.ASN)
		}
		for _, p := range m.Ports {
			if o, ok := seen[p.Addr]; ok && o != m.ASN {
				t.Errorf("%s kept for %s and %s", p.Addr, o, m.ASN)
			}
			seen[p.Addr] = m.ASN
			if !p.Addr.IsValid() || p.Addr.Zone() != "" || p.Addr.Is4In6() || !p.Addr.IsGlobalUnicast() && !p.Addr.IsPrivate() {
				t.Errorf("address %s kept", p.Addr)
			}
			x := ixps[p.IXPID]
			if x == nil {
				t.Errorf("%s on unknown IXP %d", p.Addr, p.IXPID)
				continue
			}
			if lans := x.lans(p.VLANID, bgp.FamilyOf(p.Addr)); len(lans) > 0 {
				in := false
				for _, l := range lans {
					in = in || l.Contains(p.Addr)
				}
				if !in {
					t.Errorf("%s kept outside %v", p.Addr, lans)
				}
			}
			if p.MaxPrefix < 0 || p.MaxPrefix > MaxMaxPrefix {
				t.Errorf("max_prefix %d kept", p.MaxPrefix)
			}
			if p.ASMacro.Name != "" {
				if _, err := bgp.ParseObjectRef(p.ASMacro.String()); err != nil {
					t.Errorf("as_macro %q kept: %v", p.ASMacro, err)
				}
			}
			if p.State != "" && p.State != "?" && !isPlain(p.State) {
				t.Errorf("state %q kept", p.State)
			}
		}
	}
}
