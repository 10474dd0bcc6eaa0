package ws

import (
	"bytes"
	"errors"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/ws/codec"
)

const textPlain = "text/plain; charset=UTF-8"

var (
	errConcurrentPoll = errors.New("second concurrent polling request")
	errBinaryPost     = errors.New("binary polling body (not in Engine.IO v4)")
	errStopPayload    = errors.New("session closed while reading the payload")
)

// pollHandshake opens a polling session: the open packet is the body.
func (srv *Server) pollHandshake(c *fiber.Ctx) error {
	hs := srv.captureHandshake(c)
	slot, ok := srv.ips.acquire(hs.remoteIP, false)
	if !ok {
		srv.stats.ipRefused.Add(1)
		return writeEngineError(c, errTooManyConns)
	}
	s := srv.newSession(hs, transportPolling)
	s.ipSlot = slot
	s.register()
	if srv.closing.Load() {
		s.close(closereason.ServerShutdown, false)
		return c.SendStatus(fiber.StatusServiceUnavailable)
	}
	body := srv.cfg.appendOpen(make([]byte, 0, 128), s.sid, true)
	srv.stats.framesOut.Add(1)
	srv.stats.bytesOut.Add(uint64(len(body)))
	c.Set(fiber.HeaderContentType, textPlain)
	return c.Send(body)
}

// pollGET is the long poll: it holds until frames are queued (at worst the
// next ping), the session closes or an upgrade needs a noop. It blocks its
// fasthttp worker, which is the price of polling. While it waits it watches
// its connection (pollwatch.go), so a client that goes away closes the
// session at once, as a websocket's would.
func (s *session) pollGET(c *fiber.Ctx) error {
	s.mu.Lock()
	if s.transport != transportPolling {
		s.mu.Unlock()
		return writeEngineError(c, errBadRequest)
	}
	if s.getPending {
		s.mu.Unlock()
		s.fail(closereason.ProtocolError, errConcurrentPoll)
		return writeEngineError(c, errBadRequest)
	}
	s.getPending = true
	if s.lastGet != nil {
		s.srv.getConns.CompareAndDelete(s.lastGet, s)
		s.lastGet = nil
	}
	s.getGoneAt.Store(0)
	body, ok := s.takePollLocked()
	if !ok {
		guard := time.Now().Add(s.srv.cfg.PollTimeout)
		done := c.Context().Done()
		if conn, rc := s.peek.watchable(c.Context().Conn()); rc != nil {
			body = s.watchPollLocked(conn, rc, guard, done)
		} else {
			body = s.waitPollLocked(guard, done)
		}
	}
	s.getPending = false
	if conn := c.Context().Conn(); s.state != stateClosed && s.ws == nil && !c.Context().Request.Header.ConnectionClose() {
		// Until the next GET: if this connection closes meanwhile, the client
		// may be gone (see Server.pollConnClosed).
		s.lastGet = conn
		s.srv.getConns.Store(conn, s)
	}
	s.mu.Unlock()
	c.Set(fiber.HeaderContentType, textPlain)
	return c.Send(body)
}

// pollGoneWait is how long after the connection of its last GET closed a polling
// session waits for the next GET before it is closed as gone: a client that
// closes a connection and polls on a new one does so at once.
const pollGoneWait = 250 * time.Millisecond

// pollConnClosed is fasthttp's word that conn closed: a polling session whose
// last GET it carried, with no GET pending, notes when — a tab killed between
// two polls is otherwise noticed only at the ping timeout.
func (srv *Server) pollConnClosed(conn net.Conn) {
	v, ok := srv.getConns.LoadAndDelete(conn)
	if !ok {
		return
	}
	s := v.(*session)
	s.mu.Lock()
	if s.lastGet == conn && !s.getPending {
		s.lastGet = nil
		s.getGoneAt.Store(time.Now().UnixNano())
	}
	s.mu.Unlock()
}

// waitPollLocked is the wait of a GET whose connection cannot be watched: on
// the wake channel, until the guard passes or done is closed. Called and
// returns with s.mu held.
func (s *session) waitPollLocked(guard time.Time, done <-chan struct{}) []byte {
	t := time.NewTimer(time.Until(guard))
	defer t.Stop()
	for {
		s.mu.Unlock()
		expired := false
		select {
		case <-s.wake:
		case <-done:
			expired = true
		case <-t.C:
			expired = true
		}
		s.mu.Lock()
		if body, ok := s.takePollLocked(); ok {
			return body
		}
		if expired {
			return frameNoop
		}
	}
}

// takePollLocked returns the body for the pending GET, or false to wait.
func (s *session) takePollLocked() ([]byte, bool) {
	switch {
	case s.state == stateClosed && s.reason == closereason.ClientClosed:
		// The client's close packet (or its connection went away, and nobody
		// reads this): a noop ends the pending GET, as the reference's
		// polling transport answers it in its onClose.
		return frameNoop, true
	case s.state == stateClosed:
		// The server closed the session: the close packet, as the reference's
		// doClose sends to a pending GET (engine.io-protocol's test suite only
		// covers the client's close, answered `6` above).
		return frameClose, true
	case s.state == stateClosing && s.ws == nil && s.sio == sioConnecting:
		return nil, false // closed from OnConnect: its reply and frames first
	case s.state == stateClosing && s.ws == nil:
		// As the reference: what is queued first, the close packet on the next
		// poll. In one body the client would act on the close before the
		// Socket.IO packets (it handles those on a later tick), e.g. see
		// "transport close" instead of "io server disconnect".
		if len(s.q) > 0 {
			return s.pollBodyLocked(), true
		}
		s.state = stateClosed
		s.unregisterLocked()
		return frameClose, true
	case s.transport != transportPolling:
		return frameNoop, true // upgraded while this GET was pending
	case len(s.q) > 0:
		return s.pollBodyLocked(), true
	case s.noop:
		s.noop = false
		return frameNoop, true
	}
	return nil, false
}

// pollBodyLocked joins the queued frames into one body.
func (s *session) pollBodyLocked() []byte {
	frames := s.q
	var body []byte
	if len(frames) == 1 {
		body = frames[0] // shared frames are immutable: no copy needed
	} else {
		n := len(frames)
		for _, f := range frames {
			n += len(f)
		}
		body = codec.AppendPollingPayload(make([]byte, 0, n), frames)
	}
	s.srv.stats.framesOut.Add(uint64(len(frames)))
	s.srv.stats.bytesOut.Add(uint64(len(body)))
	clear(frames)
	s.q, s.qBytes = frames[:0], 0
	if cap(s.q) > maxSpare {
		s.q = nil
	}
	return body
}

// pollPOST carries the client's packets, separated by \x1e; the answer is
// always `ok` (as the reference does, even when a packet closed the session).
func (s *session) pollPOST(c *fiber.Ctx) error {
	s.mu.Lock()
	if s.transport != transportPolling {
		s.mu.Unlock()
		return writeEngineError(c, errBadRequest)
	}
	if s.postPending {
		s.mu.Unlock()
		s.fail(closereason.ProtocolError, errConcurrentPoll)
		return writeEngineError(c, errBadRequest)
	}
	s.postPending = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.postPending = false
		s.mu.Unlock()
	}()

	body := c.Body()
	if len(body) > s.srv.cfg.MaxPayload {
		s.fail(closereason.PayloadTooLarge, errors.New("polling body over maxPayload"))
		return c.SendStatus(fiber.StatusRequestEntityTooLarge)
	}
	if bytes.HasPrefix(c.Request().Header.ContentType(), []byte("application/octet-stream")) {
		s.fail(closereason.ParseError, errBinaryPost)
		return writeEngineError(c, errBadRequest)
	}
	s.inMu.Lock()
	err := codec.DecodeEnginePayload(body, func(p codec.EnginePacket) error {
		s.received(len(p.Data) + 1)
		if !s.onEnginePacket(p, false) {
			return errStopPayload
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopPayload) {
		s.fail(closereason.ParseError, err)
	}
	s.inMu.Unlock()
	c.Set(fiber.HeaderContentType, "text/html")
	return c.SendString("ok")
}
