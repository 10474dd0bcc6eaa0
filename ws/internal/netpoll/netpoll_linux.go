//go:build linux

package netpoll

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Poller is one epoll set and the goroutine that waits on it.
type Poller struct {
	epfd   int
	wakefd int // an eventfd: Close writes it so that the loop returns

	mu     sync.Mutex
	regs   map[uint64]*Registration
	next   uint64 // the last token handed out; 0 is the eventfd's
	closed bool

	done   chan struct{}
	wakeup atomic.Uint64 // readers started by an edge (a Stats figure)
}

// Registration is one connection in the set.
type Registration struct {
	p      *Poller
	token  uint64
	rc     syscall.RawConn
	resume func()
	state  atomic.Int32
}

const (
	wakeToken = 0
	maxEvents = 256
)

// New makes an epoll set and starts its goroutine.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netpoll: epoll_create1: %w", err)
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("netpoll: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN}
	setToken(&ev, wakeToken)
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		_ = unix.Close(wakefd)
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("netpoll: epoll_ctl(eventfd): %w", err)
	}
	p := &Poller{epfd: epfd, wakefd: wakefd, regs: map[uint64]*Registration{}, done: make(chan struct{})}
	go p.loop()
	return p, nil
}

func setToken(ev *unix.EpollEvent, t uint64) {
	ev.Fd, ev.Pad = int32(uint32(t)), int32(uint32(t>>32))
}

func token(ev *unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// Register adds rc's descriptor to the set. The caller is its reader (running): it
// calls Park when it has read the socket dry, and from then on resume runs in a new
// goroutine at the next edge (bytes, the peer's close or an error), or when Wake is
// called. resume must not be called by anyone else.
func (p *Poller) Register(rc syscall.RawConn, resume func()) (*Registration, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	p.next++
	r := &Registration{p: p, token: p.next, rc: rc, resume: resume}
	p.regs[r.token] = r
	p.mu.Unlock()
	var cerr error
	err := rc.Control(func(fd uintptr) {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET}
		setToken(&ev, r.token)
		cerr = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev)
	})
	if err == nil {
		err = cerr
	}
	if err != nil {
		p.forget(r.token)
		return nil, fmt.Errorf("netpoll: epoll_ctl(add): %w", err)
	}
	return r, nil
}

func (p *Poller) forget(t uint64) {
	p.mu.Lock()
	delete(p.regs, t)
	p.mu.Unlock()
}

// Park says the reader has read the socket dry and returns. True: it is parked, and
// the caller must return without touching the connection again (a new reader may
// already run). False: an edge came while it ran, or the registration is closed;
// the caller reads again.
func (r *Registration) Park() bool {
	if r.state.CompareAndSwap(stateRunning, stateParked) {
		return true
	}
	r.state.CompareAndSwap(statePending, stateRunning)
	return false
}

// Wake starts a reader now if the connection is parked (the caller is about to make
// its reads fail: a deadline, a close), or makes the running reader's next Park
// refuse. It never blocks.
func (r *Registration) Wake() {
	for {
		switch s := r.state.Load(); s {
		case stateParked:
			if r.state.CompareAndSwap(s, stateRunning) {
				go r.resume()
				return
			}
		case stateRunning:
			if r.state.CompareAndSwap(s, statePending) {
				return
			}
		default: // pending already, or closed
			return
		}
	}
}

// Close takes the connection out of the set; call it from the reader, before the
// connection is closed (after, the kernel has dropped it already). Idempotent.
func (r *Registration) Close() {
	if r.state.Swap(stateClosed) == stateClosed {
		return
	}
	_ = r.rc.Control(func(fd uintptr) {
		_ = unix.EpollCtl(r.p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	})
	r.p.forget(r.token)
}

// Registrations is the number of connections in the set.
func (p *Poller) Registrations() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.regs)
}

// Wakeups is the number of edges that started a reader.
func (p *Poller) Wakeups() uint64 { return p.wakeup.Load() }

// Close stops the goroutine and closes the set. Registrations left are not resumed.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	var one = [8]byte{1}
	if _, err := unix.Write(p.wakefd, one[:]); err != nil {
		return fmt.Errorf("netpoll: wake the loop: %w", err)
	}
	<-p.done
	_ = unix.Close(p.wakefd)
	return unix.Close(p.epfd)
}

func (p *Poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, maxEvents)
	regs := make([]*Registration, 0, maxEvents)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return // only EBADF/EINVAL: the set is gone
		}
		regs = regs[:0]
		stop := false
		p.mu.Lock()
		for i := range events[:n] {
			t := token(&events[i])
			if t == wakeToken {
				stop = p.closed
				continue
			}
			if r := p.regs[t]; r != nil {
				regs = append(regs, r)
			}
		}
		p.mu.Unlock()
		if stop {
			return
		}
		for _, r := range regs {
			if r.state.Load() == stateParked {
				p.wakeup.Add(1)
			}
			r.Wake()
		}
		clear(regs)
	}
}
