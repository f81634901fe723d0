package device

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Junos over NETCONF is tested with transcripts in testdata/junos-netconf/:
// there is no Junos to test against, so the replies are written from
// Juniper's NETCONF documentation (the hello, <load-configuration-results>,
// <commit-results>, rpc-errors with error-severity and error-path, the
// BGP summary as XML), and the RPCs are what the driver sends, compared
// byte for byte (go test ./device -update rewrites them for review).

func openJunosReplay(t *testing.T, name string) (*JunosNetconf, *ncReplay) {
	t.Helper()
	return openReplay(t, "junos-netconf/"+name+".xml", OpenJunosNetconf)
}

func TestJunosNetconfCommitConfirmed(t *testing.T) {
	j, r := openJunosReplay(t, "commit-confirmed")
	ctx := testCtx(t)
	before, err := j.Running(ctx)
	if err != nil {
		t.Fatalf("Running: %v (%v)", err, r.finished())
	}
	want := `set protocols bgp group transit neighbor 203.0.113.1 description "Transit Provider"
set protocols bgp group transit neighbor 203.0.113.1 peer-as 64496
set protocols bgp group transit type external
`
	if before != want {
		t.Errorf("Running:\n%s\nwant:\n%s", before, want)
	}
	cfg := readFile(t, "testdata", "junos", "ams-edge2.set")
	// 4m01s is 241 seconds: NETCONF counts in seconds, the CLI in minutes.
	if err := j.Apply(ctx, cfg, 4*time.Minute+time.Second); err != nil {
		t.Fatalf("Apply: %v (%v)", err, r.finished())
	}
	if err := j.Apply(ctx, cfg, time.Minute); err == nil {
		t.Error("a second Apply before Confirm succeeded")
	}
	sessions, err := j.Sessions(ctx)
	if err != nil {
		t.Fatalf("Sessions: %v (%v)", err, r.finished())
	}
	if len(sessions) != 3 || !sessions[0].Established() || sessions[0].Received[bgp.IPv4] != 3 || sessions[0].Uptime != 27733*time.Second ||
		sessions[1].Uptime != 14*time.Second || sessions[2].State != "Active" ||
		sessions[2].Neighbor != netip.MustParseAddr("2001:db8:ffff:1::64") || sessions[2].Uptime != 0 {
		t.Errorf("Sessions: %+v", sessions)
	}
	if err := j.Confirm(ctx); err != nil {
		t.Fatalf("Confirm: %v (%v)", err, r.finished())
	}
	after, err := j.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	norm, _ := j.Normalize(cfg)
	for _, l := range strings.Split(strings.TrimSpace(norm), "\n") {
		if !strings.Contains(after, l+"\n") {
			t.Errorf("running after the commit lacks %q", l)
		}
	}
	if r.v11 {
		t.Error("the Junos hello offers NETCONF 1.0 only")
	}
}

// TestJunosNetconfLoadReplace: the curly-brace format is loaded with
// action="replace", its text escaped inside the XML.
func TestJunosNetconfLoadReplace(t *testing.T) {
	j, r := openJunosReplay(t, "load-replace")
	ctx := testCtx(t)
	cfg := readFile(t, "testdata", "junos", "ams-edge2.conf")
	if err := j.Apply(ctx, cfg, 90*time.Second); err != nil {
		t.Fatalf("Apply: %v (%v)", err, r.finished())
	}
	if err := j.Confirm(ctx); err != nil {
		t.Fatalf("Confirm: %v (%v)", err, r.finished())
	}
	if load := r.sent[3]; !strings.Contains(load, `<load-configuration action="replace" format="text"><configuration-text>`) ||
		!strings.Contains(load, `description &#34;AS64501 Doc Transit Alpha&#34;;`) {
		t.Errorf("load RPC:\n%s", load)
	}
	if commit := r.sent[4]; !strings.Contains(commit, "<commit><confirmed/><confirm-timeout>90</confirm-timeout></commit>") {
		t.Errorf("commit RPC: %s", commit)
	}
}

// TestJunosNetconfRefusals: a failed load and a failed commit are
// ErrRejected with Junos's own error text, never its error-info (which
// quotes the statement, key included); the candidate is discarded and
// unlocked, as the transcripts show.
func TestJunosNetconfRefusals(t *testing.T) {
	cases := []struct{ transcript, config, want string }{
		{"load-errors", "ams-edge2-typo.conf", "load-configuration: rejected by the router: operation-failed at [edit protocols bgp group PEERFORM_DOC-IX-AMS_V4 neighbor 192.0.2.64]: syntax error"},
		{"commit-fails", "ams-edge2-bad-policy.set", "commit confirmed 60s: rejected by the router: operation-failed: Policy error: Policy peerform-as64502-in referenced but not defined; " +
			"operation-failed at [edit protocols bgp group peerform-ixp-v4 neighbor 192.0.2.66]: BGP: import list not applied; operation-failed: configuration check-out failed"},
		{"lock-denied", "ams-edge2.set", "lock candidate: rejected by the router: lock-denied: configuration database locked by: admin terminal p0"},
	}
	for _, tc := range cases {
		t.Run(tc.transcript, func(t *testing.T) {
			j, r := openJunosReplay(t, tc.transcript)
			err := j.Apply(testCtx(t), readFile(t, "testdata", "junos", tc.config), time.Minute)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("Apply = %v, want ErrRejected (%v)", err, r.finished())
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret-md5") || strings.Contains(err.Error(), "27398") {
				t.Errorf("error shows error-info: %q", err)
			}
			if j.s.locked || j.pending {
				t.Errorf("after a refused Apply: locked=%v pending=%v", j.s.locked, j.pending)
			}
			if err := j.Confirm(testCtx(t)); err == nil {
				t.Error("Confirm after a refused Apply succeeded")
			}
		})
	}
}

func TestJunosNetconfRollback(t *testing.T) {
	j, r := openJunosReplay(t, "rollback")
	ctx := testCtx(t)
	if err := j.Apply(ctx, readFile(t, "testdata", "junos", "ams-edge2.set"), 30*time.Second); err != nil {
		t.Fatalf("Apply: %v (%v)", err, r.finished())
	}
	if err := j.Rollback(ctx); err != nil {
		t.Fatalf("Rollback: %v (%v)", err, r.finished())
	}
	if err := j.Rollback(ctx); err != nil {
		t.Errorf("second Rollback: %v", err)
	}
	if !strings.Contains(r.sent[5], `<load-configuration rollback="1"/>`) {
		t.Errorf("rollback RPC: %s", r.sent[5])
	}
}

// TestJunosNetconfRefusesBadConfigs: configs the CLI driver refuses are
// refused before anything is sent (the transcript has only the first RPC).
func TestJunosNetconfRefusesBadConfigs(t *testing.T) {
	j, _ := openJunosReplay(t, "open-close")
	for _, cfg := range []string{
		"set protocols bgp group x type external\ncommit",
		"rollback 5",
		"# only a comment",
		"protocols {\n bgp {\n",
		"set protocols bgp group x description \"a\x04b\"",
	} {
		if err := j.Apply(testCtx(t), cfg, time.Minute); err == nil || errors.Is(err, ErrRejected) {
			t.Errorf("Apply(%q) = %v; want a refusal before sending", cfg, err)
		}
	}
	for _, timeout := range []time.Duration{0, -time.Second} {
		if err := j.Apply(testCtx(t), "set a b", timeout); err == nil {
			t.Errorf("Apply with timeout %s succeeded", timeout)
		}
	}
}

// TestDialJunosNetconf: Dial routes junos with NETCONF to the NETCONF
// driver (which needs a key or password for Go's SSH), and refuses
// NETCONF for platforms without a NETCONF driver.
func TestDialJunosNetconf(t *testing.T) {
	ctx := testCtx(t)
	_, err := Dial(ctx, "junos", Endpoint{Host: "127.0.0.1", NETCONF: true, User: "x"}, nil)
	if err == nil || !strings.Contains(err.Error(), "standard SSH transport cannot use an SSH agent") {
		t.Errorf("junos over NETCONF without credentials: %v", err)
	}
	if _, err := Dial(ctx, "frr", Endpoint{Host: "127.0.0.1", NETCONF: true}, nil); err == nil || !strings.Contains(err.Error(), "no NETCONF driver") {
		t.Errorf("frr over NETCONF: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Dial(cctx, "netconf", Endpoint{Host: "127.0.0.1", NETCONF: true, User: "x", KeyFile: "/nonexistent"}, nil); err == nil {
		t.Error("a cancelled Dial succeeded")
	}
}

func TestParseJunosSummaryXML(t *testing.T) {
	reply := readFile(t, "testdata", "junos-netconf", "commit-confirmed.xml")
	i := strings.Index(reply, "<bgp-information")
	j := strings.Index(reply, "</bgp-information>")
	xmlSessions, err := parseJunosSummaryXML(reply[i : j+len("</bgp-information>")])
	if err != nil {
		t.Fatal(err)
	}
	jsonSessions, err := parseJunosSummary(readFile(t, "testdata", "junos", "bgp-summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(xmlSessions) != len(jsonSessions) {
		t.Fatalf("%d sessions from XML, %d from JSON", len(xmlSessions), len(jsonSessions))
	}
	for k := range xmlSessions {
		x, js := xmlSessions[k], jsonSessions[k]
		if x.Neighbor != js.Neighbor || x.PeerASN != js.PeerASN || x.State != js.State || x.Uptime != js.Uptime || x.Received[bgp.IPv4] != js.Received[bgp.IPv4] {
			t.Errorf("session %d: XML %+v, JSON %+v", k, x, js)
		}
	}
	for _, bad := range []string{"", "<rpc-reply/>", "<bgp-information><bgp-peer><peer-address>x</peer-address></bgp-peer></bgp-information>",
		"<bgp-information><bgp-peer><peer-address>192.0.2.1</peer-address><peer-as>1</peer-as></bgp-peer></bgp-information>", "<bgp-information>"} {
		if _, err := parseJunosSummaryXML(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func FuzzJunosSummaryXML(f *testing.F) {
	reply := readFileTB(f, "testdata", "junos-netconf", "commit-confirmed.xml")
	f.Add(reply[strings.Index(reply, "<bgp-information"):strings.Index(reply, "</bgp-information>")] + "</bgp-information>")
	f.Add(`<bgp-information><bgp-peer><peer-address>192.0.2.1+179</peer-address><peer-as>1.10</peer-as><peer-state>Idle</peer-state></bgp-peer></bgp-information>`)
	f.Fuzz(func(t *testing.T, out string) {
		s, err := parseJunosSummaryXML(out)
		if err == nil {
			checkParsed(t, s)
		}
	})
}
