package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/presenced/presenced/ws/codec"
)

// sioConn is one Socket.IO client connection: its goroutine reads every
// frame, answers Engine.IO pings and every server-action:ping at once, and
// notes what the report needs. It speaks the wire through ws's own codec.
type sioConn struct {
	r     *runner
	idx   int
	user  *seedUser
	probe bool // a tab-close probe: not an observer of other sockets' leaves

	token       string
	ws          *wsConn
	pongPre     []byte        // `["ng-action",{"action":"pong","socket_id":"…","token":"…","seq":`
	pongPreAnon []byte        // the same with "token":null, while the socket is unbound on purpose
	ackSeq      atomic.Int64  // requests that asked for an ack (the kind is in the id's low bits)
	ready       chan error    // the CONNECT's outcome, once
	engine      chan struct{} // closed when the Engine.IO open packet arrived
	done        chan struct{} // closed when the read loop ends
	closing     atomic.Bool   // we are closing it: not an error

	openedAt   time.Time
	snapshotAt atomic.Int64 // unix ns of the first update (the full list)
	settledAt  atomic.Int64 // unix ns of the first update with count ≥ expected
	seenWatch  uint64       // the tab-close watch this socket last counted (read loop only)
	fullNext   atomic.Bool  // the next update should carry the full list (after a bind)

	scopedConn // rooms, watch and global modes
}

var (
	errRefused          = errors.New("CONNECT refused by the server")
	errClosedEarly      = errors.New("socket closed before CONNECT was answered")
	framePongEngine     = []byte{codec.EnginePong}
	frameEvent          = []byte{codec.EngineMessage, codec.SocketEvent}
	nameServerPing      = `"server-action:ping"`
	nameUpdate          = `"server-action:update_user_online"`
	nameServerError     = `"server-action:error"`
	nameLoggedOut       = `"server-action:logged_out"`
	nameRoomUpdate      = `"presence:update"`
	nameWatchUpdate     = `"presence:watch_update"`
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
	c.fullNext.Store(true)
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
	auth := append([]byte(`{"token":`), codec.AppendJSONString(nil, c.token)...)
	if err := c.ws.writeText(codec.AppendConnect(nil, append(auth, '}'))); err != nil {
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
			c.r.traffic.add(fkOther, len(msg))
			continue
		}
		typ, data, err := codec.DecodeEngineText(msg)
		if err != nil {
			c.r.st.protoErrors.Add(1)
			c.r.traffic.add(fkOther, len(msg))
			continue
		}
		kind := fkEngine
		switch typ {
		case codec.EngineOpen:
			if !isDone(c.engine) {
				close(c.engine)
			}
		case codec.EnginePing:
			kind = fkEnginePing
			c.r.st.enginePings.Add(1)
			if err := c.ws.writeText(framePongEngine); err != nil {
				c.writeFailed()
			}
		case codec.EngineMessage:
			kind = c.onSocketPacket(data, scratch[:0], tail[:0])
		}
		c.r.traffic.add(kind, len(msg))
	}
}

// onSocketPacket handles one Socket.IO packet and returns its kind.
func (c *sioConn) onSocketPacket(data []byte, elems []json.RawMessage, tail []byte) frameKind {
	if arg, ok := largeUpdate(data); ok {
		return frameKindOfEvent([]byte(nameUpdate), c.onUpdate(arg))
	}
	p, err := codec.DecodeSocketPacket(data, elems)
	if err != nil {
		c.r.st.protoErrors.Add(1)
		return fkOther
	}
	switch p.Type {
	case codec.SocketConnect:
		sid, _ := stringField(p.Data, "sid")
		pre := append([]byte(nil), `["ng-action",{"action":"pong","socket_id":`...)
		pre = codec.AppendJSONString(pre, sid)
		pre = append(pre, `,"token":`...)
		c.pongPreAnon = append(append(slices.Clip(pre), "null"...), `,"seq":`...)
		pre = codec.AppendJSONString(pre, c.token)
		c.pongPre = append(pre, `,"seq":`...)
		c.signal(nil)
	case codec.SocketConnectError:
		c.r.st.refused.Add(1)
		c.r.st.noteFirst("connect_refused", connectErrorText(p.Data))
		c.signal(errRefused)
	case codec.SocketAck:
		k := ackKindOf(p.ID)
		switch {
		case k == akPong:
			c.onPongAck(p.Elems)
		case k < numAckKinds:
			c.onAck(k, p.ID, p.Elems)
		default:
			return fkOther
		}
		return frameKindOfAck(k)
	case codec.SocketDisconnect:
		if !c.closing.Load() {
			c.r.st.closed.Add(1)
		}
	case codec.SocketEvent:
		if len(p.Elems) < 2 {
			return fkOther
		}
		arg := p.Elems[1]
		full := false
		switch string(p.Elems[0]) {
		case nameServerPing:
			c.onPing(arg, tail)
		case nameUpdate:
			full = c.onUpdate(arg)
		case nameRoomUpdate:
			c.onRoomUpdate(arg)
		case nameWatchUpdate:
			c.onWatchUpdate(arg)
		case nameServerError:
			code, _ := stringField(arg, "code")
			c.r.st.serverError(code)
			if msg, ok := stringField(arg, "message"); ok {
				c.lastError.Store(&msg)
			}
		case nameLoggedOut:
			c.r.st.loggedOut.Add(1)
		}
		return frameKindOfEvent(p.Elems[0], full)
	}
	return frameKindOfSocket(p.Type)
}

// largeFrame is the size from which an update_user_online is read without
// the decoder's validation: the global list's full lists (a megabyte at
// 10,000 users, one per bind) would otherwise cost the load generator more
// than the server's sending them. Smaller ones, the diffs, are validated.
const largeFrame = 64 << 10

var (
	prefixUpdate = []byte(`2["server-action:update_user_online",`)
	keyUsers     = []byte(`"users":`) // only a key can match: inside a string the quotes are escaped
)

// largeUpdate returns the payload of a large update_user_online (the
// Socket.IO packet data without its event name; the walk of its top level
// ignores what follows the object).
func largeUpdate(data []byte) ([]byte, bool) {
	if len(data) < largeFrame || !bytes.HasPrefix(data, prefixUpdate) {
		return nil, false
	}
	return data[len(prefixUpdate):], true
}

// onPongAck counts the server's answer to a pong that asked for an ack
// (-ack-pongs).
func (c *sioConn) onPongAck(elems []json.RawMessage) {
	if len(elems) == 0 {
		return
	}
	if string(topField(elems[0], "ok")) == "true" {
		c.r.st.answersOK.Add(1)
	} else if code, _ := stringField(elems[0], "code"); code == "rate_limited" {
		c.r.st.answersLimited.Add(1)
	} else {
		c.r.st.answersRefused.Add(1)
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
	pre := c.pongPre
	if c.unbound.Load() {
		pre = c.pongPreAnon // a token in the pong would bind the socket again
	}
	if pre == nil {
		return
	}
	head := frameEvent
	if c.r.cfg.AckPongs {
		var hb [24]byte
		head = strconv.AppendInt(append(hb[:0], frameEvent...), ackID(c.ackSeq.Add(1), akPong), 10)
	}
	if err := c.ws.writeText3(head, pre, tail); err != nil {
		c.writeFailed()
		return
	}
	c.r.st.pongs.Add(1)
}

// onUpdate handles server-action:update_user_online and reports whether it
// carried the full list (only the first update after a bind is looked at).
func (c *sioConn) onUpdate(arg []byte) (full bool) {
	now := time.Now().UnixNano()
	c.r.st.updates.Add(1)
	if c.fullNext.Load() && bytes.Contains(arg, keyUsers) {
		full = true
		c.fullNext.Store(false)
		if c.snapshotAt.Load() == 0 {
			c.snapshotAt.Store(now)
		}
	}
	if count, ok := intField(arg, "count"); ok && count >= int64(c.r.expectCount) && c.settledAt.Load() == 0 {
		c.settledAt.Store(now)
	}
	if c.r.scope != nil {
		c.onGlobalUpdate(arg, now)
		return full
	}
	if c.probe {
		return full
	}
	w := c.r.watch.Load()
	if w == nil || w.seq == c.seenWatch {
		return full
	}
	eachInt(arg, "left", func(id int64) {
		if id == w.userID && c.seenWatch != w.seq {
			c.seenWatch = w.seq
			if w.remaining.Add(-1) == 0 {
				w.doneAt.Store(now)
			}
		}
	})
	return full
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
