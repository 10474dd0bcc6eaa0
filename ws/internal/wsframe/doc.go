// Package wsframe is RFC 6455 framing for a websocket server that reads and writes
// its TCP connection itself once the HTTP upgrade is done: a Reader of the client's
// frames (masked, fragmented, control frames between fragments, the read limit),
// which holds a pooled buffer only while bytes are unread and can read once without
// waiting (Poll) so that an idle socket can be parked; and the header arithmetic of
// the server's unmasked frames (AppendHeader, HeaderLen).
//
// It owns the bytes of a frame and nothing above them: no Engine.IO, no sessions, no
// queues. Control frames that need an answer (ping, close, a protocol error) are
// handed to the Control the Reader was made with; the caller decides how that answer
// is written without cutting into a frame of its own.
package wsframe
