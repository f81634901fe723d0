package monitor

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/peerform/peerform/internal/testutil"
)

// TestAlertingRules: the shipped rules pass promtool check rules, and
// their unit tests (promtool test rules: each alert fires when it should
// and not before) pass.
func TestAlertingRules(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if testutil.LabRequired() {
			t.Fatal("promtool is not installed (Debian package prometheus, see .ci/run)")
		}
		t.Skip("promtool is not installed (Debian package prometheus)")
	}
	dir := testutil.Path(t, "docs/monitoring")
	for _, args := range [][]string{
		{"check", "rules", "peerform-alerts.yml"},
		{"test", "rules", "peerform-alerts.test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v in %s: %v\n%s", args, filepath.Base(dir), err, out)
		}
	}
}
