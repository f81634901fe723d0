package irr

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/peerform/peerform/internal/core/bgp"
)

// DefaultServer is the IRR server used when none is configured.
const DefaultServer = "whois.radb.net:43"

// Options configure a Client. Zero values take the defaults noted.
type Options struct {
	// Servers are tried in order (default DefaultServer): a run moves
	// on to the next one whenever the one in use fails — cannot be
	// reached, refuses the handshake, breaks off a reply, stays silent
	// for QueryTimeout, or answers a query with an error ("F") — and asks
	// it what is still unanswered. Each is "host:port".
	Servers []string
	// DB, if not nil, answers every query in process instead of a
	// server (Servers, Conns and Cache are then not used): a snapshot of
	// IRR data loaded with LoadSnapshots. Everything else, results,
	// warnings and limits included, is as against a server holding the
	// same objects.
	DB *DB
	// Sources is the IRR source order ("RIPE", "RADB", …); empty means
	// the server's default (with a DB: all its sources, in the order
	// they were first read). With a DB, every source named must be in it.
	Sources []string
	// QueryTimeout bounds how long a server may stay silent while an
	// answer is awaited (default 15s): each read from it has this
	// deadline, so a large reply may take as long as it streams.
	// TotalTimeout bounds a whole Expand call (default 5m).
	QueryTimeout, TotalTimeout time.Duration
	// MaxDepth limits how deep nested AS-SETs are followed: 1 means the
	// root set's own members only. 0 (the default) leaves the recursion to
	// the server, which is faster; a limit, like a "SOURCE::SET"
	// reference, makes the client walk the sets itself.
	MaxDepth int
	// MaxMembers bounds the ASNs (and, when walking, sets) one expansion
	// may reach (default 100,000); MaxPrefixes bounds the prefixes of each
	// family (default 1,000,000). An expansion over a limit fails.
	MaxMembers, MaxPrefixes int
	// MaxReplyBytes bounds one server reply (default 64 MiB, several
	// times the largest real AS-SET's prefix list).
	MaxReplyBytes int
	// Conns is the number of parallel connections (default 4).
	Conns int
	// NoA turns off the "!a" query even where the server has it, so
	// prefixes are asked per member AS and shared members are asked once.
	NoA bool
	// AllowASN are the classes of AS numbers, besides public ones, that
	// the network lets peers use (its allow_peer_asn): members of these
	// classes stay in a set. Every other bogon ASN a set holds
	// (bgp.BogonASNRangesAllowing: reserved, private, documentation,
	// IANA-reserved) is dropped with its prefixes and reported in a
	// warning, as bgpq4 drops private ASNs and as the renderers' bogon-ASN
	// filter would reject their routes anyway.
	AllowASN []bgp.Class
	// Cache, if not nil, keeps answers on disk between runs.
	Cache *Cache
	// Logger receives debug logs; nil means none.
	Logger *slog.Logger
}

// Client expands AS-SETs through the IRRd whois protocol. It is safe for
// concurrent use; every Expand call opens its own connections.
type Client struct {
	opts   Options
	log    *slog.Logger
	srvKey string // servers and sources, the first part of cache keys
}

// New checks the options and returns a client.
func New(opts Options) (*Client, error) {
	if opts.DB != nil {
		opts.Servers, opts.Cache = nil, nil
	} else if len(opts.Servers) == 0 {
		opts.Servers = []string{DefaultServer}
	}
	for _, s := range opts.Servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return nil, fmt.Errorf("IRR server %q: want host:port: %w", s, err)
		}
	}
	opts.Sources = slices.Clone(opts.Sources)
	for i, s := range opts.Sources {
		up := strings.ToUpper(strings.TrimSpace(s))
		if !isSourceName(up) {
			return nil, fmt.Errorf("IRR source %q: use letters, digits and '-'", s)
		}
		opts.Sources[i] = up
	}
	if opts.DB != nil {
		if err := checkSources(opts.DB, opts.Sources); err != nil {
			return nil, err
		}
	}
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&opts.QueryTimeout, 15*time.Second)
	def(&opts.TotalTimeout, 5*time.Minute)
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt(&opts.MaxMembers, 100_000)
	defInt(&opts.MaxPrefixes, 1_000_000)
	defInt(&opts.MaxReplyBytes, 64<<20)
	defInt(&opts.Conns, 4)
	opts.Conns = min(opts.Conns, 32)
	if opts.MaxDepth < 0 {
		opts.MaxDepth = 0
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{
		opts: opts, log: log.With("component", "irr"),
		srvKey: strings.Join(opts.Servers, ",") + " " + strings.Join(opts.Sources, ","),
	}, nil
}

func isSourceName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Result is the expansion of one AS-SET (or AS) for one peer. Its slices
// may share memory with other Results of the same Expand call: treat them
// as read-only.
//
// A filter built from it must deny everything of a family whose list is
// empty: when Err is set both lists are empty, and an empty list never
// means "accept all".
type Result struct {
	// ASNs are the member AS numbers, sorted.
	ASNs []bgp.ASN
	// V4 and V6 are the distinct prefixes registered for those ASNs,
	// masked and sorted. Aggregate shortens them into ranges.
	V4, V6 []netip.Prefix
	// Warnings describe what was skipped or looks wrong, in sentences
	// that do not repeat the reference; one peer's warnings never affect
	// another peer.
	Warnings []string
	// Err is why the expansion failed; the prefix lists are then empty.
	Err error
	// Source says where the data came from: the server or snapshot,
	// and the sources.
	Source string
	// Fetched is when the oldest answer used was fetched (from the server
	// or, earlier, into the cache); zero if no server was asked.
	Fetched time.Time
}

// Errors an expansion can fail with (wrapped, test with errors.Is).
var (
	// ErrNotFound: the AS-SET does not exist in the selected sources.
	ErrNotFound = errors.New("not found in the IRR")
	// ErrLimit: the expansion is larger than the configured limits.
	ErrLimit = errors.New("exceeds the configured limit")
)
