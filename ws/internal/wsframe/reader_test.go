package wsframe

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// recorder is a Control that notes what the reader asked for.
type recorder struct {
	mu     sync.Mutex
	ctl    []byte // opcodes written
	closes []int  // SendClose codes
	closed []int  // CloseReceived codes
}

func (c *recorder) WriteControl(op byte, _ []byte) {
	c.mu.Lock()
	c.ctl = append(c.ctl, op)
	c.mu.Unlock()
}

func (c *recorder) SendClose(code int) {
	c.mu.Lock()
	c.closes = append(c.closes, code)
	c.mu.Unlock()
}

func (c *recorder) CloseReceived(code int) {
	c.mu.Lock()
	c.closed = append(c.closed, code)
	c.mu.Unlock()
}

var key = [4]byte{0x37, 0xfa, 0x21, 0x3d}

func frame(first byte, payload string) []byte {
	return AppendClientFrame(nil, first, []byte(payload), key)
}

func tcpPair(t *testing.T) (srvEnd, cliEnd net.Conn, rc syscall.RawConn) {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() { c, _ := ln.Accept(); accepted <- c }()
	if cliEnd, err = net.Dial("tcp4", ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if srvEnd = <-accepted; srvEnd == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { srvEnd.Close(); cliEnd.Close() })
	if rc, err = srvEnd.(*net.TCPConn).SyscallConn(); err != nil {
		t.Fatal(err)
	}
	return srvEnd, cliEnd, rc
}

// TestReaderFrames: what the reader makes of each kind of client frame, and which
// answers it asks its Control for.
func TestReaderFrames(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		msgs   []string
		err    error
		pe     bool // a ProtocolError
		ctl    []byte
		closes []int
		closed []int
	}{
		{name: "text", in: frame(0x80|OpText, "42[\"x\"]"), msgs: []string{`42["x"]`}, err: io.EOF},
		{name: "fragments around a ping", in: bytes.Join([][]byte{frame(OpText, "4"), frame(0x80|OpPing, "p"), frame(0x80, "2")}, nil),
			msgs: []string{"42"}, err: io.EOF, ctl: []byte{OpPong}},
		{name: "close with a code", in: frame(0x80|OpClose, "\x03\xe8"), err: ErrClientClose, closed: []int{1000}},
		{name: "close without a code", in: frame(0x80|OpClose, ""), err: ErrClientClose, closed: []int{1005}},
		{name: "unmasked", in: []byte{0x81, 0x01, 'x'}, pe: true, closes: []int{1002}},
		{name: "reserved bits", in: frame(0xc0|OpText, "x"), pe: true, closes: []int{1002}},
		{name: "continuation first", in: frame(0x80, "x"), pe: true, closes: []int{1002}},
		{name: "long ping", in: frame(0x80|OpPing, strings.Repeat("p", 126)), pe: true, closes: []int{1002}},
		{name: "bad close code", in: frame(0x80|OpClose, "\x03\xed"), pe: true, closes: []int{1002}},
		{name: "over the limit", in: frame(0x80|OpText, strings.Repeat("m", 2000)), err: ErrReadLimit, closes: []int{1009}},
		{name: "cut in a frame", in: frame(0x80|OpText, "hello")[:5], err: io.ErrUnexpectedEOF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srvEnd, cliEnd, rc := tcpPair(t)
			go func() { _, _ = cliEnd.Write(tc.in); _ = cliEnd.(*net.TCPConn).CloseWrite() }()
			c := &recorder{}
			r := NewReader(srvEnd, rc, 1<<10, c)
			var msgs []string
			var err error
			for {
				var bp *[]byte
				_, bp, err = r.Next()
				if err != nil {
					break
				}
				msgs = append(msgs, string(*bp))
				PutMessage(bp)
			}
			var pe ProtocolError
			if tc.pe != errors.As(err, &pe) || (!tc.pe && !errors.Is(err, tc.err)) {
				t.Fatalf("error %v, want %v (protocol error %v)", err, tc.err, tc.pe)
			}
			if strings.Join(msgs, "|") != strings.Join(tc.msgs, "|") || !bytes.Equal(c.ctl, tc.ctl) ||
				!equal(c.closes, tc.closes) || !equal(c.closed, tc.closed) {
				t.Fatalf("messages %q, control %v, closes sent %v, closes received %v", msgs, c.ctl, c.closes, c.closed)
			}
			if errors.Is(err, io.EOF) && r.buf != nil {
				t.Fatal("a buffer held after the stream ended") // after an error, the caller's Release gives it back
			}
			r.Release()
		})
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReaderIdleHoldsNoBuffer: between messages the reader gives its pooled buffer
// back, on both read paths.
func TestReaderIdleHoldsNoBuffer(t *testing.T) {
	for _, tcp := range []bool{true, false} {
		var srvEnd, cliEnd net.Conn
		var rc syscall.RawConn
		if tcp {
			srvEnd, cliEnd, rc = tcpPair(t)
		} else {
			srvEnd, cliEnd = net.Pipe()
		}
		r := NewReader(srvEnd, rc, 1<<20, &recorder{})
		go func() {
			for i := range 3 {
				_, _ = cliEnd.Write(frame(0x80|OpText, strings.Repeat("m", 100*(i+1))))
				time.Sleep(20 * time.Millisecond)
			}
			_ = cliEnd.Close()
		}()
		for i := range 3 {
			bin, bp, err := r.Next()
			if err != nil || bin || len(*bp) != 100*(i+1) {
				t.Fatalf("tcp=%v message %d: %v %v", tcp, i, err, bp)
			}
			PutMessage(bp)
			if r.buf != nil && tcp {
				t.Fatalf("message %d: buffer held after the message was consumed", i)
			}
		}
		if _, _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("tcp=%v: after close: %v", tcp, err)
		}
		if r.buf != nil {
			t.Fatalf("tcp=%v: buffer held after EOF", tcp)
		}
		srvEnd.Close()
	}
}

// TestPoll: Poll reads what is there without waiting, says when there is nothing
// (the socket is dry), and keeps an end of stream for the next read.
func TestPoll(t *testing.T) {
	srvEnd, cliEnd, rc := tcpPair(t)
	r := NewReader(srvEnd, rc, 1<<10, &recorder{})
	if r.Poll() || !r.Dry() || r.buf != nil {
		t.Fatalf("empty socket: poll true or not dry (%v) or a buffer held", r.Dry())
	}
	r.Forget()
	if r.Dry() {
		t.Fatal("Forget kept Dry")
	}
	if _, err := cliEnd.Write(frame(0x80|OpText, "hi")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !r.Poll() {
		if time.Now().After(deadline) {
			t.Fatal("Poll never saw the bytes")
		}
		time.Sleep(time.Millisecond)
	}
	if r.Buffered() == 0 || !r.Dry() {
		t.Fatalf("after a poll: %d buffered, dry %v", r.Buffered(), r.Dry())
	}
	if _, bp, err := r.Next(); err != nil || string(*bp) != "hi" {
		t.Fatalf("next after poll: %v", err)
	}
	cliEnd.Close()
	for !r.Poll() {
		time.Sleep(time.Millisecond)
	}
	if _, _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the peer closed: %v", err)
	}
}

// FuzzReader: any byte stream from a client ends in a message or an error, never a
// panic, a message over the limit or a hang.
func FuzzReader(f *testing.F) {
	f.Add(frame(0x80|OpText, `42["ng-action",{"action":"pong"}]`))
	f.Add(append(frame(OpText, "42"), frame(0x80, `["x"]`)...))
	f.Add(append(frame(0x80|OpPing, "p"), frame(0x80|OpBinary, "\x01\x02")...))
	f.Add(frame(0x80|OpClose, "\x03\xe8"))
	f.Add(frame(0x80|OpText, strings.Repeat("x", 300)))
	f.Add([]byte{0x81, 0x08, 'u', 'n', 'm', 'a', 's', 'k', 'e', 'd'})
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2, 3, 4})
	const limit = 1 << 10
	f.Fuzz(func(t *testing.T, in []byte) {
		srvEnd, cliEnd := net.Pipe()
		defer srvEnd.Close()
		go func() { _, _ = cliEnd.Write(in); _ = cliEnd.Close() }()
		r := NewReader(srvEnd, nil, limit, &recorder{})
		_ = srvEnd.SetReadDeadline(time.Now().Add(5 * time.Second))
		for i := 0; ; i++ {
			_, bp, err := r.Next()
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatal("reader hung on a finished stream")
				}
				break
			}
			if len(*bp) > limit {
				t.Fatalf("message of %d bytes over the %d limit", len(*bp), limit)
			}
			PutMessage(bp)
			if i > len(in) {
				t.Fatal("more messages than input bytes")
			}
		}
		r.Release()
	})
}
