package rpki

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	rtr "github.com/bgp/stayrtr/lib"
)

// Config says which RTR cache to ask and how. Only Addr is required.
type Config struct {
	// Addr is the cache's host:port, RTR over plain TCP (RFC 8210 §9.1:
	// port 323; stayrtr listens on 8282 by default).
	Addr string
	// DialTimeout bounds connecting (default 10 s).
	DialTimeout time.Duration
	// Timeout bounds the wait for the complete answer (default 2 minutes;
	// a full global set is some 20 MB). A cache that stays silent longer
	// is disconnected.
	Timeout time.Duration
	// SLURM, if set, is applied to the set received before it becomes a
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
	// The intervals the cache announces (RFC 8210 §6), or the RFC's
	// defaults when it does not (protocol version 0): how often a router
	// asks it for news, waits after a failure, and may keep using data it
	// cannot refresh.
	Refresh, Retry, Expire time.Duration
	// Table holds the VRPs, with Config.SLURM applied.
	Table *Table
	// ASPAs holds the ASPAs a version 2 cache sent; empty with older
	// caches.
	ASPAs *ASPAs
}

// Fetch connects to the cache, receives one complete VRP set (the answer
// to a Reset Query) and hangs up. A cache refusing protocol version 1 is
// asked again in version 0 (RFC 8210 §7).
func Fetch(ctx context.Context, cfg Config) (*Snapshot, error) {
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = cfg.Logger.With("cache", cfg.Addr)
	s := newSession(cfg.MaxVRPs)
	snap, err := fetch(ctx, cfg, s)
	for downgrade(s, err) {
		snap, err = fetch(ctx, cfg, s)
	}
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("RTR cache %s: %w", cfg.Addr, err)
	}
	return snap, err
}

// downgrade handles RFC 8210 §7 version negotiation: a cache that refuses
// our version gets the next lower one on the next connection (2, then 1,
// then 0).
func downgrade(s *session, err error) bool {
	var ce *CacheError
	if errors.As(err, &ce) && ce.Code == rtr.PDU_ERROR_BADPROTOVERSION && s.version > rtr.PROTOCOL_VERSION_0 {
		s.version--
		return true
	}
	return false
}

// decoded is one PDU read from the cache (pdu, or aspa for an ASPA PDU),
// or why reading stopped.
type decoded struct {
	pdu  rtr.PDU
	aspa *ASPAPDU
	err  error
}

// fetch runs one connection: a Reset Query, then the cache's PDUs until
// its End of Data, an error, the timeout or the end of ctx.
func fetch(ctx context.Context, cfg Config, s *session) (*Snapshot, error) {
	d := net.Dialer{Timeout: cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()

	pdus := make(chan decoded)
	done := make(chan struct{})
	defer close(done)
	go readPDUs(conn, pdus, done)

	send := func(p rtr.PDU) error {
		if err := conn.SetWriteDeadline(time.Now().Add(cfg.Timeout)); err != nil {
			return err
		}
		_, err := conn.Write(p.Bytes())
		return err
	}
	deadline := time.NewTimer(cfg.Timeout)
	defer deadline.Stop()
	q := s.query()
	cfg.Logger.Debug("RTR query", "pdu", q.String())
	if err := send(q); err != nil {
		return nil, err
	}
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, fmt.Errorf("%w (%s)", ErrTimeout, cfg.Timeout)
		case in := <-pdus:
			if in.err != nil {
				if errors.Is(in.err, io.EOF) {
					return nil, errors.New("cache closed the connection")
				}
				if errors.Is(in.err, ErrBadASPAPDU) {
					// As for any corrupt PDU (RFC 8210 §5.10); best effort.
					_ = send(&rtr.PDUErrorReport{Version: s.version, ErrorCode: rtr.PDU_ERROR_CORRUPTDATA, ErrorMsg: in.err.Error()})
				}
				return nil, in.err
			}
			var complete bool
			if in.aspa != nil {
				err = s.handleASPA(in.aspa)
			} else {
				complete, err = s.handle(in.pdu)
			}
			if err != nil {
				var pe *ProtocolError
				if errors.As(err, &pe) {
					// Tell the cache why we hang up (RFC 8210 §5.10);
					// best effort, the connection is going anyway.
					_ = send(&rtr.PDUErrorReport{Version: s.version, ErrorCode: pe.Code, ErrorMsg: pe.Msg})
				}
				return nil, err
			}
			if complete {
				return snapshot(cfg, s), nil
			}
		}
	}
}

// snapshot turns the session's complete set into a Snapshot.
func snapshot(cfg Config, s *session) *Snapshot {
	vrps, filtered := cfg.SLURM.Apply(s.vrps())
	snap := &Snapshot{
		Cache: cfg.Addr, Version: s.version, SessionID: s.sessionID, Serial: s.serial, Updated: time.Now(),
		Refresh: s.refresh, Retry: s.retry, Expire: s.expire, Table: NewTable(vrps), ASPAs: s.aspaSet(),
	}
	cfg.Logger.Info("RTR data received", "session", snap.SessionID, "serial", snap.Serial,
		"vrps", snap.Table.Len(), "slurm_filtered", filtered)
	return snap
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
