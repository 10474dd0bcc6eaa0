package ws

import (
	"errors"

	"github.com/presenced/presenced/internal/closereason"
)

// CloseReason says why a connection ended: the vocabulary shared with the application
// (internal/closereason), which may pass any of its values to Conn.Close.
type CloseReason = closereason.Reason

// Close reasons produced by ws (see internal/closereason for each one's meaning).
const (
	ClientClosed       = closereason.ClientClosed
	ClientDisconnect   = closereason.ClientDisconnect
	ServerDisconnect   = closereason.ServerDisconnect
	TransportError     = closereason.TransportError
	WriteTimeout       = closereason.WriteTimeout
	PingTimeout        = closereason.PingTimeout
	ParseError         = closereason.ParseError
	ProtocolError      = closereason.ProtocolError
	PayloadTooLarge    = closereason.PayloadTooLarge
	SlowConsumer       = closereason.SlowConsumer
	ServerShutdown     = closereason.ServerShutdown
	ConnectTimeout     = closereason.ConnectTimeout
	TooManyConnections = closereason.TooManyConnections
	UpgradeFailed      = closereason.UpgradeFailed
	HandlerPanic       = closereason.HandlerPanic
)

// Errors passed to EmitWithAck callbacks.
var (
	// ErrAckTimeout: the client did not answer within Config.AckTimeout.
	ErrAckTimeout = errors.New("ws: ack timeout")
	// ErrConnClosed: the connection closed before the client answered.
	ErrConnClosed = errors.New("ws: connection closed")
)
