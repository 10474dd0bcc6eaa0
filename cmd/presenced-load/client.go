package main

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/presenced/presenced/ws"
)

// sioConn is one Socket.IO client connection: its goroutine reads every
// frame, answers Engine.IO pings and every server-action:ping at once, and
// notes what the report needs. It speaks the wire through ws's own codec.
type sioConn struct {
	r     *runner
	idx   int
	user  *seedUser
	probe bool // a tab-close probe: not an observer of other sockets' leaves

	token   string
	ws      *wsConn
	pongPre []byte        // `["ng-action",{"action":"pong","socket_id":"…","token":"…","seq":`
	ackID   int64         // the last ack id asked for (read loop only)
	ready   chan error    // the CONNECT's outcome, once
	engine  chan struct{} // closed when the Engine.IO open packet arrived
	done    chan struct{} // closed when the read loop ends
	closing atomic.Bool   // we are closing it: not an error

	openedAt   time.Time
	snapshotAt atomic.Int64 // unix ns of the first update (the full list)
	settledAt  atomic.Int64 // unix ns of the first update with count ≥ expected
	seenWatch  uint64       // the tab-close watch this socket last counted (read loop only)
}

var (
	errRefused          = errors.New("CONNECT refused by the server")
	errClosedEarly      = errors.New("socket closed before CONNECT was answered")
	framePongEngine     = []byte{ws.EnginePong}
	frameEvent          = []byte{ws.EngineMessage, ws.SocketEvent}
	nameServerPing      = `"server-action:ping"`
	nameUpdate          = `"server-action:update_user_online"`
	nameServerError     = `"server-action:error"`
	nameLoggedOut       = `"server-action:logged_out"`
	socketIOWSQuery     = "?EIO=4&transport=websocket"
	pongTailUnsolicited = []byte(`0}]`)
)

// open dials and waits for the Engine.IO open packet. Until bind sends the
// Socket.IO CONNECT the socket is no Socket.IO connection yet: the server's
// sweeps do not reach it.
func (c *sioConn) open(ctx context.Context) error {
	c.ready = make(chan error, 1)
	c.engine = make(chan struct{})
	c.done = make(chan struct{})
	c.closing.Store(false)
	c.snapshotAt.Store(0)
	c.settledAt.Store(0)
	c.openedAt = time.Now()
	w, err := dialWS(ctx, c.r.dialerFor(c.idx), c.r.cfg.host, c.r.cfg.Path+socketIOWSQuery)
	if err != nil {
		close(c.done)
		return err
	}
	c.ws = w
	c.r.st.open.Add(1)
	go c.readLoop()
	select {
	case <-c.engine:
		return nil
	case err := <-c.ready: // closed before the open packet
		return err
	case <-ctx.Done():
		c.shut(false)
		return ctx.Err()
	}
}

// bind sends CONNECT with the token and waits for the answer.
func (c *sioConn) bind(ctx context.Context) error {
	auth := append([]byte(`{"token":`), ws.AppendJSONString(nil, c.token)...)
	if err := c.ws.writeText(ws.AppendConnect(nil, append(auth, '}'))); err != nil {
		c.writeFailed()
		return err
	}
	select {
	case err := <-c.ready:
		return err
	case <-ctx.Done():
		c.shut(false)
		return ctx.Err()
	}
}

func (c *sioConn) signal(err error) {
	select {
	case c.ready <- err:
	default:
	}
}

// shut closes the socket on purpose (graceful: with a close frame, as a
// browser tab does) and waits for the read loop.
func (c *sioConn) shut(graceful bool) {
	if c.ws == nil || c.closing.Swap(true) {
		return
	}
	if graceful {
		c.ws.closeGracefully()
	} else {
		c.ws.close()
	}
	<-c.done
}

func (c *sioConn) readLoop() {
	defer func() {
		c.r.st.open.Add(-1)
		c.signal(errClosedEarly)
		close(c.done)
	}()
	var scratch [4]json.RawMessage
	var tail [32]byte
	for {
		op, msg, err := c.ws.readMessage()
		if err != nil {
			if !c.closing.Load() {
				c.r.st.closed.Add(1)
				c.ws.close()
			}
			return
		}
		if op != opText {
			continue
		}
		typ, data, err := ws.DecodeEngineText(msg)
		if err != nil {
			c.r.st.protoErrors.Add(1)
			continue
		}
		switch typ {
		case ws.EngineOpen:
			if !isDone(c.engine) {
				close(c.engine)
			}
		case ws.EnginePing:
			c.r.st.enginePings.Add(1)
			if err := c.ws.writeText(framePongEngine); err != nil {
				c.writeFailed()
			}
		case ws.EngineMessage:
			c.onSocketPacket(data, scratch[:0], tail[:0])
		}
	}
}

func (c *sioConn) onSocketPacket(data []byte, elems []json.RawMessage, tail []byte) {
	p, err := ws.DecodeSocketPacket(data, elems)
	if err != nil {
		c.r.st.protoErrors.Add(1)
		return
	}
	switch p.Type {
	case ws.SocketConnect:
		sid, _ := stringField(p.Data, "sid")
		pre := append([]byte(nil), `["ng-action",{"action":"pong","socket_id":`...)
		pre = ws.AppendJSONString(pre, sid)
		pre = append(pre, `,"token":`...)
		pre = ws.AppendJSONString(pre, c.token)
		c.pongPre = append(pre, `,"seq":`...)
		c.signal(nil)
	case ws.SocketConnectError:
		c.r.st.refused.Add(1)
		c.signal(errRefused)
	case ws.SocketAck:
		if len(p.Elems) > 0 {
			if string(topField(p.Elems[0], "ok")) == "true" {
				c.r.st.answersOK.Add(1)
			} else if code, _ := stringField(p.Elems[0], "code"); code == "rate_limited" {
				c.r.st.answersLimited.Add(1)
			} else {
				c.r.st.answersRefused.Add(1)
			}
		}
	case ws.SocketDisconnect:
		if !c.closing.Load() {
			c.r.st.closed.Add(1)
		}
	case ws.SocketEvent:
		if len(p.Elems) < 2 {
			return
		}
		arg := p.Elems[1]
		switch string(p.Elems[0]) {
		case nameServerPing:
			c.onPing(arg, tail)
		case nameUpdate:
			c.onUpdate(arg)
		case nameServerError:
			code, _ := stringField(arg, "code")
			c.r.st.serverError(code)
		case nameLoggedOut:
			c.r.st.loggedOut.Add(1)
		}
	}
}

// onPing answers at once; with -ack-pongs the answer asks for an ack, so
// that the report can tell whether the server ever refused an answer.
func (c *sioConn) onPing(arg []byte, tail []byte) {
	now := time.Now()
	c.r.st.pings.Add(1)
	if ts, ok := intField(arg, "ts"); ok && c.r.measuring.Load() {
		c.r.fanout.RecordMicros(now.UnixMicro() - ts*1000)
	}
	seq := topField(arg, "seq")
	if len(seq) == 0 {
		seq = []byte("null")
	}
	tail = append(append(tail, seq...), '}', ']')
	if c.pongPre == nil {
		return
	}
	head := frameEvent
	if c.r.cfg.AckPongs {
		var hb [24]byte
		c.ackID++
		head = strconv.AppendInt(append(hb[:0], frameEvent...), c.ackID, 10)
	}
	if err := c.ws.writeText3(head, c.pongPre, tail); err != nil {
		c.writeFailed()
		return
	}
	c.r.st.pongs.Add(1)
}

func (c *sioConn) onUpdate(arg []byte) {
	now := time.Now().UnixNano()
	c.r.st.updates.Add(1)
	if c.snapshotAt.Load() == 0 && topField(arg, "users") != nil {
		c.snapshotAt.Store(now)
	}
	if count, ok := intField(arg, "count"); ok && count >= int64(c.r.expectCount) && c.settledAt.Load() == 0 {
		c.settledAt.Store(now)
	}
	if c.probe {
		return
	}
	w := c.r.watch.Load()
	if w == nil || w.seq == c.seenWatch {
		return
	}
	eachInt(arg, "left", func(id int64) {
		if id == w.userID && c.seenWatch != w.seq {
			c.seenWatch = w.seq
			if w.remaining.Add(-1) == 0 {
				w.doneAt.Store(now)
			}
		}
	})
}

// writeFailed counts a failed write, unless we are closing the socket.
func (c *sioConn) writeFailed() {
	if !c.closing.Load() {
		c.r.st.writeErrors.Add(1)
	}
}

// sendUnsolicited sends a pong that answers no ping (hammer mode).
func (c *sioConn) sendUnsolicited() bool {
	if c.pongPre == nil || c.closing.Load() {
		return false
	}
	if err := c.ws.writeText3(frameEvent, c.pongPre, pongTailUnsolicited); err != nil {
		c.writeFailed()
		return false
	}
	c.r.st.hammer.Add(1)
	return true
}

// watch is one tab-close measurement: a probe user's only socket closed at
// closedAt; every observer socket decrements remaining when an update lists
// the user in left.
type watch struct {
	seq       uint64
	userID    int64
	remaining atomic.Int64
	doneAt    atomic.Int64
}
