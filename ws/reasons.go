package ws

import "errors"

// CloseReason says why a connection ended. The application may define its
// own values (e.g. CloseReason("no pong")) and pass them to Conn.Close.
type CloseReason string

// Close reasons produced by ws.
const (
	// ClientClosed: the client closed the transport (websocket close frame,
	// polling close packet, or the TCP connection went away in an orderly way).
	ClientClosed CloseReason = "client close"
	// ClientDisconnect: the client sent a Socket.IO DISCONNECT for "/".
	ClientDisconnect CloseReason = "client namespace disconnect"
	// ServerDisconnect: the server called Conn.Disconnect.
	ServerDisconnect CloseReason = "server namespace disconnect"
	// TransportError: a read or write on the transport failed.
	TransportError CloseReason = "transport error"
	// WriteTimeout: a write did not complete within Config.WriteTimeout.
	WriteTimeout CloseReason = "write timeout"
	// PingTimeout: nothing arrived within PingTimeout after a ping.
	PingTimeout CloseReason = "ping timeout"
	// ParseError: an Engine.IO or Socket.IO packet could not be decoded.
	ParseError CloseReason = "parse error"
	// ProtocolError: a well-formed packet arrived where the protocol forbids it
	// (an EVENT before CONNECT, a client ping, a second concurrent poll, …).
	ProtocolError CloseReason = "protocol error"
	// PayloadTooLarge: a message or POST body exceeded Config.MaxPayload.
	PayloadTooLarge CloseReason = "payload too large"
	// SlowConsumer: the outbound queue was full.
	SlowConsumer CloseReason = "slow consumer"
	// ServerShutdown: Server.Shutdown closed the session.
	ServerShutdown CloseReason = "server shutting down"
	// ConnectTimeout: no Socket.IO CONNECT arrived within Config.ConnectTimeout.
	ConnectTimeout CloseReason = "connect timeout"
	// TooManyConnections: a websocket session beyond Config.MaxConnsPerIP,
	// closed after its CONNECT was refused.
	TooManyConnections CloseReason = "too many connections"
	// UpgradeFailed: a polling→websocket upgrade probe failed. The session
	// itself stays on polling; this reason only appears in logs of the probe.
	UpgradeFailed CloseReason = "upgrade failed"
)

// Errors passed to EmitWithAck callbacks.
var (
	// ErrAckTimeout: the client did not answer within Config.AckTimeout.
	ErrAckTimeout = errors.New("ws: ack timeout")
	// ErrConnClosed: the connection closed before the client answered.
	ErrConnClosed = errors.New("ws: connection closed")
)

// HandlerPanic: the application's Handler or Session panicked; ws recovered,
// logged it and closed that session.
const HandlerPanic CloseReason = "handler panic"
