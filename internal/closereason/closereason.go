// Package closereason owns the one vocabulary of why a connection ended, shared by the
// transport (ws) and the application (actors): a typed Reason and every value either
// side gives. It is a leaf: it imports nothing of presenced, so both layers can use it
// without one importing the other. A Reason is what the logs say and what metrics count
// closes by, so its values are stable, lower-case and short.
package closereason

// Reason says why a connection ended.
type Reason string

// String returns the reason as logged.
func (r Reason) String() string { return string(r) }

// Reasons the transport gives.
const (
	// ClientClosed: the client closed the transport (websocket close frame, polling
	// close packet, or the TCP connection went away in an orderly way).
	ClientClosed Reason = "client close"
	// ClientDisconnect: the client sent a Socket.IO DISCONNECT for "/".
	ClientDisconnect Reason = "client namespace disconnect"
	// ServerDisconnect: the server disconnected the Socket.IO socket.
	ServerDisconnect Reason = "server namespace disconnect"
	// TransportError: a read or write on the transport failed.
	TransportError Reason = "transport error"
	// WriteTimeout: a write did not complete in time.
	WriteTimeout Reason = "write timeout"
	// PingTimeout: nothing arrived within the Engine.IO ping timeout after a ping.
	PingTimeout Reason = "ping timeout"
	// ParseError: an Engine.IO or Socket.IO packet could not be decoded.
	ParseError Reason = "parse error"
	// ProtocolError: a well-formed packet arrived where the protocol forbids it.
	ProtocolError Reason = "protocol error"
	// PayloadTooLarge: a message or POST body exceeded the maximum payload.
	PayloadTooLarge Reason = "payload too large"
	// SlowConsumer: the outbound queue was full.
	SlowConsumer Reason = "slow consumer"
	// ConnectTimeout: no Socket.IO CONNECT arrived in time.
	ConnectTimeout Reason = "connect timeout"
	// TooManyConnections: a connection beyond a per-IP limit.
	TooManyConnections Reason = "too many connections"
	// UpgradeFailed: a polling→websocket upgrade probe failed (the session itself
	// stays on polling; only the probe's logs carry it).
	UpgradeFailed Reason = "upgrade failed"
	// HandlerPanic: the application's handler panicked; the transport recovered,
	// logged it and closed that session.
	HandlerPanic Reason = "handler panic"
)

// Reasons either side gives.
const (
	// ServerShutdown: the server is shutting down (the transport's Shutdown, or the
	// actors closing every connection as they stop).
	ServerShutdown Reason = "server shutdown"
)

// Reasons the application gives.
const (
	// NoPong: the presence sweep found no ng-action pong within the pong timeout.
	NoPong Reason = "no pong"
	// ActorFailed: the connection's actor failed and was stopped.
	ActorFailed Reason = "conn actor failed"
)
