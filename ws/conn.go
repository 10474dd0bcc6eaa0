package ws

import (
	"encoding/json"
	"net/url"
	"time"

	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/ws/codec"
)

// Conn is one Socket.IO connection on namespace "/". Its methods are safe
// for concurrent use and never block on the network.
type Conn struct {
	s  *session
	id string
}

// ID is the Socket.IO socket id (what the client sees as socket.id), not the
// Engine.IO session id.
func (c *Conn) ID() string { return c.id }

// EngineID is the Engine.IO session id (useful in logs next to ID).
func (c *Conn) EngineID() string { return c.s.sid }

// Transport is "polling" or "websocket"; it changes on upgrade.
func (c *Conn) Transport() string {
	c.s.mu.Lock()
	t := c.s.transport
	c.s.mu.Unlock()
	return t.String()
}

// RemoteIP is the client address at the handshake: Config.ClientIP's answer
// (e.g. the last untrusted X-Forwarded-For hop behind a trusted proxy), by
// default the TCP peer's address.
func (c *Conn) RemoteIP() string { return c.s.hs.remoteIP }

// UserAgent is the handshake request's User-Agent.
func (c *Conn) UserAgent() string { return c.s.hs.userAgent }

// Origin is the handshake request's Origin header, empty when absent.
func (c *Conn) Origin() string { return c.s.hs.origin }

// Query returns a query parameter of the handshake request (the client's
// `query` option ends up there, next to EIO, transport and t).
func (c *Conn) Query(key string) string {
	v, _ := url.ParseQuery(c.s.hs.rawQuery)
	return v.Get(key)
}

// Emit queues an EVENT. It returns false when the connection is closed, the
// name is reserved or data is not valid JSON, or the queue is full — which
// closes the connection as a slow consumer.
func (c *Conn) Emit(name string, data ...json.RawMessage) bool {
	f := codec.AppendEvent(nil, name, data...)
	return f != nil && c.send(f)
}

// EmitWithAck queues an EVENT asking the client for an ack. cb is called
// exactly once if EmitWithAck returns true: with the client's answer, or
// with ErrAckTimeout after Config.AckTimeout, or with ErrConnClosed.
// It runs like OnEvent, serialised with the connection's other callbacks.
func (c *Conn) EmitWithAck(name string, cb func(args []json.RawMessage, err error), data ...json.RawMessage) bool {
	s := c.s
	s.mu.Lock()
	if s.conn != c || s.state != stateOpen {
		s.mu.Unlock()
		return false
	}
	id := s.nextAck
	s.nextAck++
	if s.acks == nil {
		s.acks = make(map[int64]pendingAck)
	}
	s.acks[id] = pendingAck{cb: cb, deadline: time.Now().Add(s.srv.cfg.AckTimeout)}
	s.mu.Unlock()
	f := codec.AppendEventWithAck(nil, name, id, data...)
	if f == nil || !c.send(f) {
		s.mu.Lock()
		delete(s.acks, id)
		s.mu.Unlock()
		return false
	}
	return true
}

// Ack answers the client's ack request id.
func (c *Conn) Ack(id int64, data ...json.RawMessage) bool {
	f := codec.AppendAck(nil, id, data...)
	return f != nil && c.send(f)
}

// SendFrame queues a pre-encoded Engine.IO message packet, such as the
// result of EncodeEvent (anything not starting with the message type `4` is
// refused: a bare Socket.IO packet would reach the client as another
// Engine.IO packet type). The slice may be shared by any number of
// connections and is never modified; the caller must not modify it either.
// Like Emit it never blocks, and a full queue closes the connection.
func (c *Conn) SendFrame(frame []byte) bool {
	return len(frame) > 1 && frame[0] == codec.EngineMessage && c.send(frame)
}

// SendHeartbeat is SendFrame for the application's own periodic frame (presenced's
// sweep ping): when the session's Engine.IO ping falls due within the next half
// PingInterval it is sent now, ahead of frame and in the same write, so that the two
// heartbeats cost the socket one write (and the client one wake-up) instead of two.
// Pings then come at most every half PingInterval and never later than before.
func (c *Conn) SendHeartbeat(frame []byte) bool {
	return len(frame) > 1 && frame[0] == codec.EngineMessage && c.s.open.Load() && c.s.pushHeartbeat(frame, c)
}

func (c *Conn) send(frame []byte) bool {
	return c.s.open.Load() && c.s.push(frame, c)
}

// Close ends the connection at the Engine.IO level after queued frames are
// written: the client sees "transport close" and reconnects by itself.
func (c *Conn) Close(reason closereason.Reason) {
	if c.s.owns(c) {
		c.s.close(reason, true)
	}
}

// Disconnect sends a Socket.IO DISCONNECT and then closes: the client sees
// "io server disconnect" and does not reconnect by itself.
func (c *Conn) Disconnect() {
	if c.s.push(frameDisconnect, c) {
		c.s.close(closereason.ServerDisconnect, true)
	}
}

func (s *session) owns(c *Conn) bool {
	s.mu.Lock()
	ok := s.conn == c
	s.mu.Unlock()
	return ok
}
