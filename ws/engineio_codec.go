package ws

import (
	"bytes"
	"encoding/base64"
	"errors"
	"github.com/presenced/presenced/internal/jsonscan"
	"strconv"
)

// Engine.IO v4 packet types: the first character of a text packet.
const (
	eioOpen    byte = '0'
	eioClose   byte = '1'
	eioPing    byte = '2'
	eioPong    byte = '3'
	eioMessage byte = '4'
	eioUpgrade byte = '5'
	eioNoop    byte = '6'
)

// recordSeparator joins packets in a polling body.
const recordSeparator = 0x1e

var (
	errEmptyPacket   = errors.New("empty engine.io packet")
	errPacketType    = errors.New("unknown engine.io packet type")
	errBase64Payload = errors.New("invalid base64 in binary packet")
)

// enginePacket is one decoded Engine.IO packet. Data aliases the input unless
// the packet was base64 (polling binary), in which case it is fresh.
type enginePacket struct {
	Type   byte // eioOpen … eioNoop
	Data   []byte
	Binary bool // a binary message: Type is eioMessage
}

// Frames the server sends often, built once.
var (
	framePing  = []byte{eioPing}
	framePong  = []byte("3probe")
	frameNoop  = []byte{eioNoop}
	frameClose = []byte{eioClose}
)

// decodeEnginePacket decodes one text packet: a websocket text message or one
// record of a polling body. allowBase64 accepts `b<base64>` binary packets,
// which only exist on polling.
func decodeEnginePacket(b []byte, allowBase64 bool) (enginePacket, error) {
	if len(b) == 0 {
		return enginePacket{}, errEmptyPacket
	}
	t := b[0]
	if t == 'b' && allowBase64 {
		data := make([]byte, base64.StdEncoding.DecodedLen(len(b)-1))
		n, err := base64.StdEncoding.Decode(data, b[1:])
		if err != nil {
			return enginePacket{}, errBase64Payload
		}
		return enginePacket{Type: eioMessage, Data: data[:n], Binary: true}, nil
	}
	if t < eioOpen || t > eioNoop {
		return enginePacket{}, errPacketType
	}
	return enginePacket{Type: t, Data: b[1:]}, nil
}

// decodeEnginePayload splits a polling body into packets and calls fn for
// each in order; it stops at the first decoding error or error from fn.
func decodeEnginePayload(body []byte, fn func(enginePacket) error) error {
	for {
		i := bytes.IndexByte(body, recordSeparator)
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

// appendEnginePacket appends p in its text form (`b<base64>` for binary).
func appendEnginePacket(dst []byte, p enginePacket) []byte {
	if p.Binary {
		dst = append(dst, 'b')
		return base64.StdEncoding.AppendEncode(dst, p.Data)
	}
	dst = append(dst, p.Type)
	return append(dst, p.Data...)
}

// appendOpenPacket appends the handshake packet `0{…}`.
func appendOpenPacket(dst []byte, sid string, upgrades bool, cfg *Config) []byte {
	dst = append(dst, eioOpen)
	dst = append(dst, `{"sid":`...)
	dst = jsonscan.AppendString(dst, sid)
	if upgrades {
		dst = append(dst, `,"upgrades":["websocket"]`...)
	} else {
		dst = append(dst, `,"upgrades":[]`...)
	}
	dst = append(dst, `,"pingInterval":`...)
	dst = strconv.AppendInt(dst, cfg.PingInterval.Milliseconds(), 10)
	dst = append(dst, `,"pingTimeout":`...)
	dst = strconv.AppendInt(dst, cfg.PingTimeout.Milliseconds(), 10)
	dst = append(dst, `,"maxPayload":`...)
	dst = strconv.AppendInt(dst, int64(cfg.MaxPayload), 10)
	return append(dst, '}')
}

// appendPollingPayload joins text packets with the record separator.
func appendPollingPayload(dst []byte, frames [][]byte) []byte {
	for i, f := range frames {
		if i > 0 {
			dst = append(dst, recordSeparator)
		}
		dst = append(dst, f...)
	}
	return dst
}
