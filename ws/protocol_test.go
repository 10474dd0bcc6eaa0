package ws

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/presenced/presenced/internal/closereason"
)

func TestWebsocketBasics(t *testing.T) {
	e := startServer(t, testConfig())
	w, id := e.openWS()
	defer w.close()
	if m := w.read(); m != `42["welcome",{"id":"`+id+`"}]` {
		t.Fatalf("welcome: %q", m)
	}
	w.send(`421["echo",{"a":1},"x"]`)
	if m := w.read(); m != `431[{"a":1},"x"]` {
		t.Fatalf("echo ack: %q", m)
	}
	w.send(`42["ask"]`)
	if m := w.read(); m != `420["question",{"q":"meaning"}]` {
		t.Fatalf("question: %q", m)
	}
	w.send(`430[{"a":42}]`)
	if m := w.read(); m != `42["answer-ok"]` {
		t.Fatalf("answer: %q", m)
	}
	// pings arrive and are answered by read(); the session survives several
	deadline := time.Now().Add(700 * time.Millisecond)
	for time.Now().Before(deadline) {
		w.send(`422["whoami"]`)
		if m := w.read(); !strings.HasPrefix(m, `432[{"id":"`+id+`","transport":"websocket"}]`) {
			t.Fatalf("whoami: %q", m)
		}
		time.Sleep(50 * time.Millisecond)
	}
	w.send(`42["bye"]`)
	if m := w.read(); m != `41` {
		t.Fatalf("disconnect: %q", m)
	}
	if err := w.expectClosed(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-e.h.closed:
		if r != closereason.ServerDisconnect {
			t.Fatalf("reason %q", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no OnClose")
	}
}

func TestPollingBasics(t *testing.T) {
	e := startServer(t, testConfig())
	sid := e.pollHandshake()
	q := "EIO=4&transport=polling&sid=" + sid
	if code, body := e.poll("POST", q, "40"); code != 200 || body != "ok" {
		t.Fatalf("post: %d %q", code, body)
	}
	code, body := e.poll("GET", q, "")
	if code != 200 || !strings.HasPrefix(body, `40{"sid":"`) || !strings.Contains(body, "\x1e42[\"welcome\"") {
		t.Fatalf("get: %d %q", code, body)
	}
	if code, _ := e.poll("POST", q, "421[\"echo\",1]\x1e422[\"echo\",2]"); code != 200 {
		t.Fatal(code)
	}
	if _, body := e.poll("GET", q, ""); body != "431[1]\x1e432[2]" {
		t.Fatalf("acks: %q", body)
	}
	// next GET waits for the ping
	start := time.Now()
	if _, body := e.poll("GET", q, ""); body != "2" {
		t.Fatalf("ping: %q", body)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("long poll held %v", d)
	}
	e.poll("POST", q, "3")
	e.poll("POST", q, "1")
	select {
	case r := <-e.h.closed:
		if r != closereason.ClientClosed {
			t.Fatalf("reason %q", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no OnClose")
	}
	if code, body := e.poll("GET", q, ""); code != 400 || body != `{"code":1,"message":"Session ID unknown"}` {
		t.Fatalf("after close: %d %q", code, body)
	}
}

// TestCloseDrainsQueue: Conn.Close is orderly: frames queued before it
// reach the client, then the transport closes.
func TestCloseDrainsQueue(t *testing.T) {
	e := newLongPollEnv(t, nil)
	closeAll := func() {
		e.h.each(func(c *Conn) {
			for i := range 3 {
				c.Emit("queued", mustJSON(i))
			}
			c.Close("test close")
		})
	}
	w, _ := e.openWS()
	defer w.close()
	w.read() // welcome
	closeAll()
	for i := range 3 {
		if m := w.read(); m != `42["queued",`+string(mustJSON(i))+`]` {
			t.Fatalf("ws frame %d: %q", i, m)
		}
	}
	if err := w.expectClosed(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	e.h.expectClose(t, "test close")

	q := connectPolling(t, e)
	closeAll()
	if _, body := e.poll("GET", q, ""); body != "42[\"queued\",0]\x1e42[\"queued\",1]\x1e42[\"queued\",2]" {
		t.Fatalf("polling frames: %q", body)
	}
	if _, body := e.poll("GET", q, ""); body != "1" {
		t.Fatalf("close packet: %q", body)
	}
	e.h.expectClose(t, "test close")
	if code, body := e.poll("GET", q, ""); code != 400 || body != code1 {
		t.Fatalf("after close: %d %q", code, body)
	}
}

// TestLargeFramesInBatch: large shared frames go out by writev between
// small copied ones; the client must see every frame intact and in order.
func TestLargeFramesInBatch(t *testing.T) {
	e := startServer(t, testConfig())
	w, _ := e.openWS()
	defer w.close()
	w.read()                                                          // welcome
	big := EncodeEvent("big", mustJSON(strings.Repeat("ab", 50_000))) // 100 KB: 64-bit length
	mid := EncodeEvent("mid", mustJSON(strings.Repeat("c", 10_000)))  // 16-bit length
	want := []string{`42["small",0]`, string(big), `42["small",1]`, string(mid), string(big), `42["small",2]`}
	e.h.each(func(c *Conn) {
		c.Emit("small", mustJSON(0))
		c.SendFrame(big)
		c.Emit("small", mustJSON(1))
		c.SendFrame(mid)
		c.SendFrame(big)
		c.Emit("small", mustJSON(2))
	})
	for i, wnt := range want {
		if m := w.read(); m != wnt {
			t.Fatalf("frame %d: %d bytes %.40q…, want %d bytes %.40q…", i, len(m), m, len(wnt), wnt)
		}
	}
}

// TestWriteFramesVectored writes one batch mixing copied and referenced
// frames through writev on a real TCP connection and parses it back.
func TestWriteFramesVectored(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp4", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	srv := &Server{cfg: Config{}.withDefaults()}
	w := &wsTransport{raw: server, vectored: true, ctlTimeout: DefaultControlTimeout}
	frames := [][]byte{
		[]byte("4small"), bytes.Repeat([]byte("B"), 70_000), []byte("4x"),
		bytes.Repeat([]byte("M"), 5_000), bytes.Repeat([]byte("B"), 70_000), bytes.Repeat([]byte("s"), 126),
	}
	done := make(chan error, 1)
	go func() { done <- w.writeFrames(frames, srv) }()
	r := bufio.NewReader(client)
	for i, want := range frames {
		var h [2]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			t.Fatal(err)
		}
		if h[0] != 0x81 {
			t.Fatalf("frame %d: first byte %#x", i, h[0])
		}
		n := int(h[1])
		switch n {
		case 126:
			var l [2]byte
			io.ReadFull(r, l[:])
			n = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			var l [8]byte
			io.ReadFull(r, l[:])
			n = int(binary.BigEndian.Uint64(l[:]))
		}
		got := make([]byte, n)
		if _, err := io.ReadFull(r, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(got), len(want))
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.WriteCalls != 1 || st.FramesOut != uint64(len(frames)) {
		t.Fatalf("stats %+v", st)
	}
}

// TestDirectWritesUnderBackpressure: small frames are written from the
// caller's goroutine while the socket takes them; once the client stops
// reading, the tail of a partial write and everything after it must reach the
// client intact and in order through the writer.
func TestDirectWritesUnderBackpressure(t *testing.T) {
	cfg := testConfig()
	cfg.OutboundQueue, cfg.OutboundBytes = 1<<16, 1<<30 // the queue may hold all of it
	cfg.PingInterval, cfg.PingTimeout = time.Minute, time.Minute
	e := startServer(t, cfg)
	w, _ := e.openWS()
	defer w.close()
	w.read() // welcome
	pad := strings.Repeat("x", 3000)
	const n, pings = 4000, 40 // ≈ 12 MB: more than loopback's socket buffers hold
	// The client's pings arrive while frames are pending: the pongs must go
	// out between frames, never inside one (the client's reader would fail).
	var pongs atomic.Int32
	w.c.SetPongHandler(func(string) error { pongs.Add(1); return nil })
	pinged := make(chan struct{})
	go func() {
		defer close(pinged)
		for range pings {
			_ = w.c.WriteControl(fws.PingMessage, []byte("p"), time.Now().Add(time.Second))
			time.Sleep(2 * time.Millisecond)
		}
	}()
	before := e.srv.Stats()
	e.h.each(func(c *Conn) {
		for i := range n {
			if !c.Emit("seq", mustJSON(i), mustJSON(pad)) {
				t.Fatalf("frame %d refused", i)
			}
			if i%100 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	})
	<-pinged
	for i := range n {
		want := `42["seq",` + string(mustJSON(i)) + `,"` + pad + `"]`
		if m := w.read(); m != want {
			t.Fatalf("frame %d: %d bytes %.40q…", i, len(m), m)
		}
	}
	waitFor(t, 2*time.Second, "pongs", func() bool { return pongs.Load() == pings })
	st := e.srv.Stats()
	if got := st.FramesOut - before.FramesOut; got != n {
		t.Fatalf("frames out %d, want %d", got, n)
	}
	// The writer took over (its batches share writes): the backpressure path ran.
	if calls := st.WriteCalls - before.WriteCalls; calls >= n {
		t.Fatalf("%d writes for %d frames: the socket never pushed back", calls, n)
	} else {
		t.Logf("%d frames in %d writes", n, calls)
	}
}
