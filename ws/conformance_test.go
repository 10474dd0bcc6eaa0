package ws

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/internal/closereason"
)

// Conformance with the Engine.IO v4 and Socket.IO v5 specifications
// (github.com/socketio/engine.io-protocol, socket.io-protocol), and with the
// reference server where they are silent. The handler is the protocol test
// suite's echo server: on CONNECT it emits "auth" with the CONNECT payload,
// "message" is emitted back as "message-back", "message-with-ack" is acked
// with its arguments; and here "close" makes the server close the session.
// The timers are the suite's: pingInterval 300 ms, pingTimeout 200 ms,
// connectTimeout 1 s.

func confConfig() Config {
	return Config{
		PingInterval:   300 * time.Millisecond,
		PingTimeout:    200 * time.Millisecond,
		ConnectTimeout: time.Second,
		UpgradeTimeout: 2 * time.Second,
		WriteTimeout:   2 * time.Second,
		AckTimeout:     2 * time.Second,
		Logger:         testLogger(),
	}
}

type confClose struct {
	id     string
	reason closereason.Reason
}

type confHandler struct {
	hook   func(c *Conn, auth json.RawMessage) // runs at the end of OnConnect, when set
	closed chan confClose
	mu     sync.Mutex
	conns  []*Conn // every accepted connection, in order
}

func newConfHandler() *confHandler { return &confHandler{closed: make(chan confClose, 100)} }

func (h *confHandler) OnConnect(c *Conn, auth json.RawMessage) (Session, error) {
	if auth == nil {
		auth = json.RawMessage(`{}`)
	}
	c.Emit("auth", auth)
	if h.hook != nil {
		h.hook(c, auth)
	}
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	return &confSession{h: h, c: c}, nil
}

// last is the connection accepted last.
func (h *confHandler) last() *Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.conns[len(h.conns)-1]
}

// expectClose waits for the OnClose of connection id, skipping those of
// connections that earlier steps left behind.
func (h *confHandler) expectClose(t testing.TB, id string, want closereason.Reason) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case c := <-h.closed:
			if c.id != id {
				t.Logf("OnClose(%q) of %s while waiting for %s's", c.reason, c.id, id)
				continue
			}
			if c.reason != want {
				t.Fatalf("OnClose(%q) of %s, want OnClose(%q)", c.reason, id, want)
			}
			return
		case <-timeout:
			t.Fatalf("no OnClose(%q) of %s", want, id)
		}
	}
}

type confSession struct {
	h *confHandler
	c *Conn
}

func (s *confSession) OnEvent(name string, args []json.RawMessage, ack int64) {
	switch name {
	case "message":
		s.c.Emit("message-back", args...)
	case "message-with-ack":
		s.c.Ack(ack, args...)
	case "close":
		s.c.Close("test close")
	}
}

func (s *confSession) OnClose(reason closereason.Reason) { s.h.closed <- confClose{s.c.ID(), reason} }

func startConf(t *testing.T, cfg Config, h *confHandler) *testEnv {
	t.Helper()
	return startHandler(t, cfg, h, fiber.Config{}, nil)
}

// wsConnect opens a websocket-only session and connects to "/" with the
// CONNECT packet connect (e.g. "40"); it returns the socket id, after the
// "auth" event.
func wsConnect(t *testing.T, e *testEnv, connect string) (*rawWS, string) {
	t.Helper()
	w, _, err := e.dialWS("EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := w.read(); !strings.HasPrefix(m, `0{"sid":`) {
		t.Fatalf("open packet: %q", m)
	}
	w.send(connect)
	id := connectReply(t, w.read())
	if m := w.read(); !strings.HasPrefix(m, `42["auth",`) {
		t.Fatalf("auth event: %q", m)
	}
	return w, id
}

// connectReply checks a CONNECT reply and returns its socket id.
func connectReply(t testing.TB, m string) string {
	t.Helper()
	var v struct{ Sid string }
	if !strings.HasPrefix(m, "40{") || json.Unmarshal([]byte(m[2:]), &v) != nil || v.Sid == "" {
		t.Fatalf("CONNECT reply: %q", m)
	}
	return v.Sid
}

// pollPackets GETs until n packets other than pings have arrived (pings are
// answered), within 5 s.
func pollPackets(t testing.TB, e *testEnv, q string, n int) []string {
	t.Helper()
	var got []string
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d packets of %d: %q", len(got), n, got)
		}
		code, body := e.poll("GET", q, "")
		if code != 200 {
			t.Fatalf("GET: %d %q (after %q)", code, body, got)
		}
		for _, p := range strings.Split(body, "\x1e") {
			switch p {
			case "2":
				e.poll("POST", q, "3")
			case "6":
			default:
				got = append(got, p)
			}
		}
	}
	return got
}

func pollSession(t testing.TB, e *testEnv) (q, sid string) {
	t.Helper()
	sid = e.pollHandshake()
	return "EIO=4&transport=polling&sid=" + sid, sid
}

// TestConformanceEmitDuringConnect: what the application emits while it
// handles CONNECT — from OnConnect itself and from another goroutine racing
// with its end — arrives after the CONNECT reply, in order, none lost; also
// when the application closes the connection from OnConnect.
func TestConformanceEmitDuringConnect(t *testing.T) {
	const racing = 40
	h := newConfHandler()
	h.hook = func(c *Conn, auth json.RawMessage) {
		if string(auth) == `{"close":true}` {
			c.Emit("bye")
			c.Close("closed from OnConnect")
			return
		}
		for i := range 3 {
			c.Emit("during", mustJSON(i))
		}
		c.EmitWithAck("ask-during", func([]json.RawMessage, error) {})
		c.SendFrame(EncodeEvent("frame-during"))
		half := make(chan struct{})
		go func() { // the application's other goroutines (an actor, say)
			for i := range racing {
				if i == racing/2 {
					close(half)
				}
				c.Emit("racing", mustJSON(i))
			}
		}()
		<-half
	}
	e := startConf(t, confConfig(), h)
	check := func(t *testing.T, pkts []string) {
		t.Helper()
		want := []string{`42["auth",{"token":"x"}]`, `42["during",0]`, `42["during",1]`, `42["during",2]`, `420["ask-during"]`, `42["frame-during"]`}
		next := 0 // of the racing goroutine's
		for _, p := range pkts {
			if strings.HasPrefix(p, `42["racing",`) {
				if p != fmt.Sprintf(`42["racing",%d]`, next) {
					t.Fatalf("racing frame %q, want %d next (all: %q)", p, next, pkts)
				}
				next++
				continue
			}
			if len(want) == 0 || p != want[0] {
				t.Fatalf("frame %q, want %q (all: %q)", p, want, pkts)
			}
			want = want[1:]
		}
		if len(want) > 0 || next != racing {
			t.Fatalf("missing %q and racing frames %d–%d (all: %q)", want, next, racing-1, pkts)
		}
	}
	const n = 6 + racing
	t.Run("websocket", func(t *testing.T) {
		w, _, err := e.dialWS("EIO=4&transport=websocket", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		w.read() // open
		w.send(`40{"token":"x"}`)
		connectReply(t, w.read())
		var pkts []string
		for len(pkts) < n {
			pkts = append(pkts, w.read())
		}
		check(t, pkts)
	})
	t.Run("polling", func(t *testing.T) {
		q, _ := pollSession(t, e)
		e.poll("POST", q, `40{"token":"x"}`)
		pkts := pollPackets(t, e, q, n+1)
		connectReply(t, pkts[0])
		check(t, pkts[1:])
	})
	t.Run("closed from OnConnect, websocket", func(t *testing.T) {
		w, _, err := e.dialWS("EIO=4&transport=websocket", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		w.read() // open
		w.send(`40{"close":true}`)
		id := connectReply(t, w.read())
		for _, want := range []string{`42["auth",{"close":true}]`, `42["bye"]`} {
			if m := w.read(); m != want {
				t.Fatalf("%q, want %q", m, want)
			}
		}
		if err := w.expectClosed(2 * time.Second); err != nil {
			t.Fatal(err)
		}
		h.expectClose(t, id, "closed from OnConnect")
	})
	t.Run("closed from OnConnect, polling", func(t *testing.T) {
		q, _ := pollSession(t, e)
		e.poll("POST", q, `40{"close":true}`)
		pkts := pollPackets(t, e, q, 4)
		id := connectReply(t, pkts[0])
		if pkts[1] != `42["auth",{"close":true}]` || pkts[2] != `42["bye"]` || pkts[3] != "1" {
			t.Fatalf("packets %q", pkts)
		}
		h.expectClose(t, id, "closed from OnConnect")
		if code, body := e.poll("GET", q, ""); code != 400 || body != code1 {
			t.Fatalf("GET after the close: %d %q", code, body)
		}
	})
}

// TestConformanceDisconnectKeepsSession: a DISCONNECT of "/" closes the
// Socket.IO socket, not the Engine.IO session (socket.io-protocol's suite: the
// next packet is a ping); the client may CONNECT again on it and gets a new
// socket; a session left without a connection is closed after ConnectTimeout.
func TestConformanceDisconnectKeepsSession(t *testing.T) {
	h := newConfHandler()
	cfg := confConfig()
	e := startConf(t, cfg, h)

	t.Run("websocket", func(t *testing.T) {
		w, id := wsConnect(t, e, "40")
		defer w.close()
		old := h.last()
		w.send("41")
		h.expectClose(t, id, closereason.ClientDisconnect)
		if old.Emit("late") || old.Ack(1) || old.SendFrame(EncodeEvent("late")) {
			t.Fatal("the disconnected Conn accepted a write")
		}
		if m, err := w.readRaw(2 * time.Second); m != "2" || err != nil {
			t.Fatalf("after DISCONNECT: %q %v, want a ping", m, err)
		}
		w.send("3")
		w.send(`40{"token":"again"}`)
		id2 := connectReply(t, w.read())
		if id2 == id {
			t.Fatalf("the same socket id %q twice", id)
		}
		if m := w.read(); m != `42["auth",{"token":"again"}]` {
			t.Fatalf("auth: %q", m)
		}
		w.send(`42["message","after reconnect"]`)
		if m := w.read(); m != `42["message-back","after reconnect"]` {
			t.Fatalf("echo: %q", m)
		}
		// Left without a connection (pings answered): closed after ConnectTimeout.
		w.send("41")
		start := time.Now()
		h.expectClose(t, id2, closereason.ClientDisconnect)
		for {
			m, err := w.readRaw(3 * time.Second)
			if err != nil {
				break
			}
			if m != "2" {
				t.Fatalf("unexpected %q", m)
			}
			w.send("3")
		}
		if d := time.Since(start); d < cfg.ConnectTimeout-50*time.Millisecond || d > cfg.ConnectTimeout+time.Second {
			t.Fatalf("closed %v after the DISCONNECT, want about %v", d, cfg.ConnectTimeout)
		}
	})

	t.Run("polling", func(t *testing.T) {
		q, _ := pollSession(t, e)
		e.poll("POST", q, "40")
		pkts := pollPackets(t, e, q, 2)
		id := connectReply(t, pkts[0])
		e.poll("POST", q, "41")
		h.expectClose(t, id, closereason.ClientDisconnect)
		if code, body := e.poll("GET", q, ""); code != 200 || body != "2" {
			t.Fatalf("after DISCONNECT: %d %q, want a ping", code, body)
		}
		e.poll("POST", q, "3")
		e.poll("POST", q, "40")
		pkts = pollPackets(t, e, q, 2)
		if id2 := connectReply(t, pkts[0]); id2 == id {
			t.Fatalf("the same socket id %q twice", id)
		}
		e.poll("POST", q, "41")
		start := time.Now()
		for {
			code, body := e.poll("GET", q, "")
			if code == 400 {
				if body != code1 {
					t.Fatalf("closed session: %q", body)
				}
				break
			}
			if body == "2" {
				e.poll("POST", q, "3")
			}
			if time.Since(start) > 3*time.Second {
				t.Fatal("still open 3 s after the DISCONNECT")
			}
		}
		if d := time.Since(start); d < cfg.ConnectTimeout-50*time.Millisecond {
			t.Fatalf("closed %v after the DISCONNECT, want about %v", d, cfg.ConnectTimeout)
		}
	})
}

// TestConformanceHTTPAfterUpgrade: once the session is on websocket, polling
// requests with its sid are answered 400 "Bad request" (code 3), and the
// websocket goes on.
func TestConformanceHTTPAfterUpgrade(t *testing.T) {
	cfg := confConfig()
	cfg.PingInterval, cfg.PingTimeout = 3*time.Second, time.Second // no ping in the GET below
	e := startConf(t, cfg, newConfHandler())
	q, sid := pollSession(t, e)
	e.poll("POST", q, "40")
	pollPackets(t, e, q, 2)
	w, _, err := e.dialWS("EIO=4&transport=websocket&sid="+sid, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	w.send("2probe")
	if m, err := w.readRaw(2 * time.Second); m != "3probe" || err != nil {
		t.Fatalf("probe: %q %v", m, err)
	}
	// engine.io-protocol's suite: a GET during the probe is answered a noop.
	if code, body := e.poll("GET", q, ""); code != 200 || body != "6" {
		t.Fatalf("GET during the probe: %d %q", code, body)
	}
	w.send("5")
	w.send(`42["message","upgraded"]`)
	if m := w.read(); m != `42["message-back","upgraded"]` {
		t.Fatalf("websocket: %q", m)
	}
	for _, method := range []string{"GET", "POST"} {
		if code, body := e.poll(method, q, `42["message","via polling"]`); code != 400 || body != code3 {
			t.Fatalf("%s after the upgrade: %d %q", method, code, body)
		}
	}
	if _, resp, err := e.dialWS("EIO=4&transport=websocket&sid="+sid, nil); err == nil || resp.StatusCode != 400 {
		t.Fatalf("a second websocket for the session: %v", err)
	}
	w.send(`42["message","still"]`)
	if m := w.read(); m != `42["message-back","still"]` {
		t.Fatalf("websocket after the refused requests: %q", m)
	}
	// A session that was websocket from the start is the same.
	w2, _, err := e.dialWS("EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.close()
	var open struct{ Sid string }
	if err := json.Unmarshal([]byte(w2.read()[1:]), &open); err != nil {
		t.Fatal(err)
	}
	if code, body := e.poll("GET", "EIO=4&transport=polling&sid="+open.Sid, ""); code != 400 || body != code3 {
		t.Fatalf("GET on a websocket session: %d %q", code, body)
	}
}

// TestConformancePendingPoll: how a pending GET ends. A noop (`6`) when the
// session upgrades (engine.io-protocol: "send a noop packet to any pending
// GET request") and when the client sends the close packet (its suite's
// "forcefully closes the session"); the close packet (`1`) when the server
// closes the session. Issue 16 says a forced close should answer `6`: the
// suite's "forced close" is the client's close packet (answered `6` here);
// for a close by the server (Conn.Close, Disconnect, a ping timeout,
// Shutdown) the reference server's polling doClose sends `close` to a
// writable (pending) GET, and we follow the reference, not the text.
func TestConformancePendingPoll(t *testing.T) {
	h := newConfHandler()
	cfg := confConfig()
	cfg.PingInterval, cfg.PingTimeout = 3*time.Second, time.Second // a GET stays pending
	e := startConf(t, cfg, h)
	connect := func(t *testing.T) (q, sid, id string) {
		t.Helper()
		q, sid = pollSession(t, e)
		e.poll("POST", q, "40")
		pkts := pollPackets(t, e, q, 2)
		return q, sid, connectReply(t, pkts[0])
	}
	t.Run("upgrade", func(t *testing.T) {
		q, sid, _ := connect(t)
		first := pendingGET(t, e, q)
		w, _, err := e.dialWS("EIO=4&transport=websocket&sid="+sid, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		w.send("2probe")
		if m, err := w.readRaw(2 * time.Second); m != "3probe" || err != nil {
			t.Fatalf("probe: %q %v", m, err)
		}
		if r := recv(t, first); r != "OK 6" {
			t.Fatalf("GET pending at the probe: %q", r)
		}
		second := pendingGET(t, e, q) // a client that did not pause polling
		w.send("5")
		if r := recv(t, second); r != "OK 6" {
			t.Fatalf("GET pending at the upgrade: %q", r)
		}
		w.send(`42["message",1]`)
		if m := w.read(); m != `42["message-back",1]` {
			t.Fatalf("websocket: %q", m)
		}
	})
	t.Run("client close packet", func(t *testing.T) {
		q, _, id := connect(t)
		get := pendingGET(t, e, q)
		if code, body := e.poll("POST", q, "1"); code != 200 || body != "ok" {
			t.Fatalf("POST close: %d %q", code, body)
		}
		if r := recv(t, get); r != "OK 6" {
			t.Fatalf("pending GET: %q", r)
		}
		h.expectClose(t, id, closereason.ClientClosed)
		if code, body := e.poll("GET", q, ""); code != 400 || body != code1 {
			t.Fatalf("GET after close: %d %q", code, body)
		}
	})
	t.Run("server close", func(t *testing.T) {
		q, _, id := connect(t)
		get := pendingGET(t, e, q)
		h.last().Close("test close")
		if r := recv(t, get); r != "OK 1" {
			t.Fatalf("pending GET: %q", r)
		}
		h.expectClose(t, id, "test close")
		if code, body := e.poll("GET", q, ""); code != 400 || body != code1 {
			t.Fatalf("GET after close: %d %q", code, body)
		}
	})
	t.Run("server disconnect", func(t *testing.T) {
		q, _, id := connect(t)
		get := pendingGET(t, e, q)
		h.last().Disconnect()
		if r := recv(t, get); r != "OK 41" {
			t.Fatalf("pending GET: %q, want the DISCONNECT first", r)
		}
		if code, body := e.poll("GET", q, ""); code != 200 || body != "1" {
			t.Fatalf("next GET: %d %q, want the close packet", code, body)
		}
		h.expectClose(t, id, closereason.ServerDisconnect)
	})
	t.Run("ping timeout", func(t *testing.T) {
		cfg := confConfig() // 300 ms + 200 ms
		e := startConf(t, cfg, newConfHandler())
		q, _ := pollSession(t, e)
		if code, body := e.poll("GET", q, ""); code != 200 || body != "2" {
			t.Fatalf("ping: %d %q", code, body)
		}
		start := time.Now()
		if code, body := e.poll("GET", q, ""); code != 200 || body != "1" { // never a pong
			t.Fatalf("pending GET at the ping timeout: %d %q", code, body)
		}
		if d := time.Since(start); d > cfg.PingTimeout+500*time.Millisecond {
			t.Fatalf("answered after %v", d)
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		e := startConf(t, cfg, newConfHandler())
		q, _ := pollSession(t, e)
		get := pendingGET(t, e, q)
		done := make(chan error, 1)
		go func() { done <- e.srv.Shutdown(t.Context()) }()
		if r := recv(t, get); r != "OK 1" {
			t.Fatalf("pending GET at shutdown: %q", r)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestConformancePollingHeartbeat: engine.io-protocol's heartbeat over
// polling. Pings come every pingInterval on their schedule and are answered
// by POSTs; a session with no request for pingInterval + pingTimeout is
// closed, and a GET or POST for it, or for any unknown sid, is answered 400
// "Session ID unknown" (code 1).
func TestConformancePollingHeartbeat(t *testing.T) {
	cfg := confConfig()
	e := startConf(t, cfg, newConfHandler())
	t.Run("ping pong", func(t *testing.T) {
		q, _ := pollSession(t, e)
		for range 3 {
			if code, body := e.poll("GET", q, ""); code != 200 || body != "2" {
				t.Fatalf("GET: %d %q, want a ping", code, body)
			}
			if code, body := e.poll("POST", q, "3"); code != 200 || body != "ok" {
				t.Fatalf("POST pong: %d %q", code, body)
			}
		}
	})
	t.Run("pings keep their schedule", func(t *testing.T) {
		cfg := confConfig()
		cfg.PingInterval = 100 * time.Millisecond
		cfg.ConnectTimeout = time.Minute // never CONNECTs
		e := startConf(t, cfg, newConfHandler())
		start := time.Now()
		q, _ := pollSession(t, e)
		const n = 12
		var last time.Time
		for i := 1; i <= n; i++ {
			if code, body := e.poll("GET", q, ""); code != 200 || body != "2" {
				t.Fatalf("GET %d: %d %q, want a ping", i, code, body)
			}
			now := time.Now()
			if i > 1 && now.Sub(last) < cfg.PingInterval/2 {
				t.Fatalf("ping %d %v after the one before", i, now.Sub(last))
			}
			last = now
			e.poll("POST", q, "3")
		}
		// Due at n×PingInterval from the handshake, a tick late at most; the
		// bound leaves room for this machine's scheduling (TestPingSchedule
		// checks the schedule itself).
		d, due := last.Sub(start), n*cfg.PingInterval
		if d < due-20*time.Millisecond || d > due+300*time.Millisecond {
			t.Fatalf("ping %d came %v after the handshake, due at %v", n, d, due)
		}
		t.Logf("ping %d came %v after the handshake, due at %v", n, d, due)
	})
	for _, method := range []string{"GET", "POST"} {
		t.Run("ping timeout then "+method, func(t *testing.T) {
			q, _ := pollSession(t, e)
			time.Sleep(cfg.PingInterval + cfg.PingTimeout) // as the suite does
			if code, body := e.poll(method, q, "3"); code != 400 || body != code1 {
				t.Fatalf("%s %v after the handshake: %d %q", method, cfg.PingInterval+cfg.PingTimeout, code, body)
			}
		})
	}
	t.Run("unknown sid", func(t *testing.T) {
		for _, method := range []string{"GET", "POST"} {
			if code, body := e.poll(method, "EIO=4&transport=polling&sid=nope", "3"); code != 400 || body != code1 {
				t.Fatalf("%s: %d %q", method, code, body)
			}
		}
	})
	t.Run("closed sid", func(t *testing.T) {
		q, _ := pollSession(t, e)
		e.poll("POST", q, "1")
		for _, method := range []string{"GET", "POST"} {
			if code, body := e.poll(method, q, "3"); code != 400 || body != code1 {
				t.Fatalf("%s: %d %q", method, code, body)
			}
		}
	})
}

// TestPingSchedule: the heartbeat sends a ping when one is due and keeps
// the schedule from the handshake whatever the tick's lateness; the ping
// timeout runs from the due time; after a stall of a whole interval the
// schedule restarts from then.
func TestPingSchedule(t *testing.T) {
	cfg := confConfig() // 300 ms, 200 ms
	cfg.ConnectTimeout = time.Minute
	srv := NewServer(cfg, newConfHandler())
	defer srv.Shutdown(t.Context())
	s := srv.newSession(handshake{}, transportPolling) // not registered: only these ticks run
	t0 := s.lastPing
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	pings := func() int {
		s.mu.Lock()
		defer s.mu.Unlock()
		n := 0
		for _, f := range s.q {
			if string(f) == "2" {
				n++
			}
		}
		return n
	}
	steps := []struct {
		now      time.Duration
		pings    int
		lastPing time.Duration
		pong     bool // a packet arrives after the tick
	}{
		{now: 290 * time.Millisecond, pings: 0, lastPing: 0},
		{now: 317 * time.Millisecond, pings: 1, lastPing: 300 * time.Millisecond, pong: true}, // 17 ms late
		{now: 599 * time.Millisecond, pings: 1, lastPing: 300 * time.Millisecond},
		{now: 611 * time.Millisecond, pings: 2, lastPing: 600 * time.Millisecond, pong: true}, // not 617 + 300
		{now: 905 * time.Millisecond, pings: 3, lastPing: 900 * time.Millisecond, pong: true},
		{now: 1650 * time.Millisecond, pings: 4, lastPing: 1650 * time.Millisecond}, // a stall: restarts
		{now: 1849 * time.Millisecond, pings: 4, lastPing: 1650 * time.Millisecond}, // its pong not due yet
	}
	for _, st := range steps {
		s.tick(at(st.now))
		s.mu.Lock()
		lp := s.lastPing.Sub(t0)
		s.mu.Unlock()
		if n := pings(); n != st.pings || lp != st.lastPing {
			t.Fatalf("at %v: %d pings, last due at %v; want %d, %v", st.now, n, lp, st.pings, st.lastPing)
		}
		if st.pong {
			s.received(1)
		}
	}
	// The ping due at 1650 ms is unanswered: expired at 1850 ms, not later.
	s.mu.Lock()
	early, late := s.pingExpiredLocked(at(1849*time.Millisecond)), s.pingExpiredLocked(at(1850*time.Millisecond))
	s.mu.Unlock()
	if early || !late {
		t.Fatalf("ping timeout: expired at 1849 ms %v, at 1850 ms %v", early, late)
	}
}

// TestConformanceUnknownNamespace: a CONNECT to another namespace is refused
// with CONNECT_ERROR "Invalid namespace" (socket.io-protocol's suite), and
// the session stays usable for "/".
func TestConformanceUnknownNamespace(t *testing.T) {
	h := newConfHandler()
	e := startConf(t, confConfig(), h)
	t.Run("websocket", func(t *testing.T) {
		w, _, err := e.dialWS("EIO=4&transport=websocket", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		w.read() // open
		for _, c := range []struct{ send, want string }{
			{"40/random", `44/random,{"message":"Invalid namespace"}`},
			{`40/custom,{"token":"abc"}`, `44/custom,{"message":"Invalid namespace"}`},
		} {
			w.send(c.send)
			if m := w.read(); m != c.want {
				t.Fatalf("%q: %q, want %q", c.send, m, c.want)
			}
		}
		w.send(`40{"token":"abc"}`)
		connectReply(t, w.read())
		if m := w.read(); m != `42["auth",{"token":"abc"}]` {
			t.Fatalf("auth: %q", m)
		}
		w.send(`42["message-with-ack"]`) // no ack id: nothing comes back
		w.send(`421["message-with-ack",1,"2",{"3":[true]}]`)
		if m := w.read(); m != `431[1,"2",{"3":[true]}]` {
			t.Fatalf("ack: %q", m)
		}
		w.send("40/random,")
		if m := w.read(); m != `44/random,{"message":"Invalid namespace"}` {
			t.Fatalf("after the CONNECT to /: %q", m)
		}
		w.send(`42["message","x"]`)
		if m := w.read(); m != `42["message-back","x"]` {
			t.Fatalf("echo: %q", m)
		}
		// A packet for the refused namespace is a protocol error (the
		// reference closes the connection too: "invalid state").
		w.send(`42/random,["message","x"]`)
		if err := w.expectClosed(2 * time.Second); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("polling", func(t *testing.T) {
		q, _ := pollSession(t, e)
		e.poll("POST", q, "40/random,")
		if pkts := pollPackets(t, e, q, 1); pkts[0] != `44/random,{"message":"Invalid namespace"}` {
			t.Fatalf("refusal: %q", pkts)
		}
		e.poll("POST", q, "40")
		pkts := pollPackets(t, e, q, 2)
		connectReply(t, pkts[0])
		e.poll("POST", q, `42["message","y"]`)
		if pkts := pollPackets(t, e, q, 1); pkts[0] != `42["message-back","y"]` {
			t.Fatalf("echo: %q", pkts)
		}
	})
}

// TestConformanceBinaryRefused: binary attachments are not supported (the
// specification lets a server refuse them): a BINARY_EVENT or BINARY_ACK
// closes the session with a protocol error before its attachments are read,
// on either transport; nothing panics and other sessions go on.
func TestConformanceBinaryRefused(t *testing.T) {
	h := newConfHandler()
	e := startConf(t, confConfig(), h)
	witness, _ := wsConnect(t, e, "40")
	defer witness.close()
	packets := []string{
		`452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, // the suite's
		`4512-["message-with-ack",{"_placeholder":true,"num":0}]`,
		`461-0[{"_placeholder":true,"num":0}]`,
		`451-/custom,["message",{"_placeholder":true,"num":0}]`,
	}
	for _, p := range packets {
		t.Run("websocket "+p, func(t *testing.T) {
			before := e.srv.Stats()
			w, id := wsConnect(t, e, "40")
			defer w.close()
			w.send(p)
			_ = w.c.WriteMessage(fws.BinaryMessage, []byte{1, 2, 3}) // the server may have closed already
			if err := w.expectClosed(2 * time.Second); err != nil {
				t.Fatal(err)
			}
			h.expectClose(t, id, closereason.ProtocolError)
			st := e.srv.Stats()
			if st.BinaryRefused != before.BinaryRefused+1 || st.ProtocolErrors != before.ProtocolErrors+1 {
				t.Fatalf("stats before %+v after %+v", before, st)
			}
		})
		t.Run("polling "+p, func(t *testing.T) {
			before := e.srv.Stats()
			q, _ := pollSession(t, e)
			e.poll("POST", q, "40")
			id := connectReply(t, pollPackets(t, e, q, 2)[0])
			if code, body := e.poll("POST", q, p+"\x1ebAQID"); code != 200 || body != "ok" {
				t.Fatalf("POST: %d %q", code, body)
			}
			h.expectClose(t, id, closereason.ProtocolError)
			if code, body := e.poll("GET", q, ""); code != 400 || body != code1 {
				t.Fatalf("GET after the refusal: %d %q", code, body)
			}
			if st := e.srv.Stats(); st.BinaryRefused != before.BinaryRefused+1 {
				t.Fatalf("stats before %+v after %+v", before, st)
			}
		})
	}
	t.Run("attachment without a binary packet", func(t *testing.T) {
		w, id := wsConnect(t, e, "40")
		defer w.close()
		if err := w.c.WriteMessage(fws.BinaryMessage, []byte{1}); err != nil {
			t.Fatal(err)
		}
		if err := w.expectClosed(2 * time.Second); err != nil {
			t.Fatal(err)
		}
		h.expectClose(t, id, closereason.ParseError)
	})
	witness.send(`42["message","alive"]`)
	if m := witness.read(); m != `42["message-back","alive"]` {
		t.Fatalf("witness: %q", m)
	}
}
