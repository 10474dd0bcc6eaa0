//go:build linux

package netpoll

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// Poller is one epoll set and the goroutine that drains it. The set's own descriptor
// is non-blocking and handed to the Go runtime's poller (os.NewFile), so that the
// goroutine waits there like any reader — no thread is held in epoll_wait, and a
// wake-up costs no hand-over of the runtime's processor.
type Poller struct {
	epfd   int
	file   *os.File        // epfd, in the runtime's poller
	rc     syscall.RawConn // file's
	events []unix.EpollEvent
	ready  []*Registration
	drain  func(fd uintptr) bool
	work   chan *Registration // to the idle workers

	mu     sync.Mutex
	regs   map[uint64]*Registration
	next   uint64 // the last token handed out
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

const maxEvents = 256

// workers is the number of long-lived reader goroutines: a few per processor.
func workers() int { return max(4, 4*runtime.GOMAXPROCS(0)) }

// New makes an epoll set and starts its goroutine.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("netpoll: epoll_create1: %w", err)
	}
	if err := unix.SetNonblock(epfd, true); err != nil {
		_ = unix.Close(epfd)
		return nil, fmt.Errorf("netpoll: non-blocking epoll set: %w", err)
	}
	file := os.NewFile(uintptr(epfd), "netpoll")
	rc, err := file.SyscallConn()
	if err != nil {
		_ = file.Close()
		return nil, fmt.Errorf("netpoll: epoll set in the runtime's poller: %w", err)
	}
	p := &Poller{epfd: epfd, file: file, rc: rc, regs: map[uint64]*Registration{}, done: make(chan struct{}),
		events: make([]unix.EpollEvent, maxEvents), ready: make([]*Registration, 0, maxEvents)}
	p.drain = p.drainReady
	p.work = make(chan *Registration)
	for range workers() {
		go p.worker()
	}
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
// calls Park when it has read the socket dry, and from then on resume runs on one of
// the poller's workers at the next edge (bytes, the peer's close or an error), or
// when Wake is called. resume must not be called by anyone else.
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
// already run). False: an edge (or a Wake) came while it ran, or the registration is
// closed; the caller reads again.
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
				r.p.dispatch(r)
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

// dispatch runs r's reader on an idle worker, or on a goroutine of its own when every
// worker is busy (a reader may wait: a CONNECT that looks a user up, a message that
// arrives in pieces), so that no reader waits for another.
func (p *Poller) dispatch(r *Registration) {
	select {
	case p.work <- r:
	default:
		go r.resume()
	}
}

// worker runs readers one after another. Its stack, grown by the first, serves the
// next: a goroutine started per wake-up would grow a new one each time.
func (p *Poller) worker() {
	for {
		select {
		case r := <-p.work:
			r.resume()
		case <-p.done:
			return
		}
	}
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
	err := p.file.Close() // the loop's wait returns
	<-p.done              // the workers end too
	return err
}

// loop waits in the runtime's poller until the set has events, and drains it.
func (p *Poller) loop() {
	defer close(p.done)
	for {
		if err := p.rc.Read(p.drain); err != nil {
			return // the set was closed
		}
	}
}

// drainReady runs inside rc.Read: it takes every event ready now (epoll_wait without
// waiting), wakes their readers, and returns false when there are none, which makes
// the runtime wait for the set to be readable again (edge-triggered there too: the
// set is drained before each wait, so no edge is missed).
func (p *Poller) drainReady(fd uintptr) bool {
	for {
		n, err := unix.EpollWait(int(fd), p.events, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return true // EBADF: closed; rc.Read's next call reports it
		}
		if n == 0 {
			return false
		}
		p.ready = p.ready[:0]
		p.mu.Lock()
		for i := range p.events[:n] {
			if r := p.regs[token(&p.events[i])]; r != nil {
				p.ready = append(p.ready, r)
			}
		}
		p.mu.Unlock()
		for _, r := range p.ready {
			if r.state.Load() == stateParked {
				p.wakeup.Add(1)
			}
			r.Wake()
		}
		clear(p.ready)
		if n < len(p.events) {
			return false
		}
	}
}
