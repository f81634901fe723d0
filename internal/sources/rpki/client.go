package rpki

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	rtr "github.com/bgp/stayrtr/lib"
)

// Config says which RTR cache to use and how. Only Addr is required.
type Config struct {
	// Addr is the cache's host:port, RTR over plain TCP (RFC 8210 §9.1:
	// port 323; stayrtr listens on 8282 by default).
	Addr string
	// DialTimeout bounds connecting (default 10 s).
	DialTimeout time.Duration
	// Timeout bounds the wait for a complete answer to a query (default 2
	// minutes; a full global set is some 20 MB). A cache that stays
	// silent longer is disconnected.
	Timeout time.Duration
	// Refresh, if set, replaces the refresh interval the cache announces:
	// how often to ask for changes when no Serial Notify arrives.
	Refresh time.Duration
	// Retry, if set, replaces the retry interval the cache announces: the
	// wait before reconnecting after a failure.
	Retry time.Duration
	// Expire, if set, replaces the expire interval the cache announces:
	// how long data stays usable when it cannot be refreshed.
	Expire time.Duration
	// SLURM, if set, is applied to every set received before it becomes a
	// Table.
	SLURM *SLURM
	// MaxVRPs bounds the set a cache may send (default DefaultMaxVRPs).
	MaxVRPs int
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
}

// ErrTimeout is returned when a cache does not answer a query within
// Config.Timeout.
var ErrTimeout = errors.New("RTR cache did not answer in time")

// Snapshot is a complete VRP set received from a cache, with the cache's
// session state at the time.
type Snapshot struct {
	Cache     string
	Version   uint8 // RTR protocol version spoken
	SessionID uint16
	Serial    uint32
	Updated   time.Time // when the End of Data arrived
	// The intervals in use: the cache's (RFC 8210 §6), the defaults, or
	// those set in Config.
	Refresh, Retry, Expire time.Duration
	// Table holds the VRPs, with Config.SLURM applied.
	Table *Table
	// ASPAs holds the ASPAs a version 2 cache sent; empty with older
	// caches.
	ASPAs *ASPAs
}

// Client keeps an RTR session with one cache and always offers the latest
// complete VRP set. Start it with Run; read it with Snapshot or Table from
// any goroutine.
type Client struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	snap    *Snapshot
	err     error
	changed chan struct{}
}

// NewClient checks cfg and fills in its defaults.
func NewClient(cfg Config) (*Client, error) {
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("RTR cache address %q: want host:port: %w", cfg.Addr, err)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	if cfg.MaxVRPs <= 0 {
		cfg.MaxVRPs = DefaultMaxVRPs
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, log: log.With("cache", cfg.Addr), changed: make(chan struct{})}, nil
}

// Snapshot returns the latest complete set, or nil before the first one
// and after the data expired (the cache unreachable for its expire
// interval: RFC 8210 §6 forbids using older data).
func (c *Client) Snapshot() *Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

// Table returns the latest VRP table; nil (every route NotFound) when
// Snapshot is nil.
func (c *Client) Table() *Table {
	if s := c.Snapshot(); s != nil {
		return s.Table
	}
	return nil
}

// Err returns why the last connection failed, or nil while connected.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Changed returns a channel closed at the next change of Snapshot.
func (c *Client) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

func (c *Client) setSnapshot(s *Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap = s
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Client) setErr(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// Fetch connects to the cache, receives one complete VRP set and hangs up.
func Fetch(ctx context.Context, cfg Config) (*Snapshot, error) {
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	s := newSession(c.cfg.MaxVRPs)
	err = c.connect(ctx, s, true)
	for downgrade(s, err) {
		err = c.connect(ctx, s, true)
	}
	if err != nil {
		return nil, err
	}
	return c.Snapshot(), nil
}

// Run keeps a session with the cache until ctx ends, and returns ctx's
// error. It reconnects after failures (after the retry interval), asks for
// changes on every Serial Notify and every refresh interval, and drops the
// data when it has not been refreshed for the expire interval.
func (c *Client) Run(ctx context.Context) error {
	s := newSession(c.cfg.MaxVRPs)
	expiry := time.NewTimer(time.Duration(1<<63 - 1))
	defer expiry.Stop()
	for {
		err := c.connect(ctx, s, false)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.setErr(err)
		wait := c.retry(s)
		if downgrade(s, err) {
			wait = 0
		}
		c.log.Warn("RTR session ended", "err", err, "retry_in", wait)
		if snap := c.Snapshot(); snap != nil {
			expiry.Reset(time.Until(snap.Updated.Add(snap.Expire)))
		}
		retry := time.NewTimer(wait)
	waiting:
		for {
			select {
			case <-ctx.Done():
				retry.Stop()
				return ctx.Err()
			case <-expiry.C:
				if c.Snapshot() != nil {
					c.log.Warn("RTR data expired; no VRPs until the cache answers again")
					c.setSnapshot(nil)
					s.forget()
				}
			case <-retry.C:
				break waiting
			}
		}
	}
}

// downgrade handles RFC 8210 §7 version negotiation: a cache that refuses
// our version before the first sync gets the next lower one on the next
// connection (2, then 1, then 0).
func downgrade(s *session, err error) bool {
	var ce *CacheError
	if errors.As(err, &ce) && ce.Code == rtr.PDU_ERROR_BADPROTOVERSION && !s.synced && s.version > rtr.PROTOCOL_VERSION_0 {
		s.version--
		return true
	}
	return false
}

func (c *Client) retry(s *session) time.Duration {
	if c.cfg.Retry > 0 {
		return c.cfg.Retry
	}
	return s.retry
}

func (c *Client) expire(s *session) time.Duration {
	if c.cfg.Expire > 0 {
		return c.cfg.Expire
	}
	return s.expire
}

func (c *Client) refresh(s *session) time.Duration {
	if c.cfg.Refresh > 0 {
		return c.cfg.Refresh
	}
	return s.refresh
}

// decoded is one PDU read from the cache (pdu, or aspa for an ASPA PDU),
// or why reading stopped.
type decoded struct {
	pdu  rtr.PDU
	aspa *ASPAPDU
	err  error
}

// connect runs one connection: it queries, applies what the cache sends,
// and keeps going (refresh, Serial Notify) until an error or ctx ends. With
// once it returns after the first complete set.
func (c *Client) connect(ctx context.Context, s *session, once bool) (err error) {
	defer func() {
		if err != nil && ctx.Err() == nil {
			err = fmt.Errorf("RTR cache %s: %w", c.cfg.Addr, err)
		}
	}()
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	c.setErr(nil)

	pdus := make(chan decoded)
	done := make(chan struct{})
	defer close(done)
	go readPDUs(conn, pdus, done)

	send := func(p rtr.PDU) error {
		if err := conn.SetWriteDeadline(time.Now().Add(c.cfg.Timeout)); err != nil {
			return err
		}
		_, err := conn.Write(p.Bytes())
		return err
	}
	deadline := time.NewTimer(c.cfg.Timeout) // for the query in flight
	defer deadline.Stop()
	refresh := time.NewTimer(c.refresh(s))
	defer refresh.Stop()
	query := func(want action) error {
		q := s.nextQuery(want)
		c.log.Debug("RTR query", "pdu", q.String())
		deadline.Reset(c.cfg.Timeout)
		return send(q)
	}
	// Every connection starts with a Reset Query, although RFC 8210 allows
	// resuming with a Serial Query: stayrtr can come back from a restart
	// with the same session ID and serial but other data, and would then
	// answer "no changes" for ever.
	if err := query(actResetQuery); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			if s.query != actNone {
				s.forget()
				return fmt.Errorf("%w (%s)", ErrTimeout, c.cfg.Timeout)
			}
		case <-refresh.C:
			if s.query == actNone {
				if err := query(actSerialQuery); err != nil {
					return err
				}
			}
		case in := <-pdus:
			if in.err != nil {
				if errors.Is(in.err, io.EOF) {
					return errors.New("cache closed the connection")
				}
				if errors.Is(in.err, ErrBadASPAPDU) {
					// As for any corrupt PDU (RFC 8210 §5.10); best effort.
					_ = send(&rtr.PDUErrorReport{Version: s.version, ErrorCode: rtr.PDU_ERROR_CORRUPTDATA, ErrorMsg: in.err.Error()})
					s.forget()
				}
				return in.err
			}
			var act action
			if in.aspa != nil {
				err = s.handleASPA(in.aspa)
			} else {
				act, err = s.handle(in.pdu)
			}
			if err != nil {
				var pe *ProtocolError
				if errors.As(err, &pe) {
					// Tell the cache why we hang up (RFC 8210 §5.10);
					// best effort, the connection is going anyway.
					_ = send(&rtr.PDUErrorReport{Version: s.version, ErrorCode: pe.Code, ErrorMsg: pe.Msg})
				}
				s.forget()
				return err
			}
			switch act {
			case actUpdated:
				deadline.Stop()
				c.publish(s)
				if once {
					return nil
				}
				refresh.Reset(c.refresh(s))
			case actSerialQuery, actResetQuery:
				if err := query(act); err != nil {
					return err
				}
			}
		}
	}
}

// publish turns the session's set into a new Snapshot. The table is
// rebuilt only when the set changed: a refresh that brings nothing new
// costs nothing.
func (c *Client) publish(s *session) {
	snap := &Snapshot{
		Cache: c.cfg.Addr, Version: s.version, SessionID: s.sessionID, Serial: s.serial, Updated: time.Now(),
		Refresh: c.refresh(s), Retry: c.retry(s), Expire: c.expire(s),
	}
	prev := c.Snapshot()
	if prev != nil && !s.aspaChanged {
		snap.ASPAs = prev.ASPAs
	} else {
		snap.ASPAs = s.aspaSet()
	}
	if prev != nil && !s.changed {
		snap.Table = prev.Table
	} else {
		vrps, filtered := c.cfg.SLURM.Apply(s.vrps())
		snap.Table = NewTable(vrps)
		c.log.Info("RTR data updated", "session", snap.SessionID, "serial", snap.Serial,
			"vrps", snap.Table.Len(), "slurm_filtered", filtered)
	}
	c.setSnapshot(snap)
}

// readPDUs decodes the cache's PDUs into out until an error, or until
// done is closed.
func readPDUs(r io.Reader, out chan<- decoded, done <-chan struct{}) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		p, aspa, err := readPDU(br)
		select {
		case out <- decoded{p, aspa, err}:
		case <-done:
			return
		}
		if err != nil {
			return
		}
	}
}
