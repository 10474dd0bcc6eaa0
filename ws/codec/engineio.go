package codec

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/presenced/presenced/internal/jsonscan"
)

// Engine.IO v4 packet types: the first character of a text packet.
const (
	EngineOpen    byte = '0'
	EngineClose   byte = '1'
	EnginePing    byte = '2'
	EnginePong    byte = '3'
	EngineMessage byte = '4'
	EngineUpgrade byte = '5'
	EngineNoop    byte = '6'
)

// RecordSeparator joins packets in a polling body.
const RecordSeparator = 0x1e

var (
	errEmptyPacket   = errors.New("empty engine.io packet")
	errPacketType    = errors.New("unknown engine.io packet type")
	errBase64Payload = errors.New("invalid base64 in binary packet")
)

// EnginePacket is one decoded Engine.IO packet. Data aliases the input unless
// the packet was base64 (polling binary), in which case it is fresh.
type EnginePacket struct {
	Type   byte // EngineOpen … EngineNoop
	Data   []byte
	Binary bool // a binary message: Type is EngineMessage
}

// DecodeEngineText decodes one Engine.IO text packet as received in a
// websocket text message: its type and its data (aliasing b).
func DecodeEngineText(b []byte) (typ byte, data []byte, err error) {
	p, err := decodeEnginePacket(b, false)
	return p.Type, p.Data, err
}

// decodeEnginePacket decodes one text packet: a websocket text message or one
// record of a polling body. allowBase64 accepts `b<base64>` binary packets,
// which only exist on polling.
func decodeEnginePacket(b []byte, allowBase64 bool) (EnginePacket, error) {
	if len(b) == 0 {
		return EnginePacket{}, errEmptyPacket
	}
	t := b[0]
	if t == 'b' && allowBase64 {
		data := make([]byte, base64.StdEncoding.DecodedLen(len(b)-1))
		n, err := base64.StdEncoding.Decode(data, b[1:])
		if err != nil {
			return EnginePacket{}, errBase64Payload
		}
		return EnginePacket{Type: EngineMessage, Data: data[:n], Binary: true}, nil
	}
	if t < EngineOpen || t > EngineNoop {
		return EnginePacket{}, errPacketType
	}
	return EnginePacket{Type: t, Data: b[1:]}, nil
}

// DecodeEnginePayload splits a polling body into packets (text packets and
// `b<base64>` binary ones) and calls fn for each in order; it stops at the
// first decoding error or error from fn, and returns it.
func DecodeEnginePayload(body []byte, fn func(EnginePacket) error) error {
	for {
		i := bytes.IndexByte(body, RecordSeparator)
		rec := body
		if i >= 0 {
			rec = body[:i]
		}
		p, err := decodeEnginePacket(rec, true)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		if i < 0 {
			return nil
		}
		body = body[i+1:]
	}
}

// AppendEnginePacket appends p in its text form (`b<base64>` for binary,
// which only polling carries).
func AppendEnginePacket(dst []byte, p EnginePacket) []byte {
	if p.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, p.Type)
	return append(dst, p.Data...)
}

// Open is the handshake's content: what the server tells a new session.
type Open struct {
	SID          string
	Upgrades     []string // transports the session may upgrade to; nil: none
	PingInterval time.Duration
	PingTimeout  time.Duration
	MaxPayload   int
}

// AppendOpen appends the handshake packet
// `0{"sid":…,"upgrades":[…],"pingInterval":…,"pingTimeout":…,"maxPayload":…}`,
// the durations in milliseconds.
func AppendOpen(dst []byte, o Open) []byte {
	dst = append(dst, EngineOpen)
	dst = append(dst, `{"sid":`...)
	dst = jsonscan.AppendString(dst, o.SID)
	dst = append(dst, `,"upgrades":[`...)
	for i, u := range o.Upgrades {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonscan.AppendString(dst, u)
	}
	dst = append(dst, `],"pingInterval":`...)
	dst = strconv.AppendInt(dst, o.PingInterval.Milliseconds(), 10)
	dst = append(dst, `,"pingTimeout":`...)
	dst = strconv.AppendInt(dst, o.PingTimeout.Milliseconds(), 10)
	dst = append(dst, `,"maxPayload":`...)
	dst = strconv.AppendInt(dst, int64(o.MaxPayload), 10)
	return append(dst, '}')
}

// AppendPollingPayload joins text packets with the record separator: the
// body of a polling GET.
func AppendPollingPayload(dst []byte, frames [][]byte) []byte {
	for i, f := range frames {
		if i > 0 {
			dst = append(dst, RecordSeparator)
		}
		dst = append(dst, f...)
	}
	return dst
}
