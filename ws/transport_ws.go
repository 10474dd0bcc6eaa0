package ws

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/ws/codec"
	"github.com/presenced/presenced/ws/internal/netpoll"
	"github.com/presenced/presenced/ws/internal/wsframe"
)

// wsTransport is one websocket: the main transport of a session or a probe.
//
// contrib/websocket (over fasthttp/websocket) does the upgrade; after it the
// session runs on the raw TCP connection (fasthttp keeps hijacked
// connections open, see Mount): wsReader reads the client's frames, and the
// server frames its messages itself (they are unmasked, a header is 2–10
// bytes). A frame pushed to an idle socket is written at once by the pushing
// goroutine with one non-blocking write (tryWrite); otherwise the writer
// goroutine writes a whole batch with one write — or one writev when a large
// shared frame is referenced instead of copied — after the unwritten tail of
// a direct write, if any. Every write call carries whole frames except a
// direct write the socket took in part, whose tail goes next; the reader's
// control frames (writeControl) respect that.
type wsTransport struct {
	// conn is the connection as the listener accepted it (possibly a wrapper
	// such as *connlimit.Conn, which counts its Close): it is closed through
	// this, never through raw. nil in tests that build a transport by hand.
	conn     net.Conn
	raw      net.Conn        // the socket itself (innerConn of conn), for all I/O and deadlines
	rc       syscall.RawConn // raw's descriptor for writes that must not wait; nil when unavailable
	rd       *wsframe.Reader // used by the reader goroutine only
	vectored bool            // raw is a *net.TCPConn: net.Buffers is one atomic writev
	wg       sync.WaitGroup
	writing  bool     // a writer goroutine runs; guarded by session.mu
	run      func()   // the writer, built once: `go w.run()` then allocates nothing
	rest     []byte   // the unwritten tail of a direct write, for the writer (writing is true meanwhile); guarded by session.mu
	ctl      [][]byte // control frames from the reader waiting for the writer; guarded by session.mu
	// ctlBytes is the size of ctl: it counts against the session's outbound
	// bound with its queue (see session.fitsLocked); guarded by session.mu.
	ctlBytes int
	// ctlFlushed are closed when the writer has written (or given up on) ctl;
	// guarded by session.mu.
	ctlFlushed []chan struct{}
	try        directWrite // guarded by session.mu
	closeSent  atomic.Bool
	// reg is the socket's place in the Server's poller (nil: its reader is held);
	// noPark, once set, keeps the reader from parking again: the session is ending,
	// and its reads must run into the deadline or the close that ends them.
	reg    atomic.Pointer[netpoll.Registration]
	noPark atomic.Bool
	// sess is the session this websocket carries, nil while it only probes an
	// upgrade; set and read by the reader goroutine only.
	sess *session
	// ctlTimeout is Config.ControlTimeout (DefaultControlTimeout in tests
	// that build a transport by hand).
	ctlTimeout time.Duration
}

// newWSTransport takes the connection out of contrib's Conn, which must not
// be used afterwards (it goes back to its pool when the handler returns).
func newWSTransport(c *websocket.Conn, cfg *Config) *wsTransport {
	conn := c.NetConn()
	if u, ok := conn.(interface{ UnsafeConn() net.Conn }); ok {
		conn = u.UnsafeConn() // fasthttp's hijack wrapper: its reader is empty after the upgrade
	}
	raw := innerConn(conn)
	_, vectored := raw.(*net.TCPConn)
	w := &wsTransport{conn: conn, raw: raw, vectored: vectored, ctlTimeout: cfg.ControlTimeout}
	if sc, ok := raw.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			w.rc = rc
			w.try.write = w.try.run
		}
	}
	w.rd = wsframe.NewReader(raw, w.rc, cfg.MaxPayload, w)
	return w
}

// abort cuts the connection: the reader and any writer fail at once.
func (w *wsTransport) abort() {
	w.noPark.Store(true) // first: a reader about to park must see that the session ends
	_ = w.raw.SetDeadline(time.Unix(1, 0))
	_ = w.closeConn()
	w.unpark()
}

// register puts the socket in the Server's poller, so that its reader can park
// while it is idle; resume is the reader's next run. Without a poller or a
// descriptor it does nothing: the reader blocks as before.
func (w *wsTransport) register(srv *Server, resume func()) {
	if srv.poller == nil || w.rc == nil {
		return
	}
	reg, err := srv.poller.Register(w.rc, resume)
	if err != nil {
		srv.log.Debug("ws: websocket not parked when idle", "err", err)
		return
	}
	w.reg.Store(reg)
}

// unpark makes the reader run to its end: a parked one is started again, a running
// one no longer parks.
func (w *wsTransport) unpark() {
	w.noPark.Store(true)
	if reg := w.reg.Load(); reg != nil {
		reg.Wake()
	}
}

// park parks the socket when the reader has read it dry, after a poll if the last
// read does not say so: true when parked (the reader returns and touches nothing
// more), false when there are bytes to read (or an error to see), or the session is
// ending.
func (w *wsTransport) park(reg *netpoll.Registration) bool {
	for !w.noPark.Load() {
		if !w.rd.Dry() && w.rd.Poll() {
			return false
		}
		if reg.Park() {
			return true
		}
		w.rd.Forget() // bytes came meanwhile: read again
	}
	return false
}

// finish ends the websocket after its reader's last read: out of the poller, the
// read buffer back, the connection closed, the Server's count of it released.
func (w *wsTransport) finish(srv *Server) {
	if reg := w.reg.Load(); reg != nil {
		reg.Close()
	}
	w.rd.Release()
	_ = w.closeConn()
	srv.leave()
}

// closeConn closes the connection through the listener's wrapper, if any.
func (w *wsTransport) closeConn() error {
	if w.conn != nil {
		return w.conn.Close()
	}
	return w.raw.Close()
}

// The websocket's answers to the control frames its reader meets.
var _ wsframe.Control = (*wsTransport)(nil)

// CloseReceived answers the client's close frame (from the reader goroutine),
// unless we sent ours first.
func (w *wsTransport) CloseReceived(code int) {
	if code == 1005 {
		w.sendCloseFrame(nil) // no status received: an empty close answers it
	} else {
		w.SendClose(code)
	}
}

// SendClose sends a close frame with code unless one was sent already.
func (w *wsTransport) SendClose(code int) {
	w.sendCloseFrame(binary.BigEndian.AppendUint16(nil, uint16(code)))
}

func (w *wsTransport) sendCloseFrame(payload []byte) {
	if !w.closeSent.Swap(true) {
		w.WriteControl(wsframe.OpClose, payload)
	}
}

// WriteControl writes one control frame (payload ≤ 125 bytes) from the
// reader goroutine, never in the middle of another frame: while the writer
// runs or the tail of a direct write is pending, the frame goes through the
// writer (a close frame waits up to ControlTimeout for it: the session is cut
// right after); otherwise it goes out like a direct write. A frame that waits for
// the writer counts against the session's outbound bound like a queued one
// (a client flooding pings without reading is a slow consumer), except the
// one close frame. A probe's reader is its connection's only writer, and
// writes synchronously: a probe that cannot take a pong within ControlTimeout
// is cut (a timed-out write may have left half a frame).
func (w *wsTransport) WriteControl(op byte, payload []byte) {
	frame := wsframe.AppendHeader(make([]byte, 0, 2+len(payload)), op, len(payload))
	frame = append(frame, payload...)
	s := w.sess
	if s == nil {
		_ = w.raw.SetWriteDeadline(time.Now().Add(w.ctlTimeout))
		_, err := w.raw.Write(frame)
		_ = w.raw.SetWriteDeadline(time.Time{})
		if err != nil {
			w.abort()
		}
		return
	}
	s.mu.Lock()
	if s.ws != w || s.state == stateClosed {
		s.mu.Unlock()
		return
	}
	if w.writing || w.rc == nil { // a pending tail (w.rest) always has the writer running
		if op != wsframe.OpClose && !s.fitsLocked(&s.q, len(frame)) {
			frames, bytes := s.pendingLocked(&s.q)
			s.mu.Unlock()
			s.slowConsumer(frames, bytes)
			return
		}
		w.ctl = append(w.ctl, frame)
		w.ctlBytes += len(frame)
		var flushed chan struct{}
		if op == wsframe.OpClose {
			flushed = make(chan struct{})
			w.ctlFlushed = append(w.ctlFlushed, flushed)
		}
		s.kickLocked()
		s.mu.Unlock()
		if flushed != nil {
			t := time.NewTimer(w.ctlTimeout)
			defer t.Stop()
			select {
			case <-flushed:
			case <-t.C:
			}
		}
		return
	}
	rest, err := w.tryWriteBytes(frame, s.srv)
	if err == nil && rest != nil {
		w.rest = rest
		s.kickLocked()
	}
	s.mu.Unlock()
	// An error: the reader sees the connection fail.
}

// closeGracefully sends a normal-closure frame and gives the client
// ControlTimeout to answer before the reader gives up.
func (w *wsTransport) closeGracefully() {
	if !w.closeSent.Swap(true) {
		_ = w.raw.SetWriteDeadline(time.Now().Add(w.ctlTimeout))
		_, _ = w.raw.Write([]byte{0x80 | wsframe.OpClose, 2, 0x03, 0xe8}) // 1000
	}
	w.noPark.Store(true) // first: a reader about to park must see that the session ends
	_ = w.raw.SetReadDeadline(time.Now().Add(w.ctlTimeout))
	w.unpark() // a parked reader would not see the deadline
}

const (
	// Frames up to wsInlineMax are copied into the batch buffer; larger ones
	// are referenced (writev) when the connection allows it.
	wsInlineMax = 4 << 10
	// Batch buffers up to this capacity go back to the pool.
	wsPooledMax = 64 << 10
)

var writeBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// writeFrames writes frames as text messages with one write call.
func (w *wsTransport) writeFrames(frames [][]byte, srv *Server) error {
	need, total, large := 0, 0, false
	for _, f := range frames {
		h := wsframe.HeaderLen(len(f))
		total += h + len(f)
		need += h
		if w.vectored && len(f) > wsInlineMax {
			large = true
		} else {
			need += len(f)
		}
	}
	bp := writeBufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	if cap(buf) < need {
		buf = make([]byte, 0, need)
	}
	// Counted before the write, so that a client never sees a frame the
	// counters do not show yet.
	srv.stats.writeCalls.Add(1)
	srv.stats.framesOut.Add(uint64(len(frames)))
	srv.stats.bytesOut.Add(uint64(total))
	_ = w.raw.SetWriteDeadline(time.Now().Add(srv.cfg.WriteTimeout))
	var err error
	if large {
		buf, err = w.writeVectored(frames, buf)
	} else {
		for _, f := range frames {
			buf = wsframe.AppendHeader(buf, wsframe.OpText, len(f))
			buf = append(buf, f...)
		}
		_, err = w.raw.Write(buf)
	}
	if cap(buf) <= wsPooledMax {
		*bp = buf[:0]
		writeBufPool.Put(bp)
	}
	return err
}

// writeVectored writes headers and small frames from buf and large frames
// in place (shared broadcast frames are not copied) with one writev.
func (w *wsTransport) writeVectored(frames [][]byte, buf []byte) ([]byte, error) {
	iov := make(net.Buffers, 0, 2*len(frames)+1)
	mark := 0
	for _, f := range frames {
		buf = wsframe.AppendHeader(buf, wsframe.OpText, len(f))
		if len(f) <= wsInlineMax {
			buf = append(buf, f...)
			continue
		}
		iov = append(iov, buf[mark:], f)
		mark = len(buf)
	}
	if mark < len(buf) {
		iov = append(iov, buf[mark:])
	}
	_, err := iov.WriteTo(w.raw)
	return buf, err
}

// flushedLocked releases the readers waiting for close frames that will not
// be written now.
func (w *wsTransport) flushedLocked() {
	for _, c := range w.ctlFlushed {
		close(c)
	}
	w.ctlFlushed = nil
}

// writeRest writes the tail of a direct write that the socket did not take,
// then the control frames, with one write.
func (w *wsTransport) writeRest(rest []byte, ctl [][]byte, srv *Server) error {
	for _, f := range ctl {
		rest = append(rest, f...)
	}
	srv.stats.writeCalls.Add(1)
	_ = w.raw.SetWriteDeadline(time.Now().Add(srv.cfg.WriteTimeout))
	_, err := w.raw.Write(rest)
	return err
}

// tryWrite writes small frames (one, or a ping and the frame it rides with) with a single non-blocking write(2), in the
// caller's goroutine: as much as the socket's send buffer takes now, never
// waiting for more. It returns the unwritten tail (nil when it all went out),
// which the caller must hand to the writer before anything else. Called with
// session.mu held, while no writer runs and nothing is queued or pending, so
// frames keep their order and are never split by another write.
func (w *wsTransport) tryWrite(srv *Server, frames ...[]byte) (rest []byte, err error) {
	bp := writeBufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	for _, frame := range frames {
		buf = wsframe.AppendHeader(buf, wsframe.OpText, len(frame))
		buf = append(buf, frame...)
	}
	srv.stats.framesOut.Add(uint64(len(frames)))
	srv.stats.bytesOut.Add(uint64(len(buf)))
	rest, err = w.tryWriteBytes(buf, srv)
	*bp = buf[:0]
	writeBufPool.Put(bp)
	return rest, err
}

// tryWriteBytes is tryWrite's write(2) of bytes already framed; rest is a copy.
func (w *wsTransport) tryWriteBytes(buf []byte, srv *Server) (rest []byte, err error) {
	srv.stats.writeCalls.Add(1)
	w.try.buf = buf
	err = w.rc.Write(w.try.write)
	n, werr := max(w.try.n, 0), w.try.err
	w.try = directWrite{write: w.try.write}
	if err == nil && werr != nil && werr != syscall.EAGAIN {
		err = werr
	}
	if err == nil && n < len(buf) {
		rest = append([]byte(nil), buf[n:]...)
	}
	return rest, err
}

// directWrite is tryWrite's one write(2), kept in the transport so that
// handing it to RawConn.Write allocates nothing. Guarded by session.mu.
type directWrite struct {
	buf   []byte
	n     int
	err   error
	write func(fd uintptr) bool // bound once to this struct's fields
}

func (d *directWrite) run(fd uintptr) bool {
	for {
		d.n, d.err = syscall.Write(int(fd), d.buf)
		if d.err != syscall.EINTR {
			return true // EAGAIN included: the writer waits, not the caller
		}
	}
}

func writeErrReason(err error) closereason.Reason {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return closereason.WriteTimeout
	}
	return closereason.TransportError
}

// maxSpare bounds the queue array a session keeps between batches, so a
// burst does not pin a large array to an idle connection.
const maxSpare = 16

// writeLoop is the session's only writer while it is on websocket. It exists
// only while frames are queued: push starts it, it exits when the queue is
// empty (after the close frame, when the session is closing).
func (s *session) writeLoop(w *wsTransport) {
	defer w.wg.Done()
	var done [][]byte
	for {
		s.mu.Lock()
		if done != nil && s.spare == nil && cap(done) <= maxSpare {
			s.spare = done[:0]
		}
		if s.ws != w || s.state == stateClosed {
			w.writing = false
			w.flushedLocked()
			s.mu.Unlock()
			return
		}
		if len(s.q) == 0 && w.rest == nil && w.ctl == nil {
			w.writing = false
			// Direct writes never wait, and the poller refuses any write once a
			// deadline has passed: leave none behind.
			_ = w.raw.SetWriteDeadline(time.Time{})
			// While OnConnect runs, a Close waits for its CONNECT reply and
			// frames (see session.close): onConnect kicks the writer again.
			closing := s.state == stateClosing && s.sio != sioConnecting
			if closing {
				s.state = stateClosed
			}
			s.mu.Unlock()
			if closing {
				w.closeGracefully()
			}
			return
		}
		if rest, ctl, flushed := w.rest, w.ctl, w.ctlFlushed; rest != nil || ctl != nil {
			// The tail of a direct write goes before anything queued after it,
			// then the reader's control frames, whole.
			w.rest, w.ctl, w.ctlFlushed, w.ctlBytes = nil, nil, nil, 0
			s.mu.Unlock()
			err := w.writeRest(rest, ctl, s.srv)
			for _, c := range flushed {
				close(c)
			}
			if err != nil {
				s.writerFailed(w, err)
				return
			}
			continue
		}
		// The batch in the writer's hands no longer counts against the bound:
		// at most one batch more than the bound is held while a write waits.
		batch := s.q
		s.q, s.spare, s.qBytes = s.spare, nil, 0
		s.mu.Unlock()

		err := w.writeFrames(batch, s.srv)
		clear(batch)
		done = batch
		if err != nil {
			s.writerFailed(w, err)
			return
		}
	}
}

// writerFailed ends the writer after a failed write: the session is cut.
func (s *session) writerFailed(w *wsTransport, err error) {
	s.close(writeErrReason(err), false)
	s.mu.Lock()
	w.writing = false
	w.flushedLocked()
	s.mu.Unlock()
}

// readLoop reads the session's websocket until it fails or closes (false), or
// until a socket in the poller is read dry and parked (true): the poller starts
// serveReads again when bytes arrive.
func (s *session) readLoop(w *wsTransport) (parked bool) {
	reg := w.reg.Load()
	for {
		if reg != nil && w.rd.Buffered() == 0 && w.park(reg) {
			return true
		}
		bin, bp, err := w.rd.Next()
		if err != nil {
			s.readFailed(err)
			return false
		}
		b := *bp
		s.received(len(b))
		s.inMu.Lock()
		if bin {
			s.onEnginePacket(codec.EnginePacket{Type: codec.EngineMessage, Data: b, Binary: true}, true)
		} else if typ, data, err := codec.DecodeEngineText(b); err != nil {
			s.fail(closereason.ParseError, err)
		} else {
			s.onEnginePacket(codec.EnginePacket{Type: typ, Data: data}, true)
		}
		s.inMu.Unlock()
		wsframe.PutMessage(bp)
	}
}

func (s *session) readFailed(err error) {
	var pe wsframe.ProtocolError
	switch {
	case errors.Is(err, wsframe.ErrReadLimit):
		s.fail(closereason.PayloadTooLarge, err)
	case errors.As(err, &pe):
		s.fail(closereason.TransportError, err)
	case errors.Is(err, wsframe.ErrClientClose), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		s.close(closereason.ClientClosed, false)
	default:
		s.close(closereason.TransportError, false)
	}
}

// received notes an inbound Engine.IO packet: liveness and counters.
func (s *session) received(n int) {
	if !s.alive.Load() {
		s.alive.Store(true)
	}
	s.srv.stats.framesIn.Add(1)
	s.srv.stats.bytesIn.Add(uint64(n))
}

func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// endWS runs on the reader goroutine after readLoop: detach the socket, wait
// for the writer, then finalize. Only after this may the contrib handler
// return (the library pools the Conn).
func (s *session) endWS(w *wsTransport) {
	s.mu.Lock()
	if s.ws == w {
		s.ws = nil
	}
	s.unregisterLocked()
	fin := !s.finalizing
	s.finalizing = true
	s.mu.Unlock()
	w.wg.Wait()
	if fin {
		s.finalize()
	}
}

// wsStart travels from the fiber handler to the websocket handler.
type wsStart struct {
	sess *session // nil: a new websocket-only session
	hs   handshake
}

const wsLocalsKey = "presenced.ws.start"

// serveWS is the contrib websocket handler: it takes the connection and
// returns at once, so that fasthttp releases the request's context and
// reader and contrib its Conn; the session runs on a goroutine of its own.
func (srv *Server) serveWS(c *websocket.Conn) {
	st, _ := c.Locals(wsLocalsKey).(*wsStart)
	w := newWSTransport(c, &srv.cfg)
	if st == nil || !srv.enter() {
		_ = w.closeConn() // fasthttp keeps hijacked connections open
		return
	}
	go srv.runWS(w, st)
}

// runWS is a websocket's first reader goroutine: the probe of an upgrade, or a
// new session's. The reader then runs in serveReads, in this goroutine and, each
// time the socket was parked idle, in the one the poller starts.
func (srv *Server) runWS(w *wsTransport, st *wsStart) {
	if st.sess != nil {
		if !srv.probeWS(w, st.sess) {
			w.finish(srv)
		}
		return
	}
	slot, ok := srv.ips.acquire(st.hs.remoteIP, true)
	if !ok { // the address filled up since serve's check: no session
		srv.stats.ipRefused.Add(1)
		w.finish(srv)
		return
	}
	s := srv.newSession(st.hs, transportWebsocket)
	s.ws, w.sess, s.ipSlot = w, s, slot
	handed := false
	defer func() {
		if handed {
			return // serveReads recovers its own
		}
		if r := recover(); r != nil {
			srv.log.Error("ws: panic in websocket session", "sid", s.sid, "panic", r)
			s.close(closereason.TransportError, false)
			s.endWS(w)
			w.finish(srv)
		}
	}()
	w.register(srv, func() { s.serveReads(w) })
	s.register()
	s.push(srv.cfg.appendOpen(make([]byte, 0, 128), s.sid, false), nil)
	if srv.closing.Load() {
		s.close(closereason.ServerShutdown, true)
	}
	handed = true
	s.serveReads(w)
}

// probeWS runs an upgrade's probe: true when the websocket went on to carry the
// session (serveReads then ends it), false when the probe failed.
func (srv *Server) probeWS(w *wsTransport, s *session) (handed bool) {
	defer func() {
		if r := recover(); r != nil {
			srv.log.Error("ws: panic in upgrade probe", "sid", s.sid, "panic", r)
			handed = false
		}
	}()
	return srv.runProbe(w, s)
}

// serveReads is the session's websocket reader from a start or a resume until the
// socket parks idle (it returns; the poller calls it again on the next bytes) or
// ends (it finalizes the session and closes the connection).
func (s *session) serveReads(w *wsTransport) {
	defer func() {
		if r := recover(); r != nil {
			s.srv.log.Error("ws: panic in websocket session", "sid", s.sid, "panic", r)
			s.close(closereason.TransportError, false)
			s.endWS(w)
			w.finish(s.srv)
		}
	}()
	w.rd.Forget() // a resume: what is there is not known yet
	if s.readLoop(w) {
		return
	}
	s.endWS(w)
	w.finish(s.srv)
}
