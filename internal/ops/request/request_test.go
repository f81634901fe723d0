package request

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/peerform/peerform/internal/core/bgp"
	"github.com/peerform/peerform/internal/core/intent"
	"github.com/peerform/peerform/internal/decide/likelihood"
	"github.com/peerform/peerform/internal/decide/score"
	"github.com/peerform/peerform/internal/repo/repofs"
	"github.com/peerform/peerform/internal/sources/peeringdb"
	"github.com/peerform/peerform/internal/testutil"
)

// example loads the example repository with asn requested, over the
// example snapshot with the files of edits replaced.
func example(t *testing.T, asn bgp.ASN, edits map[string]string) (*intent.Repo, *peeringdb.Store) {
	t.Helper()
	snap := t.TempDir()
	entries, err := os.ReadDir(testutil.Path(t, "data/peeringdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(testutil.Path(t, "data/peeringdb/"+e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := edits[e.Name()]; ok {
			data = []byte(s)
		}
		if err := os.WriteFile(filepath.Join(snap, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pdb, err := peeringdb.LoadDir(snap)
	if err != nil {
		t.Fatal(err)
	}
	base, diags := intent.LoadDir(testutil.Root(t))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	net, _ := pdb.Net(asn)
	repo, _, _, diags, err := WithPeer(repofs.Dir(testutil.Root(t)), base, net)
	if err != nil {
		t.Fatal(err, diags)
	}
	return repo, pdb
}

func TestBuildExample(t *testing.T) {
	repo, pdb := example(t, 64504, nil)
	res := score.Result{Recommended: true, Likelihood: &likelihood.Prediction{Probability: 0.7234, Threshold: 0.5,
		For: []likelihood.Factor{{Text: "a"}, {Text: "b"}, {Text: "c"}, {Text: "d"}}, Against: []likelihood.Factor{{Text: "e\r\nBcc: x"}}}}
	r, err := Build(Inputs{Repo: repo, PeeringDB: pdb, Peer: 64504, Score: res})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ours.ASSet != "AS-EXAMPLE" || r.Peer.ASSet != "AS-EPSILON" || r.Ours.PeeringDBURL != "https://www.peeringdb.com/asn/64500" {
		t.Errorf("networks %+v %+v", r.Ours, r.Peer)
	}
	if len(r.IXPs) != 1 || r.IXPs[0].PeeringDBIX != 90001 ||
		!slices.Equal(r.IXPs[0].Ours, []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8:ffff:1::1")}) ||
		!slices.Equal(r.IXPs[0].Theirs, []netip.Addr{netip.MustParseAddr("192.0.2.14"), netip.MustParseAddr("2001:db8:ffff:1::14")}) {
		t.Errorf("IXPs %+v", r.IXPs)
	}
	if len(r.Facilities) != 2 || r.Facilities[1].Address != "1 Example Street, EC1A 1AA London, GB" {
		t.Errorf("facilities %+v", r.Facilities)
	}
	if r.MaxPrefix.IPv4 != 44 || r.MaxPrefix.IPv6 != 14 || !strings.Contains(r.MaxPrefix.IPv4Source, "info_prefixes4 40") {
		t.Errorf("max-prefix %+v", r.MaxPrefix)
	}
	for _, s := range r.Sessions {
		if s.IXP != "DOC-IX-AMS" || s.IXID != 90001 || !strings.HasSuffix(s.PeerAddr.String(), "14") {
			t.Errorf("session %+v", s)
		}
	}
	if api := r.APISessions(); len(api) != 2 || len(r.Sessions) != 4 || api[0].Location.ID != "pdb:ix:90001" || api[0].LocalBGPRole != 4 {
		t.Errorf("API sessions %+v (of %d)", api, len(r.Sessions))
	}
	if len(r.Summary.For) != 3 || r.Summary.Against[0] != "e Bcc: x" || !strings.Contains(r.Summary.Headline, "recommended: a 72.3% likelihood") {
		t.Errorf("summary %+v", r.Summary)
	}
}

// TestBuildHostileSnapshot: PeeringDB names and addresses with line
// breaks reach the text as one line; a network whose only contacts are
// unusable gets no request.
func TestBuildHostileSnapshot(t *testing.T) {
	fac, err := os.ReadFile(testutil.Path(t, "data/peeringdb/fac.json"))
	if err != nil {
		t.Fatal(err)
	}
	net, err := os.ReadFile(testutil.Path(t, "data/peeringdb/net.json"))
	if err != nil {
		t.Fatal(err)
	}
	repo, pdb := example(t, 64504, map[string]string{
		"fac.json": strings.Replace(string(fac), `"name": "Doc DC London"`, `"name": "Doc DC\r\nBcc: x@example.org\r\n\r\nLondon"`, 1),
		"net.json": strings.Replace(string(net), `"name": "Doc Hosting Epsilon"`, `"name": "Epsilon\u2028\r\nSubject: x"`, 1),
	})
	r, err := Build(Inputs{Repo: repo, PeeringDB: pdb, Peer: 64504})
	if err != nil {
		t.Fatal(err)
	}
	text := r.Text()
	if strings.Contains(text, "\r") || strings.Contains(text, "\nBcc") || strings.Contains(text, "\nSubject") {
		t.Errorf("a PeeringDB value broke a line:\n%s", text)
	}
	if !strings.Contains(r.Subject(), "Epsilon") || strings.ContainsAny(r.Subject(), "\r\n") {
		t.Errorf("subject %q", r.Subject())
	}

	repo, pdb = example(t, 64504, map[string]string{"poc.json": `{"data": [
		{"id": 1, "net_id": 90507, "role": "Policy", "visible": "Private", "email": "p@epsilon.example.net", "status": "ok"},
		{"id": 2, "net_id": 90507, "role": "NOC", "visible": "Public", "email": "noc@epsilon.example.net\nBcc: x@example.org", "status": "ok"}]}`})
	if _, err := Build(Inputs{Repo: repo, PeeringDB: pdb, Peer: 64504}); !errors.Is(err, ErrNoContact) {
		t.Errorf("only a private contact: %v", err)
	}
}

func TestWithPeerRefusesActivePeer(t *testing.T) {
	base, _ := intent.LoadDir(testutil.Root(t))
	if _, _, _, _, err := WithPeer(repofs.Dir(testutil.Root(t)), base, peeringdb.Net{ID: 1, ASN: 64501, Name: "x"}); !errors.Is(err, ErrAlreadyPeer) {
		t.Errorf("AS64501: %v", err)
	}
}
