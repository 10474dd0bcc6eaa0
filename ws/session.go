package ws

import (
	"encoding/json"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/presenced/presenced/internal/closereason"
)

type transportKind uint8

const (
	transportPolling transportKind = iota
	transportWebsocket
)

func (t transportKind) String() string {
	if t == transportWebsocket {
		return "websocket"
	}
	return "polling"
}

// sessState is the engine session's life: open → closing (orderly: queued
// frames are still delivered) → closed (nothing more is written).
type sessState uint8

const (
	stateOpen sessState = iota
	stateClosing
	stateClosed
)

// sioState is the Socket.IO connection on "/" carried by the session.
type sioState uint8

const (
	sioNone       sioState = iota // no CONNECT yet, or refused
	sioConnecting                 // OnConnect is running
	sioConnected
)

// handshake holds what the application may want to know about the HTTP
// request that created the session, copied out of fiber's buffers.
type handshake struct {
	remoteIP, userAgent, origin, rawQuery string
}

type pendingAck struct {
	cb       func([]json.RawMessage, error)
	deadline time.Time
}

// session is one Engine.IO session. Fields under mu are the queue and the
// state machine; fields under inMu belong to the inbound side (the packet
// being handled and the application's Session).
type session struct {
	srv *Server
	sid string
	hs  handshake

	alive atomic.Bool // something arrived since the last ping
	open  atomic.Bool // state == stateOpen, readable without mu on the inbound path
	slow  atomic.Bool // closed as a slow consumer

	mu         sync.Mutex
	state      sessState
	reason     closereason.Reason
	transport  transportKind
	ws         *wsTransport // the websocket carrying the session, nil on polling
	probe      *wsTransport // a websocket probing an upgrade
	noop       bool         // upgrade under way: the pending GET answers a noop
	getPending bool
	// lastGet is the connection of the last GET answered while the next has not
	// come (Server.getConns maps it back here); getGoneAt (unix ns, 0: no) is when
	// that connection closed with no GET pending: a client killed between two
	// polls, closed by the heartbeat if no GET comes within pollGoneWait.
	lastGet     net.Conn
	getGoneAt   atomic.Int64
	postPending bool
	wake        chan struct{} // polling: wakes the pending GET
	// watch is the connection of a pending GET whose handler waits on it
	// (pollwatch.go): signal wakes it with a read deadline in the past.
	watch       net.Conn
	pollDone    <-chan struct{} // with watch: the HTTP server's shutdown
	peek        pollPeek        // the pending GET handler's own (getPending guards it)
	q, spare    [][]byte        // queued Engine.IO packets; spare recycles q's array
	qBytes      int             // the size of q's frames
	pre         [][]byte        // frames the application queued while OnConnect ran
	preBytes    int             // the size of pre's frames
	sio         sioState
	conn        *Conn
	unconnected time.Time // since when the session has no Socket.IO connection (handshake, DISCONNECT)
	lastPing    time.Time // when the last ping was due (pings keep a fixed schedule)
	waitingPong time.Time // when the first unanswered ping was due
	closingAt   time.Time
	acks        map[int64]pendingAck
	nextAck     int64
	finalizing  bool // finalize started or scheduled
	registered  bool
	ipSlot      ipSlot // the place held in Server.ips, given back at unregister

	inMu sync.Mutex
	app  Session // the application's, set when OnConnect accepted
}

func (srv *Server) newSession(hs handshake, t transportKind) *session {
	now := time.Now()
	s := &session{srv: srv, sid: newID(), hs: hs, transport: t, lastPing: now, unconnected: now}
	s.alive.Store(true)
	s.open.Store(true)
	if t == transportPolling {
		s.wake = make(chan struct{}, 1)
	}
	return s
}

func (s *session) register() {
	s.mu.Lock()
	s.registered = true
	s.srv.gauge(s.transport).Add(1)
	s.mu.Unlock()
	s.srv.reg.add(s)
	s.srv.stats.handshakes.Add(1)
}

func (s *session) unregisterLocked() {
	if !s.registered {
		return
	}
	s.registered = false
	s.srv.gauge(s.transport).Add(-1)
	s.srv.reg.remove(s)
	s.srv.ips.release(s.hs.remoteIP, s.ipSlot)
	s.ipSlot = ipNone
}

// connID names the session in logs: the Socket.IO id once there is one.
func (s *session) connIDLocked() string {
	if s.conn != nil {
		return s.conn.id
	}
	return ""
}

// push queues an Engine.IO packet. A frame from the application (from != nil)
// is only accepted while from is the session's connection, and one queued
// while OnConnect runs waits until the CONNECT reply is queued, so the client
// always sees `40` first. push never blocks; a full queue closes the session.
func (s *session) push(frame []byte, from *Conn) bool {
	s.mu.Lock()
	if s.state != stateOpen || (from != nil && s.conn != from) {
		s.mu.Unlock()
		return false
	}
	q := &s.q
	if from != nil && s.sio == sioConnecting {
		q = &s.pre
	}
	if !s.fitsLocked(q, len(frame)) {
		frames, bytes := s.pendingLocked(q)
		s.mu.Unlock()
		s.slowConsumer(frames, bytes)
		return false
	}
	if q == &s.q && len(s.q) == 0 {
		if w := s.ws; w != nil && w.rc != nil && !w.writing && len(frame) <= wsInlineMax {
			return s.writeDirectLocked(w, frame)
		}
	}
	*q = append(*q, frame)
	if q == &s.q {
		s.qBytes += len(frame)
		s.kickLocked()
	} else {
		s.preBytes += len(frame)
	}
	s.mu.Unlock()
	return true
}

// pushHeartbeat is push for the application's periodic frame: with the Engine.IO
// ping ahead of it, in one write, when the ping is due within half an interval.
func (s *session) pushHeartbeat(frame []byte, from *Conn) bool {
	now := time.Now()
	s.mu.Lock()
	if s.state != stateOpen || s.conn != from || s.sio != sioConnected ||
		now.Sub(s.lastPing) < s.srv.cfg.PingInterval/2 {
		s.mu.Unlock()
		return s.push(frame, from)
	}
	if !s.fitsLocked(&s.q, len(framePing)+len(frame)) || len(s.q)+2 > s.srv.cfg.OutboundQueue {
		frames, bytes := s.pendingLocked(&s.q)
		s.mu.Unlock()
		s.slowConsumer(frames, bytes)
		return false
	}
	s.pingedLocked(now)
	if w := s.ws; w != nil && len(s.q) == 0 && w.rc != nil && !w.writing && len(frame) <= wsInlineMax {
		return s.writeDirectLocked(w, framePing, frame)
	}
	s.q = append(s.q, framePing, frame)
	s.qBytes += len(framePing) + len(frame)
	s.kickLocked()
	s.mu.Unlock()
	return true
}

// pingedLocked notes a ping sent now: the next is due a PingInterval later, and
// something must arrive within PingTimeout of the first one unanswered.
func (s *session) pingedLocked(now time.Time) {
	s.lastPing = now
	if s.alive.Load() || s.waitingPong.IsZero() {
		s.waitingPong = now
	}
	s.alive.Store(false)
}

// pendingLocked is what counts against the outbound bound of q (s.q or
// s.pre): its frames and their bytes, and for s.q also the control frames
// (pongs, close) that the websocket reader queued for the writer. Whatever a
// client makes the server send — acks, error events, CONNECT_ERRORs, pongs —
// is in one of them until the kernel (websocket) or a GET (polling) takes it.
func (s *session) pendingLocked(q *[][]byte) (frames, bytes int) {
	if q == &s.pre {
		return len(s.pre), s.preBytes
	}
	frames, bytes = len(s.q), s.qBytes
	if w := s.ws; w != nil {
		frames += len(w.ctl)
		bytes += w.ctlBytes
	}
	return frames, bytes
}

// fitsLocked reports whether a frame of n bytes may join q: fewer than
// OutboundQueue frames pending, and OutboundBytes not exceeded — except that
// a frame of any size may join an empty queue.
func (s *session) fitsLocked(q *[][]byte, n int) bool {
	frames, bytes := s.pendingLocked(q)
	cfg := &s.srv.cfg
	return frames < cfg.OutboundQueue && (frames == 0 || bytes+n <= cfg.OutboundBytes)
}

// writeDirectLocked writes a frame to an idle websocket from the caller's
// goroutine instead of starting a writer for it: a sweep's pings and the acks
// of pongs leave in one loop, without a goroutine per write. What the socket
// does not take at once goes to the writer. It unlocks s.mu.
func (s *session) writeDirectLocked(w *wsTransport, frames ...[]byte) bool {
	rest, err := w.tryWrite(s.srv, frames...)
	if err != nil {
		s.mu.Unlock()
		s.close(writeErrReason(err), false)
		return false
	}
	if rest != nil {
		w.rest = rest
		s.kickLocked()
	}
	s.mu.Unlock()
	return true
}

// kickLocked makes the transport pick up the queue: on websocket it starts
// the writer goroutine if none runs; on polling it wakes the pending GET.
func (s *session) kickLocked() {
	if w := s.ws; w != nil {
		if !w.writing {
			w.writing = true
			w.wg.Add(1)
			if w.run == nil {
				w.run = func() { s.writeLoop(w) }
			}
			go w.run()
		}
		return
	}
	s.signal()
}

// signal wakes the pending GET, if any. Called with s.mu held.
func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
	if c := s.watch; c != nil {
		_ = c.SetReadDeadline(aLongTimeAgo)
	}
}

func (s *session) slowConsumer(frames, bytes int) {
	if !s.open.Load() || s.slow.Swap(true) {
		return // already closing; log once even with concurrent senders
	}
	s.mu.Lock()
	id, t := s.connIDLocked(), s.transport
	s.mu.Unlock()
	s.srv.stats.slow.Add(1)
	s.srv.log.Warn("ws: closing slow consumer", "conn_id", id, "sid", s.sid, "transport", t.String(),
		"reason", string(closereason.SlowConsumer), "queued", frames, "queued_bytes", bytes)
	s.close(closereason.SlowConsumer, false)
}

// fail closes the session because of what the client sent.
func (s *session) fail(reason closereason.Reason, err error) bool {
	if s.open.Load() {
		s.srv.stats.protocolErrors.Add(1)
		s.srv.log.Debug("ws: closing session on bad input", "sid", s.sid, "reason", string(reason), "err", err)
	}
	s.close(reason, false)
	return false
}

// close ends the session. orderly delivers what is queued first (then the
// websocket close frame or the polling close packet); otherwise the
// transport is cut at once. The first reason wins; an abort may overtake an
// orderly close that is still draining.
func (s *session) close(reason closereason.Reason, orderly bool) {
	s.mu.Lock()
	switch {
	case s.state == stateClosed, s.state == stateClosing && orderly:
		s.mu.Unlock()
		return
	case s.state == stateOpen:
		s.reason = reason
	}
	s.open.Store(false)
	if orderly {
		s.state = stateClosing
		s.closingAt = time.Now()
	} else {
		s.state = stateClosed
		clear(s.q)
		s.q, s.qBytes = s.q[:0], 0
	}
	// An orderly close while OnConnect runs (the application closed from it,
	// or from elsewhere meanwhile) keeps what it queued: onConnect queues the
	// CONNECT reply and those frames, then the drain goes on.
	connecting := orderly && s.sio == sioConnecting
	if !connecting {
		s.pre, s.preBytes = nil, 0
	}
	if p := s.probe; p != nil && !orderly {
		// An orderly close lets a running upgrade finish: the client has
		// paused polling and will only read what is queued on the websocket.
		s.probe = nil
		p.abort()
	}
	if w := s.ws; w != nil {
		// The websocket's reader goroutine finalizes when it ends.
		if orderly {
			if !connecting {
				s.kickLocked() // the writer drains, then sends the close frame
			}
		} else {
			w.abort()
		}
		s.mu.Unlock()
		return
	}
	// Polling: the pending GET (if any) answers with what is queued and `1`
	// (once OnConnect has returned, when it runs).
	s.signal()
	if !orderly {
		s.unregisterLocked()
	}
	schedule := !s.finalizing
	s.finalizing = true
	s.mu.Unlock()
	if schedule {
		s.srv.active.Add(1)
		go func() {
			defer s.srv.active.Add(-1)
			s.finalize()
		}()
	}
}

// finalize runs once per session after it closed: pending ack callbacks get
// ErrConnClosed and the application's Session gets OnClose, serialised with
// inbound handling so no OnEvent can follow OnClose.
func (s *session) finalize() {
	s.inMu.Lock()
	defer s.inMu.Unlock()
	s.mu.Lock()
	acks := s.acks
	s.acks = nil
	reason := s.reason
	id := s.connIDLocked()
	t := s.transport
	s.mu.Unlock()
	for _, a := range acks {
		s.callApp(func() { a.cb(nil, ErrConnClosed) })
	}
	if app := s.app; app != nil {
		s.app = nil
		s.callApp(func() { app.OnClose(reason) })
	}
	s.srv.log.Debug("ws: session closed", "conn_id", id, "sid", s.sid, "transport", t.String(), "reason", string(reason))
}

// endConn ends the Socket.IO connection and keeps the Engine.IO session (the
// client's DISCONNECT): the application's Session gets OnClose(reason) and
// the acks it waits for ErrConnClosed; its Conn accepts nothing more, and
// frames it queued before are still delivered. The session may carry a new
// connection; without one it is closed after ConnectTimeout. Called with inMu
// held.
func (s *session) endConn(reason closereason.Reason) {
	s.mu.Lock()
	acks := s.acks
	s.acks = nil
	id := s.connIDLocked()
	s.conn, s.sio, s.unconnected = nil, sioNone, time.Now()
	s.mu.Unlock()
	app := s.app
	s.app = nil
	for _, a := range acks {
		s.callApp(func() { a.cb(nil, ErrConnClosed) })
	}
	if app != nil {
		s.callApp(func() { app.OnClose(reason) })
	}
	s.srv.log.Debug("ws: socket.io connection closed, session kept", "conn_id", id, "sid", s.sid, "reason", string(reason))
}

// pingExpiredLocked reports whether nothing arrived within PingTimeout of a
// ping that was due (measured from when it was due, so that a request can
// tell as precisely as the heartbeat, which runs up to a tick late).
func (s *session) pingExpiredLocked(now time.Time) bool {
	return !s.alive.Load() && !s.waitingPong.IsZero() && now.Sub(s.waitingPong) >= s.srv.cfg.PingTimeout
}

// expireLate closes a session whose ping timeout passed before the heartbeat
// noticed: a request for it is answered as for an unknown session, as when
// the reference's timer has fired. It reports whether it closed it.
func (s *session) expireLate(now time.Time) bool {
	s.mu.Lock()
	late := s.state == stateOpen && s.pingExpiredLocked(now)
	s.mu.Unlock()
	if late {
		s.srv.stats.pingTimeouts.Add(1)
		s.close(closereason.PingTimeout, false)
	}
	return late
}

// callApp runs application code; a panic closes this session instead of the
// process (fasthttp does not recover handlers).
func (s *session) callApp(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			s.srv.log.Error("ws: handler panic", "sid", s.sid, "panic", r)
			s.close(closereason.HandlerPanic, false)
		}
	}()
	fn()
}

// tick is the heartbeat for one session: ping, ping timeout, connect
// timeout, ack timeouts, and the end of an orderly polling close.
func (s *session) tick(now time.Time) {
	cfg := &s.srv.cfg
	s.mu.Lock()
	if s.watch != nil && isClosed(s.pollDone) {
		s.signal() // the HTTP server shuts down: answer the pending GET
	}
	switch s.state {
	case stateClosing:
		// A polling session whose last frames nobody came to fetch.
		expired := s.transport == transportPolling && s.ws == nil &&
			now.Sub(s.closingAt) > cfg.PollCloseTimeout
		s.mu.Unlock()
		if expired {
			s.close(s.reason, false)
		}
		return
	case stateClosed:
		s.mu.Unlock()
		return
	}
	if g := s.getGoneAt.Load(); g != 0 && !s.getPending && s.ws == nil && now.Sub(time.Unix(0, g)) >= pollGoneWait {
		s.mu.Unlock()
		s.srv.stats.pollsAbandoned.Add(1)
		s.srv.log.Debug("ws: polling client gone between polls", "sid", s.sid)
		s.close(closereason.ClientClosed, false)
		return
	}
	if s.sio == sioNone && now.Sub(s.unconnected) > cfg.ConnectTimeout {
		s.mu.Unlock()
		s.close(closereason.ConnectTimeout, false)
		return
	}
	if s.pingExpiredLocked(now) {
		s.mu.Unlock()
		s.srv.stats.pingTimeouts.Add(1)
		s.close(closereason.PingTimeout, false)
		return
	}
	var expired []pendingAck
	for id, a := range s.acks {
		if now.After(a.deadline) {
			expired = append(expired, a)
			delete(s.acks, id)
		}
	}
	// Pings keep their schedule: every PingInterval from the handshake, not
	// from the tick that sent the last one (a tick is late by up to its
	// period); after a stall of a whole interval the schedule restarts.
	due := s.lastPing.Add(cfg.PingInterval)
	ping := !now.Before(due)
	if ping {
		if now.Sub(due) >= cfg.PingInterval {
			due = now
		}
		s.pingedLocked(due)
	}
	s.mu.Unlock()
	if ping {
		s.push(framePing, nil)
	}
	if len(expired) > 0 {
		s.srv.active.Add(1)
		go func() {
			defer s.srv.active.Add(-1)
			s.inMu.Lock()
			defer s.inMu.Unlock()
			for _, a := range expired {
				s.callApp(func() { a.cb(nil, ErrAckTimeout) })
			}
		}()
	}
}
