package ws

import (
	"encoding/json"

	"github.com/presenced/presenced/internal/jsonscan"
)

// Client-side access to the codec. Load generators and tests speak Engine.IO
// and Socket.IO from the other end of the wire; these thin wrappers let them
// reuse the server's fuzzed decoders and encoders instead of a second codec.

// Engine.IO v4 packet types, as the first byte of a text packet.
const (
	EngineOpen    = eioOpen
	EngineClose   = eioClose
	EnginePing    = eioPing
	EnginePong    = eioPong
	EngineMessage = eioMessage
)

// Socket.IO v5 packet types, as the first byte after the Engine.IO `4`.
const (
	SocketConnect      = sioConnect
	SocketDisconnect   = sioDisconnect
	SocketEvent        = sioEvent
	SocketAck          = sioAck
	SocketConnectError = sioConnectError
)

// DecodeEngineText decodes one Engine.IO text packet as received in a
// websocket text message: its type and its data (aliasing b).
func DecodeEngineText(b []byte) (typ byte, data []byte, err error) {
	p, err := decodeEnginePacket(b, false)
	return p.Type, p.Data, err
}

// SocketPacket is a decoded Socket.IO packet. Data and Elems alias the input.
type SocketPacket struct {
	Type  byte   // SocketConnect …
	Nsp   string // "/" when absent on the wire
	ID    int64  // ack id, -1 when absent
	Data  []byte // the JSON payload, nil when absent
	Elems []json.RawMessage
}

// DecodeSocketPacket decodes a Socket.IO packet (the data of an Engine.IO
// message) with the server's validation; for EVENT and ACK the array's
// elements are appended to elems (pass a stack array's [:0] to avoid
// allocating) and returned in Elems — an EVENT's name is Elems[0].
func DecodeSocketPacket(b []byte, elems []json.RawMessage) (SocketPacket, error) {
	p, elems, err := decodeSocketPacket(b, elems)
	return SocketPacket{Type: p.Type, Nsp: p.Nsp, ID: p.ID, Data: p.Data, Elems: elems}, err
}

// AppendConnect appends the Engine.IO message `40[auth]`: a CONNECT to "/"
// carrying the auth object (nothing when auth is empty).
func AppendConnect(dst []byte, auth json.RawMessage) []byte {
	dst = append(dst, eioMessage)
	return appendSocketPacket(dst, sioPacket{Type: sioConnect, Nsp: defaultNamespace, ID: -1, Data: auth})
}

// AppendEvent appends the Engine.IO message `42["name",data…]` to dst, or
// returns nil as EncodeEvent does.
func AppendEvent(dst []byte, name string, data ...json.RawMessage) []byte {
	if dst == nil {
		dst = []byte{}
	}
	return appendEvent(dst, name, -1, data)
}

// AppendJSONString appends s as a JSON string.
func AppendJSONString(dst []byte, s string) []byte { return jsonscan.AppendString(dst, s) }
