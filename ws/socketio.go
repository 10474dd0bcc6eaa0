package ws

import (
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/ws/codec"
)

var (
	errInvalidState  = errors.New("packet for a namespace the client has not joined")
	errClientPing    = errors.New("invalid heartbeat direction")
	errUnexpectedBin = errors.New("binary packet without a binary event")
	errBinaryRefused = errors.New("binary socket.io packet (attachments are not supported)")
)

// onEnginePacket handles one inbound Engine.IO packet on an established
// session (not a probe). Called with inMu held. It returns false when the
// packet closed the session.
func (s *session) onEnginePacket(p codec.EnginePacket, viaWS bool) bool {
	if !s.open.Load() {
		return false
	}
	switch p.Type {
	case codec.EngineMessage:
		if p.Binary {
			// Only the attachments of a BINARY_EVENT or BINARY_ACK may be binary,
			// and those are refused before their attachments arrive.
			return s.fail(closereason.ParseError, errUnexpectedBin)
		}
		return s.onMessage(p.Data)
	case codec.EnginePong:
		return true
	case codec.EngineClose:
		if viaWS { // the reference ignores it there: websocket closes with a close frame
			return true
		}
		s.close(closereason.ClientClosed, false)
		return false
	case codec.EnginePing:
		return s.fail(closereason.ProtocolError, errClientPing)
	}
	return true // open, upgrade, noop: ignored, as the reference does
}

// onMessage handles one Socket.IO packet. Called with inMu held.
func (s *session) onMessage(data []byte) bool {
	var scratch [8]json.RawMessage
	p, err := codec.DecodeSocketPacket(data, scratch[:0])
	if err != nil {
		return s.fail(closereason.ParseError, err)
	}
	switch p.Type {
	case codec.SocketConnect:
		return s.onConnect(p)
	case codec.SocketBinaryEvent, codec.SocketBinaryAck:
		// Not supported, on any namespace: refused with a protocol error,
		// before its attachments (the spec lets a server refuse binary).
		s.srv.stats.binaryRefused.Add(1)
		return s.fail(closereason.ProtocolError, errBinaryRefused)
	}
	s.mu.Lock()
	joined := s.sio == sioConnected
	s.mu.Unlock()
	if !joined || p.Nsp != codec.DefaultNamespace {
		return s.fail(closereason.ProtocolError, errInvalidState)
	}
	switch p.Type {
	case codec.SocketDisconnect:
		// The Socket.IO connection ends; the Engine.IO session stays, and the
		// client may CONNECT on it again (the reference does the same).
		s.endConn(closereason.ClientDisconnect)
		return true
	case codec.SocketEvent:
		name := s.srv.names.get(p.Elems[0])
		args := codec.CopyArgs(p.Data, p.Elems[1:])
		app := s.app
		s.callApp(func() { app.OnEvent(name, args, p.ID) })
		return true
	case codec.SocketAck:
		s.mu.Lock()
		a, ok := s.acks[p.ID]
		delete(s.acks, p.ID)
		s.mu.Unlock()
		if ok {
			args := codec.CopyArgs(p.Data, p.Elems)
			s.callApp(func() { a.cb(args, nil) })
		}
		return true
	}
	return s.fail(closereason.ProtocolError, errInvalidState) // CONNECT_ERROR from a client
}

// onConnect asks the application about a CONNECT. Called with inMu held.
func (s *session) onConnect(p codec.SocketPacket) bool {
	if p.Nsp != codec.DefaultNamespace {
		return s.push(codec.AppendConnectError(nil, p.Nsp, "Invalid namespace", nil), nil)
	}
	s.mu.Lock()
	if s.sio != sioNone || s.state != stateOpen {
		s.mu.Unlock()
		return true // a second CONNECT for "/": ignored
	}
	if s.ipSlot == ipRefusing {
		s.mu.Unlock()
		s.srv.stats.ipRefused.Add(1)
		s.push(frameTooManyConns, nil)
		s.close(closereason.TooManyConnections, true) // after the CONNECT_ERROR
		return false
	}
	c := &Conn{s: s, id: newID()}
	s.sio, s.conn = sioConnecting, c
	s.mu.Unlock()

	var auth json.RawMessage
	if p.Data != nil {
		auth = json.RawMessage(append([]byte(nil), p.Data...))
	}
	var (
		app Session
		err error
	)
	s.callApp(func() { app, err = s.srv.h.OnConnect(c, auth) })
	if err == nil && app == nil {
		err = errors.New("refused") // a Handler bug, but never a nil Session
	}

	s.mu.Lock()
	if err != nil {
		s.sio, s.conn, s.pre, s.preBytes = sioNone, nil, nil, 0
		if s.state == stateClosing {
			s.kickLocked() // a Close while OnConnect ran waited for it (see close)
		}
		s.mu.Unlock()
		s.srv.stats.refused.Add(1)
		var data json.RawMessage
		var withData interface{ ConnectErrorData() any }
		if errors.As(err, &withData) {
			if b, err := json.Marshal(withData.ConnectErrorData()); err == nil {
				data = b
			}
		}
		return s.push(codec.AppendConnectError(nil, "", err.Error(), data), nil)
	}
	s.app = app
	s.sio = sioConnected
	if s.state == stateOpen || s.state == stateClosing { // closing: Close was called meanwhile (see close)
		reply := codec.AppendConnected(make([]byte, 0, 40), c.id)
		s.q = append(s.q, reply)
		s.q = append(s.q, s.pre...)
		s.qBytes += len(reply) + s.preBytes
		s.pre, s.preBytes = nil, 0
		s.kickLocked()
	}
	s.mu.Unlock()
	s.srv.stats.connects.Add(1)
	return true
}

// internTable turns event names into strings without allocating for names
// seen before; it stops growing at maxInterned so a client cannot fill it.
type internTable struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

const maxInterned = 256

func (t *internTable) get(raw json.RawMessage) string {
	b := codec.EventName(raw) // validated by the decoder
	if m := t.m.Load(); m != nil {
		if s, ok := (*m)[string(b)]; ok {
			return s
		}
	}
	s := string(b)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	if old != nil && len(*old) >= maxInterned {
		return s
	}
	m := make(map[string]string, 1+func() int {
		if old == nil {
			return 0
		}
		return len(*old)
	}())
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[s] = s
	t.m.Store(&m)
	return s
}
