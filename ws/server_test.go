package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/internal/closereason"
)

// testConfig has heartbeat timers in the 100–300 ms range, so tests see
// pings and timeouts quickly.
func testConfig() Config {
	return Config{
		PingInterval:   150 * time.Millisecond,
		PingTimeout:    300 * time.Millisecond,
		UpgradeTimeout: 2 * time.Second,
		ConnectTimeout: 2 * time.Second,
		WriteTimeout:   2 * time.Second,
		AckTimeout:     2 * time.Second,
		Logger:         testLogger(),
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("WS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// testEnv is a real fiber app on 127.0.0.1:0 with a Server mounted at
// /websocket/ and /socket.io/.
type testEnv struct {
	t    testing.TB
	srv  *Server
	h    *testHandler
	app  *fiber.App
	addr string // host:port
}

func startServer(t testing.TB, cfg Config) *testEnv {
	t.Helper()
	return startServerWith(t, cfg, fiber.Config{}, nil)
}

// startServerWith is startServer with the fiber app's own settings (e.g. the
// ReadTimeout the binary uses) and the listener wrapped, when wrap is set,
// as the binary wraps it (internal/connlimit).
func startServerWith(t testing.TB, cfg Config, fcfg fiber.Config, wrap func(net.Listener) net.Listener) *testEnv {
	t.Helper()
	h := &testHandler{conns: map[*Conn]bool{}, closed: make(chan closereason.Reason, 10000), ackErrs: make(chan error, 100)}
	t.Cleanup(func() { // after the Shutdown below (cleanups run last first)
		if n := h.late.Load(); n != 0 {
			t.Errorf("%d writes accepted after OnClose", n)
		}
	})
	e := startHandler(t, cfg, h, fcfg, wrap)
	h.srv, e.h = e.srv, h
	return e
}

// startHandler serves h (e.h stays nil) like startServerWith.
func startHandler(t testing.TB, cfg Config, h Handler, fcfg fiber.Config, wrap func(net.Listener) net.Listener) *testEnv {
	t.Helper()
	srv := NewServer(cfg, h)
	fcfg.DisableStartupMessage = true
	app := fiber.New(fcfg)
	if os.Getenv("WS_TEST_LOG") != "" {
		app.Use(func(c *fiber.Ctx) error {
			err := c.Next()
			if st := c.Response().StatusCode(); st >= 400 {
				fmt.Fprintf(os.Stderr, "HTTP %s %s → %d %s (err %v)\n", c.Method(), c.OriginalURL(), st, c.Response().Body(), err)
			}
			return err
		})
	}
	srv.Mount(app, "/websocket/")
	srv.Mount(app, "/socket.io/")
	var ln net.Listener
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if wrap != nil {
		ln = wrap(ln)
	}
	go func() { _ = app.Listener(ln) }()
	e := &testEnv{t: t, srv: srv, app: app, addr: ln.Addr().String()}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		_ = app.ShutdownWithTimeout(5 * time.Second)
	})
	return e
}

func (e *testEnv) url(path string) string { return "http://" + e.addr + path }

// testHandler: auth absent or {"token":"good"} is accepted, any other token
// refused with "invalid token". Events: echo (acks its args), ask (the
// server asks the client and reports the answer), drop (server closes the
// transport), bye (server DISCONNECT), bcast (SendFrame to every conn),
// whoami (acks id and transport).
type testHandler struct {
	srv     *Server
	mu      sync.Mutex
	conns   map[*Conn]bool
	closed  chan closereason.Reason
	ackErrs chan error   // errors passed to the "ask" ack callback
	late    atomic.Int64 // writes a Conn accepted after OnClose (must stay 0)
}

type errInvalidToken struct{}

func (errInvalidToken) Error() string         { return "invalid token" }
func (errInvalidToken) ConnectErrorData() any { return map[string]string{"code": "invalid_token"} }

func (h *testHandler) OnConnect(c *Conn, auth json.RawMessage) (Session, error) {
	if auth != nil {
		var a struct{ Token *string }
		if err := json.Unmarshal(auth, &a); err != nil {
			return nil, fmt.Errorf("bad auth: %w", err)
		}
		if a.Token != nil && *a.Token != "good" {
			return nil, errInvalidToken{}
		}
	}
	h.mu.Lock()
	h.conns[c] = true
	h.mu.Unlock()
	c.Emit("welcome", json.RawMessage(`{"id":`+string(mustJSON(c.ID()))+`}`))
	return &testSession{h: h, c: c}, nil
}

func (h *testHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

func (h *testHandler) each(fn func(*Conn)) {
	h.mu.Lock()
	cs := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	for _, c := range cs {
		fn(c)
	}
}

// expectClose waits for an OnClose with reason want, skipping the closes
// of sessions that earlier steps left behind.
func (h *testHandler) expectClose(t testing.TB, want closereason.Reason) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case r := <-h.closed:
			if r == want {
				return
			}
			t.Logf("OnClose(%q) while waiting for %q", r, want)
		case <-timeout:
			t.Fatalf("no OnClose(%q)", want)
		}
	}
}

type testSession struct {
	h *testHandler
	c *Conn
}

func (s *testSession) OnEvent(name string, args []json.RawMessage, ack int64) {
	switch name {
	case "echo":
		s.c.Ack(ack, args...)
	case "whoami":
		s.c.Ack(ack, mustJSON(map[string]string{"id": s.c.ID(), "transport": s.c.Transport()}))
	case "ask":
		s.c.EmitWithAck("question", func(a []json.RawMessage, err error) {
			if err != nil {
				s.h.ackErrs <- err
			}
			if err == nil && len(a) == 1 && string(a[0]) == `{"a":42}` {
				s.c.Emit("answer-ok")
			} else {
				s.c.Emit("answer-bad", mustJSON(fmt.Sprint(a, err)))
			}
		}, json.RawMessage(`{"q":"meaning"}`))
	case "panic":
		panic("test handler panic")
	case "drop":
		s.c.Close("test drop")
	case "bye":
		s.c.Disconnect()
	case "bcast":
		var data json.RawMessage = json.RawMessage(`null`)
		if len(args) > 0 {
			data = args[0]
		}
		f := EncodeEvent("news", data)
		n := 0
		s.h.each(func(c *Conn) {
			if c.SendFrame(f) {
				n++
			}
		})
		s.c.Ack(ack, mustJSON(n))
	default:
		s.c.Ack(ack, mustJSON("unknown event "+name))
	}
}

func (s *testSession) OnClose(reason closereason.Reason) {
	s.h.mu.Lock()
	delete(s.h.conns, s.c)
	s.h.mu.Unlock()
	if s.c.Emit("late") || s.c.SendFrame(EncodeEvent("late")) || s.c.Ack(1) {
		s.h.late.Add(1)
	}
	select {
	case s.h.closed <- reason:
	default:
	}
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// --- raw clients -------------------------------------------------------

var httpClient = &http.Client{Timeout: 5 * time.Second}

// poll sends one polling request and returns status and body.
func (e *testEnv) poll(method, query, body string, hdr ...string) (int, string) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url("/socket.io/?"+query), r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, query, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// pollHandshake opens a polling session and returns its sid.
func (e *testEnv) pollHandshake() string {
	e.t.Helper()
	code, body := e.poll("GET", "EIO=4&transport=polling", "")
	if code != 200 || !strings.HasPrefix(body, "0{") {
		e.t.Fatalf("handshake: %d %q", code, body)
	}
	var open struct{ Sid string }
	if err := json.Unmarshal([]byte(body[1:]), &open); err != nil {
		e.t.Fatal(err)
	}
	return open.Sid
}

// rawWS is a websocket client speaking Engine.IO by hand. One goroutine
// reads (a gorilla-style conn is unusable after a read deadline fires), the
// test goroutine writes.
type rawWS struct {
	t    testing.TB
	c    *fws.Conn
	msgs chan wsMsg
}

type wsMsg struct {
	binary bool
	data   string
	err    error
}

var errReadTimeout = errors.New("no message within the deadline")

func (e *testEnv) dialWS(query string, hdr http.Header) (*rawWS, *http.Response, error) {
	d := fws.Dialer{HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial("ws://"+e.addr+"/socket.io/?"+query, hdr)
	if err != nil {
		return nil, resp, err
	}
	w := &rawWS{t: e.t, c: c, msgs: make(chan wsMsg, 1024)}
	go func() {
		for {
			mt, b, err := c.ReadMessage()
			w.msgs <- wsMsg{binary: mt == fws.BinaryMessage, data: string(b), err: err}
			if err != nil {
				close(w.msgs)
				return
			}
		}
	}()
	return w, resp, nil
}

// openWS opens a websocket-only session, reads the open packet, connects
// to "/" and returns the client and its socket id.
func (e *testEnv) openWS() (*rawWS, string) {
	e.t.Helper()
	w, _, err := e.dialWS("EIO=4&transport=websocket", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if m := w.read(); !strings.HasPrefix(m, `0{"sid":`) || !strings.Contains(m, `"upgrades":[]`) {
		e.t.Fatalf("open packet: %q", m)
	}
	w.send("40")
	m := w.read()
	if !strings.HasPrefix(m, `40{"sid":"`) {
		e.t.Fatalf("connect reply: %q", m)
	}
	return w, m[len(`40{"sid":"`) : len(m)-2]
}

func (w *rawWS) send(s string) {
	w.t.Helper()
	if err := w.c.WriteMessage(fws.TextMessage, []byte(s)); err != nil {
		w.t.Fatalf("send %q: %v", s, err)
	}
}

// read returns the next text message that is not a ping (pings are
// answered), failing the test on error or after 3 s.
func (w *rawWS) read() string {
	w.t.Helper()
	for {
		m, err := w.readRaw(3 * time.Second)
		if err != nil {
			w.t.Fatalf("read: %v", err)
		}
		if m == "2" {
			// Best effort: a ping read after the server's close frame (the
			// library answered it already) cannot be answered, and need not be.
			_ = w.c.WriteMessage(fws.TextMessage, []byte("3"))
			continue
		}
		return m
	}
}

// readRaw returns the next message or errReadTimeout after d; after the
// connection failed it keeps returning its error.
func (w *rawWS) readRaw(d time.Duration) (string, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case m, ok := <-w.msgs:
		if !ok {
			return "", io.EOF
		}
		return m.data, m.err
	case <-t.C:
		return "", errReadTimeout
	}
}

// expectClosed reads until the connection ends, within d.
func (w *rawWS) expectClosed(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		_, err := w.readRaw(time.Until(deadline))
		switch {
		case errors.Is(err, errReadTimeout):
			return fmt.Errorf("still open after %v", d)
		case err != nil:
			return nil
		}
	}
}

func (w *rawWS) close() { _ = w.c.Close() }
