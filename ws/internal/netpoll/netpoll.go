package netpoll

import "errors"

// ErrUnsupported: this system has no epoll (the caller keeps a goroutine per reader).
var ErrUnsupported = errors.New("netpoll: not supported on this system")

// ErrClosed: the Poller was closed.
var ErrClosed = errors.New("netpoll: poller closed")

// Registration states.
const (
	stateRunning int32 = iota // a reader runs (or is about to)
	stateParked               // no reader: an edge starts one
	statePending              // a reader runs and an edge came meanwhile: Park refuses once
	stateClosed               // deregistered: nothing starts a reader any more
)
