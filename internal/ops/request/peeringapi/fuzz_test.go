package peeringapi

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzAnswer: whatever a server answers to POST /sessions, what the client
// keeps is bounded and printable, and every session id is one it would
// put into a URL.
func FuzzAnswer(f *testing.F) {
	for _, s := range []string{
		`{"sessions": [{"session_id": "s-1", "status": "pending"}], "errors": {"errors": [{"name": "peer_ip", "errors": ["no"]}]}}`,
		`{"errors": [{"name": "peer_asn", "messages": ["asn not available at that location"]}]}`,
		`{"sessions": [{"session_id": "../x", "status": "\u0000\u001b[2J"}]}`, `{"errors": 5}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ans struct {
			Sessions []Session      `json:"sessions"`
			Errors   errorsEnvelope `json:"errors"`
		}
		if json.Unmarshal(data, &ans) != nil {
			return
		}
		for i := range ans.Sessions {
			if checkSession(&ans.Sessions[i]) != nil {
				continue
			}
			s := ans.Sessions[i]
			if !sessionID.MatchString(s.SessionID) || len(s.Status) > maxText || !utf8.ValidString(s.Status) || strings.ContainsFunc(s.Status, unicode.IsControl) {
				t.Fatalf("kept %+v", s)
			}
		}
		for _, fe := range ans.Errors.fields() {
			for _, m := range append(fe.Errors, fe.Name) {
				if len(m) > maxText || !utf8.ValidString(m) || strings.ContainsFunc(m, unicode.IsControl) {
					t.Fatalf("kept %q", m)
				}
			}
		}
	})
}
