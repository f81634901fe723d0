package rpki

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// The ASPAs of the verification vectors. The topology, in the draft's
// terms: 64501 buys transit from 64510, which buys from 64520, a network
// without providers (its ASPA holds AS 0 alone); 64502 buys from 64511,
// which published no ASPA; 64504 buys from 64520; 64505 buys from 64506; 64503 registered two
// ASPAs (two trust anchors) that together name 64512 and 64513.
var vectorASPAs = []ASPA{
	{Customer: 64501, Providers: []bgp.ASN{64510, 64511}},
	{Customer: 64502, Providers: []bgp.ASN{64511}},
	{Customer: 64510, Providers: []bgp.ASN{64520}},
	{Customer: 64520, Providers: []bgp.ASN{0}},
	{Customer: 64505, Providers: []bgp.ASN{64506}},
	{Customer: 64504, Providers: []bgp.ASN{64520}},
	{Customer: 64503, Providers: []bgp.ASN{64512}},
	{Customer: 64503, Providers: []bgp.ASN{64513}},
}

// path writes an AS_PATH as received: the neighbor first, the origin last.
func path(asns ...bgp.ASN) Path { return Path{Seq: asns} }

// TestASPAVerification holds the vectors written from
// draft-ietf-sidrops-aspa-verification: the hop check (§5), the upstream
// procedure for routes from customers, lateral peers and route servers
// (§6.1) and the downstream procedure for routes from providers (§6.2),
// with the up- and down-ramp lengths of §6.3. Each vector gives both
// outcomes; "why" says which rule decides.
func TestASPAVerification(t *testing.T) {
	s := NewASPAs(vectorASPAs)
	for _, v := range []struct {
		why            string
		path           Path
		up, down       ASPAState
		maxUp, minUp   int
		maxDown, minDn int
	}{
		{"a path of one AS is valid (N=1: the ramps cover it)",
			path(64501), ASPAValid, ASPAValid, 1, 1, 1, 1},
		{"a path of one AS without an ASPA is valid as well",
			path(64999), ASPAValid, ASPAValid, 1, 1, 1, 1},
		{"customer to attested provider",
			path(64510, 64501), ASPAValid, ASPAValid, 2, 2, 1, 1},
		{"two attested customer-to-provider hops up to a network without providers",
			path(64520, 64510, 64501), ASPAValid, ASPAValid, 3, 3, 1, 1},
		{"prepends are collapsed before the check",
			path(64510, 64510, 64510, 64501, 64501), ASPAValid, ASPAValid, 2, 2, 1, 1},
		{"the origin's ASPA does not name the next AS: a leak upstream; downstream it is the one lateral hop at the apex",
			path(64502, 64501), ASPAInvalid, ASPAValid, 1, 1, 1, 1},
		{"the next AS has no ASPA: its own hop up is not attested; downstream that hop may be the lateral one",
			path(64530, 64511, 64501), ASPAUnknown, ASPAValid, 3, 2, 3, 1},
		{"upstream every hop must go up; downstream one lateral hop at the apex is fine",
			path(64511, 64520, 64510, 64501), ASPAInvalid, ASPAValid, 3, 3, 2, 1},
		{"AS 0 as the only provider: the network has no provider at all",
			path(64599, 64520), ASPAInvalid, ASPAValid, 1, 1, 2, 1},
		{"a valley: neither side of 64502 attests it as a provider",
			path(64505, 64502, 64501), ASPAInvalid, ASPAInvalid, 1, 1, 1, 1},
		{"a valley one side of which has no ASPA: unknown downstream",
			path(64507, 64502, 64501), ASPAInvalid, ASPAUnknown, 1, 1, 2, 1},
		{"an attested hop down behind an attested up-ramp of three: valid from a provider",
			path(64504, 64520, 64510, 64501), ASPAInvalid, ASPAValid, 3, 3, 2, 2},
		{"an unattested hop down may be the lateral one: still valid from a provider",
			path(64502, 64511, 64520, 64510, 64501), ASPAInvalid, ASPAValid, 3, 3, 3, 2},
		{"two unattested hops between the ramps: unknown from a provider",
			path(64502, 64511, 64530, 64510, 64501), ASPAInvalid, ASPAUnknown, 2, 2, 4, 2},
		{"the same with an attested hop down that contradicts: invalid",
			path(64505, 64502, 64520, 64510, 64501), ASPAInvalid, ASPAInvalid, 3, 3, 1, 1},
		{"ASPAs of one customer are merged",
			path(64513, 64503), ASPAValid, ASPAValid, 2, 2, 2, 1},
		{"merged, but still not every AS",
			path(64514, 64503), ASPAInvalid, ASPAValid, 1, 1, 2, 1},
		{"an AS_SET makes the path invalid whatever else it holds",
			Path{Seq: []bgp.ASN{64510, 64501}, HasSet: true}, ASPAInvalid, ASPAInvalid, -1, -1, -1, -1},
		{"an empty path is invalid",
			path(), ASPAInvalid, ASPAInvalid, -1, -1, -1, -1},
	} {
		t.Run(v.why, func(t *testing.T) {
			if got := s.VerifyUpstream(v.path); got != v.up {
				t.Errorf("upstream %v: %s, want %s", v.path, got, v.up)
			}
			if got := s.VerifyDownstream(v.path); got != v.down {
				t.Errorf("downstream %v: %s, want %s", v.path, got, v.down)
			}
			if v.maxUp < 0 {
				return
			}
			as, _ := collapse(v.path)
			maxUp, minUp := s.upRamps(as)
			maxDown, minDown := s.downRamps(as)
			if got, want := [4]int{maxUp, minUp, maxDown, minDown}, [4]int{v.maxUp, v.minUp, v.maxDown, v.minDn}; got != want {
				t.Errorf("ramps (max up, min up, max down, min down) = %v, want %v", got, want)
			}
		})
	}
}

func TestASPAHop(t *testing.T) {
	s := NewASPAs(vectorASPAs)
	for _, c := range []struct {
		customer, provider bgp.ASN
		want               Hop
	}{
		{64501, 64510, ProviderPlus}, {64501, 64511, ProviderPlus}, {64501, 64520, NotProviderPlus},
		{64511, 64501, NoAttestation}, {64520, 0, ProviderPlus}, {64520, 64510, NotProviderPlus},
		{64503, 64512, ProviderPlus}, {64503, 64513, ProviderPlus},
	} {
		if got := s.Hop(c.customer, c.provider); got != c.want {
			t.Errorf("hop(%s, %s) = %d, want %d", c.customer, c.provider, got, c.want)
		}
	}
	var none *ASPAs
	if none.Hop(1, 2) != NoAttestation || none.Len() != 0 || none.VerifyUpstream(path(64510, 64501)) != ASPAUnknown {
		t.Error("a nil set must attest nothing")
	}
}

func TestLoadJSONASPAs(t *testing.T) {
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	in := `{"roas": [], "aspas": [
		{"customer_asid": 64500, "expires": 4102444800, "providers": [64511, 64510, 64510]},
		{"customer": "AS64501", "providers": ["AS64510"]},
		{"customer_asid": 64501, "providers": ["AS64512"]},
		{"customer_asid": 64502, "expires": 1000, "providers": [64510]},
		{"customer_asid": 64503, "providers": [64503]},
		{"customer_asid": 0, "providers": [64510]},
		{"customer_asid": 64504, "providers": []},
		{"customer_asid": 64505, "providers": ["ASX"]},
		{"providers": [64510]},
		{"customer_asid": 64506, "providers": [0]}
	]}`
	p, rep, err := LoadPayloads(strings.NewReader(in), LoadOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := []ASPA{
		{64500, []bgp.ASN{64510, 64511}},
		{64501, []bgp.ASN{64510, 64512}},
		{64506, []bgp.ASN{0}},
	}
	if got := p.ASPAs.List(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ASPAs:\n got %v\nwant %v", got, want)
	}
	if rep.ASPAEntries != 10 || rep.ASPAs != 3 || rep.BadASPA != 5 || rep.ExpiredASPA != 1 {
		t.Errorf("report %+v", rep)
	}

	// The bound on entries holds for ASPAs too.
	_, _, err = LoadPayloads(strings.NewReader(in), LoadOptions{Now: now, MaxVRPs: 3})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("10 ASPAs past a bound of 3: %v", err)
	}
	// A provider list past MaxASPAProviders is dropped, not truncated.
	big := `{"roas": [], "aspas": [{"customer_asid": 64500, "providers": [` +
		strings.TrimSuffix(strings.Repeat("64510,", MaxASPAProviders+1), ",") + `]}]}`
	p, rep, err = LoadPayloads(strings.NewReader(big), LoadOptions{})
	if err != nil || p.ASPAs.Len() != 0 || rep.BadASPA != 1 {
		t.Errorf("oversized provider set: %v, %d ASPAs, %+v", err, p.ASPAs.Len(), rep)
	}
	for _, bad := range []string{`{"roas": [], "aspas": {}}`, `{"roas": [], "aspas": [1]}`, `{"roas": [], "aspas": [{"providers": "x"}]}`} {
		if _, _, err := LoadPayloads(strings.NewReader(bad), LoadOptions{}); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if !slices.Equal(p.VRPs, nil) {
		t.Errorf("VRPs %v", p.VRPs)
	}
}
