package ws

import (
	"encoding/json"
	"errors"
	"github.com/presenced/presenced/internal/jsonscan"
	"sync"
	"sync/atomic"
)

var (
	errInvalidState  = errors.New("packet for a namespace the client has not joined")
	errClientPing    = errors.New("invalid heartbeat direction")
	errTextInBinary  = errors.New("text packet while binary attachments were expected")
	errUnexpectedBin = errors.New("binary packet without a binary event")
)

// onEnginePacket handles one inbound Engine.IO packet on an established
// session (not a probe). Called with inMu held. It returns false when the
// packet closed the session.
func (s *session) onEnginePacket(p enginePacket, viaWS bool) bool {
	if !s.open.Load() {
		return false
	}
	switch p.Type {
	case eioMessage:
		if p.Binary {
			return s.onBinary()
		}
		return s.onMessage(p.Data)
	case eioPong:
		return true
	case eioClose:
		if viaWS { // the reference ignores it there: websocket closes with a close frame
			return true
		}
		s.close(ClientClosed, false)
		return false
	case eioPing:
		return s.fail(ProtocolError, errClientPing)
	}
	return true // open, upgrade, noop: ignored, as the reference does
}

func (s *session) onBinary() bool {
	if s.dropAttachments == 0 {
		return s.fail(ParseError, errUnexpectedBin)
	}
	s.dropAttachments--
	return true
}

// onMessage handles one Socket.IO packet. Called with inMu held.
func (s *session) onMessage(data []byte) bool {
	if s.dropAttachments > 0 {
		return s.fail(ParseError, errTextInBinary)
	}
	var scratch [8]json.RawMessage
	p, elems, err := decodeSocketPacket(data, scratch[:0])
	if err != nil {
		return s.fail(ParseError, err)
	}
	if p.Type == sioConnect {
		return s.onConnect(p)
	}
	s.mu.Lock()
	joined := s.sio == sioConnected
	s.mu.Unlock()
	if !joined || p.Nsp != defaultNamespace {
		return s.fail(ProtocolError, errInvalidState)
	}
	switch p.Type {
	case sioDisconnect:
		s.close(ClientDisconnect, false)
		return false
	case sioEvent:
		name := s.srv.names.get(elems[0])
		args := copyArgs(p.Data, elems[1:])
		app := s.app
		s.callApp(func() { app.OnEvent(name, args, p.ID) })
		return true
	case sioAck:
		s.mu.Lock()
		a, ok := s.acks[p.ID]
		delete(s.acks, p.ID)
		s.mu.Unlock()
		if ok {
			args := copyArgs(p.Data, elems)
			s.callApp(func() { a.cb(args, nil) })
		}
		return true
	case sioBinaryEvent, sioBinaryAck:
		// Not supported: drop the packet and its attachments, keep the session.
		s.dropAttachments = p.Attachments
		s.srv.stats.binaryDropped.Add(1)
		return true
	}
	return s.fail(ProtocolError, errInvalidState) // CONNECT_ERROR from a client
}

// onConnect asks the application about a CONNECT. Called with inMu held.
func (s *session) onConnect(p sioPacket) bool {
	if p.Nsp != defaultNamespace {
		return s.push(appendConnectError(nil, p.Nsp, "Invalid namespace", nil), nil)
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
		s.close(TooManyConnections, true) // after the CONNECT_ERROR
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
		s.mu.Unlock()
		s.srv.stats.refused.Add(1)
		var data any
		var withData interface{ ConnectErrorData() any }
		if errors.As(err, &withData) {
			data = withData.ConnectErrorData()
		}
		return s.push(appendConnectError(nil, "", err.Error(), data), nil)
	}
	s.app = app
	s.sio = sioConnected
	if s.state == stateOpen {
		reply := make([]byte, 0, 40)
		reply = append(reply, `40{"sid":"`...)
		reply = append(reply, c.id...)
		reply = append(reply, `"}`...)
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

// frameTooManyConns refuses a CONNECT beyond Config.MaxConnsPerIP.
var frameTooManyConns = appendConnectError(nil, "", "too many connections", json.RawMessage(`{"code":"too_many_connections"}`))

// appendConnectError appends `44[nsp,]{"message":…[,"data":…]}`.
func appendConnectError(dst []byte, nsp, msg string, data any) []byte {
	dst = append(dst, eioMessage, sioConnectError)
	if nsp != "" && nsp != defaultNamespace {
		dst = append(dst, nsp...)
		dst = append(dst, ',')
	}
	dst = append(dst, `{"message":`...)
	dst = jsonscan.AppendString(dst, msg)
	if data != nil {
		if b, err := json.Marshal(data); err == nil {
			dst = append(dst, `,"data":`...)
			dst = append(dst, b...)
		}
	}
	return append(dst, '}')
}

// copyArgs copies the raw elements (sub-slices of payload) into one fresh
// buffer, so the application may keep them: one allocation for the bytes,
// one for the slice.
func copyArgs(payload []byte, elems []json.RawMessage) []json.RawMessage {
	if len(elems) == 0 {
		return nil
	}
	// Elements alias payload: their offsets follow from their capacities.
	first := cap(payload) - cap(elems[0])
	last := elems[len(elems)-1]
	end := cap(payload) - cap(last) + len(last)
	buf := append([]byte(nil), payload[first:end]...)
	out := make([]json.RawMessage, len(elems))
	for i, e := range elems {
		off := cap(payload) - cap(e) - first
		out[i] = buf[off : off+len(e) : off+len(e)]
	}
	return out
}

// internTable turns event names into strings without allocating for names
// seen before; it stops growing at maxInterned so a client cannot fill it.
type internTable struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]string]
}

const maxInterned = 256

func (t *internTable) get(raw json.RawMessage) string {
	b := raw
	if raw[0] == '"' {
		b, _ = unquoteName(raw) // validated by the decoder
	}
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
