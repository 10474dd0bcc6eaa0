//go:build !linux

package netpoll

import "syscall"

// Poller is not available here: New always fails.
type Poller struct{}

// Registration is not available here.
type Registration struct{}

// New returns ErrUnsupported.
func New() (*Poller, error) { return nil, ErrUnsupported }

// Register returns ErrUnsupported.
func (p *Poller) Register(syscall.RawConn, func()) (*Registration, error) {
	return nil, ErrUnsupported
}

// Park refuses.
func (r *Registration) Park() bool { return false }

// Wake does nothing.
func (r *Registration) Wake() {}

// Close does nothing.
func (r *Registration) Close() {}

// Registrations is 0.
func (p *Poller) Registrations() int { return 0 }

// Wakeups is 0.
func (p *Poller) Wakeups() uint64 { return 0 }

// Close does nothing.
func (p *Poller) Close() error { return nil }
