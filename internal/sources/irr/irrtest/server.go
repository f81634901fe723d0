// Package irrtest runs a small IRRd-protocol server for tests: the whois
// "!" queries bgpq4 and peerform's irr client send (!!, !n, !s, !a, !i, !g,
// !6, !q), answered from an irr.DB with IRRd 4's reply framing (the DB
// answers each query; the server keeps the connection's state). It can
// add a fixed latency to every round trip, so that a loopback test behaves
// like a remote IRR server. ExampleDB holds the example repository's IRR
// data, and Generator makes large synthetic data sets.
//
// It is a test fixture, not an IRR server: it keeps no history, has no
// RIPE-style queries, ignores mbrs-by-ref and route-sets, and trusts its DB.
package irrtest

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peerform/peerform/internal/sources/irr"
)

// Options change how a Server behaves.
type Options struct {
	// Latency is added to every round trip: each reply is sent no earlier
	// than Latency after its query arrived (replies keep their order, so a
	// pipelining client pays it once per batch), and a new connection
	// waits Latency before its first query is read, like a TCP handshake.
	Latency time.Duration
	// NoA makes the server answer like one without the !a query.
	NoA bool
	// NoSourceList makes "!s-lc" answer "D", like a server that does not
	// list its sources.
	NoSourceList bool
	// Logger receives one debug line per query; nil means no logging.
	Logger *slog.Logger
}

// maxQueryLen bounds a query line; IRRd's own limit is of the same order.
const maxQueryLen = 4096

// Server is a running test server. Its methods are safe for concurrent use.
type Server struct {
	// Addr is the "host:port" the server listens on.
	Addr string

	db   *irr.DB
	opts Options
	ln   net.Listener
	wg   sync.WaitGroup

	mu      sync.Mutex
	conns   map[net.Conn]bool
	queries []string
	nconns  int
	maxPipe int               // most queries waiting for their reply on one connection
	memo    map[string][]byte // selected sources + query → reply bytes
	closed  bool
}

// Start listens on a free loopback port and stops the server when the
// test ends.
func Start(tb testing.TB, db *irr.DB, opts Options) *Server {
	tb.Helper()
	s, err := Listen("127.0.0.1:0", db, opts)
	if err != nil {
		tb.Fatalf("irrtest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Listen starts a server on addr ("127.0.0.1:0" picks a free port).
func Listen(addr string, db *irr.DB, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{
		Addr: ln.Addr().String(), db: db, opts: opts, ln: ln,
		conns: map[net.Conn]bool{}, memo: map[string][]byte{},
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Close stops the server and closes every connection.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

// Queries returns every query received so far, in arrival order per
// connection (connections interleave).
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

// Connections counts the connections accepted so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nconns
}

// MaxPipelined is the largest number of queries one connection had sent
// and not yet been answered: more than 1 means the client pipelines.
func (s *Server) MaxPipelined() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxPipe
}

// ResetLog forgets the recorded queries and connection count.
func (s *Server) ResetLog() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries, s.nconns, s.maxPipe = nil, 0, 0
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.nconns++
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// pending is a reply waiting for its due time.
type pending struct {
	due   time.Time
	reply []byte
	last  bool // close the connection after this reply
}

func (s *Server) serve(c net.Conn) {
	if s.opts.Latency > 0 {
		time.Sleep(s.opts.Latency)
	}
	out := make(chan pending, 1<<16)
	done := make(chan struct{})
	var waiting atomic.Int64 // queries read and not yet answered
	go func() {
		defer close(done)
		s.write(c, out, &waiting)
	}()
	defer func() {
		close(out)
		<-done
	}()

	br := bufio.NewReaderSize(c, 64*1024)
	sess := &session{srv: s, sources: s.db.Sources()}
	first := true
	for {
		line, err := readLine(br)
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				out <- pending{due: time.Now(), reply: []byte("F Query too long\n"), last: true}
			}
			return
		}
		arrived := time.Now()
		s.mu.Lock()
		s.queries = append(s.queries, line)
		s.mu.Unlock()
		if s.opts.Logger != nil {
			s.opts.Logger.Debug("irrtest query", "remote", c.RemoteAddr().String(), "query", line)
		}
		if line == "!q" {
			return
		}
		if line == "!!" {
			sess.persistent = true
			first = false
			continue
		}
		reply := sess.answer(line)
		if n := int(waiting.Add(1)); n > 1 {
			s.mu.Lock()
			s.maxPipe = max(s.maxPipe, n)
			s.mu.Unlock()
		}
		last := first && !sess.persistent
		first = false
		out <- pending{due: arrived.Add(s.opts.Latency), reply: reply, last: last}
		if last {
			return
		}
	}
}

func (s *Server) write(c net.Conn, out <-chan pending, waiting *atomic.Int64) {
	bw := bufio.NewWriterSize(c, 64*1024)
	for p := range out {
		// Replies due within a millisecond go out now, together, as a
		// network delivers back-to-back packets; sleeping for each one
		// would add the scheduler's delay per reply, not per round trip.
		if d := time.Until(p.due); d > time.Millisecond {
			if bw.Flush() != nil {
				break
			}
			time.Sleep(d)
		}
		if _, err := bw.Write(p.reply); err != nil {
			break
		}
		waiting.Add(-1)
		if len(out) == 0 || p.last {
			if bw.Flush() != nil {
				break
			}
		}
		if p.last {
			break
		}
	}
	bw.Flush()
	// Drain so the reader never blocks on a dead connection.
	for range out {
	}
}

var errLineTooLong = errors.New("query line too long")

func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, chunk...)
		if len(b) > maxQueryLen {
			return "", errLineTooLong
		}
		if !isPrefix {
			return strings.TrimSpace(string(b)), nil
		}
	}
}

// session is one connection's state.
type session struct {
	srv        *Server
	sources    []string
	persistent bool
}

func (ss *session) answer(q string) []byte {
	switch {
	case strings.HasPrefix(q, "!n"), strings.HasPrefix(q, "!t"):
		return []byte("C\n")
	case q == "!s-lc":
		if ss.srv.opts.NoSourceList {
			return []byte("D\n")
		}
		return dataReply(strings.Join(ss.sources, ","))
	case strings.HasPrefix(q, "!s"):
		var sel []string
		for _, src := range strings.Split(q[2:], ",") {
			src = strings.ToUpper(strings.TrimSpace(src))
			if !ss.srv.db.HasSource(src) {
				return fmt.Appendf(nil, "F Invalid source %s\n", src)
			}
			sel = append(sel, src)
		}
		ss.sources = sel
		return []byte("C\n")
	}
	key := strings.Join(ss.sources, ",") + " " + q
	ss.srv.mu.Lock()
	r, ok := ss.srv.memo[key]
	ss.srv.mu.Unlock()
	if ok {
		return r
	}
	r = ss.compute(q)
	ss.srv.mu.Lock()
	ss.srv.memo[key] = r
	ss.srv.mu.Unlock()
	return r
}

func (ss *session) compute(q string) []byte {
	if ss.srv.opts.NoA && strings.HasPrefix(q, "!a") {
		return []byte("F Unrecognized command\n")
	}
	return ss.srv.db.WhoisAnswer(ss.sources, q)
}

// dataReply frames data as IRRd 4 does: "A<n>\n<data>\nC\n", where n
// counts the data and its trailing newline.
func dataReply(data string) []byte {
	b := make([]byte, 0, len(data)+16)
	b = append(b, 'A')
	b = strconv.AppendInt(b, int64(len(data)+1), 10)
	b = append(b, '\n')
	b = append(b, data...)
	b = append(b, "\nC\n"...)
	return b
}
