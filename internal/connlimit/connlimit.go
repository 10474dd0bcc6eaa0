// Package connlimit owns the node's bound on open TCP connections (-max-conns): a
// net.Listener that closes connections beyond the bound as soon as they are accepted,
// and that never gives up on accept errors such as EMFILE ("too many open files"),
// backing off and retrying instead, so that running out of descriptors degrades
// service instead of ending the process.
//
// A connection counts from Accept until its Close, whoever closes it and however it
// is used after (HTTP keep-alive, a hijacked websocket): Conn wraps the accepted
// connection only to count its Close, and exposes the original through NetConn for
// code that needs the descriptor (non-blocking writes, writev).
package connlimit

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Listener limits the connections open at once. Max <= 0 means no limit (connections
// are still counted and accept errors still backed off).
type Listener struct {
	net.Listener
	max  int64
	log  *slog.Logger
	open atomic.Int64
	// refused and acceptErrors count for metrics.
	refused      atomic.Int64
	acceptErrors atomic.Int64

	// sleep is time.Sleep, replaced in tests.
	sleep func(time.Duration)
}

// Wrap limits l to max open connections. log may be nil.
func Wrap(l net.Listener, max int, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{Listener: l, max: int64(max), log: log, sleep: time.Sleep}
}

// Backoff bounds for temporary accept errors (as net/http's Server does).
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Accept returns the next connection within the bound. Connections beyond it are
// closed at once (the client sees the connection closed, the server spends nothing
// on it). Errors other than the listener being closed are logged and retried.
func (l *Listener) Accept() (net.Conn, error) {
	var backoff time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			// EMFILE, ENFILE, ENOBUFS, ECONNABORTED…: the listener itself is fine.
			l.acceptErrors.Add(1)
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			if backoff == maxBackoff || l.acceptErrors.Load()%100 == 1 {
				l.log.Warn("accept failed; retrying", "err", err, "retry_in", backoff, "open_conns", l.open.Load())
			}
			l.sleep(backoff)
			continue
		}
		backoff = 0
		if n := l.open.Add(1); l.max > 0 && n > l.max {
			l.open.Add(-1)
			l.refused.Add(1)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // a reset: no TIME_WAIT left behind for a refused client
			}
			_ = c.Close()
			continue
		}
		return &Conn{Conn: c, l: l}, nil
	}
}

// Open is the number of connections accepted and not yet closed.
func (l *Listener) Open() int64 { return l.open.Load() }

// Refused is the number of connections closed for being over the bound.
func (l *Listener) Refused() int64 { return l.refused.Load() }

// AcceptErrors is the number of failed accepts that were retried.
func (l *Listener) AcceptErrors() int64 { return l.acceptErrors.Load() }

// Max is the bound (<= 0: none).
func (l *Listener) Max() int64 { return l.max }

// Conn is an accepted connection; closing it frees its place.
type Conn struct {
	net.Conn
	l    *Listener
	once sync.Once
}

// Close closes the connection and frees its place in the bound, once.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}

// NetConn is the accepted connection itself, for descriptor-level I/O. Closing must
// still go through Conn.Close.
func (c *Conn) NetConn() net.Conn { return c.Conn }
