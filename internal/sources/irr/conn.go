package irr

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"strings"
	"sync"
	"time"
)

// query is one whois query and the sources it runs under.
type query struct {
	// Sources is a comma-separated source list for "!s", or empty for the
	// client's default sources.
	Sources string
	// Text is the query without its newline, e.g. "!iAS-FOO,1".
	Text string
}

// family is the address family of the prefixes a query asks for, or 0
// for a query that returns no prefixes.
func (q query) family() int {
	switch {
	case strings.HasPrefix(q.Text, "!g"), strings.HasPrefix(q.Text, "!a4"):
		return 4
	case strings.HasPrefix(q.Text, "!6"), strings.HasPrefix(q.Text, "!a6"):
		return 6
	}
	return 0
}

// answer is a query's reply, or why there is none.
type answer struct {
	reply
	Err error
}

// window bounds the queries written ahead of their replies on one
// connection. It keeps a slow server's backlog, and our memory, bounded
// while hiding many round trips.
const window = 512

// conn is one persistent ("!!") connection to a server.
type conn struct {
	nc   net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	addr string
	// sel is the source list currently selected on the server; def is
	// what an empty query.Sources means on this connection.
	sel, def string
}

// dialConn connects and performs the handshake: persistent mode, client
// id, the server's source list and, if given, our own source selection.
// The handshake is pipelined: it costs one round trip.
func dialConn(ctx context.Context, addr, sources string, timeout time.Duration) (*conn, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &conn{nc: nc, br: bufio.NewReaderSize(idleReader{nc, timeout}, 256*1024), bw: bufio.NewWriterSize(nc, 32*1024), addr: addr}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	nc.SetDeadline(time.Now().Add(timeout))
	defer nc.SetDeadline(time.Time{})
	fmt.Fprintf(c.bw, "!!\n!npeerform\n!s-lc\n")
	if sources != "" {
		fmt.Fprintf(c.bw, "!s%s\n", sources)
	}
	if err := c.bw.Flush(); err != nil {
		nc.Close()
		return nil, ctxErr(ctx, err)
	}
	fail := func(err error) (*conn, error) {
		nc.Close()
		return nil, ctxErr(ctx, err)
	}
	// IRRd answers "!n" with "C"; accept any well-formed reply.
	if _, err := readReply(c.br, maxHeaderLen); err != nil {
		return fail(fmt.Errorf("handshake: %w", err))
	}
	r, err := readReply(c.br, 64*1024)
	if err != nil {
		return fail(fmt.Errorf("handshake (!s-lc): %w", err))
	}
	if r.Kind == KindData {
		c.sel = strings.TrimSpace(string(r.Data))
	}
	if sources != "" {
		r, err := readReply(c.br, maxHeaderLen)
		if err != nil {
			return fail(fmt.Errorf("handshake (!s%s): %w", sources, err))
		}
		if r.Kind != KindOK {
			nc.Close()
			return nil, &ServerError{Query: "!s" + sources, Msg: r.String()}
		}
		c.sel = sources
	}
	c.def = c.sel
	return c, nil
}

// idleReader gives every read from the server a deadline: a server
// that stays silent that long has failed, however long a reply that
// keeps arriving takes.
type idleReader struct {
	nc   net.Conn
	idle time.Duration
}

func (r idleReader) Read(p []byte) (int, error) {
	if err := r.nc.SetReadDeadline(time.Now().Add(r.idle)); err != nil {
		return 0, err
	}
	return r.nc.Read(p)
}

func (c *conn) close() {
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.bw.WriteString("!q\n")
	c.bw.Flush()
	c.nc.Close()
}

// inflight is a query written and not yet answered.
type inflight struct {
	idx     int    // index into the batch; -1 for a source switch
	sources string // the "!s" argument of a source switch
	err     error  // not sent: the answer is this error
}

var errNoSourceList = errors.New(`the server does not list its sources (no answer to "!s-lc"), so a SOURCE:: reference cannot be asked without losing the default sources; set the sources explicitly`)

// work answers queries taken from queue on this connection, pipelined,
// until the queue is empty, and stores each answer in ans. On a
// connection failure it returns the error and the indexes that were taken
// but not answered; the connection is then closed.
func (c *conn) work(ctx context.Context, qs []query, queue <-chan int, ans []answer, maxData int) (lost []int, err error) {
	stopClose := context.AfterFunc(ctx, func() { c.nc.Close() })
	defer stopClose()

	pending := make(chan inflight, window+1)
	slots := make(chan struct{}, window)
	stop := make(chan struct{})
	var writeErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(pending)
		writeErr = c.writeQueries(qs, queue, pending, slots, stop)
		if writeErr != nil {
			c.nc.Close() // so that the reader stops waiting
		}
	}()

	var readErr error
	for it := range pending {
		if readErr != nil {
			if it.idx >= 0 {
				lost = append(lost, it.idx)
			}
			continue
		}
		if it.err != nil {
			ans[it.idx] = answer{Err: it.err}
			<-slots
			continue
		}
		r, err := readReply(c.br, maxData)
		if err == nil && it.idx < 0 && r.Kind != KindOK {
			err = &ServerError{Query: "!s" + it.sources, Msg: r.String()}
		}
		if err != nil {
			readErr = err
			close(stop)
			c.nc.Close()
			if it.idx >= 0 {
				lost = append(lost, it.idx)
			}
			continue
		}
		if it.idx >= 0 {
			ans[it.idx] = answer{reply: r}
		}
		<-slots
	}
	wg.Wait()
	if writeErr != nil {
		readErr = writeErr // the cause; the reader only saw the close
	}
	if readErr != nil {
		return lost, ctxErr(ctx, readErr)
	}
	return nil, nil
}

// writeQueries is work's writer half. It flushes whenever it would wait,
// so the server always sees every query that can be answered.
func (c *conn) writeQueries(qs []query, queue <-chan int, pending chan<- inflight, slots chan struct{}, stop <-chan struct{}) error {
	take := func() (int, bool) {
		select {
		case i, ok := <-queue:
			return i, ok
		default:
		}
		if err := c.bw.Flush(); err != nil {
			return -1, false
		}
		select {
		case i, ok := <-queue:
			return i, ok
		case <-stop:
			return -1, false
		}
	}
	acquire := func() bool {
		select {
		case slots <- struct{}{}:
			return true
		default:
		}
		if c.bw.Flush() != nil {
			return false
		}
		select {
		case slots <- struct{}{}:
			return true
		case <-stop:
			return false
		}
	}
	for {
		if !acquire() {
			return nil
		}
		i, ok := take()
		if !ok {
			return c.bw.Flush()
		}
		q := qs[i]
		want := q.Sources
		if want == "" {
			want = c.def
		}
		if q.Sources != "" && c.def == "" {
			// The server did not list its default sources, so there
			// would be no going back to them after a "SOURCE::" query.
			pending <- inflight{idx: i, err: errNoSourceList}
			continue
		}
		if want != c.sel {
			c.bw.WriteString("!s" + want + "\n")
			pending <- inflight{idx: -1, sources: want}
			c.sel = want
			if !acquire() {
				pending <- inflight{idx: i}
				return nil
			}
		}
		c.bw.WriteString(q.Text)
		if err := c.bw.WriteByte('\n'); err != nil {
			pending <- inflight{idx: i}
			return err
		}
		pending <- inflight{idx: i}
	}
}

// ctxErr prefers the context's error: after a cancel or the total timeout
// the connection error is only a consequence.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// ServerError is an "F" (or otherwise unexpected) reply to a query whose
// answer was needed.
type ServerError struct {
	Query string
	Msg   string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("server refused %q: %s", e.Query, e.Msg)
}

func (r reply) String() string {
	switch r.Kind {
	case KindError:
		return "F " + r.Msg
	case KindData:
		return fmt.Sprintf("A%d", len(r.Data)+1)
	default:
		return string(r.Kind)
	}
}

// pool holds the connections of one expansion run to one server list.
type pool struct {
	servers  []string
	sources  string // Options.Sources, comma-separated
	conns    int
	qTimeout time.Duration
	maxData  int

	mu     sync.Mutex
	idle   []*conn
	server int          // index of the server in use
	failed map[int]bool // servers left for failing in this run
}

// get returns an idle connection or dials the server in use, moving on
// to the next server when one cannot be reached or refuses the handshake.
func (p *pool) get(ctx context.Context) (*conn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	start, failed := p.server, maps.Clone(p.failed)
	p.mu.Unlock()
	var errs []error
	for k := range p.servers {
		i := (start + k) % len(p.servers)
		if failed[i] && len(failed) < len(p.servers) {
			continue // a server that failed is asked again only when all have
		}
		c, err := dialConn(ctx, p.servers[i], p.sources, p.qTimeout)
		if err == nil {
			p.mu.Lock()
			p.server = i
			p.mu.Unlock()
			return c, nil
		}
		if ctx.Err() != nil {
			return nil, ctxErr(ctx, err)
		}
		errs = append(errs, fmt.Errorf("%s: %w", p.servers[i], err))
	}
	return nil, errors.Join(errs...)
}

func (p *pool) put(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.idle = append(p.idle, c)
}

// failOver leaves the server in use, which failed to answer: its idle
// connections are closed and the next server is used from now on.
func (p *pool) failOver() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.failed == nil {
		p.failed = map[int]bool{}
	}
	p.failed[p.server] = true
	for _, c := range p.idle {
		c.close()
	}
	p.idle = nil
	p.server = (p.server + 1) % len(p.servers)
}

// name is the server in use.
func (p *pool) name() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.servers[p.server]
}

func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		c.close()
	}
	p.idle = nil
}

// answer answers a batch of queries over up to p.conns parallel
// connections, each pipelined. What the server in use fails to answer (a
// broken or silent connection, an "F" to a query that expects data) is
// asked again of the next server, each server once (and the only one
// twice); whatever still fails carries the error, or the last "F", in
// its answer.
func (p *pool) answer(ctx context.Context, qs []query) []answer {
	ans := make([]answer, len(qs))
	todo := make([]int, len(qs))
	for i := range todo {
		todo[i] = i
	}
	for attempt := 0; attempt < max(2, len(p.servers)) && len(todo) > 0 && ctx.Err() == nil; attempt++ {
		if todo = p.runOnce(ctx, qs, todo, ans); len(todo) > 0 {
			p.failOver()
		}
	}
	return ans
}

// refused reports an "F" to a query that expects data. The "!a" probe
// expects one.
func refused(q query, a answer) bool { return a.Err == nil && a.Kind == KindError && q != probeA }

func (p *pool) runOnce(ctx context.Context, qs []query, todo []int, ans []answer) (failed []int) {
	queue := make(chan int, len(todo))
	for _, i := range todo {
		queue <- i
	}
	close(queue)
	workers := min(p.conns, (len(todo)+1)/2)
	workers = max(workers, 1)
	var mu sync.Mutex
	var dialErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.get(ctx)
			if err != nil {
				// Leave the queue to the workers that did connect.
				mu.Lock()
				dialErr = err
				mu.Unlock()
				return
			}
			lost, err := c.work(ctx, qs, queue, ans, p.maxData)
			if err != nil {
				mu.Lock()
				for _, i := range lost {
					ans[i] = answer{Err: fmt.Errorf("%s: %w", c.addr, err)}
					failed = append(failed, i)
				}
				mu.Unlock()
				return
			}
			p.put(c)
		}()
	}
	wg.Wait()
	// Queries no worker took fail with the dial error (every server was
	// dialled: asking again would fail the same way), or are asked again.
	for i := range queue {
		if dialErr != nil {
			ans[i] = answer{Err: dialErr}
		} else {
			ans[i] = answer{Err: errors.New("every connection failed before the query was sent")}
			failed = append(failed, i)
		}
	}
	for _, i := range todo {
		if refused(qs[i], ans[i]) {
			failed = append(failed, i)
		}
	}
	return failed
}
