package codec

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/presenced/presenced/internal/jsonscan"
)

// Socket.IO v5 packet types: the first character of a Socket.IO packet,
// which is the data of an Engine.IO message (after its `4`).
const (
	SocketConnect      byte = '0'
	SocketDisconnect   byte = '1'
	SocketEvent        byte = '2'
	SocketAck          byte = '3'
	SocketConnectError byte = '4'
	SocketBinaryEvent  byte = '5'
	SocketBinaryAck    byte = '6'
)

// DefaultNamespace is the main namespace, implied when a packet names none.
const DefaultNamespace = "/"

var (
	errSioEmpty       = errors.New("empty socket.io packet")
	errSioType        = errors.New("unknown socket.io packet type")
	errSioAttachments = errors.New("illegal attachments")
	errSioAckID       = errors.New("illegal ack id")
	errSioPayload     = errors.New("invalid payload")
)

// reservedEvents may not be sent as event names in either direction: the
// JS parsers reject them (a client receiving one drops the connection).
var reservedEvents = [...]string{"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}

// IsReservedEvent reports whether name is one Socket.IO reserves (connect,
// disconnect, …): an EVENT carrying it is invalid in either direction.
func IsReservedEvent[T string | []byte](name T) bool {
	for _, r := range reservedEvents {
		if string(name) == r {
			return true
		}
	}
	return false
}

// SocketPacket is one decoded Socket.IO packet. Data and Elems alias the
// decoder's input.
type SocketPacket struct {
	Type        byte   // SocketConnect … SocketBinaryAck
	Nsp         string // DefaultNamespace when absent on the wire
	ID          int64  // ack id, -1 when absent
	Attachments int    // binary attachments that follow (BINARY_* only)
	Data        []byte // the JSON payload, nil when absent
	// Elems: for EVENT and ACK (binary or not), the elements of the array
	// appended to the slice given to DecodeSocketPacket; an EVENT's name is
	// its first element. Ignored by AppendSocketPacket.
	Elems []json.RawMessage
}

// DecodeSocketPacket decodes `<type>[<attachments>-][<nsp>,][<id>][<json>]`
// (the data of an Engine.IO message) and checks the payload as the JS parser
// does: CONNECT an object or nothing, DISCONNECT nothing, CONNECT_ERROR an
// object or a string, EVENT a non-empty array led by a number or a
// non-reserved string, ACK an array (with an id). For EVENT and ACK the
// array's elements (sub-slices of b) are appended to elems and returned in
// Elems: pass a stack array's [:0] to decode without allocating.
func DecodeSocketPacket(b []byte, elems []json.RawMessage) (SocketPacket, error) {
	p := SocketPacket{Nsp: DefaultNamespace, ID: -1}
	if len(b) == 0 {
		return p, errSioEmpty
	}
	p.Type = b[0]
	if p.Type < SocketConnect || p.Type > SocketBinaryAck {
		return p, errSioType
	}
	i := 1
	if p.Type == SocketBinaryEvent || p.Type == SocketBinaryAck {
		start := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == start || i-start > 9 || i >= len(b) || b[i] != '-' {
			return p, errSioAttachments
		}
		p.Attachments, _ = strconv.Atoi(string(b[start:i]))
		i++
	}
	if i < len(b) && b[i] == '/' {
		start := i
		for i < len(b) && b[i] != ',' {
			i++
		}
		p.Nsp = string(b[start:i])
		if i < len(b) {
			i++ // the comma
		}
	}
	if start := i; i < len(b) && isDigit(b[i]) {
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i-start > 18 {
			return p, errSioAckID
		}
		p.ID, _ = strconv.ParseInt(string(b[start:i]), 10, 64)
	}
	if i < len(b) {
		p.Data = b[i:]
	}
	elems, err := checkSocketPayload(&p, elems)
	p.Elems = elems
	return p, err
}

func checkSocketPayload(p *SocketPacket, elems []json.RawMessage) ([]json.RawMessage, error) {
	d := p.Data
	first := byte(0)
	if d != nil {
		if j := jsonscan.SkipSpace(d, 0); j < len(d) {
			first = d[j]
		}
	}
	switch p.Type {
	case SocketConnect:
		if d == nil {
			return elems, nil
		}
		if first != '{' || !jsonscan.Valid(d) {
			return elems, errSioPayload
		}
	case SocketDisconnect:
		if d != nil {
			return elems, errSioPayload
		}
	case SocketConnectError:
		if (first != '{' && first != '"') || !jsonscan.Valid(d) {
			return elems, errSioPayload
		}
	case SocketEvent, SocketBinaryEvent, SocketAck, SocketBinaryAck:
		isAck := p.Type == SocketAck || p.Type == SocketBinaryAck
		if isAck && p.ID < 0 {
			return elems, errSioAckID
		}
		n0 := len(elems)
		var err error
		if elems, err = jsonscan.SplitArray(d, elems); err != nil {
			return elems, errSioPayload
		}
		if isAck {
			return elems, nil
		}
		if len(elems) == n0 {
			return elems, errSioPayload
		}
		name := elems[n0]
		switch {
		case name[0] == '"':
			if s, ok := unquoteName(name); !ok || IsReservedEvent(s) {
				return elems, errSioPayload
			}
		case name[0] == '-' || isDigit(name[0]):
		default:
			return elems, errSioPayload
		}
	}
	return elems, nil
}

// EventName returns the text of an event name as DecodeSocketPacket accepted
// it (an EVENT's first element): a string's contents, or a number's JSON
// text. It does not allocate unless the string has escapes.
func EventName(raw json.RawMessage) []byte {
	if len(raw) == 0 || raw[0] != '"' {
		return raw
	}
	b, _ := unquoteName(raw)
	return b
}

// unquoteName returns the contents of a valid JSON string without
// allocating when it has no escapes (the usual case).
func unquoteName(raw []byte) ([]byte, bool) {
	inner := raw[1 : len(raw)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, false
			}
			return []byte(s), true
		}
	}
	return inner, true
}

// CopyArgs copies elements of an array that DecodeSocketPacket split out of
// payload (the packet's Data; every element a sub-slice of it, in order)
// into one fresh buffer, so that the caller may keep them after the input
// is reused: one allocation for the bytes, one for the slice. Each result
// has its capacity capped at its length.
func CopyArgs(payload []byte, elems []json.RawMessage) []json.RawMessage {
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

// AppendSocketPacket appends p in its text form (without the Engine.IO `4`),
// from its Data; Elems is ignored.
func AppendSocketPacket(dst []byte, p SocketPacket) []byte {
	dst = append(dst, p.Type)
	if p.Type == SocketBinaryEvent || p.Type == SocketBinaryAck {
		dst = strconv.AppendInt(dst, int64(p.Attachments), 10)
		dst = append(dst, '-')
	}
	if p.Nsp != "" && p.Nsp != DefaultNamespace {
		dst = append(dst, p.Nsp...)
		dst = append(dst, ',')
	}
	if p.ID >= 0 {
		dst = strconv.AppendInt(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}

// AppendConnect appends the Engine.IO message `40[auth]`: a client's CONNECT
// to "/" carrying the auth object (nothing when auth is empty).
func AppendConnect(dst []byte, auth json.RawMessage) []byte {
	dst = append(dst, EngineMessage)
	return AppendSocketPacket(dst, SocketPacket{Type: SocketConnect, Nsp: DefaultNamespace, ID: -1, Data: auth})
}

// AppendConnected appends the server's answer to a CONNECT to "/":
// `40{"sid":"<sid>"}`, sid being the Socket.IO socket id.
func AppendConnected(dst []byte, sid string) []byte {
	dst = append(dst, EngineMessage, SocketConnect)
	dst = append(dst, `{"sid":`...)
	dst = jsonscan.AppendString(dst, sid)
	return append(dst, '}')
}

// AppendConnectError appends `44[nsp,]{"message":…[,"data":…]}`, a CONNECT
// refused; data (valid JSON, or nil for none) is what the client sees as
// err.data.
func AppendConnectError(dst []byte, nsp, msg string, data json.RawMessage) []byte {
	dst = append(dst, EngineMessage, SocketConnectError)
	if nsp != "" && nsp != DefaultNamespace {
		dst = append(dst, nsp...)
		dst = append(dst, ',')
	}
	dst = append(dst, `{"message":`...)
	dst = jsonscan.AppendString(dst, msg)
	if len(data) > 0 {
		dst = append(dst, `,"data":`...)
		dst = append(dst, data...)
	}
	return append(dst, '}')
}

// AppendEvent appends the Engine.IO message `42["name",data…]` to dst (a
// fresh slice of the right size when dst is nil). It returns nil when name
// is reserved (the receiver would drop the connection) or not valid UTF-8,
// or a data value is not valid UTF-8 JSON; a nil or empty value is sent as
// null.
func AppendEvent(dst []byte, name string, data ...json.RawMessage) []byte {
	return appendEvent(dst, name, -1, data)
}

// AppendEventWithAck is AppendEvent asking the receiver for an ack:
// `42<id>["name",data…]`.
func AppendEventWithAck(dst []byte, name string, id int64, data ...json.RawMessage) []byte {
	if id < 0 {
		return nil
	}
	return appendEvent(dst, name, id, data)
}

func appendEvent(dst []byte, name string, id int64, data []json.RawMessage) []byte {
	if IsReservedEvent(name) || !utf8.ValidString(name) {
		return nil
	}
	if dst == nil {
		n := 8 + len(name) + 20
		for _, d := range data {
			n += len(d) + 1
		}
		dst = make([]byte, 0, n)
	}
	dst = append(dst, EngineMessage, SocketEvent)
	if id >= 0 {
		dst = strconv.AppendInt(dst, id, 10)
	}
	dst = append(dst, '[')
	dst = jsonscan.AppendString(dst, name)
	var ok bool
	if dst, ok = appendArgs(dst, data, true); !ok {
		return nil
	}
	return append(dst, ']')
}

// AppendAck appends the Engine.IO message `43<id>[data…]`, the answer to an
// ack request; nil when id is negative or a data value is invalid (see
// AppendEvent).
func AppendAck(dst []byte, id int64, data ...json.RawMessage) []byte {
	if id < 0 {
		return nil
	}
	dst = append(dst, EngineMessage, SocketAck)
	dst = strconv.AppendInt(dst, id, 10)
	dst = append(dst, '[')
	var ok bool
	if dst, ok = appendArgs(dst, data, false); !ok {
		return nil
	}
	return append(dst, ']')
}

func appendArgs(dst []byte, data []json.RawMessage, comma bool) ([]byte, bool) {
	for _, d := range data {
		if comma {
			dst = append(dst, ',')
		}
		comma = true
		if len(d) == 0 {
			dst = append(dst, "null"...)
			continue
		}
		if !jsonscan.Valid(d) || !utf8.Valid(d) {
			return nil, false
		}
		dst = append(dst, d...)
	}
	return dst, true
}

// AppendJSONString appends s as a JSON string.
func AppendJSONString(dst []byte, s string) []byte { return jsonscan.AppendString(dst, s) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
