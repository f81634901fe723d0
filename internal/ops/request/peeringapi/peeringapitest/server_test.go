package peeringapitest

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// TestStrict: the fake refuses what the draft's schema does not allow,
// in the draft's error shape, so a client that passes it sends only that.
func TestStrict(t *testing.T) {
	s := New(t, 64504, "tok", 64500, map[string][]netip.Addr{"pdb:ix:1": {netip.MustParseAddr("192.0.2.14")}})
	good := `{"sessions": [{"local_asn": 64500, "local_ip": "192.0.2.1", "peer_asn": 64504, "peer_ip": "192.0.2.14",
		"local_bgp_role": 4, "peer_bgp_role": 4, "peer_type": "public", "location": {"id": "pdb:ix:1", "type": "public"}}]}`
	for _, c := range []struct {
		name, auth, ctype, body string
		want                    int
	}{
		{"no auth", "", "application/json", good, http.StatusUnauthorized},
		{"wrong token", "Bearer nope", "application/json", good, http.StatusForbidden},
		{"form body", "Bearer tok", "application/x-www-form-urlencoded", good, http.StatusUnsupportedMediaType},
		{"unknown field", "Bearer tok", "application/json", strings.Replace(good, `"peer_type"`, `"asn_path": [], "peer_type"`, 1), http.StatusBadRequest},
		{"bare array", "Bearer tok", "application/json", `[{"local_asn": 64500}]`, http.StatusBadRequest},
		{"client-set id", "Bearer tok", "application/json", strings.Replace(good, `"peer_type"`, `"session_id": "x", "peer_type"`, 1), http.StatusBadRequest},
		{"ok", "Bearer tok", "application/json; charset=utf-8", good, http.StatusOK},
		{"again", "Bearer tok", "application/json", good, http.StatusBadRequest},
	} {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/sessions", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.ctype)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ans struct {
			Errors struct {
				Errors []FieldError `json:"errors"`
			} `json:"errors"`
		}
		err = json.NewDecoder(resp.Body).Decode(&ans)
		resp.Body.Close()
		if resp.StatusCode != c.want || err != nil || (c.want != http.StatusOK) != (len(ans.Errors.Errors) > 0) {
			t.Errorf("%s: %d (%v) %+v, want %d", c.name, resp.StatusCode, err, ans, c.want)
		}
	}
}
