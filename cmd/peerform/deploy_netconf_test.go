package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/change/device/netconftest"
	"github.com/peerform/peerform/internal/change/openconfig"
	"github.com/peerform/peerform/internal/pipeline"
)

// netconfSecret is an MD5 key with every character XML escapes.
const netconfSecret = `Tr0ub&dor<3"x'>`

// netconfRepo is the example repository with an environment "nc" holding
// one netconf router at DOC-IX-AMS on srv, and a peer there with an MD5
// key (AS64505, not in the demo PeeringDB snapshot: explicit session).
func netconfRepo(t *testing.T, srv *netconftest.Server) string {
	t.Helper()
	dir := renderExampleRepo(t)
	writeFile(t, filepath.Join(dir, "policies"), "netconf.hcl", []byte(fmt.Sprintf(`router "ams-nc1" {
  platform     = "netconf"
  host         = "127.0.0.1"
  port         = %d
  user         = %q
  ssh_key_file = %q
  environment  = "nc"

  ixp "DOC-IX-AMS" {
    ipv4 = "192.0.2.2"
    ipv6 = "2001:db8:ffff:1::2"
  }
}
`, srv.Port, srv.User, srv.KeyFile)))
	writeFile(t, filepath.Join(dir, "peers"), "AS64505.hcl", []byte(`peer "AS64505" {
  name   = "Doc Secret Epsilon"
  import = "AS64505"
  export = "AS-EXAMPLE"
  md5    = secret("AS64505")

  session "DOC-IX-AMS" {
    ipv4 = "192.0.2.55"
  }
}
`))
	return dir
}

// serverRunning reads the peerform-bgp configuration of srv's running
// datastore.
func serverRunning(t *testing.T, srv *netconftest.Server) openconfig.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := device.OpenNetconf(ctx, device.Endpoint{Host: srv.Host, Port: srv.Port, User: srv.User, KeyFile: srv.KeyFile,
		KnownHostsFile: srv.KnownHostsFile}, device.NetconfOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	p, err := n.Running(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := openconfig.Parse([]byte(p))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDeployNetconf runs `peerform deploy` and `peerform check` on a netconf
// router of a temporary copy of the example repository, against a real
// netconfd: the rendered payload is committed with a confirmed commit,
// verified by reading the configuration back (the output says that the
// sessions' state is not reported), and confirmed; running then holds
// exactly the intended neighbors, the MD5 key included, which is never
// printed. A second deploy changes nothing. check shows every session
// configured with its state Unknown and exits 0. A key change shows in a
// dry run as redacted lines. A key longer than 80 characters is refused
// before the router is contacted: the deploy exits 1 and running is
// unchanged.
func TestDeployNetconf(t *testing.T) {
	srv := netconftest.Start(t)
	dir := netconfRepo(t, srv)
	t.Setenv("PEERFORM_SECRET_AS64505", netconfSecret)
	args := []string{"-C", dir, "--offline", "--env", "nc", "--known-hosts", srv.KnownHostsFile}
	escaped := `Tr0ub&amp;dor&lt;3&#34;x&#39;&gt;`
	noSecret := func(what, out string) {
		t.Helper()
		if strings.Contains(out, netconfSecret) || strings.Contains(out, escaped) || strings.Contains(out, "Tr0ub") {
			t.Errorf("%s shows the MD5 key:\n%s", what, out)
		}
	}

	out, errOut, code := runPeerform(t, append([]string{"deploy"}, args...)...)
	t.Logf("deploy:\n%s%s", out, errOut)
	if code != exitOK || !strings.Contains(out, "deployed") {
		t.Fatalf("deploy: exit %d", code)
	}
	for _, want := range []string{"configuration read back: it is the rendered one", "not verified: the router reports no session state",
		"deployed and verified by reading the configuration back"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the progress does not say %q", want)
		}
	}
	if !strings.Contains(out, "configuration verified; 0 sessions Established") {
		t.Errorf("the report does not say how the router was verified:\n%s", out)
	}
	noSecret("deploy", out+errOut)

	// Running holds exactly the rendered neighbors, the key in clear.
	rendered, _, code := runPeerform(t, "render", "-C", dir, "--offline", "--router", "ams-nc1", "--out", "-")
	if code != exitOK {
		t.Fatalf("render: exit %d", code)
	}
	want, _, err := openconfig.Parse([]byte(strings.ReplaceAll(rendered, "PEERFORM-SECRET-AS64505", escaped)))
	if err != nil {
		t.Fatal(err)
	}
	got := serverRunning(t, srv)
	wantPayload, _ := openconfig.Build(want.LocalAS, want.Neighbors)
	gotPayload, _ := openconfig.Build(got.LocalAS, got.Neighbors)
	if gotPayload != wantPayload || len(got.Neighbors) < 10 {
		t.Errorf("running (%d neighbors):\n%s\nwant:\n%s", len(got.Neighbors), gotPayload, wantPayload)
	}
	keyed := 0
	for _, n := range got.Neighbors {
		if n.AuthPassword != "" {
			keyed++
			if string(n.AuthPassword) != netconfSecret || n.PeerAS != 64505 {
				t.Errorf("neighbor %s: the key did not arrive as written", n.Address)
			}
		}
	}
	if keyed != 1 {
		t.Errorf("%d neighbors with a key, want 1", keyed)
	}

	out, _, code = runPeerform(t, append([]string{"deploy"}, args...)...)
	if code != exitOK || !strings.Contains(out, "unchanged") {
		t.Errorf("a second deploy: exit %d\n%s", code, out)
	}

	out, errOut, code = runPeerform(t, append([]string{"check", "--json"}, args...)...)
	var chk deploy.CheckReport
	if err := json.Unmarshal([]byte(out), &chk); err != nil {
		t.Fatalf("check: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if code != exitOK || !chk.OK || chk.StateUnknown != len(got.Neighbors) || len(chk.Sessions) != len(got.Neighbors) {
		t.Errorf("check: exit %d, ok %v, %d of %d sessions of unknown state", code, chk.OK, chk.StateUnknown, len(chk.Sessions))
	}
	for _, s := range chk.Sessions {
		if s.State != device.StateUnknown || s.Established || !s.StateUnknown {
			t.Errorf("check: %+v", s)
		}
	}
	out, _, code = runPeerform(t, append([]string{"check"}, args...)...)
	if code != exitOK || !strings.Contains(out, "Unknown") || !strings.Contains(out, "their state is unknown") {
		t.Errorf("check: exit %d\n%s", code, out)
	}

	// The dry run of a key change shows it, neither the old key nor the
	// new.
	t.Setenv("PEERFORM_SECRET_AS64505", "another-key-42")
	out, _, code = runPeerform(t, append([]string{"deploy", "--dry-run"}, args...)...)
	if code != exitOK || strings.Count(out, "<auth-password><secret></auth-password>") != 2 || strings.Count(out, "<auth-password>") != 2 ||
		strings.Contains(out, "<!--") || strings.Contains(out, "another-key-42") {
		t.Errorf("dry run with another key: exit %d\n%s", code, out)
	}
	noSecret("the dry run", out)

	// An 81-character key is longer than TCP MD5 keys may be (and than
	// the module allows): it is refused before the router is contacted,
	// by the secret's name, and nothing changes.
	long := strings.Repeat("k", 81)
	t.Setenv("PEERFORM_SECRET_AS64505", long)
	for _, mode := range []string{"--dry-run", "--json"} {
		out, errOut, code = runPeerform(t, append([]string{"deploy", mode}, args...)...)
		if code != exitFindings || !strings.Contains(errOut, "AS64505 (PEERFORM_SECRET_AS64505) is 81 characters long; netconf takes at most 80") {
			t.Errorf("deploy %s with a key too long: exit %d\n%s%s", mode, code, out, errOut)
		}
		if strings.Contains(out+errOut, long) {
			t.Errorf("the key was printed")
		}
	}
	if after, _ := openconfig.Build(serverRunning(t, srv).LocalAS, serverRunning(t, srv).Neighbors); after != gotPayload {
		t.Errorf("running changed after a refused deploy:\n%s", after)
	}
}

// TestRepoRolloutNetconfTargets: a netconf router and a Junos router with
// transport = "netconf" become NETCONF targets on port 830, the first
// verified by its configuration, the second by its sessions.
func TestRepoRolloutNetconfTargets(t *testing.T) {
	dir := renderExampleRepo(t)
	writeFile(t, filepath.Join(dir, "policies"), "netconf.hcl", []byte(`router "ams-nc1" {
  platform     = "netconf"
  host         = "ams-nc1.example.net"
  ssh_key_file = "keys/nc"
  environment  = "nc"
  ixp "DOC-IX-AMS" {
    ipv4 = "192.0.2.2"
  }
}
router "ams-mx1" {
  platform     = "junos"
  transport    = "netconf"
  host         = "ams-mx1.example.net"
  environment  = "nc"
  ixp "DOC-IX-AMS" {
    ipv4 = "192.0.2.3"
  }
}
`))
	a := &app{io: &ioStreams{Out: &strings.Builder{}, ErrOut: &strings.Builder{}}, repoDir: dir, offline: true}
	ro, err := repoRollout(context.Background(), a, pipeline.RolloutQuery{Env: "nc"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ro.Targets) != 2 {
		t.Fatalf("targets %+v", ro.Targets)
	}
	for _, tg := range ro.Targets {
		if !tg.Endpoint.NETCONF || tg.Endpoint.Port != 830 || len(tg.Intended) < 5 {
			t.Errorf("%s: endpoint %+v, %d sessions", tg.Router, tg.Endpoint, len(tg.Intended))
		}
		switch tg.Router {
		case "ams-nc1":
			if tg.Verify != deploy.VerifyConfig || !strings.HasPrefix(tg.Config, "<!--") || tg.Endpoint.KeyFile != filepath.Join(dir, "keys/nc") {
				t.Errorf("netconf target %+v", tg)
			}
		case "ams-mx1":
			if tg.Verify != deploy.VerifySessions || !strings.Contains(tg.Config, "protocols {") {
				t.Errorf("junos target %+v", tg)
			}
		}
	}
}
