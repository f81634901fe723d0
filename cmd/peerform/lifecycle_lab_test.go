package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

// TestLifecycleLab walks the example repository deployed to the lab
// through the lifecycle statuses, each as a commit reviewed and deployed:
// both routers put in maintenance send GRACEFUL_SHUTDOWN (65535:0) on our
// prefixes to every peer, as the peers' own RIBs show, with every session
// still up; a decommissioned peer's sessions are shut down, deploy and
// check expect them down and the peer sees them down; removing the file
// afterwards is a clean removal. Each review lists the status change.
// Last, peerform monitor and a real Prometheus watch the lab while a peer
// is stopped (testMonitor): one lab serves both, as starting and
// deploying one is most of the time either takes.
func TestLifecycleLab(t *testing.T) {
	l := labtest.Start(t, lab.Options{})
	ctx := context.Background()
	r := newLabGitRepo(t, l)
	args := labArgs(l, r)
	mustDeployAll(t, args)
	// The links of the lab the example has sessions on (the lab has a
	// few more, which the example leaves unconfigured).
	intended := map[lab.Link]bool{}
	for _, s := range checkJSON(t, args).Sessions {
		for _, ln := range l.Topology.Links() {
			if ln.Router == s.Router && ln.Neighbor == s.Neighbor {
				intended[ln] = true
			}
		}
	}

	// Maintenance of both routers, one FRR and one BIRD.
	lh := filepath.Join(r, "policies", "lab.hcl")
	src, err := os.ReadFile(lh)
	if err != nil {
		t.Fatal(err)
	}
	drained := strings.ReplaceAll(string(src), "  environment = \"lab\"\n", "  environment = \"lab\"\n  status = \"maintenance\"\n")
	if strings.Count(drained, "maintenance") != 2 {
		t.Fatalf("cannot put the lab routers in maintenance:\n%s", src)
	}
	writeFile(t, filepath.Dir(lh), "lab.hcl", []byte(drained))
	commitAll(t, r, "lab routers in maintenance")
	reviewShows(t, r, "| router `lab-ams-edge1` | `active` | `maintenance` |", "| router `lab-fra-edge1` | `active` | `maintenance` |")
	mustDeployAll(t, args)

	// Every peer holds each of our prefixes from each router it peers
	// with, and every such route carries GRACEFUL_SHUTDOWN.
	err = lab.WaitFor(ctx, "GRACEFUL_SHUTDOWN at every peer", 30*time.Second, func() error {
		var missing []string
		for ln := range intended {
			rt, _ := l.Topology.Router(ln.Router)
			got, err := l.Received(ctx, ln.Peer)
			if err != nil {
				return err
			}
			for _, p := range rt.Originate {
				if p.Addr().Is4() != (ln.Family.String() == "ipv4") {
					continue
				}
				found := false
				for _, rr := range got {
					if rr.From == ln.Local && rr.Prefix == p && rr.HasCommunity("65535:0") {
						found = true
					}
				}
				if !found {
					missing = append(missing, fmt.Sprintf("%s from %s (%s)", p, ln.Router, ln.Peer))
				}
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("without GRACEFUL_SHUTDOWN or missing: %s", strings.Join(missing, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	chk := checkJSON(t, args)
	for _, s := range chk.Sessions {
		if !s.Established {
			t.Errorf("in maintenance, %s %s is %s: sessions must stay up", s.Router, s.Neighbor, s.State)
		}
	}

	// Decommissioning AS64501 (alpha: BIRD, on both routers).
	alpha := filepath.Join(r, "peers", "AS64501.hcl")
	a, err := os.ReadFile(alpha)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Dir(alpha), "AS64501.hcl", []byte(strings.Replace(string(a), "{\n", "{\n  status = \"decommissioning\"\n", 1)))
	commitAll(t, r, "decommission AS64501")
	reviewShows(t, r, "| peer `AS64501` | `active` | `decommissioning` |")
	mustDeployAll(t, args) // verified: alpha's sessions went down
	views, err := l.PeerSessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if intended[v.Link] && (v.Peer == "alpha") == v.Established {
			t.Errorf("%s-%s/%s: Established %t as the peer sees it", v.Router, v.Peer, v.Family, v.Established)
		}
	}
	chk = checkJSON(t, args)
	shut := 0
	for _, s := range chk.Sessions {
		if s.PeerASN == 64501 {
			shut++
			if s.Established || !s.Shutdown {
				t.Errorf("%s %s: established %t, shutdown %t", s.Router, s.Neighbor, s.Established, s.Shutdown)
			}
		}
	}
	if want := len(lab.LinksOf(l.Topology.Links(), "", "alpha", 0)); shut != want || want == 0 {
		t.Errorf("check lists %d of alpha's sessions, want %d", shut, want)
	}

	// Then the file goes: nothing of alpha is left, nothing else moves.
	if err := os.Remove(alpha); err != nil {
		t.Fatal(err)
	}
	commitAll(t, r, "remove AS64501")
	out := reviewShows(t, r, "| peer `AS64501` | `decommissioning` | _none_ |")
	if strings.Contains(out, "without decommissioning") {
		t.Errorf("a removal after decommissioning is warned about:\n%s", out)
	}
	mustDeployAll(t, args)
	for _, s := range checkJSON(t, args).Sessions {
		if s.PeerASN == 64501 || !s.Established {
			t.Errorf("after the removal: %s %s (%s) %s", s.Router, s.Neighbor, s.PeerASN, s.State)
		}
	}

	// The same lab, as it is now, watched by monitor and Prometheus.
	t.Run("monitor", func(t *testing.T) { testMonitor(t, l, args) })
}

// newLabGitRepo is the example repository with the lab's environment, as
// the first commit of a git repository.
func newLabGitRepo(t *testing.T, l *lab.Lab) string {
	t.Helper()
	dir := renderExampleRepo(t)
	writeLabEnv(t, l, dir)
	t.Setenv("PEERFORM_SECRET_AS20940", lab.LabMD5)
	git(t, dir, "init", "-q", "-b", "main")
	commitAll(t, dir, "the example repository with the lab")
	return dir
}

// labArgs are the global flags that point peerform at the lab
// environment of the repository in dir.
func labArgs(l *lab.Lab, dir string) []string {
	return []string{"-C", dir, "--offline", "--env", "lab", "--known-hosts", l.KnownHostsFile}
}

// mustDeployAll deploys the lab environment and wants both routers
// deployed or unchanged.
func mustDeployAll(t *testing.T, args []string) {
	t.Helper()
	out, errOut, code := runPeerform(t, append([]string{"deploy"}, args...)...)
	if code != exitOK || strings.Count(out, "deployed")+strings.Count(out, "unchanged") < 2 {
		t.Fatalf("deploy: exit %d\n%s%s", code, out, errOut)
	}
}

func checkJSON(t *testing.T, args []string) deploy.CheckReport {
	t.Helper()
	out, errOut, code := runPeerform(t, append([]string{"check", "--json"}, args...)...)
	var chk deploy.CheckReport
	if err := json.Unmarshal([]byte(out), &chk); err != nil || code != exitOK {
		t.Fatalf("check: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	return chk
}

// reviewShows reviews the last commit and wants each line in the comment.
func reviewShows(t *testing.T, dir string, lines ...string) string {
	t.Helper()
	out, errOut, code := runPeerform(t, "review", "--repo", dir, "--base", "HEAD~1", "--head", "HEAD", "--dry-run", "--offline")
	if code == exitError {
		t.Fatalf("review: exit %d\n%s%s", code, out, errOut)
	}
	for _, l := range lines {
		if !strings.Contains(out, l) {
			t.Errorf("the review lacks %q:\n%s", l, out)
		}
	}
	return out
}
