package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/change/device"
	"github.com/peerform/peerform/internal/pipeline"
	"github.com/peerform/peerform/internal/sources/rpki"
	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

func TestNewCmdDeployFlags(t *testing.T) {
	var got *deployOptions
	a := &app{io: &ioStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
	cmd := newCmdDeploy(a, func(o *deployOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--router", "ams-edge1", "--router", "fra-edge1", "--dry-run", "--confirm-timeout", "3m",
		"--parallel", "2", "--env", "lab", "--known-hosts", "kh", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(got.query.Routers) != 2 || !got.dryRun || got.confirmTimeout != 3*time.Minute || got.parallel != 2 ||
		got.query.Env != "lab" || got.query.KnownHosts != "kh" || !got.json {
		t.Errorf("options %+v", got)
	}
	cmd = newCmdDeploy(a, func(o *deployOptions) error { return nil })
	cmd.SetArgs([]string{"--parallel", "-1"})
	if err := cmd.Execute(); exitCode(err) != exitError || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative --parallel: %v", err)
	}
	cmd = newCmdDeploy(a, func(o *deployOptions) error { return nil })
	cmd.SetArgs([]string{"extra"})
	if err := cmd.Execute(); exitCode(err) != exitError {
		t.Errorf("an argument: %v", err)
	}
}

func TestNewCmdCheckFlags(t *testing.T) {
	var got *checkOptions
	a := &app{io: &ioStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}}
	cmd := newCmdCheck(a, func(o *checkOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--wait", "30s", "--router", "ams-edge1", "--json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.wait != 30*time.Second || got.query.Routers[0] != "ams-edge1" || !got.json || got.query.Env != "production" {
		t.Errorf("options %+v", got)
	}
}

// TestRepoRollout builds the targets of the example repository's
// production routers: endpoints from the router blocks, intended sessions
// from the model, the MD5 secret filled in from the environment.
func TestRepoRollout(t *testing.T) {
	dir := renderExampleRepo(t)
	a := &app{io: &ioStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, repoDir: dir, offline: true}
	q := pipeline.RolloutQuery{Env: "production", KnownHosts: "/kh"}
	if _, err := repoRollout(context.Background(), a, q); err == nil || !strings.Contains(err.Error(), "PEERFORM_SECRET_AS20940") {
		t.Fatalf("without the MD5 secret: %v", err)
	}
	t.Setenv("PEERFORM_SECRET_AS20940", "s3cr3t-value")
	ro, err := repoRollout(context.Background(), a, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(ro.Targets) != 2 || ro.Targets[0].Router != "fra-edge1" || ro.Targets[1].Router != "ams-edge1" {
		t.Fatalf("targets not in the policy's order: %+v", ro.Targets)
	}
	fra := ro.Targets[0]
	if fra.Platform != "bird2" || fra.Endpoint.Host != "fra-edge1.example.net" || fra.Endpoint.User != "peerform" ||
		fra.Endpoint.KnownHostsFile != "/kh" {
		t.Errorf("endpoint %+v", fra.Endpoint)
	}
	if !strings.Contains(fra.Config, `password "s3cr3t-value"`) || strings.Contains(fra.Config, "PEERFORM-SECRET") ||
		len(fra.Secrets) != 1 {
		t.Errorf("the secret placeholder was not replaced, or not listed for redaction")
	}
	var akamai bool
	for _, s := range fra.Intended {
		akamai = akamai || s.PeerASN == 20940
	}
	if len(fra.Intended) < 10 || !akamai {
		t.Errorf("intended sessions %+v", fra.Intended)
	}
	if ro.Policy.Parallel != 1 || ro.Policy.ConfirmTimeout != 2*time.Minute {
		t.Errorf("policy %+v", ro.Policy)
	}
	if _, err := repoRollout(context.Background(), a, pipeline.RolloutQuery{Env: "nowhere"}); exitCode(err) != exitError {
		t.Errorf("an environment without routers: %v", err)
	}

	// A secret whose name is the start of another's ("AS2", "AS20940"):
	// each placeholder gets its own value.
	alpha := filepath.Join(dir, "peers", "AS64501.hcl")
	src, err := os.ReadFile(alpha)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "peers"), "AS64501.hcl", []byte(strings.Replace(string(src), "  bfd    = true\n", "  bfd    = true\n  md5    = secret(\"AS2\")\n", 1)))
	t.Setenv("PEERFORM_SECRET_AS2", "two")
	if ro, err = repoRollout(context.Background(), a, q); err != nil {
		t.Fatal(err)
	}
	if cfg := ro.Targets[0].Config; !strings.Contains(cfg, `password "two";`) || !strings.Contains(cfg, `password "s3cr3t-value";`) || strings.Contains(cfg, "two0940") {
		t.Errorf("the secrets AS2 and AS20940 are mixed up:\n%s", cfg)
	}

	// A value the platform cannot take is a finding naming the secret.
	t.Setenv("PEERFORM_SECRET_AS2", "tw\"o")
	_, err = repoRollout(context.Background(), a, q)
	if exitCode(err) != exitFindings || !strings.Contains(err.Error(), "PEERFORM_SECRET_AS2") || strings.Contains(err.Error(), `tw"o`) {
		t.Errorf("a value with a quote: %v", err)
	}
}

// labRollout returns a rolloutFunc that deploys hand-written configs to a
// lab, standing in for the rendered repository.
func labRollout(t *testing.T, l *lab.Lab, peers map[string][]labtest.Session) rolloutFunc {
	return func(ctx context.Context, a *app, q pipeline.RolloutQuery) (pipeline.Rollout, error) {
		ro := pipeline.Rollout{Policy: deploy.Options{ConfirmTimeout: time.Minute, VerifyTimeout: 15 * time.Second,
			Poll: 250 * time.Millisecond, Settle: 2 * time.Second}}
		for _, r := range []string{"lab-fra-edge1", "lab-ams-edge1"} {
			ro.Targets = append(ro.Targets, labtest.Target(t, l, r, peers[r]))
		}
		return ro, nil
	}
}

// runRouterCmd runs deploy or check as the CLI does, with the rollout
// (and so the routers) replaced.
func runRouterCmd(t *testing.T, ro rolloutFunc, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	a := &app{io: &ioStreams{Out: &out, ErrOut: &errOut}}
	var err error
	switch args[0] {
	case "deploy":
		cmd := newCmdDeploy(a, func(o *deployOptions) error { o.rollout = ro; return deployRun(context.Background(), o) })
		cmd.SilenceUsage = true
		cmd.SetArgs(args[1:])
		err = cmd.Execute()
	case "check":
		cmd := newCmdCheck(a, func(o *checkOptions) error { o.rollout = ro; return checkRun(context.Background(), o) })
		cmd.SilenceUsage = true
		cmd.SetArgs(args[1:])
		err = cmd.Execute()
	}
	if err != nil && err.Error() != "" {
		errOut.WriteString("Error: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), exitCode(err)
}

// TestDeployAndCheckLab runs `peerform deploy` and `peerform check` against
// the lab: a new peer on both routers comes up and check exits 0; a wrong
// remote AS is rolled back, deploy exits 1 saying why, and check still
// exits 0 for the sessions that stayed; a rerun changes nothing.
func TestDeployAndCheckLab(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	alpha, beta, gamma := labtest.Session{Peer: "alpha"}, labtest.Session{Peer: "beta"}, labtest.Session{Peer: "gamma"}
	good := labRollout(t, l, map[string][]labtest.Session{"lab-ams-edge1": {alpha, gamma}, "lab-fra-edge1": {alpha, beta}})

	out, errOut, code := runRouterCmd(t, good, "deploy")
	if code != exitOK || strings.Count(out, "deployed") != 2 {
		t.Fatalf("deploy: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("deploy:\n%s", out)
	out, errOut, code = runRouterCmd(t, good, "check", "--wait", "30s")
	if code != exitOK || strings.Count(out, "Established") != 8 {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("check:\n%s", out)

	wrong := labRollout(t, l, map[string][]labtest.Session{"lab-ams-edge1": {alpha, {Peer: "gamma", ASN: 64599}},
		"lab-fra-edge1": {alpha, beta}})
	out, errOut, code = runRouterCmd(t, wrong, "deploy", "--json")
	var rep deploy.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != exitFindings || rep.Routers[1].Status != deploy.RolledBack || !strings.Contains(rep.Routers[1].Error, "AS64599") {
		t.Errorf("deploy with a wrong AS: exit %d, %+v", code, rep.Routers)
	}
	if !strings.Contains(errOut, "rollback") || !strings.Contains(errOut, "AS64599") {
		t.Errorf("progress does not say why it rolled back:\n%s", errOut)
	}
	if _, _, code = runRouterCmd(t, good, "check", "--wait", "20s"); code != exitOK {
		t.Errorf("check after the rollback: exit %d", code)
	}
	if _, _, code = runRouterCmd(t, wrong, "check"); code != exitFindings {
		t.Errorf("check of the wrong intent: exit %d, want 1", code)
	}
	out, _, code = runRouterCmd(t, good, "deploy", "--dry-run")
	if code != exitOK || strings.Count(out, "unchanged") != 2 {
		t.Errorf("rerun: exit %d\n%s", code, out)
	}
}

// writeLabEnv writes the example's lab environment (policies/lab.hcl)
// for a running lab: its routers' SSH ports and key, and as each router's
// RTR cache the lab's stayrtr on the router's LAN.
func writeLabEnv(t *testing.T, l *lab.Lab, dir string) {
	t.Helper()
	writeLabEnvVia(t, l, dir, nil)
}

// writeLabEnvVia is writeLabEnv with the routers reached on other ports
// of 127.0.0.1 (labtest proxies in front of them), by router name.
func writeLabEnvVia(t *testing.T, l *lab.Lab, dir string, ports map[string]int) {
	t.Helper()
	var hcl strings.Builder
	for _, r := range []struct{ name, platform, ixp, v4, v6, id string }{
		{"lab-ams-edge1", "frr", "DOC-IX-AMS", "192.0.2.1", "2001:db8:ffff:1::1", "198.51.100.1"},
		{"lab-fra-edge1", "bird2", "DOC-IX-FRA", "192.0.2.129", "2001:db8:ffff:2::1", "198.51.100.2"},
	} {
		e, _ := l.Endpoint(r.name)
		port := int(e.SSH.Port())
		if p, ok := ports[r.name]; ok {
			port = p
		}
		lr, _ := l.Topology.Router(r.name)
		lan, _ := l.Topology.LAN(lr.Ports[0].LAN)
		fmt.Fprintf(&hcl, "router %q {\n  platform = %q\n  host = \"127.0.0.1\"\n  port = %d\n  user = %q\n  ssh_key_file = %q\n"+
			"  router_id = %q\n  environment = \"lab\"\n  rtr = [\"%s:8282\"]\n  ixp %q {\n    ipv4 = %q\n    ipv6 = %q\n  }\n}\n",
			r.name, r.platform, port, l.User, l.KeyFile, r.id, lan.RPKI, r.ixp, r.v4, r.v6)
	}
	writeFile(t, filepath.Join(dir, "policies"), "lab.hcl", []byte(hcl.String()))
}

// TestDeployExampleLab is `make lab-demo` as a test: the example
// repository, with a lab environment whose routers are the lab's, is
// rendered and deployed by `peerform deploy`, and `peerform check --wait`
// finds every intended session Established (11 per router when this was
// written, from PeeringDB and the peer files, with GTSM, BFD and TCP MD5
// where the peers ask for them). The lab's peers announce what the
// example's IRR snapshot registers for them plus crafted routes, and its
// RPKI cache serves the example's VRPs (lab.Example); the routers, asked
// route by route, must have accepted exactly what that data allows, and
// check's counts must agree with them. Then a max_prefix tighter than
// what alpha sends is rolled back, and enforced by the routers when
// applied anyway.
func TestDeployExampleLab(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	dir := renderExampleRepo(t)
	writeLabEnv(t, l, dir)
	t.Setenv("PEERFORM_SECRET_AS20940", lab.LabMD5)
	args := []string{"-C", dir, "--offline", "--env", "lab", "--known-hosts", l.KnownHostsFile}

	out, errOut, code := runPeerform(t, append([]string{"deploy"}, args...)...)
	if code != exitOK || strings.Count(out, "deployed") != 2 {
		t.Fatalf("deploy: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("deploy:\n%s", out)
	out, errOut, code = runPeerform(t, append([]string{"check", "--wait", "30s", "--json"}, args...)...)
	var chk deploy.CheckReport
	if err := json.Unmarshal([]byte(out), &chk); err != nil {
		t.Fatalf("check: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	perRouter := map[string]int{}
	for _, s := range chk.Sessions {
		if !s.Established {
			t.Errorf("%s %s %s: %s %s", s.Router, s.Neighbor, s.Peer, s.State, s.Reason)
		}
		perRouter[s.Router]++
	}
	if code != exitOK || perRouter["lab-ams-edge1"] < 10 || perRouter["lab-fra-edge1"] < 10 {
		t.Fatalf("check: exit %d, sessions per router %v\n%s", code, perRouter, errOut)
	}
	if strings.Contains(out+errOut, lab.LabMD5) {
		t.Errorf("the MD5 secret was printed")
	}

	t.Run("routes", func(t *testing.T) { testExampleRoutes(t, l, chk) })

	out, _, code = runPeerform(t, append([]string{"deploy"}, args...)...)
	if code != exitOK || strings.Count(out, "unchanged") != 2 {
		t.Errorf("a rerun changed something: exit %d\n%s", code, out)
	}

	t.Run("old secret redacted", func(t *testing.T) {
		// Without its md5 line, AS20940's password is only on the router:
		// the diff removes it, and must not show it.
		akamai := filepath.Join(dir, "peers", "AS20940.hcl")
		src, err := os.ReadFile(akamai)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { writeFile(t, filepath.Join(dir, "peers"), "AS20940.hcl", src) })
		var without []string
		for _, line := range strings.Split(string(src), "\n") {
			if !strings.Contains(line, "md5") {
				without = append(without, line)
			}
		}
		writeFile(t, filepath.Join(dir, "peers"), "AS20940.hcl", []byte(strings.Join(without, "\n")))
		for _, mode := range [][]string{{"--dry-run"}, {"--dry-run", "--json"}, {"--dry-run", "--verbose"}} {
			out, errOut, code := runPeerform(t, append(append([]string{"deploy"}, mode...), args...)...)
			if code != exitOK || !strings.Contains(out, "<secret>") {
				t.Errorf("deploy %v: exit %d, the removed password line is not shown redacted:\n%s%s", mode, code, out, errOut)
			}
			if strings.Contains(out+errOut, lab.LabMD5) {
				t.Errorf("deploy %v printed the router's old password", mode)
			}
		}
	})

	t.Run("max-prefix", func(t *testing.T) {
		// No peer of the example sends more than the limit the example
		// gives it (the derived limits are at least the policy floor of
		// 10), so a peer file tightens one: alpha sends 3 acceptable
		// IPv4 routes, against a limit of 2.
		src, err := os.ReadFile(filepath.Join(dir, "peers", "AS64501.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		tight := strings.Replace(string(src), "  bfd    = true\n", "  bfd    = true\n\n  max_prefix {\n    ipv4 = 2\n  }\n", 1)
		if tight == string(src) {
			t.Fatalf("cannot add max_prefix to peers/AS64501.hcl:\n%s", src)
		}
		writeFile(t, filepath.Join(dir, "peers"), "AS64501.hcl", []byte(tight))

		// The policy's max_prefix_action is "shutdown": the change takes
		// alpha's session down, so it is rolled back and the rollout
		// stops (fra-edge1 goes first, as the deploy block says).
		out, errOut, code := runPeerform(t, append([]string{"deploy", "--json"}, args...)...)
		var rep deploy.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("deploy: exit %d, %v\n%s%s", code, err, out, errOut)
		}
		if code != exitFindings || len(rep.Routers) != 2 || rep.Routers[0].Status != deploy.RolledBack ||
			!strings.Contains(rep.Routers[0].Error, "max-prefix exceeded") || rep.Routers[1].Status != deploy.Skipped {
			t.Errorf("deploy with a tight max_prefix: exit %d, %+v", code, rep.Routers)
		}

		// Applied anyway, bypassing verification, each router enforces
		// the limit itself, and check says why alpha's sessions are down.
		applyLabEnv(t, l, dir)
		var down map[string]string
		deadline := time.Now().Add(20 * time.Second)
		for {
			out, errOut, code = runPeerform(t, append([]string{"check", "--json"}, args...)...)
			var chk deploy.CheckReport
			if err := json.Unmarshal([]byte(out), &chk); err != nil {
				t.Fatalf("check: exit %d, %v\n%s%s", code, err, out, errOut)
			}
			down = map[string]string{}
			for _, s := range chk.Sessions {
				if !s.Established {
					down[s.Router+" "+s.Neighbor.String()+" "+s.Peer] = s.Reason
				}
			}
			if len(down) == 2 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Second)
		}
		want := map[string]string{
			"lab-ams-edge1 192.0.2.11 Doc Transit Alpha":  "max-prefix exceeded",
			"lab-fra-edge1 192.0.2.139 Doc Transit Alpha": "max-prefix exceeded",
		}
		if code != exitFindings || !maps.Equal(down, want) {
			t.Errorf("check with alpha over its limit: exit %d, sessions down %v, want %v\n%s", code, down, want, errOut)
		}
	})
}

// testExampleRoutes asks both routers, route by route, what they accepted
// from each neighbor, and holds them to the example's IRR and RPKI data.
func testExampleRoutes(t *testing.T, l *lab.Lab, chk deploy.CheckReport) {
	ctx := context.Background()
	// RPKI data and route refresh settle after the sessions.
	rep, err := l.WaitRoutes(ctx, 30*time.Second)
	if err != nil {
		for _, v := range rep.Mismatches() {
			t.Errorf("%s", v)
		}
		t.Fatal(err)
	}
	for _, router := range []string{"lab-ams-edge1", "lab-fra-edge1"} {
		t.Logf("%s: %s", router, rep.Summary(router))
	}

	// Every kind of route reached both routers (delta, without IRR data,
	// is at DOC-IX-AMS only).
	kinds := map[string]map[string]int{}
	for _, v := range rep.Routes {
		if kinds[v.Router] == nil {
			kinds[v.Router] = map[string]int{}
		}
		if v.Want {
			kinds[v.Router]["accepted"]++
		} else {
			kinds[v.Router][v.Reason]++
		}
	}
	for router, want := range map[string][]string{
		"lab-ams-edge1": {"accepted", lab.RejectRPKIInvalid, lab.RejectNotInIRR, lab.RejectNoIRR},
		"lab-fra-edge1": {"accepted", lab.RejectRPKIInvalid, lab.RejectNotInIRR},
	} {
		for _, k := range want {
			if kinds[router][k] == 0 {
				t.Errorf("%s: no route %s: %v", router, k, kinds[router])
			}
		}
	}

	// check counts what the routers accepted, session by session.
	got := map[string]int{}
	for _, v := range rep.Routes {
		if v.Accepted {
			got[v.Router+" "+v.Neighbor.String()]++
		}
	}
	for _, s := range chk.Sessions {
		n := 0
		for _, c := range s.Received {
			n += c
		}
		if k := s.Router + " " + s.Neighbor.String(); n != got[k] {
			t.Errorf("check says %s received %d routes, the router holds %d", k, n, got[k])
		}
	}

	// BIRD keeps what it rejected, marked with the reasons
	// (64500, 0, reason): 7 RPKI-invalid, 8 not in the IRR prefixes, 9 no
	// IRR data. The renderer leaves a registered prefix out of the prefix
	// list only when it is RPKI-invalid for every member AS; otherwise
	// (alpha's 11.64.5.0/24 from its customer) only RPKI rejects it.
	filtered, err := l.BIRDFiltered(ctx, "lab-fra-edge1")
	if err != nil {
		t.Fatal(err)
	}
	marks := map[string][]string{}
	for _, f := range filtered {
		marks[f.Neighbor.String()+" "+f.Prefix.String()] = f.LargeCommunities
	}
	for _, v := range rep.Routes {
		if v.Router != "lab-fra-edge1" || v.Want {
			continue
		}
		m, kept := marks[v.Neighbor.String()+" "+v.Prefix.String()]
		has := func(code int) bool { return slices.Contains(m, fmt.Sprintf("(64500, 0, %d)", code)) }
		var ok bool
		switch v.Reason {
		case lab.RejectRPKIInvalid:
			ok = has(7) && has(8) != listed(l.Topology, v.Peer, v.Prefix)
		case lab.RejectNotInIRR:
			ok = has(8) && !has(7)
		case lab.RejectNoIRR:
			ok = has(9)
		}
		if !kept || !ok {
			t.Errorf("BIRD rejected %s from %s (%s) marked %v", v.Prefix, v.Peer, v.Reason, m)
		}
	}

	// The routers validate against the example's VRPs, served by the
	// lab's stayrtr.
	want := slices.Clone(l.Topology.ROAs)
	lab.SortROAs(want)
	for _, router := range []string{"lab-ams-edge1", "lab-fra-edge1"} {
		roas, err := l.RouterROAs(ctx, router)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(roas, want) {
			t.Errorf("%s validates against %v, want data/rpki/vrps.json: %v", router, roas, want)
		}
	}
}

// listed reports whether a peer's prefix list has prefix: the IRR
// registers it under the peer's AS-SET, and it is not RPKI-invalid for
// every member AS (the ASNs the peer's routes come from).
func listed(topo lab.Topology, peer string, prefix netip.Prefix) bool {
	p, _ := topo.Peer(peer)
	if !slices.Contains(p.IRR, prefix) {
		return false
	}
	for _, an := range p.Announce {
		if topo.Validate(prefix, an.Origin(p)) != rpki.Invalid {
			return true
		}
	}
	return false
}

// TestDeploySecretRefusedLab: an MD5 secret whose value a router's config
// cannot hold (a double quote, a newline) is refused before any router is
// contacted, for BIRD (AS20940's key, at FRA) and FRR (AS64503's, at
// AMS), by the secret's name and never its value; deploy exits 1.
func TestDeploySecretRefusedLab(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	dir := renderExampleRepo(t)
	proxies := map[string]*labtest.Proxy{}
	ports := map[string]int{}
	for _, r := range []string{"lab-ams-edge1", "lab-fra-edge1"} {
		e, _ := l.Endpoint(r)
		proxies[r] = labtest.NewProxy(t, e.SSH.String())
		ports[r] = proxies[r].Port()
	}
	writeLabEnvVia(t, l, dir, ports)
	gamma := filepath.Join(dir, "peers", "AS64503.hcl")
	src, err := os.ReadFile(gamma)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "peers"), "AS64503.hcl", []byte(strings.Replace(string(src), "  export   = \"AS-EXAMPLE\"\n",
		"  export   = \"AS-EXAMPLE\"\n  md5      = secret(\"AS64503\")\n", 1)))
	args := []string{"deploy", "-C", dir, "--offline", "--env", "lab", "--known-hosts", l.KnownHostsFile, "--json"}
	for _, value := range []string{"s3\"cr;et", "s3cr\net"} {
		t.Setenv("PEERFORM_SECRET_AS20940", value)
		t.Setenv("PEERFORM_SECRET_AS64503", value)
		out, errOut, code := runPeerform(t, args...)
		if code != exitFindings {
			t.Errorf("%q: exit %d, want %d\n%s%s", value, code, exitFindings, out, errOut)
		}
		for _, want := range []string{"lab-fra-edge1: secret value not usable: AS20940 (PEERFORM_SECRET_AS20940)", "lab-ams-edge1: secret value not usable: AS64503 (PEERFORM_SECRET_AS64503)"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%q: no %q in:\n%s", value, want, errOut)
			}
		}
		if strings.Contains(out+errOut, "s3") {
			t.Errorf("the value was printed:\n%s%s", out, errOut)
		}
	}
	for r, p := range proxies {
		if n := p.Accepted(); n != 0 {
			t.Errorf("%s was contacted %d times", r, n)
		}
	}
}

// applyLabEnv pushes the rendered configs of the lab environment of the
// repository in dir to the lab's routers and confirms them, bypassing
// deploy's verification: for changes that take sessions down on purpose.
func applyLabEnv(t *testing.T, l *lab.Lab, dir string) {
	t.Helper()
	ctx := context.Background()
	a := &app{io: &ioStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}}, repoDir: dir, offline: true}
	ro, err := repoRollout(ctx, a, pipeline.RolloutQuery{Env: "lab", KnownHosts: l.KnownHostsFile})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ro.Targets {
		d, err := device.Dial(ctx, tg.Platform, tg.Endpoint, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Apply(ctx, tg.Config, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := d.Confirm(ctx); err != nil {
			t.Fatal(err)
		}
		d.Close()
	}
}
