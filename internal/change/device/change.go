package device

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/change/linediff"
)

// ErrLocked means another run holds the router's change lock and its
// confirm deadline has not passed: nothing was changed.
var ErrLocked = errors.New("locked by another change")

// ReasonMaxPrefix is Session.Reason for a session the router shut down
// because the neighbor sent more routes than its max-prefix limit. The
// router does not bring it back by itself (unless policy says restart).
const ReasonMaxPrefix = "max-prefix exceeded"

// ErrConnection marks an error where the management session was lost or
// could not be opened (refused, unreachable, timed out, authentication
// failed), as opposed to the router refusing a change (ErrRejected).
var ErrConnection = errors.New("management connection failed")

// Leftover is an unfinished change found on a router: an earlier run
// locked it and neither confirmed nor rolled back (it crashed, or lost the
// connection for good). The router may run a mix of old and new config
// until the change is converged: the next Apply does that.
type Leftover struct {
	Run      string    // the run that left it
	Deadline time.Time // when its confirm timer expired (or expires)
	Detail   string    // what was found, for the operator
}

func (l *Leftover) String() string {
	return fmt.Sprintf("unfinished change by run %s (confirm deadline %s): %s", l.Run, l.Deadline.Format(time.RFC3339), l.Detail)
}

// LeftoverReporter is implemented by drivers whose commit-confirm state
// lives on the router where a later run can find it (FRR's lock route-map,
// BIRD's lock and pending files).
type LeftoverReporter interface {
	// Leftover returns the unfinished change on the router, or nil.
	Leftover(ctx context.Context) (*Leftover, error)
}

// DriftReporter is implemented by drivers that can tell whether the
// router runs the config peerform last confirmed on it (BIRD's config
// identity, FRR's deployed marker).
type DriftReporter interface {
	// Drift says how the router's config departs from the one peerform
	// last confirmed on it (changed by hand, an undo, a change left
	// half-done), or "" when it runs that config or none was ever
	// confirmed by peerform.
	Drift(ctx context.Context) (string, error)
}

// Normalizer is implemented by drivers whose Running returns a canonical
// form of the config: Normalize turns a rendered config into that form, so
// that "did anything change" is a byte comparison.
type Normalizer interface {
	Normalize(cfg string) (string, error)
}

// SecretFinder is implemented by drivers that know where their
// platform's configuration holds keys: Secrets lists the keys a config in
// Running's form holds. deploy hides them wherever it shows text, so no
// diff, log or report shows a key the router has (the old one, after a
// secret was changed or removed), which deploy could not know otherwise.
type SecretFinder interface {
	Secrets(cfg string) []string
}

// findSecrets returns group 1 of every match of re in cfg, without the
// double quotes around it.
func findSecrets(re *regexp.Regexp, cfg string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(cfg, -1) {
		v := m[1]
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// lockNote is what a change lock on a router says: which run holds it and
// until when. It is one line, "peerform run=<id> until=<RFC 3339>".
type lockNote struct {
	run   string
	until time.Time
}

func newLockNote(confirmTimeout time.Duration) lockNote {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return lockNote{run: hex.EncodeToString(b), until: time.Now().Add(confirmTimeout).UTC().Truncate(time.Second)}
}

func (n lockNote) String() string {
	return fmt.Sprintf("peerform run=%s until=%s", n.run, n.until.Format(time.RFC3339))
}

// parseLockNote reads a lock note; anything unreadable counts as a lock
// whose deadline has passed, so that a damaged lock never blocks forever.
func parseLockNote(s string) lockNote {
	var n lockNote
	for _, f := range strings.Fields(s) {
		if v, ok := strings.CutPrefix(f, "run="); ok {
			n.run = v
		}
		if v, ok := strings.CutPrefix(f, "until="); ok {
			n.until, _ = time.Parse(time.RFC3339, v)
		}
	}
	if n.run == "" {
		n.run = "unknown"
	}
	return n
}

// held reports whether the lock is still within its confirm deadline.
func (n lockNote) held(now time.Time) bool { return now.Before(n.until) }

// lineDiff lists the lines want drops ("-") and got adds ("+"), at most
// 40 of them: enough to see what a router changed.
func lineDiff(want, got string) string {
	out := linediff.Changes(want, got)
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("… and %d more lines", len(out)-40))
	}
	return strings.Join(out, "\n")
}

// sortSessions orders sessions by neighbor address, IPv4 first.
func sortSessions(s []Session) {
	slices.SortFunc(s, func(a, b Session) int { return a.Neighbor.Compare(b.Neighbor) })
}
