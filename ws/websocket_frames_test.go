package ws

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/ws/internal/wsframe"
)

// clientFrame encodes a client frame: masked unless unmasked is set.
func clientFrame(first byte, payload []byte, unmasked bool) []byte {
	if !unmasked {
		return wsframe.AppendClientFrame(nil, first, payload, [4]byte{0x37, 0xfa, 0x21, 0x3d})
	}
	b := []byte{first}
	switch n := len(payload); {
	case n <= 125:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 127), uint64(n))
	}
	return append(b, payload...)
}

const (
	finText  = 0x80 | wsframe.OpText
	finBin   = 0x80 | wsframe.OpBinary
	fragText = wsframe.OpText
	fragCont = 0x00
	finCont  = 0x80
	finPing  = 0x80 | wsframe.OpPing
	finClose = 0x80 | wsframe.OpClose
)

// closeCode reads until the connection ends and returns the close code the
// server sent (0 without a close frame).
func closeCode(t *testing.T, w *rawWS) int {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, err := w.readRaw(time.Until(deadline))
		var ce *fws.CloseError
		switch {
		case errors.As(err, &ce):
			return ce.Code
		case errors.Is(err, errReadTimeout):
			t.Fatal("still open")
		case err != nil:
			return 0
		}
	}
}

// TestWebsocketFrames drives the frame reader with hand-made frames on a
// real connection: fragments, control frames between them, frames split
// over writes or packed into one, and each way a client can break the
// protocol (closed with the RFC's code, the session alone).
func TestWebsocketFrames(t *testing.T) {
	cfg := testConfig()
	cfg.MaxPayload = 200_000
	e := startServer(t, cfg)

	t.Run("fragments with a ping between", func(t *testing.T) {
		w, _ := e.openWS()
		defer w.close()
		w.read() // welcome
		var pongs atomic.Int32
		w.c.SetPongHandler(func(string) error { pongs.Add(1); return nil })
		raw := w.c.UnderlyingConn()
		msg := []byte(`421["echo","fragmented"]`)
		var b []byte
		b = append(b, clientFrame(fragText, msg[:5], false)...)
		b = append(b, clientFrame(finPing, []byte("hi"), false)...)
		b = append(b, clientFrame(fragCont, msg[5:12], false)...)
		b = append(b, clientFrame(finCont, msg[12:], false)...)
		if _, err := raw.Write(b); err != nil {
			t.Fatal(err)
		}
		if m := w.read(); m != `431["fragmented"]` {
			t.Fatalf("echo: %q", m)
		}
		waitFor(t, time.Second, "pong", func() bool { return pongs.Load() == 1 })
	})

	t.Run("split over writes and packed in one", func(t *testing.T) {
		w, _ := e.openWS()
		defer w.close()
		w.read()
		raw := w.c.UnderlyingConn()
		one := clientFrame(finText, []byte(`421["echo",1]`), false)
		for i := range one { // a byte per write: headers and masks split everywhere
			if _, err := raw.Write(one[i : i+1]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Millisecond)
		}
		if m := w.read(); m != `431[1]` {
			t.Fatalf("split: %q", m)
		}
		var packed []byte
		for i := range 50 {
			packed = append(packed, clientFrame(finText, []byte(`421["echo",`+string(mustJSON(i))+`]`), false)...)
		}
		if _, err := raw.Write(packed); err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			if m := w.read(); m != `431[`+string(mustJSON(i))+`]` {
				t.Fatalf("packed %d: %q", i, m)
			}
		}
	})

	t.Run("large messages, 16- and 64-bit lengths", func(t *testing.T) {
		w, _ := e.openWS()
		defer w.close()
		w.read()
		for _, n := range []int{300, 70_000, 150_000} {
			s := strings.Repeat("ab", n/2)
			w.send(`421["echo","` + s + `"]`)
			if m := w.read(); m != `431["`+s+`"]` {
				t.Fatalf("%d bytes: got %d bytes", n, len(m))
			}
		}
	})

	t.Run("client close is answered with its code", func(t *testing.T) {
		w, _ := e.openWS()
		defer w.close()
		w.read()
		raw := w.c.UnderlyingConn()
		if _, err := raw.Write(clientFrame(finClose, []byte{0x0f, 0xa0}, false)); err != nil { // 4000
			t.Fatal(err)
		}
		if code := closeCode(t, w); code != 4000 {
			t.Fatalf("close code %d", code)
		}
		e.h.expectClose(t, closereason.ClientClosed)
	})

	bad := []struct {
		name  string
		bytes []byte
		code  int
		want  closereason.Reason
	}{
		{"unmasked frame", clientFrame(finText, []byte(`421["echo",1]`), true), 1002, closereason.TransportError},
		{"reserved bits", clientFrame(0x80|0x40|wsframe.OpText, []byte(`421["echo",1]`), false), 1002, closereason.TransportError},
		{"continuation first", clientFrame(finCont, []byte("x"), false), 1002, closereason.TransportError},
		{"text inside a fragmented message", append(clientFrame(fragText, []byte("42"), false), clientFrame(finText, []byte("x"), false)...), 1002, closereason.TransportError},
		{"unknown opcode", clientFrame(0x80|0x3, []byte("x"), false), 1002, closereason.TransportError},
		{"unknown control opcode", clientFrame(0x80|0xb, nil, false), 1002, closereason.TransportError},
		{"fragmented ping", clientFrame(wsframe.OpPing, nil, false), 1002, closereason.TransportError},
		{"long ping", clientFrame(finPing, bytes.Repeat([]byte("p"), 126), false), 1002, closereason.TransportError},
		{"one-byte close", clientFrame(finClose, []byte{3}, false), 1002, closereason.TransportError},
		{"close code not for the wire", clientFrame(finClose, []byte{0x03, 0xee}, false), 1002, closereason.TransportError}, // 1006
		{"length over 2^63", []byte{finText, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, 1002, closereason.TransportError},
		{"message over maxPayload", clientFrame(finText, make([]byte, 200_001), false), 1009, closereason.PayloadTooLarge},
		{"fragments over maxPayload", append(clientFrame(fragText, make([]byte, 150_000), false), clientFrame(finCont, make([]byte, 60_000), false)...), 1009, closereason.PayloadTooLarge},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := e.openWS()
			defer w.close()
			w.read()
			if _, err := w.c.UnderlyingConn().Write(tc.bytes); err != nil {
				t.Fatal(err)
			}
			if code := closeCode(t, w); code != tc.code {
				t.Fatalf("close code %d, want %d", code, tc.code)
			}
			e.h.expectClose(t, tc.want)
		})
	}

	t.Run("truncated frame then EOF", func(t *testing.T) {
		w, _ := e.openWS()
		w.read()
		frame := clientFrame(finText, []byte(`421["echo",1]`), false)
		_, _ = w.c.UnderlyingConn().Write(frame[:len(frame)-3])
		_ = w.c.UnderlyingConn().(*net.TCPConn).CloseWrite()
		e.h.expectClose(t, closereason.ClientClosed)
		w.close()
	})
}

// TestControlFrameWaitsForPendingTail: a control frame the reader must send
// while the tail of a direct write is still unwritten goes after that tail,
// through the writer — never into the middle of the frame.
func TestControlFrameWaitsForPendingTail(t *testing.T) {
	srv := NewServer(testConfig(), &testHandler{})
	defer srv.Shutdown(context.Background())
	raw, cli, rc := tcpPair(t)
	w := &wsTransport{raw: raw, rc: rc, vectored: true, ctlTimeout: DefaultControlTimeout}
	w.try.write = w.try.run
	s := srv.newSession(handshake{}, transportWebsocket)
	s.ws, w.sess = w, s

	// The state right after a direct write the socket took in part: the
	// tail is pending and the writer has been started but has not run yet.
	frame := wsframe.AppendHeader(nil, wsframe.OpText, 5)
	frame = append(frame, "hello"...)
	s.mu.Lock()
	w.rest = append([]byte(nil), frame[3:]...)
	w.writing = true
	s.mu.Unlock()
	if _, err := raw.Write(frame[:3]); err != nil { // what the direct write took
		t.Fatal(err)
	}
	w.WriteControl(wsframe.OpPong, []byte("p"))
	s.mu.Lock()
	queued := len(w.ctl)
	s.mu.Unlock()
	if queued != 1 {
		t.Fatalf("control frame not queued behind the tail (%d queued)", queued)
	}
	w.wg.Add(1)
	s.writeLoop(w) // the writer: tail, then the control frame
	want := append(append([]byte(nil), frame...), 0x80|wsframe.OpPong, 1, 'p')
	got := make([]byte, len(want))
	_ = cli.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.ReadFull(cli, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("wire % x, want % x", got, want)
	}
	// Idle again: the next control frame goes out at once.
	w.WriteControl(wsframe.OpPong, []byte("q"))
	got = got[:3]
	if _, err := io.ReadFull(cli, got); err != nil || !bytes.Equal(got, []byte{0x80 | wsframe.OpPong, 1, 'q'}) {
		t.Fatalf("direct control frame: % x %v", got, err)
	}

	// A close frame behind a running writer: the reader waits until the
	// writer has sent it (the session is cut right after it).
	s.mu.Lock()
	w.writing = true
	s.mu.Unlock()
	sent := make(chan struct{})
	go func() { w.SendClose(1002); close(sent) }()
	waitFor(t, time.Second, "close frame queued", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(w.ctl) == 1
	})
	select {
	case <-sent:
		t.Fatal("sendClose returned before the writer wrote the frame")
	default:
	}
	w.wg.Add(1)
	s.writeLoop(w)
	<-sent
	got = got[:4]
	if _, err := io.ReadFull(cli, got); err != nil || !bytes.Equal(got, []byte{0x80 | wsframe.OpClose, 2, 0x03, 0xea}) {
		t.Fatalf("close frame: % x %v", got, err)
	}
}

// tcpPair returns both ends of a loopback TCP connection (closed at the
// test's end) and the server end's RawConn.
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
