package ws

import (
	"encoding/json"

	"github.com/presenced/presenced/ws/codec"
)

// EncodeEvent returns the Engine.IO message packet `42["name",data…]`, to be
// built once and passed to Conn.SendFrame on any number of connections. It
// returns nil when name is reserved by Socket.IO (the client would drop the
// connection) or a data value is not valid UTF-8 JSON; a nil or empty value
// is sent as null. (codec.AppendEvent, for the application's convenience.)
func EncodeEvent(name string, data ...json.RawMessage) []byte {
	return codec.AppendEvent(nil, name, data...)
}

// Frames the server sends often, built once.
var (
	framePing       = []byte{codec.EnginePing}
	framePong       = []byte("3probe")
	frameNoop       = []byte{codec.EngineNoop}
	frameClose      = []byte{codec.EngineClose}
	frameDisconnect = []byte{codec.EngineMessage, codec.SocketDisconnect}
	// frameTooManyConns refuses a CONNECT beyond Config.MaxConnsPerIP.
	frameTooManyConns = codec.AppendConnectError(nil, "", "too many connections", json.RawMessage(`{"code":"too_many_connections"}`))
)

// websocketUpgrade is the handshake's list of upgrades for a polling session.
var websocketUpgrade = []string{"websocket"}

// appendOpen appends the handshake packet of session sid.
func (cfg *Config) appendOpen(dst []byte, sid string, upgrades bool) []byte {
	o := codec.Open{SID: sid, PingInterval: cfg.PingInterval, PingTimeout: cfg.PingTimeout, MaxPayload: cfg.MaxPayload}
	if upgrades {
		o.Upgrades = websocketUpgrade
	}
	return codec.AppendOpen(dst, o)
}
