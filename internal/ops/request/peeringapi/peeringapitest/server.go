// Package peeringapitest is a strict fake of a network's Peering API
// (draft-ietf-grow-peering-api; OpenAPI definition in bgp/autopeer,
// api/openapi.yaml): POST /sessions and GET /sessions/{session_id}, the
// calls peerform makes. It refuses what a careful server would: a
// missing or wrong bearer token, a body that is not application/json, an
// unknown field, a requester other than the token's AS, an address or
// location it does not know, roles that contradict each other (RFC 9234);
// errors come in the draft's shape, and it can answer 429 with
// Retry-After.
package peeringapitest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Session is the draft's BGP Session as the server reads it; every
// field the draft names is known, anything else is refused.
type Session struct {
	LocalASN               *uint32   `json:"local_asn"`
	LocalIP                string    `json:"local_ip"`
	PeerASN                *uint32   `json:"peer_asn"`
	PeerIP                 string    `json:"peer_ip"`
	LocalBGPRole           *int      `json:"local_bgp_role"`
	PeerBGPRole            *int      `json:"peer_bgp_role"`
	LocalInsertASN         *bool     `json:"local_insert_asn,omitempty"`
	PeerInsertASN          *bool     `json:"peer_insert_asn,omitempty"`
	LocalMonitoringSession *bool     `json:"local_monitoring_session,omitempty"`
	PeerMonitoringSession  *bool     `json:"peer_monitoring_session,omitempty"`
	PeerType               string    `json:"peer_type"`
	MD5                    string    `json:"md5,omitempty"`
	SessionSecret          string    `json:"session_secret,omitempty"`
	Location               *Location `json:"location"`
	Status                 string    `json:"status,omitempty"`
	SessionID              string    `json:"session_id,omitempty"`
}

// Location is a peering location.
type Location struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// FieldError is the draft's error entry.
type FieldError struct {
	Name   string   `json:"name"`
	Errors []string `json:"errors"`
}

// Server is a running fake.
type Server struct {
	URL string

	mu         sync.Mutex
	asn        uint32
	token      string
	clientASN  uint32
	addrs      map[string][]netip.Addr // location id → our addresses there
	sessions   []*Session
	throttle   int
	retryAfter string
	statuses   []string // what successive reads of a session say
	reads      map[string]int
	requests   []string
}

// New starts a fake Peering API of the network asn, which accepts the
// bearer token as the network clientASN and has the addresses at each
// location ("pdb:ix:90001" → its addresses on that LAN). A session read
// reports the statuses in turn ("pending", "established"), the last one
// from then on.
func New(t testing.TB, asn uint32, token string, clientASN uint32, addrs map[string][]netip.Addr, statuses ...string) *Server {
	if len(statuses) == 0 {
		statuses = []string{"pending"}
	}
	s := &Server{asn: asn, token: token, clientASN: clientASN, addrs: addrs, statuses: statuses, reads: map[string]int{}}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	s.URL = ts.URL + "/v0.1"
	return s
}

// Throttle makes the next n requests answer 429 with Retry-After.
func (s *Server) Throttle(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle, s.retryAfter = n, retryAfter
}

// Requests lists "METHOD path" of every request received.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Sessions returns the sessions accepted so far.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, len(s.sessions))
	for i, x := range s.sessions {
		out[i] = *x
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// fail answers in the draft's ErrorResponse shape:
// {"errors": {"errors": [{"name": …, "errors": […]}]}}.
func fail(w http.ResponseWriter, code int, name, format string, args ...any) {
	writeJSON(w, code, map[string]any{"errors": map[string]any{"errors": []FieldError{{Name: name, Errors: []string{fmt.Sprintf(format, args...)}}}}})
}

var sessionPath = regexp.MustCompile(`^/v0\.1/sessions/([^/]+)$`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.Method+" "+r.URL.Path)
	if s.throttle > 0 {
		s.throttle--
		w.Header().Set("Retry-After", s.retryAfter)
		fail(w, http.StatusTooManyRequests, "request", "slow down")
		return
	}
	auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case !ok:
		w.Header().Set("WWW-Authenticate", `Bearer realm="peering-api"`)
		fail(w, http.StatusUnauthorized, "authorization", "a bearer token is required")
		return
	case auth != s.token:
		fail(w, http.StatusForbidden, "authorization", "the token is not valid")
		return
	}
	switch {
	case r.URL.Path == "/v0.1/sessions" && r.Method == http.MethodPost:
		s.create(w, r)
	case sessionPath.MatchString(r.URL.Path) && r.Method == http.MethodGet:
		s.get(w, sessionPath.FindStringSubmatch(r.URL.Path)[1])
	case r.URL.Path == "/v0.1/sessions" || sessionPath.MatchString(r.URL.Path):
		fail(w, http.StatusMethodNotAllowed, "method", "%s is not allowed here", r.Method)
	default:
		fail(w, http.StatusNotFound, "path", "no such resource %s", r.URL.Path)
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		fail(w, http.StatusUnsupportedMediaType, "content-type", "want application/json, got %q", r.Header.Get("Content-Type"))
		return
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	var body struct {
		Sessions []*Session `json:"sessions"`
	}
	if err := dec.Decode(&body); err != nil {
		fail(w, http.StatusBadRequest, "body", "%v", err)
		return
	}
	if dec.More() {
		fail(w, http.StatusBadRequest, "body", "trailing data after the request")
		return
	}
	if len(body.Sessions) == 0 {
		fail(w, http.StatusBadRequest, "sessions", "no session requested")
		return
	}
	var accepted []*Session
	var rejected []FieldError
	for i, x := range body.Sessions {
		if field, msg := s.check(x); field != "" {
			if field == "local_asn" {
				fail(w, http.StatusForbidden, field, "%s", msg) // not the token's network: nothing is done
				return
			}
			rejected = append(rejected, FieldError{Name: fmt.Sprintf("sessions[%d].%s", i, field), Errors: []string{msg}})
			continue
		}
		x.SessionID = "sess-" + strconv.Itoa(len(s.sessions)+1)
		x.Status = "pending"
		s.sessions = append(s.sessions, x)
		accepted = append(accepted, x)
	}
	if len(accepted) == 0 {
		writeJSON(w, http.StatusBadRequest, map[string]any{"errors": map[string]any{"errors": rejected}})
		return
	}
	ans := map[string]any{"sessions": accepted}
	if len(rejected) > 0 {
		ans["errors"] = map[string]any{"errors": rejected}
	}
	writeJSON(w, http.StatusOK, ans)
}

// check returns the field that is wrong and why, or "".
func (s *Server) check(x *Session) (string, string) {
	switch {
	case x.SessionID != "" || x.Status != "":
		return "session_id", "set by the server"
	case x.LocalASN == nil || *x.LocalASN != s.clientASN:
		return "local_asn", fmt.Sprintf("the token speaks for AS%d", s.clientASN)
	case x.PeerASN == nil || *x.PeerASN != s.asn:
		return "peer_asn", fmt.Sprintf("this is AS%d", s.asn)
	case x.PeerType != "public":
		return "peer_type", "only public peering here"
	case x.Location == nil || !regexp.MustCompile(`^pdb:ix:[1-9][0-9]*$`).MatchString(x.Location.ID) || x.Location.Type != "public":
		return "location", "want {id: pdb:ix:<id>, type: public}"
	case x.LocalBGPRole == nil || x.PeerBGPRole == nil || !roleCorrect(*x.LocalBGPRole, *x.PeerBGPRole):
		return "local_bgp_role", "roles must be a correct RFC 9234 pair"
	}
	local, err1 := netip.ParseAddr(x.LocalIP)
	peer, err2 := netip.ParseAddr(x.PeerIP)
	if err1 != nil || err2 != nil || local.Is4() != peer.Is4() || local.Zone() != "" || peer.Zone() != "" {
		return "peer_ip", "local_ip and peer_ip must be addresses of one family"
	}
	ours, ok := s.addrs[x.Location.ID]
	if !ok {
		return "location", "we are not at " + x.Location.ID
	}
	if !slices.Contains(ours, peer) {
		return "peer_ip", fmt.Sprintf("%s is not ours at %s", peer, x.Location.ID)
	}
	for _, have := range s.sessions {
		if have.PeerIP == x.PeerIP && have.LocalIP == x.LocalIP {
			return "peer_ip", "session exists already as " + have.SessionID
		}
	}
	return "", ""
}

// roleCorrect: RFC 9234 section 4.2's pairs.
func roleCorrect(a, b int) bool {
	pairs := [][2]int{{0, 3}, {3, 0}, {1, 2}, {2, 1}, {4, 4}}
	return slices.Contains(pairs, [2]int{a, b})
}

func (s *Server) find(id string) *Session {
	for _, x := range s.sessions {
		if x.SessionID == id {
			return x
		}
	}
	return nil
}

func (s *Server) get(w http.ResponseWriter, id string) {
	x := s.find(id)
	if x == nil {
		fail(w, http.StatusNotFound, "session_id", "no session %q", id)
		return
	}
	n := s.reads[id]
	s.reads[id]++
	x.Status = s.statuses[min(n, len(s.statuses)-1)]
	writeJSON(w, http.StatusOK, x)
}
