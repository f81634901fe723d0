package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/change/deploy"
	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/lab"
	"github.com/peerform/peerform/lab/labtest"
)

// TestRouteSecurityLab runs the example's lab with peers that test the
// route security the routers are rendered with:
//
//   - BGP roles (RFC 9234): delta (BIRD) announces the role "provider"
//     where we are its "peer", a mismatch the RFC refuses in any mode;
//     beta, beta2 and cf (GoBGP, which announces no role) are
//     role_strict in their peer files, and strict mode refuses a neighbor
//     without a role; the route servers announce "rs_server" and are
//     role_strict too, which matches our "rs-client": up.
//   - Only-to-Customer: he sends 216.218.128.0/17 with an OTC attribute
//     of AS64999, a route leaked to us; both routers drop it.
//   - ASPA: alpha sends its customer AS64511's 11.64.16.0/20 through
//     AS64502 (path 64501 64502 64511), while AS64511's ASPA names only
//     AS64501. The lab's BIRD 2.0.12 and FRR 8.4 cannot verify ASPA, so
//     check counts the route on alpha's IPv4 sessions.
func TestRouteSecurityLab(t *testing.T) {
	topo := labtest.Example(t)
	leak := netip.MustParsePrefix("216.218.128.0/17")
	aspaLeak := netip.MustParsePrefix("11.64.16.0/20")
	for i := range topo.Peers {
		p := &topo.Peers[i]
		switch p.Name {
		case "delta":
			p.Role = "provider"
		case "rs":
			p.Role, p.RoleStrict = "rs_server", true
		}
		for j := range p.Announce {
			an := &p.Announce[j]
			switch {
			case p.Name == "he" && an.Prefix == leak:
				an.OTC = 64999
			case p.Name == "alpha" && an.Prefix == aspaLeak:
				an.Path = []bgp.ASN{64502, 64511}
			}
		}
	}
	he, _ := topo.Peer("he")
	alpha, _ := topo.Peer("alpha")
	if !slices.ContainsFunc(he.Announce, func(an lab.Announcement) bool { return an.OTC != 0 }) ||
		!slices.ContainsFunc(alpha.Announce, func(an lab.Announcement) bool { return len(an.Path) == 2 }) {
		t.Fatalf("the example's data no longer has %s from he or %s from alpha", leak, aspaLeak)
	}
	l := labtest.Start(t, lab.Options{Topology: topo})
	dir := renderExampleRepo(t)
	writeLabEnv(t, l, dir)
	t.Setenv("PEERFORM_SECRET_AS20940", lab.LabMD5)
	for _, asn := range []string{"AS64502", "AS13335", "AS64510"} {
		addToPeer(t, dir, asn, "  role_strict = true\n")
	}
	addASPAs(t, filepath.Join(dir, "data", "rpki", "vrps.json"),
		`{"customer_asid": 64511, "providers": [64501]}, {"customer_asid": 64501, "providers": [6939]}`)
	applyLabEnv(t, l, dir)

	// Wait for the sessions that can come up, and for the routes.
	args := []string{"-C", dir, "--offline", "--env", "lab", "--known-hosts", l.KnownHostsFile, "--json"}
	refused := map[bgp.ASN]bool{64502: true, 13335: true, 65537: true}
	var chk deploy.CheckReport
	for deadline := time.Now().Add(40 * time.Second); ; {
		out, errOut, code := runPeerform(t, append([]string{"check"}, args...)...)
		chk = deploy.CheckReport{}
		if err := json.Unmarshal([]byte(out), &chk); err != nil {
			t.Fatalf("check: exit %d, %v\n%s%s", code, err, out, errOut)
		}
		if code != exitFindings {
			t.Fatalf("check: exit %d with sessions refused by role, want %d\n%s", code, exitFindings, errOut)
		}
		settled := len(chk.Sessions) > 0
		for _, s := range chk.Sessions {
			if s.Established == refused[s.PeerASN] || (s.Established && s.Received[bgp.FamilyOf(s.Neighbor)] == 0 && s.PeerASN != 65537) {
				settled = false
			}
		}
		if settled || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}

	t.Run("roles", func(t *testing.T) {
		for _, s := range chk.Sessions {
			if s.Established == refused[s.PeerASN] {
				t.Errorf("%s %s %s: %s (%s), want Established %t", s.Router, s.Neighbor, s.Peer, s.State, s.Reason, !refused[s.PeerASN])
			}
			if refused[s.PeerASN] {
				t.Logf("%s %s %s refused: %s", s.Router, s.Neighbor, s.Peer, s.Reason)
			}
		}
		// FRR reports no notification for an OPEN it refused itself;
		// delta's BIRD says why its session to lab-ams-edge1 failed.
		if log := labtest.ReadFile(t, l, "delta", "bird.log"); !strings.Contains(log, "Role mismatch") {
			t.Errorf("delta's log does not say Role mismatch:\n%s", log)
		}
	})

	t.Run("only-to-customer", func(t *testing.T) {
		if ok, _ := topo.Acceptable(he, lab.Announcement{Prefix: leak}); !ok {
			t.Fatalf("%s from he is not acceptable by the IRR and RPKI data: the test shows nothing", leak)
		}
		ctx := context.Background()
		for _, router := range []string{"lab-ams-edge1", "lab-fra-edge1"} {
			acc, err := l.Accepted(ctx, router)
			if err != nil {
				t.Fatal(err)
			}
			for _, ln := range lab.LinksOf(topo.Links(), router, "he", bgp.IPv4) {
				if got := acc[ln.Neighbor]; slices.Contains(got, leak) || len(got) == 0 {
					t.Errorf("%s accepted %v from he (%s); want its routes without the leaked %s", router, got, ln.Neighbor, leak)
				}
			}
		}
	})

	t.Run("aspa", func(t *testing.T) {
		for _, s := range chk.Sessions {
			want := 0
			if s.PeerASN == 64501 && s.Neighbor.Is4() {
				want = 1 // 11.64.16.0/20 via AS64502
			}
			if !s.Established {
				want = -1
			}
			if s.ASPAInvalid != want {
				t.Errorf("%s %s %s: %d ASPA-invalid routes, want %d", s.Router, s.Neighbor, s.Peer, s.ASPAInvalid, want)
			}
			if want > 0 && !slices.Contains(s.Warnings, "1 ASPA-invalid routes accepted") {
				t.Errorf("%s %s: warnings %q", s.Router, s.Neighbor, s.Warnings)
			}
		}
	})
}

// addToPeer adds attribute lines after the name of a peer file of dir.
func addToPeer(t *testing.T, dir, asn, lines string) {
	t.Helper()
	f := filepath.Join(dir, "peers", asn+".hcl")
	src, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(src), "\n  name")
	j := strings.Index(string(src)[i+1:], "\n")
	if i < 0 || j < 0 {
		t.Fatalf("no name line in %s:\n%s", f, src)
	}
	at := i + 1 + j + 1
	writeFile(t, filepath.Dir(f), filepath.Base(f), []byte(string(src)[:at]+lines+string(src)[at:]))
}

// addASPAs adds an "aspas" array of the given entries to a VRP file.
func addASPAs(t *testing.T, file, entries string) {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	end := strings.LastIndex(string(src), "}")
	if end < 0 || strings.Contains(string(src), `"aspas"`) {
		t.Fatalf("cannot add ASPAs to %s", file)
	}
	writeFile(t, filepath.Dir(file), filepath.Base(file), []byte(string(src)[:end]+`, "aspas": [`+entries+"]\n}\n"))
}
