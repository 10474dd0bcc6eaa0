//go:build linux

package netpoll

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection: the server's raw conn and the
// client.
func pair(t *testing.T) (*net.TCPConn, syscall.RawConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); client.Close() })
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return c.(*net.TCPConn), rc, client
}

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func notYet(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s happened", what)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestParkedReaderResumesOnBytes(t *testing.T) {
	p := newPoller(t)
	_, rc, client := pair(t)
	resumed := make(chan struct{}, 4)
	r, err := p.Register(rc, func() { resumed <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	if !r.Park() {
		t.Fatal("Park refused with nothing pending")
	}
	notYet(t, "a resume of an idle connection", resumed)
	if _, err := client.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the resume after bytes arrived", resumed)
	if p.Wakeups() != 1 || p.Registrations() != 1 {
		t.Fatalf("wakeups %d, registrations %d", p.Wakeups(), p.Registrations())
	}
	// The resumed reader runs: more bytes only make its next Park refuse once.
	if _, err := client.Write([]byte("again")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for r.state.Load() != statePending && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if r.Park() {
		t.Fatal("Park accepted although an edge came while the reader ran")
	}
	if !r.Park() {
		t.Fatal("the second Park refused")
	}
	notYet(t, "a resume without a new edge", resumed)
}

func TestPeerCloseResumes(t *testing.T) {
	p := newPoller(t)
	_, rc, client := pair(t)
	resumed := make(chan struct{}, 1)
	r, err := p.Register(rc, func() { resumed <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	r.Park()
	client.Close()
	waitFor(t, "the resume after the peer closed", resumed)
}

func TestWakeResumesParkedOnly(t *testing.T) {
	p := newPoller(t)
	_, rc, _ := pair(t)
	resumed := make(chan struct{}, 2)
	r, err := p.Register(rc, func() { resumed <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	r.Wake() // running: no new reader, the next Park refuses
	notYet(t, "a resume of a running reader", resumed)
	if r.Park() {
		t.Fatal("Park accepted after a Wake")
	}
	if !r.Park() {
		t.Fatal("Park refused")
	}
	r.Wake()
	waitFor(t, "the resume by Wake", resumed)
}

func TestClosedRegistrationNeverResumes(t *testing.T) {
	p := newPoller(t)
	c, rc, client := pair(t)
	resumed := make(chan struct{}, 1)
	r, err := p.Register(rc, func() { resumed <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	r.Close()
	if r.Park() {
		t.Fatal("a closed registration parked")
	}
	r.Wake()
	if _, err := client.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	notYet(t, "a resume after Close", resumed)
	if p.Registrations() != 0 {
		t.Fatalf("%d registrations left", p.Registrations())
	}
	// The descriptor's next owner is another registration: its events reach it only.
	c.Close()
	_, rc2, client2 := pair(t)
	resumed2 := make(chan struct{}, 1)
	r2, err := p.Register(rc2, func() { resumed2 <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	r2.Park()
	if _, err := client2.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new registration's resume", resumed2)
	notYet(t, "a resume of the closed one", resumed)
}

func TestRegisterAfterClose(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	_, rc, _ := pair(t)
	if _, err := p.Register(rc, func() {}); err != ErrClosed {
		t.Fatalf("Register after Close: %v", err)
	}
}

// TestBusyWorkersHoldUpNoReader: readers that wait (every worker taken, and more)
// do not keep another parked reader from being resumed.
func TestBusyWorkersHoldUpNoReader(t *testing.T) {
	p := newPoller(t)
	n := workers() + 2
	release := make(chan struct{})
	defer close(release)
	resumed := make(chan int, n)
	clients := make([]net.Conn, n)
	for i := range n {
		_, rc, client := pair(t)
		clients[i] = client
		r, err := p.Register(rc, func() { resumed <- i; <-release }) // a reader that waits
		if err != nil {
			t.Fatal(err)
		}
		if !r.Park() {
			t.Fatal("Park refused")
		}
	}
	for _, c := range clients {
		if _, err := c.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int]bool{}
	for len(seen) < n {
		select {
		case i := <-resumed:
			seen[i] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d readers resumed while the others wait", len(seen), n)
		}
	}
}
