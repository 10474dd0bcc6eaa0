package ws

import (
	"encoding/json"

	"github.com/presenced/presenced/internal/closereason"
)

// Handler is implemented by the application. Its methods and those of the
// Sessions it returns are called from the connection's own goroutines, one
// at a time per connection; they must not block for long.
type Handler interface {
	// OnConnect: the client sent CONNECT for namespace "/". auth is the raw
	// JSON object of the CONNECT payload, or nil. A non-nil error refuses the
	// connection with CONNECT_ERROR {"message": err.Error()}, plus "data" when
	// err (or an error it wraps) has a ConnectErrorData() any method. The
	// client does not retry after a refusal. Frames the application queues on
	// c during OnConnect (from any goroutine) are sent after the CONNECT
	// reply, also when it calls c.Close before returning.
	OnConnect(c *Conn, auth json.RawMessage) (Session, error)
}

// Session is the application's side of one accepted connection.
type Session interface {
	// OnEvent: an EVENT on "/". name is the event name (a numeric name is
	// given as its JSON text); args are the raw JSON values after the name,
	// valid and copied (safe to keep). ackID >= 0 when the client asked for
	// an ack (answer with Conn.Ack), else -1.
	OnEvent(name string, args []json.RawMessage, ackID int64)
	// OnClose is called exactly once when the connection is gone, for any
	// reason, after the last OnEvent. The Conn accepts no writes any more.
	OnClose(reason closereason.Reason)
}
