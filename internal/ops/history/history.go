// Package history keeps what peerform monitor observed of each intended
// BGP session in a small local file: since when a session is down, when it
// was last up, how often it flapped. prune reads it to find peers whose
// every session has been down for weeks. The file is bounded in size and
// entries, written atomically, and read only if it is a regular file.
package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// Limits of the file: a network with ten thousand sessions fits, and a
// corrupt or hostile file cannot make a reader allocate without bound.
const (
	MaxSessions = 20000
	MaxBytes    = 8 << 20
	// Forget drops a session not observed for this long (a peer long
	// removed from the repository).
	Forget = 400 * 24 * time.Hour
	// maxError bounds the router's last error kept per session.
	maxError = 200
)

// FormatVersion is the version of the file's layout.
const FormatVersion = 1

// Session is what is known of one session: a neighbor address on one of
// our routers.
type Session struct {
	Router   string     `json:"router"`
	Neighbor netip.Addr `json:"neighbor"`
	PeerASN  bgp.ASN    `json:"peer_asn"`
	// FirstSeen and LastSeen bound the observations.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// LastUp is the last observation of the session Established (zero:
	// never seen up).
	LastUp time.Time `json:"last_up,omitzero"`
	// DownSince is the first observation of the current down period
	// (zero while up).
	DownSince time.Time `json:"down_since,omitzero"`
	// Flaps counts the times the session was seen going down after being
	// up.
	Flaps     int    `json:"flaps"`
	LastError string `json:"last_error,omitempty"`
}

// DownFor is how long the session has been down at now, as observed; 0
// while it is up.
func (s Session) DownFor(now time.Time) time.Duration {
	if s.DownSince.IsZero() {
		return 0
	}
	return now.Sub(s.DownSince)
}

// History is the content of the file.
type History struct {
	FormatVersion int       `json:"format_version"`
	Sessions      []Session `json:"sessions"`
	// index finds a session by router and neighbor; nil until needed,
	// and again after the slice is reordered.
	index map[key]int
}

type key struct {
	router   string
	neighbor netip.Addr
}

func (h *History) find(router string, neighbor netip.Addr) int {
	if h.index == nil {
		h.index = make(map[key]int, len(h.Sessions))
		for i, s := range h.Sessions {
			h.index[key{s.Router, s.Neighbor}] = i
		}
	}
	if i, ok := h.index[key{router, neighbor}]; ok {
		return i
	}
	return -1
}

// Observation is one reading of a session's state.
type Observation struct {
	Router      string
	Neighbor    netip.Addr
	PeerASN     bgp.ASN
	Established bool
	Error       string // why it is down, as the router said
}

// Observe records an observation at now and reports whether it is a flap:
// a session seen up before and down now.
func (h *History) Observe(now time.Time, o Observation) (flap bool) {
	i := h.find(o.Router, o.Neighbor)
	if i < 0 {
		h.Sessions = append(h.Sessions, Session{Router: o.Router, Neighbor: o.Neighbor, PeerASN: o.PeerASN, FirstSeen: now})
		i = len(h.Sessions) - 1
		h.index[key{o.Router, o.Neighbor}] = i
	}
	s := &h.Sessions[i]
	if s.PeerASN != o.PeerASN {
		// Another peer on the address: its past is not this peer's.
		*s = Session{Router: o.Router, Neighbor: o.Neighbor, PeerASN: o.PeerASN, FirstSeen: now}
	}
	s.LastSeen = now
	if o.Established {
		s.LastUp, s.DownSince = now, time.Time{}
		return false
	}
	if len(o.Error) > maxError {
		o.Error = o.Error[:maxError]
	}
	s.LastError = o.Error
	if s.DownSince.IsZero() {
		s.DownSince = now
		if !s.LastUp.IsZero() {
			s.Flaps++
			return true
		}
	}
	return false
}

// Get returns what is recorded of one session.
func (h *History) Get(router string, neighbor netip.Addr) (Session, bool) {
	if i := h.find(router, neighbor); i >= 0 {
		return h.Sessions[i], true
	}
	return Session{}, false
}

// Peer returns the sessions recorded for a peer, by router and neighbor.
func (h *History) Peer(asn bgp.ASN) []Session {
	var out []Session
	for _, s := range h.Sessions {
		if s.PeerASN == asn {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, compare)
	return out
}

func compare(a, b Session) int {
	if a.Router != b.Router {
		if a.Router < b.Router {
			return -1
		}
		return 1
	}
	return a.Neighbor.Compare(b.Neighbor)
}

// ErrNotRegular is returned for a history path that is a symbolic link,
// a directory or a special file.
var ErrNotRegular = errors.New("not a regular file")

// Load reads a history file; a missing file is an empty history.
func Load(path string) (*History, error) {
	h := &History{FormatVersion: FormatVersion}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("history %s: %w", path, ErrNotRegular)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("history %s: larger than %d bytes", path, MaxBytes)
	}
	if err := json.Unmarshal(data, h); err != nil {
		return nil, fmt.Errorf("history %s: %w", path, err)
	}
	if h.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("history %s: format version %d, this peerform reads %d", path, h.FormatVersion, FormatVersion)
	}
	if len(h.Sessions) > MaxSessions {
		return nil, fmt.Errorf("history %s: %d sessions, more than %d", path, len(h.Sessions), MaxSessions)
	}
	return h, nil
}

// Save writes the history atomically (a temporary file renamed over the
// old one), after forgetting sessions not seen for Forget and, past
// MaxSessions, the least recently seen ones.
func (h *History) Save(path string, now time.Time) error {
	h.Sessions = slices.DeleteFunc(h.Sessions, func(s Session) bool { return now.Sub(s.LastSeen) > Forget })
	if len(h.Sessions) > MaxSessions {
		slices.SortStableFunc(h.Sessions, func(a, b Session) int { return b.LastSeen.Compare(a.LastSeen) })
		h.Sessions = h.Sessions[:MaxSessions]
	}
	slices.SortFunc(h.Sessions, compare)
	h.index = nil
	h.FormatVersion = FormatVersion
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("history %s: %w", path, ErrNotRegular)
	}
	data, err := json.MarshalIndent(h, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".history-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// DefaultPath is where monitor and prune keep the history unless told:
// the user's state directory.
func DefaultPath() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "peerform", "sessions.json")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "peerform", "sessions.json")
	}
	return "peerform-sessions.json"
}
