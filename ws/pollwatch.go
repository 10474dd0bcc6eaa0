package ws

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/presenced/presenced/internal/closereason"
)

// The close watch of a pending long poll.
//
// fasthttp does not tell a handler that its client went away, so a browser
// tab killed during a long poll used to be noticed only at the Engine.IO ping
// timeout. Instead, the GET handler itself waits on its connection while the
// poll is pending: RawConn.Read with a callback that peeks (recv MSG_PEEK,
// nothing consumed) parks the handler's goroutine in the runtime's poller
// until the socket is readable — which for an idle HTTP/1.1 connection means
// EOF or a reset — or until its read deadline passes. The deadline is the
// poll's guard (PingInterval+PingTimeout); whatever must wake the GET early
// (a queued frame, a close, an upgrade's noop) sets it in the past
// (session.signal). So a pending poll costs the goroutine it always cost
// (fasthttp's worker, now parked in the poller instead of on a channel), no
// timer of its own, and a few syscall-free deadline updates per poll.
//
// The watch never races fasthttp: it runs in the handler, and before the
// handler returns the read deadline is cleared. fasthttp sets the read
// deadline itself (ReadTimeout at the start of each request, IdleTimeout
// before the next) and does not read between the handler's return and
// setting its next deadline, so a long poll outlives ReadTimeout and the
// next request still gets fasthttp's own deadline.
//
// Bytes on the socket while a GET is pending are a pipelined request: the
// watch cannot go on without reading them, so that poll falls back to the
// plain wait (as do TLS connections and anything without a descriptor).

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// pollPeek is the GET handler's peek callback and its outcome. A session has
// one (at most one GET is pending), used by that handler only.
type pollPeek struct {
	conn net.Conn        // the connection rc belongs to, cached across polls
	rc   syscall.RawConn // nil: the connection cannot be watched
	fn   func(fd uintptr) bool
	buf  [1]byte
	gone error // the client went away: io.EOF or the recv error
	data bool  // bytes are waiting: a pipelined request
}

// watchable returns the descriptor-level view of conn (unwrapped, see
// innerConn) and its RawConn, or nil when it has none.
func (p *pollPeek) watchable(conn net.Conn) (net.Conn, syscall.RawConn) {
	if pollWatchOff {
		return nil, nil
	}
	inner := innerConn(conn)
	if inner != p.conn {
		p.conn, p.rc = inner, nil
		if sc, ok := inner.(syscall.Conn); ok {
			if rc, err := sc.SyscallConn(); err == nil {
				p.rc = rc
			}
		}
	}
	if p.rc == nil {
		return nil, nil
	}
	if p.fn == nil {
		p.fn = p.run
	}
	return inner, p.rc
}

// pollWatchOff turns the watch off (tests and the benchmark's baseline).
var pollWatchOff = false

// run is the RawConn.Read callback: false means "not readable yet, wait".
func (p *pollPeek) run(fd uintptr) bool {
	for {
		n, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return false
		case err != nil:
			p.gone = os.NewSyscallError("recvfrom", err)
		case n == 0:
			p.gone = io.EOF
		default:
			p.data = true
		}
		return true
	}
}

// watchPollLocked waits for the pending GET on its connection (see above)
// until there is a body to answer, the guard passes (a noop), or done (the
// HTTP server's shutdown) is closed. A client that goes away closes the
// session at once. Called and returns with s.mu held.
func (s *session) watchPollLocked(conn net.Conn, rc syscall.RawConn, guard time.Time, done <-chan struct{}) []byte {
	p := &s.peek
	defer func() { _ = conn.SetReadDeadline(time.Time{}) }() // what fasthttp has during a handler
	for {
		if err := conn.SetReadDeadline(guard); err != nil {
			return s.pollGoneLocked(err) // closed under us
		}
		// Published under mu with the deadline already set: a signal from now
		// on moves the deadline into the past, and none is lost.
		s.watch, s.pollDone = conn, done
		s.mu.Unlock()
		p.gone, p.data = nil, false
		err := rc.Read(p.fn)
		s.mu.Lock()
		s.watch, s.pollDone = nil, nil
		switch {
		case p.gone != nil:
			return s.pollGoneLocked(p.gone)
		case err != nil && !errors.Is(err, os.ErrDeadlineExceeded):
			return s.pollGoneLocked(err)
		}
		if body, ok := s.takePollLocked(); ok {
			return body
		}
		if p.data {
			_ = conn.SetReadDeadline(time.Time{})
			return s.waitPollLocked(guard, done)
		}
		if !time.Now().Before(guard) || isClosed(done) {
			return frameNoop
		}
	}
}

// pollGoneLocked closes the session whose pending GET lost its connection
// and returns the body nobody will read. Called and returns with s.mu held.
func (s *session) pollGoneLocked(err error) []byte {
	s.mu.Unlock()
	reason := closereason.ClientClosed
	if !errors.Is(err, io.EOF) {
		reason = closereason.TransportError
	}
	if s.open.Load() {
		s.srv.stats.pollsAbandoned.Add(1)
		s.srv.log.Debug("ws: long poll's connection gone", "sid", s.sid, "reason", string(reason), "err", err)
	}
	s.close(reason, false)
	s.mu.Lock()
	return frameClose
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
