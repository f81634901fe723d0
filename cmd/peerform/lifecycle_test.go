package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
)

// TestSuggestLeavesOutDeclined: a network that declined is not suggested
// until its retry_after date; from that day on it is again.
func TestSuggestLeavesOutDeclined(t *testing.T) {
	dir := renderExampleRepo(t)
	// suggested maps each candidate to whether it is marked as our peer.
	suggested := func() map[bgp.ASN]bool {
		t.Helper()
		out, errOut, code := runPeerform(t, "suggest", "-C", dir, "--offline", "--top", "0", "--json")
		if code != exitOK {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		var got struct {
			Candidates []suggestion `json:"candidates"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		m := map[bgp.ASN]bool{}
		for _, c := range got.Candidates {
			m[c.ASN] = c.AlreadyPeer
		}
		return m
	}
	if peer, ok := suggested()[64504]; !ok || peer {
		t.Fatal("AS64504 is not a candidate of the example to begin with")
	}
	declined := func(retry string) []byte {
		return []byte("peer \"AS64504\" {\n  name = \"Doc Hosting Epsilon\"\n  import = \"AS-EPSILON\"\n  export = \"AS-EXAMPLE\"\n" +
			"  status = \"declined\"\n  retry_after = \"" + retry + "\"\n}\n")
	}
	writeFile(t, filepath.Join(dir, "peers"), "AS64504.hcl", declined("2999-01-01"))
	if _, ok := suggested()[64504]; ok {
		t.Error("AS64504 declined until 2999 and is still suggested")
	}
	writeFile(t, filepath.Join(dir, "peers"), "AS64504.hcl", declined("2000-01-01"))
	if got, ok := suggested()[64504]; !ok || got {
		t.Errorf("AS64504's retry_after has passed: suggested %t, marked as a peer %t; want a candidate", ok, got)
	}
}
