package intent

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
)

func TestStatus(t *testing.T) {
	const must = "  name = \"Cloudflare\"\n  import = \"AS-CF\"\n  export = \"AS-EXAMPLE\"\n"
	peer := func(body string) map[string]string {
		return map[string]string{"peers/AS13335.hcl": "peer \"AS13335\" {\n" + must + body + "}\n"}
	}
	policy := func(router, ixp string) map[string]string {
		p := strings.Replace(basePolicy, "  host     = \"r1.example.net\"\n", "  host     = \"r1.example.net\"\n"+router, 1)
		p = strings.Replace(p, "  ipv4_lan = \"192.0.2.128/25\"\n", "  ipv4_lan = \"192.0.2.128/25\"\n"+ixp, 1)
		return map[string]string{"policies/base.hcl": p}
	}
	E := hcl.DiagError
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []wantDiag
	}{
		{"requested", peer("  status = \"requested\"\n"), nil},
		{"declined with retry_after", peer("  status = \"declined\"\n  retry_after = \"2027-06-30\"\n"), nil},
		{"unknown status", peer("  status = \"paused\"\n"), []wantDiag{{E, "Unknown status", "peers/AS13335.hcl", 5}}},
		{"status not a string", peer("  status = true\n"), []wantDiag{{E, "Unknown status", "peers/AS13335.hcl", 5}}},
		{"retry_after while active", peer("  retry_after = \"2027-06-30\"\n"), []wantDiag{{E, "retry_after without declined", "peers/AS13335.hcl", 5}}},
		{"retry_after not a date", peer("  status = \"declined\"\n  retry_after = \"next year\"\n"), []wantDiag{{E, "Invalid date", "peers/AS13335.hcl", 6}}},
		{"retry_after with a time", peer("  status = \"declined\"\n  retry_after = \"2027-06-30T00:00:00Z\"\n"), []wantDiag{{E, "Invalid date", "peers/AS13335.hcl", 6}}},
		{"router and IXP in maintenance", policy("  status   = \"maintenance\"\n", "  status   = \"maintenance\"\n"), nil},
		{"router cannot be requested", policy("  status   = \"requested\"\n", ""), []wantDiag{{E, "Unknown status", "policies/base.hcl", 20}}},
		{"IXP cannot be decommissioned", policy("", "  status   = \"decommissioning\"\n"), []wantDiag{{E, "Unknown status", "policies/base.hcl", 16}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Load(repoFS(tc.files))
			if len(tc.want) == 0 && len(diags) > 0 {
				t.Fatalf("unexpected diagnostics:\n%s", describe(diags))
			}
			for _, w := range tc.want {
				if !hasDiag(diags, w) {
					t.Errorf("missing %q at %s:%d; got:\n%s", w.summary, w.file, w.line, describe(diags))
				}
			}
		})
	}
}

func TestStatusValues(t *testing.T) {
	repo, diags := Load(repoFS(map[string]string{"peers/AS13335.hcl": "peer \"AS13335\" {\n  name = \"CF\"\n  import = \"AS-CF\"\n  export = \"AS-EXAMPLE\"\n  status = \"declined\"\n  retry_after = \"2027-06-30\"\n}\n"}))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := repo.Peers[0]
	if p.Status != StatusDeclined || p.Status.Renders() || p.RetryAfter != time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("status %q, retry after %v", p.Status, p.RetryAfter)
	}
	if !p.Declined(time.Date(2027, 6, 29, 23, 59, 0, 0, time.UTC)) || p.Declined(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("declined must hold until retry_after and end on that day")
	}
	p.RetryAfter = time.Time{}
	if !p.Declined(time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("declined without retry_after must hold for good")
	}
	if r := repo.Router("r1"); r.Status != StatusActive || repo.IXP("IX-A").Status != StatusActive {
		t.Errorf("default status: router %q, IXP %q", r.Status, repo.IXP("IX-A").Status)
	}
	for _, s := range []Status{StatusActive, StatusMaintenance, StatusDecommissioning} {
		if !s.Renders() {
			t.Errorf("%s must render", s)
		}
	}
	if StatusRequested.Renders() {
		t.Errorf("requested must not render")
	}
}
