package connlimit

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveEcho accepts from l until it is closed, echoing one byte per connection read.
func serveEcho(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			b := make([]byte, 1)
			for {
				if _, err := c.Read(b); err != nil {
					return
				}
				if _, err := c.Write(b); err != nil {
					return
				}
			}
		}()
	}
}

func echoes(c net.Conn) bool {
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte{'x'}); err != nil {
		return false
	}
	b := make([]byte, 1)
	_, err := io.ReadFull(c, b)
	return err == nil
}

func TestBoundClosesConnectionsBeyondIt(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Wrap(raw, 3, nil)
	defer l.Close()
	go serveEcho(l)

	var held []net.Conn
	for i := range 3 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !echoes(c) {
			t.Fatalf("connection %d within the bound was not served", i)
		}
		held = append(held, c)
	}
	for i := range 4 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			continue // reset before the dial returned: refused too
		}
		if echoes(c) {
			t.Fatalf("connection %d beyond the bound was served", i)
		}
		c.Close()
	}
	deadline := time.Now().Add(2 * time.Second)
	for l.Refused() != 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if l.Refused() != 4 || l.Open() != 3 {
		t.Fatalf("refused %d open %d, want 4 and 3", l.Refused(), l.Open())
	}
	// The held ones are still served, and a freed place is taken by the next client.
	for i, c := range held {
		if !echoes(c) {
			t.Fatalf("held connection %d stopped being served", i)
		}
	}
	held[0].Close()
	deadline = time.Now().Add(2 * time.Second)
	for l.Open() != 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	c, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !echoes(c) {
		t.Fatalf("a connection after one closed was not served (open %d)", l.Open())
	}
}

func TestCloseCountsOnce(t *testing.T) {
	raw, _ := net.Listen("tcp", "127.0.0.1:0")
	l := Wrap(raw, 0, nil)
	defer l.Close()
	go func() { c, _ := net.Dial("tcp", raw.Addr().String()); time.Sleep(time.Second); c.Close() }()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if l.Open() != 1 {
		t.Fatalf("open %d", l.Open())
	}
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() { _ = c.Close() })
	}
	wg.Wait()
	if l.Open() != 0 {
		t.Fatalf("open %d after three closes, want 0", l.Open())
	}
	if nc, ok := c.(interface{ NetConn() net.Conn }); !ok || nc.NetConn() == nil {
		t.Fatal("Conn does not expose the accepted connection")
	}
	if _, ok := c.(*Conn).NetConn().(*net.TCPConn); !ok {
		t.Fatal("NetConn is not the TCP connection")
	}
}

// failing returns errs one by one from Accept, then accepts from the real listener.
type failing struct {
	net.Listener
	mu   sync.Mutex
	errs []error
}

func (f *failing) Accept() (net.Conn, error) {
	f.mu.Lock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		f.mu.Unlock()
		return nil, err
	}
	f.mu.Unlock()
	return f.Listener.Accept()
}

func TestAcceptErrorsBackOffAndRetry(t *testing.T) {
	raw, _ := net.Listen("tcp", "127.0.0.1:0")
	emfile := &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	f := &failing{Listener: raw, errs: []error{emfile, emfile, emfile, emfile, emfile, emfile, emfile, emfile, emfile, emfile}}
	l := Wrap(f, 0, nil)
	var slept []time.Duration
	l.sleep = func(d time.Duration) { slept = append(slept, d) }
	defer l.Close()
	go func() { c, _ := net.Dial("tcp", raw.Addr().String()); time.Sleep(time.Second); c.Close() }()
	c, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept gave up: %v", err)
	}
	c.Close()
	if l.AcceptErrors() != 10 || len(slept) != 10 {
		t.Fatalf("%d errors, %d sleeps; want 10 each", l.AcceptErrors(), len(slept))
	}
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}
	for i, d := range slept {
		if d != want[i]*time.Millisecond {
			t.Fatalf("sleep %d was %v, want %v (all: %v)", i, d, want[i]*time.Millisecond, slept)
		}
	}
}

func TestClosedListenerEndsAccept(t *testing.T) {
	raw, _ := net.Listen("tcp", "127.0.0.1:0")
	l := Wrap(raw, 0, nil)
	done := make(chan error, 1)
	go func() { _, err := l.Accept(); done <- err }()
	time.Sleep(20 * time.Millisecond)
	l.Close()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Accept did not return after Close")
	}
}
