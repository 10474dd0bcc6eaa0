// Package netpoll tells when idle connections become readable, so that an idle
// websocket holds no goroutine (and no stack) while it waits: its reader parks the
// connection here and returns, and one goroutine per Poller, blocked in epoll_wait,
// starts a new reader when bytes (or the peer's close) arrive.
//
// It owns an epoll set and the registrations in it, nothing else: the caller reads and
// writes its connection itself, through the connection's own syscall.RawConn, as
// before. A registration is identified in the kernel by a token, never by the file
// descriptor, so an event that was already on its way when a connection closed (and
// its descriptor was reused by another) finds no registration and is dropped. Every
// epoll_ctl runs inside RawConn.Control, which holds the descriptor open meanwhile.
//
// The set is edge-triggered: a registration is added once and never re-armed. Its
// state (running, parked, or running with an edge that came meanwhile) makes that
// safe: an edge that arrives while the reader runs is remembered, and Park then
// refuses, so the reader reads again instead of missing it. The reader may park only
// when it has read the socket dry (a read that returned less than asked, or EAGAIN).
//
// The set's own descriptor waits in the Go runtime's poller, not in a thread blocked
// in epoll_wait: the poller's goroutine is woken like any reader and drains the set
// with epoll_wait calls that do not wait. Readers it starts run on a few long-lived
// workers (their stacks already grown), or on a goroutine of their own when every
// worker is busy, so that a reader that waits holds up no other.
//
// On systems without epoll, New returns ErrUnsupported and callers keep a reader
// goroutine per connection.
package netpoll
