package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/testutil"
)

// scratchRepo is a git repository made from this repository's example —
// peers/, policies/, data/ and templates/, with go.mod and the Go files
// that embed files — committed as main. Each case branches off main,
// changes something the way a pull request would, and is reviewed
// against main, as GitHub shows it.
type scratchRepo struct {
	t   *testing.T
	dir string
}

func newScratchRepo(t *testing.T) *scratchRepo {
	t.Helper()
	if testing.Short() {
		t.Skip("builds git repositories")
	}
	dir := t.TempDir()
	for _, p := range []string{"peers", "policies", "data", "templates", "go.mod", "internal/change/device/frr.go", "internal/change/device/platforms"} {
		copyTree(t, testutil.Path(t, p), filepath.Join(dir, filepath.FromSlash(p)))
	}
	git(t, dir, "init", "-q", "-b", "main")
	commitAll(t, dir, "the example repository")
	return &scratchRepo{t: t, dir: dir}
}

// branch commits change on a new branch off main and returns to main.
func (r *scratchRepo) branch(name string, change func(dir string)) {
	r.t.Helper()
	git(r.t, r.dir, "checkout", "-q", "-b", name, "main")
	change(r.dir)
	commitAll(r.t, r.dir, name)
	git(r.t, r.dir, "checkout", "-q", "main")
}

// review prints the comment head would get, offline (from the data the
// repository carries).
func (r *scratchRepo) review(head string, extra ...string) (string, string, int) {
	r.t.Helper()
	return runPeerform(r.t, append([]string{"review", "-C", r.dir, "--offline", "--base", "main", "--head", head, "--dry-run"}, extra...)...)
}

// copyTree copies a file or a directory tree.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// edit rewrites a file of the repository; it fails the test when the
// edit changes nothing, so a case cannot silently test nothing.
func edit(t *testing.T, dir, name string, change func(string) string) {
	t.Helper()
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	after := change(string(b))
	if after == string(b) {
		t.Fatalf("editing %s changed nothing", name)
	}
	if err := os.WriteFile(p, []byte(after), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("the comment lacks %q:\n%s", w, out)
		}
	}
}

// TestReviewDataChange: pull requests that change only data, or only the
// settings that choose it, show the effect in the router diffs and list
// the change under its own heading with the peers it affects.
func TestReviewDataChange(t *testing.T) {
	clearActionsEnv(t)
	r := newScratchRepo(t)

	// The IRR snapshot gains a route of AS64501 (in AS-ALPHA, which
	// AS6939's and the route servers' sets include) and a default route.
	r.branch("irr-route", func(dir string) {
		edit(t, dir, "data/irr/example.rpsl", func(s string) string {
			return s + "\nroute:    8.0.0.0/8\norigin:   AS64501\nsource:   RADB\n\nroute:    0.0.0.0/0\norigin:   AS64501\nsource:   RADB\n"
		})
	})
	out, errOut, code := r.review("irr-route")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, out,
		"#### Data changed (1)",
		"- **IRR** snapshot data/irr/example.rpsl (RIPE,ARIN,RADB), route objects 22 → 24 (+2); affects AS6939, AS64501, AS64510",
		"+ip prefix-list AS64501_V4 seq 10 permit 8.0.0.0/8", // ams-edge1 (FRR)
		"+  8.0.0.0/8,", // fra-edge1 (BIRD)
		"2 router configs change",
	)
	if strings.Contains(out, "no router config changes") || strings.Contains(out, "✅") {
		t.Error("a data change that alters configs is reported as no change")
	}
	// plan says the same, and --detailed-exitcode sees the change.
	planOut, _, code := runPeerform(t, "plan", "-C", r.dir, "--offline", "--base", "main", "--head", "irr-route", "--no-diff", "--detailed-exitcode")
	if code != exitFindings || !strings.Contains(planOut, "Data changed:\n  IRR snapshot data/irr/example.rpsl (RIPE,ARIN,RADB), route objects 22 -> 24 (+2); affects AS6939, AS64501, AS64510\n") {
		t.Errorf("plan (exit %d):\n%s", code, planOut)
	}

	// Without rpki.vrps_file the RPKI-invalid 11.66.4.0/22 is no longer
	// left out of AS64503's (and the route servers') prefix lists.
	r.branch("no-vrps", func(dir string) {
		edit(t, dir, "policies/network.hcl", func(s string) string {
			return regexp.MustCompile(`(?m)^\s*vrps_file.*\n`).ReplaceAllString(s, "")
		})
	})
	out, errOut, code = r.review("no-vrps")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, out,
		"- **RPKI** data/rpki/vrps.json → none, VRPs 9 → 0 (-9); affects AS64503, AS64510",
		"-ip prefix-list AS64503_V4 seq 5 permit 11.66.0.0/22\n+ip prefix-list AS64503_V4 seq 5 permit 11.66.0.0/21 ge 22 le 22",
		"<sub>Data used by the base: ", "RPKI: data/rpki/vrps.json (2026-01-01T00:00:00Z), content ",
		"<sub>Data used by the head: ", "RPKI: none",
	)

	// irr.snapshot names another file, a copy without AS-GAMMA's routes.
	r.branch("other-irr", func(dir string) {
		b, _ := os.ReadFile(filepath.Join(dir, "data/irr/example.rpsl"))
		other := regexp.MustCompile(`(?m)^route:\s+11\.66\.\S+\norigin:\s+AS64503\n`).ReplaceAllString(string(b), "")
		writeFile(t, filepath.Join(dir, "data/irr"), "other.rpsl", []byte(other))
		edit(t, dir, "policies/network.hcl", func(s string) string {
			return strings.Replace(s, `"data/irr/example.rpsl"`, `"data/irr/other.rpsl"`, 1)
		})
	})
	out, _, _ = r.review("other-irr")
	mustContain(t, out,
		"- **IRR** snapshot data/irr/example.rpsl (RIPE,ARIN,RADB) → snapshot data/irr/other.rpsl (RIPE,ARIN,RADB)",
		"-ip prefix-list AS64503_V4 seq 5 permit 11.66.0.0/22",
	)

	// A PeeringDB snapshot that moves AS64501 to another address at
	// DOC-IX-FRA (at DOC-IX-AMS the exchange's IX-F export would win).
	r.branch("pdb", func(dir string) {
		edit(t, dir, "data/peeringdb/netixlan.json", func(s string) string {
			return strings.Replace(s, `"192.0.2.139"`, `"192.0.2.159"`, 1)
		})
	})
	out, _, _ = r.review("pdb")
	mustContain(t, out, "- **PeeringDB** data/peeringdb, content changed; affects AS64501", "+  neighbor 192.0.2.159 as 64501;")

	// The exchange's IX-F export moves AS64503 at DOC-IX-AMS: a data
	// change of its own, and PeeringDB, which still has the old address,
	// disagrees.
	r.branch("ixf", func(dir string) {
		edit(t, dir, "data/ixf/doc-ix-ams.json", func(s string) string {
			return strings.Replace(s, `"192.0.2.13"`, `"192.0.2.23"`, 1)
		})
	})
	out, _, _ = r.review("ixf")
	mustContain(t, out, "- **IX-F** data/ixf/doc-ix-ams.json, content changed; affects AS64503", "+ neighbor 192.0.2.23 remote-as 64503",
		"**PeeringDB and IX-F export disagree** — AS64503 at DOC-IX-AMS: PeeringDB lists 192.0.2.13 (netixlan 90707)")
}

// TestReviewTemplateChange: a template change is flagged and its effect
// is in the diff, rendered from the head's own templates.
func TestReviewTemplateChange(t *testing.T) {
	clearActionsEnv(t)
	r := newScratchRepo(t)
	r.branch("tmpl", func(dir string) {
		edit(t, dir, "templates/frr/router.tmpl", func(s string) string {
			return strings.Replace(s, "router bgp {{.ASN}}\n", "router bgp {{.ASN}}\n shutdown\n", 1)
		})
	})
	out, errOut, code := r.review("tmpl")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, out,
		"> **This pull request changes router templates:** `templates/frr/router.tmpl`.",
		"**Router templates change**",
		" router bgp 64500\n+ shutdown\n",
		"Templates: templates/ (bird2, eos, frr, iosxr, junos; built-in for the rest), content ",
	)
	if strings.Contains(out, "fra-edge1") && strings.Contains(out, "<code>fra-edge1</code>") {
		t.Error("the BIRD router changes with an FRR template")
	}
}

// TestReviewCodeChange: a change to peerform's Go code, or to a file its
// code embeds, is flagged; what the head's own build rendered is shown
// apart, and a router it did not render is an error.
func TestReviewCodeChange(t *testing.T) {
	clearActionsEnv(t)
	r := newScratchRepo(t)
	r.branch("go", func(dir string) {
		edit(t, dir, "internal/change/device/frr.go", func(s string) string { return s + "\n// A change of the code.\n" })
		edit(t, dir, "internal/change/device/platforms/frr_vtysh.yaml", func(s string) string { return s + "\n# embedded by frr.go\n" })
	})
	out, errOut, code := r.review("go")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, out,
		"> **This pull request changes peerform itself:** `internal/change/device/frr.go`, `internal/change/device/platforms/frr_vtysh.yaml`.",
		"**peerform itself changes**",
		"What the head's own build renders is not part of this review",
	)

	// What pr.yml's head-build job hands over: the head's build renders
	// ams-edge1 with a shutdown line, and fra-edge1 not at all.
	rendered := t.TempDir()
	if _, errOut, code := runPeerform(t, "render", "-C", r.dir, "--offline", "--out", rendered); code != exitOK {
		t.Fatalf("render: %s", errOut)
	}
	edit(t, rendered, "ams-edge1.conf", func(s string) string {
		return strings.Replace(s, "router bgp 64500\n", "router bgp 64500\n shutdown\n", 1)
	})
	os.Remove(filepath.Join(rendered, "fra-edge1.conf"))
	out, errOut, code = r.review("go", "--head-rendered", rendered)
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	mustContain(t, out,
		"#### What the head's build renders (1 router change, untrusted)",
		" router bgp 64500\n+ shutdown\n",
		"- ❌ no config for `fra-edge1`",
		"**The head's build did not render** — The head's own build rendered no config for router fra-edge1",
	)
	if strings.Contains(out, "#### Router changes") {
		t.Error("the base's build renders no change, but router changes are reported")
	}
}

// TestReviewManagementChange: a router's host, login secret name and
// environment are diffed as their own section; secret values never
// appear; leaving the environment is a warning.
func TestReviewManagementChange(t *testing.T) {
	clearActionsEnv(t)
	t.Setenv("PEERFORM_SECRET_FRA_LOGIN", "s3cret-login-value")
	t.Setenv("PEERFORM_SECRET_AS20940", "md5-s3cret-value")
	r := newScratchRepo(t)
	r.branch("mgmt", func(dir string) {
		edit(t, dir, "policies/routers.hcl", func(s string) string {
			return strings.Replace(s, `host      = "fra-edge1.example.net"`,
				"host         = \"fra-edge1.attacker.example\"\n  password_env = \"PEERFORM_SECRET_FRA_LOGIN\"\n  environment  = \"staging\"", 1)
		})
	})
	out, errOut, code := r.review("mgmt")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	mustContain(t, out,
		"#### Management plane (1 router)",
		"**`fra-edge1`** — ⚠️ leaves environment `production`: deploy stops managing it",
		"| `environment` | `production` | `staging` |",
		"| `host` | `fra-edge1.example.net` | `fra-edge1.attacker.example` |",
		"| `password_env` | _unset_ | `PEERFORM_SECRET_FRA_LOGIN` |",
		"**Router leaves the environment** — fra-edge1 is no longer in environment production",
	)
	for _, secret := range []string{"s3cret-login-value", "md5-s3cret-value"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("a secret value is in the output")
		}
	}

	// Pointing the login at a peer's MD5 secret is refused at both lines.
	r.branch("steal", func(dir string) {
		edit(t, dir, "policies/routers.hcl", func(s string) string {
			return strings.Replace(s, `user      = "peerform"`, "user         = \"peerform\"\n  password_env = \"PEERFORM_SECRET_AS20940\"", 1)
		})
	})
	out, _, code = r.review("steal")
	if code != exitFindings {
		t.Errorf("exit %d, want 1", code)
	}
	mustContain(t, out, "- ❌ `policies/routers.hcl:8:3` **Login password is a peer's secret** — password\\_env names PEERFORM\\_SECRET\\_AS20940, the MD5 secret of AS20940's sessions",
		"- ❌ `peers/AS20940.hcl:10:3` **Peer secret is a login password**")
}

// TestReviewNeighborAddresses: a neighbor address two peers claim —
// written in a new peer file, or from a PeeringDB row — and addresses
// that are a LAN's network or broadcast address or our own are errors
// at the line.
func TestReviewNeighborAddresses(t *testing.T) {
	clearActionsEnv(t)
	r := newScratchRepo(t)
	newPeer := func(dir, asn, session string) {
		writeFile(t, filepath.Join(dir, "peers"), asn+".hcl", []byte("peer \""+asn+"\" {\n  name   = \"Doc Hosting Epsilon\"\n  import = \"AS-EPSILON\"\n  export = \"AS-EXAMPLE\"\n"+session+"}\n"))
	}
	for _, tc := range []struct {
		name, session, want string
	}{
		{"cloudflare", "\n  session \"DOC-IX-AMS\" {\n    ipv4 = \"192.0.2.40\"\n  }\n",
			"- ❌ `peers/AS64504.hcl:7:5` **Address used twice** — 192.0.2.40 is already the address of AS13335 (peers/AS13335.hcl:12,5-24)"},
		{"network", "\n  session \"DOC-IX-AMS\" {\n    ipv4 = \"192.0.2.0\"\n  }\n",
			"- ❌ `peers/AS64504.hcl:7:5` **Not a host address of the LAN** — Neighbor address 192.0.2.0 is the network address of DOC-IX-AMS's LAN 192.0.2.0/25"},
		{"broadcast", "\n  session \"DOC-IX-FRA\" {\n    ipv4 = \"192.0.2.255\"\n  }\n",
			"- ❌ `peers/AS64504.hcl:7:5` **Not a host address of the LAN** — Neighbor address 192.0.2.255 is the broadcast address of DOC-IX-FRA's LAN 192.0.2.128/25"},
		{"ours", "\n  session \"DOC-IX-AMS\" {\n    ipv6 = \"2001:db8:ffff:1::1\"\n  }\n",
			"- ❌ `peers/AS64504.hcl:7:5` **Our own address** — 2001:db8:ffff:1::1 is the address of router ams-edge1 at DOC-IX-AMS, not of a peer."},
	} {
		r.branch(tc.name, func(dir string) { newPeer(dir, "AS64504", tc.session) })
		out, errOut, code := r.review(tc.name)
		if code != exitFindings {
			t.Errorf("%s: exit %d, want 1\n%s", tc.name, code, errOut)
		}
		mustContain(t, out, "### ❌ Not ready to merge", tc.want)
	}

	// AS64504's PeeringDB record and the exchange's export claim
	// Cloudflare's address: the new peer file derives a session to it.
	r.branch("pdb-claims", func(dir string) {
		newPeer(dir, "AS64504", "")
		edit(t, dir, "data/peeringdb/netixlan.json", func(s string) string { return strings.Replace(s, `"192.0.2.14"`, `"192.0.2.40"`, 1) })
		edit(t, dir, "data/ixf/doc-ix-ams.json", func(s string) string { return strings.Replace(s, `"192.0.2.14"`, `"192.0.2.40"`, 1) })
	})
	out, errOut, code := r.review("pdb-claims")
	if code != exitFindings {
		t.Errorf("exit %d, want 1\n%s", code, errOut)
	}
	mustContain(t, out, "- ❌ `peers/AS64504.hcl:1:1` **Neighbor address used twice** — 192.0.2.40 at DOC-IX-AMS is claimed by AS13335")

	// validate says the same of the working tree.
	git(t, r.dir, "checkout", "-q", "pdb-claims")
	vOut, _, code := runPeerform(t, "validate", "-C", r.dir, "--offline")
	if code != exitFindings || !strings.Contains(vOut, "Neighbor address used twice") {
		t.Errorf("validate (exit %d):\n%s", code, vOut)
	}
}

// TestReviewBrokenData: a data row that fails to load makes the verdict
// ❌ and the exit 1, with the file named.
func TestReviewBrokenData(t *testing.T) {
	clearActionsEnv(t)
	r := newScratchRepo(t)
	r.branch("e300", func(dir string) {
		edit(t, dir, "data/peeringdb/net.json", func(s string) string {
			return regexp.MustCompile(`"info_prefixes4": *\d+`).ReplaceAllLiteralString(s, `"info_prefixes4": 1e300`)
		})
	})
	out, errOut, code := r.review("e300")
	if code != exitFindings {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	mustContain(t, out, "### ❌ Not ready to merge: 1 error to fix",
		"- ❌ `data/peeringdb/net.json:1:1` **PeeringDB data cannot be read** — data/peeringdb, which the policies name, cannot be loaded")

	// The same when the base is the broken one: nothing can be compared.
	git(t, r.dir, "checkout", "-q", "-b", "fixed", "e300")
	edit(t, r.dir, "data/peeringdb/net.json", func(s string) string { return strings.ReplaceAll(s, "1e300", "10") })
	commitAll(t, r.dir, "fix")
	out, _, code = runPeerform(t, "review", "-C", r.dir, "--offline", "--base", "e300", "--head", "fixed", "--dry-run")
	if code != exitFindings || !strings.Contains(out, "**The old state cannot be compared**") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
