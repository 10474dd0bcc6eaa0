package ws

import "errors"

// Why a connection ended is internal/closereason's vocabulary, shared with the
// application: ws gives the transport's values (closereason.ClientClosed,
// PingTimeout, SlowConsumer, …) and the application may pass any of its own to
// Conn.Close.

// Errors passed to EmitWithAck callbacks.
var (
	// ErrAckTimeout: the client did not answer within Config.AckTimeout.
	ErrAckTimeout = errors.New("ws: ack timeout")
	// ErrConnClosed: the connection closed before the client answered.
	ErrConnClosed = errors.New("ws: connection closed")
)
