package ws

import (
	"encoding/json"
	"errors"
	"github.com/presenced/presenced/internal/jsonscan"
	"strconv"
	"unicode/utf8"
)

// Socket.IO v5 packet types, as the character that starts the packet.
const (
	sioConnect      byte = '0'
	sioDisconnect   byte = '1'
	sioEvent        byte = '2'
	sioAck          byte = '3'
	sioConnectError byte = '4'
	sioBinaryEvent  byte = '5'
	sioBinaryAck    byte = '6'
)

const defaultNamespace = "/"

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

func isReservedEvent[T string | []byte](name T) bool {
	for _, r := range reservedEvents {
		if string(name) == r {
			return true
		}
	}
	return false
}

// sioPacket is one decoded Socket.IO packet (text part).
type sioPacket struct {
	Type        byte   // sioConnect … sioBinaryAck
	Nsp         string // "/" when absent on the wire
	ID          int64  // ack id, -1 when absent
	Attachments int    // binary attachments that follow (BINARY_* only)
	Data        []byte // JSON payload (aliases the input), nil when absent
}

// decodeSocketPacket decodes `<type>[<attachments>-][<nsp>,][<id>][<json>]`
// and checks the payload as the JS parser does: CONNECT an object or
// nothing, DISCONNECT nothing, CONNECT_ERROR an object or string, EVENT a
// non-empty array led by a number or a non-reserved string, ACK an array
// (with an id). For EVENT/ACK packets the array's elements (sub-slices of b)
// are appended to elems, which is returned: pass a stack array's [:0] to
// decode without allocating.
func decodeSocketPacket(b []byte, elems []json.RawMessage) (sioPacket, []json.RawMessage, error) {
	p := sioPacket{Nsp: defaultNamespace, ID: -1}
	if len(b) == 0 {
		return p, elems, errSioEmpty
	}
	p.Type = b[0]
	if p.Type < sioConnect || p.Type > sioBinaryAck {
		return p, elems, errSioType
	}
	i := 1
	if p.Type == sioBinaryEvent || p.Type == sioBinaryAck {
		start := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == start || i-start > 9 || i >= len(b) || b[i] != '-' {
			return p, elems, errSioAttachments
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
			return p, elems, errSioAckID
		}
		p.ID, _ = strconv.ParseInt(string(b[start:i]), 10, 64)
	}
	if i < len(b) {
		p.Data = b[i:]
	}
	elems, err := checkSocketPayload(&p, elems)
	return p, elems, err
}

func checkSocketPayload(p *sioPacket, elems []json.RawMessage) ([]json.RawMessage, error) {
	d := p.Data
	first := byte(0)
	if d != nil {
		if j := jsonscan.SkipSpace(d, 0); j < len(d) {
			first = d[j]
		}
	}
	switch p.Type {
	case sioConnect:
		if d == nil {
			return elems, nil
		}
		if first != '{' || !jsonscan.Valid(d) {
			return elems, errSioPayload
		}
	case sioDisconnect:
		if d != nil {
			return elems, errSioPayload
		}
	case sioConnectError:
		if (first != '{' && first != '"') || !jsonscan.Valid(d) {
			return elems, errSioPayload
		}
	case sioEvent, sioBinaryEvent, sioAck, sioBinaryAck:
		isAck := p.Type == sioAck || p.Type == sioBinaryAck
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
			if s, ok := unquoteName(name); !ok || isReservedEvent(s) {
				return elems, errSioPayload
			}
		case name[0] == '-' || isDigit(name[0]):
		default:
			return elems, errSioPayload
		}
	}
	return elems, nil
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

// appendSocketPacket appends p in its text form (without the Engine.IO `4`).
func appendSocketPacket(dst []byte, p sioPacket) []byte {
	dst = append(dst, p.Type)
	if p.Type == sioBinaryEvent || p.Type == sioBinaryAck {
		dst = strconv.AppendInt(dst, int64(p.Attachments), 10)
		dst = append(dst, '-')
	}
	if p.Nsp != "" && p.Nsp != defaultNamespace {
		dst = append(dst, p.Nsp...)
		dst = append(dst, ',')
	}
	if p.ID >= 0 {
		dst = strconv.AppendInt(dst, p.ID, 10)
	}
	return append(dst, p.Data...)
}

// EncodeEvent returns the Engine.IO message packet `42["name",data…]`, to be
// built once and passed to Conn.SendFrame on any number of connections. It
// returns nil when name is reserved by Socket.IO (the client would drop the
// connection) or a data value is not valid UTF-8 JSON; a nil or empty value
// is sent as null.
func EncodeEvent(name string, data ...json.RawMessage) []byte {
	return appendEvent(nil, name, -1, data)
}

// appendEvent appends `42[id]["name",data…]`, or returns nil (see EncodeEvent).
func appendEvent(dst []byte, name string, id int64, data []json.RawMessage) []byte {
	if isReservedEvent(name) || !utf8.ValidString(name) {
		return nil
	}
	n := 8 + len(name) + 20
	for _, d := range data {
		n += len(d) + 1
	}
	if dst == nil {
		dst = make([]byte, 0, n)
	}
	dst = append(dst, eioMessage, sioEvent)
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

// appendAck appends `43<id>[data…]`, or returns nil on invalid data.
func appendAck(dst []byte, id int64, data []json.RawMessage) []byte {
	dst = append(dst, eioMessage, sioAck)
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
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
