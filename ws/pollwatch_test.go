package ws

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/internal/connlimit"
)

// rawHTTP is one keep-alive HTTP/1.1 connection driven by hand, so a test
// decides when requests go out, whether they are pipelined, and how the
// connection ends.
type rawHTTP struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dialHTTP(t testing.TB, addr string) *rawHTTP {
	t.Helper()
	c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawHTTP{t: t, c: c, br: bufio.NewReader(c)}
}

func (h *rawHTTP) send(method, query, body string, hdr ...string) {
	h.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s /socket.io/?%s HTTP/1.1\r\nHost: x\r\n", method, query)
	for i := 0; i+1 < len(hdr); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", hdr[i], hdr[i+1])
	}
	if body != "" {
		fmt.Fprintf(&b, "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n" + body)
	if _, err := io.WriteString(h.c, b.String()); err != nil {
		h.t.Fatalf("send: %v", err)
	}
}

// response reads the next response within d.
func (h *rawHTTP) response(d time.Duration) (int, string, error) {
	_ = h.c.SetReadDeadline(time.Now().Add(d))
	res, err := http.ReadResponse(h.br, nil)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, string(b), err
}

func (h *rawHTTP) mustResponse(d time.Duration) (int, string) {
	h.t.Helper()
	code, body, err := h.response(d)
	if err != nil {
		h.t.Fatalf("response: %v", err)
	}
	return code, body
}

// waitGETPending waits until the session of q holds a GET.
func waitGETPending(t testing.TB, e *testEnv, q string) *session {
	t.Helper()
	s := e.srv.reg.get([]byte(q[strings.LastIndex(q, "=")+1:]))
	if s == nil {
		t.Fatal("no session")
	}
	waitFor(t, 2*time.Second, "GET pending", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.getPending
	})
	return s
}

// TestPollConnectionGone: when the connection carrying a pending long poll
// closes (FIN or reset: the tab was killed), the session closes at once —
// long before the heartbeat would notice — with a transport reason.
func TestPollConnectionGone(t *testing.T) {
	cases := []struct {
		name  string
		end   func(c *net.TCPConn)
		want  closereason.Reason
		wrap  bool // behind a connlimit listener, as in the binary
		watch bool
	}{
		{"FIN", func(c *net.TCPConn) { c.Close() }, closereason.ClientClosed, false, true},
		{"reset", func(c *net.TCPConn) { _ = c.SetLinger(0); c.Close() }, closereason.TransportError, false, true},
		{"FIN behind connlimit", func(c *net.TCPConn) { c.Close() }, closereason.ClientClosed, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var lim *connlimit.Listener
			var wrap func(net.Listener) net.Listener
			if tc.wrap {
				wrap = func(l net.Listener) net.Listener { lim = connlimit.Wrap(l, 0, nil); return lim }
			}
			cfg := testConfig()
			cfg.PingInterval, cfg.PingTimeout = 5*time.Second, 5*time.Second // the heartbeat must not be what notices
			e := startServerWith(t, cfg, fiber.Config{}, wrap)
			q := connectPolling(t, e)
			h := dialHTTP(t, e.addr)
			h.send("GET", q, "")
			waitGETPending(t, e, q)
			start := time.Now()
			tc.end(h.c.(*net.TCPConn))
			e.h.expectClose(t, tc.want)
			t.Logf("session closed %v after the connection", time.Since(start).Round(time.Millisecond))
			if time.Since(start) > 2*time.Second {
				t.Errorf("closed after %v: the heartbeat, not the watch", time.Since(start))
			}
			if st := e.srv.Stats(); st.PollsAbandoned != 1 || st.SessionsPolling != 0 {
				t.Fatalf("stats %+v", st)
			}
			if code, body := e.poll("GET", q, ""); code != 400 || body != code1 {
				t.Fatalf("after: %d %q", code, body)
			}
			if lim != nil {
				httpClient.CloseIdleConnections()
				waitFor(t, 2*time.Second, "connections closed", func() bool { return lim.Open() == 0 })
			}
		})
	}
}

// TestPollWatchKeepsHTTPWorking: with the watch, a pending GET still wakes
// for a frame and for the session's close, and its keep-alive
// connection serves the next request; a request pipelined behind a pending
// GET is neither consumed nor taken for the client going away.
func TestPollWatchKeepsHTTPWorking(t *testing.T) {
	e := startServerWith(t, func() Config {
		c := testConfig()
		c.PingInterval, c.PingTimeout = 10*time.Second, 5*time.Second // no ping answers a GET here
		return c
	}(), fiber.Config{ReadTimeout: 300 * time.Millisecond, IdleTimeout: 5 * time.Second}, nil)
	q := connectPolling(t, e)
	h := dialHTTP(t, e.addr)

	// Woken by a frame, twice on one connection.
	for i := range 2 {
		h.send("GET", q, "")
		waitGETPending(t, e, q)
		e.poll("POST", q, fmt.Sprintf(`421["echo",%d]`, i))
		if code, body := h.mustResponse(2 * time.Second); code != 200 || body != fmt.Sprintf(`431[%d]`, i) {
			t.Fatalf("poll %d: %d %q", i, code, body)
		}
	}
	// Pipelined: a POST behind the pending GET on the same connection (it
	// waits for the GET, as HTTP/1.1 wants). The watch sees bytes and falls
	// back to the plain wait without consuming them; the GET is answered by
	// what another connection brings, then the pipelined POST is served.
	h.send("GET", q, "")
	s := waitGETPending(t, e, q)
	h.send("POST", q, `421["echo","piped"]`)
	waitFor(t, 2*time.Second, "watch given up", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.watch == nil && s.getPending
	})
	e.poll("POST", q, `421["echo","other"]`)
	if code, body := h.mustResponse(2 * time.Second); code != 200 || body != `431["other"]` {
		t.Fatalf("pending GET with a pipelined POST behind: %d %q", code, body)
	}
	if code, body := h.mustResponse(2 * time.Second); code != 200 || body != "ok" {
		t.Fatalf("pipelined POST: %d %q", code, body)
	}
	h.send("GET", q, "")
	if code, body := h.mustResponse(2 * time.Second); code != 200 || body != `431["piped"]` {
		t.Fatalf("the pipelined POST's ack: %d %q", code, body)
	}
	if st := e.srv.Stats(); st.PollsAbandoned != 0 {
		t.Fatalf("stats %+v", st)
	}

	// The server closes the session: the pending GET answers the close packet.
	h.send("GET", q, "")
	waitGETPending(t, e, q)
	e.h.each(func(c *Conn) { c.Close("test drop") })
	if code, body := h.mustResponse(2 * time.Second); code != 200 || body != "1" {
		t.Fatalf("close poll: %d %q", code, body)
	}
	// fasthttp's own deadlines are back: the idle connection is still served,
	// and closed by fasthttp at its IdleTimeout, not by a deadline we left.
	h.send("GET", "EIO=4&transport=polling", "")
	if code, body := h.mustResponse(2 * time.Second); code != 200 || !strings.HasPrefix(body, "0{") {
		t.Fatalf("handshake on the same connection: %d %q", code, body)
	}
}

// TestTransportsOutliveReadTimeout: fasthttp's ReadTimeout (the binary sets
// 10 s: a connection that sends no complete request within it is closed)
// cuts neither an idle websocket after its upgrade nor a long poll waiting
// for the next ping; and a killed poll is still noticed after it passed.
func TestTransportsOutliveReadTimeout(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	cfg := testConfig()
	cfg.PingInterval, cfg.PingTimeout = 10*time.Second, 5*time.Second // no ping answers a GET here
	e := startServerWith(t, cfg, fiber.Config{ReadTimeout: readTimeout, IdleTimeout: time.Second}, nil)
	w, _ := e.openWS()
	defer w.close()
	w.read() // welcome
	q := connectPolling(t, e)
	h := dialHTTP(t, e.addr)
	h.send("GET", q, "")
	waitGETPending(t, e, q)

	time.Sleep(5 * readTimeout)
	w.send(`421["echo","ws"]`)
	if m := w.read(); m != `431["ws"]` {
		t.Fatalf("websocket after %v idle: %q", 5*readTimeout, m)
	}
	e.poll("POST", q, `421["echo","poll"]`)
	if code, body := h.mustResponse(2 * time.Second); code != 200 || body != `431["poll"]` {
		t.Fatalf("long poll after %v: %d %q", 5*readTimeout, code, body)
	}

	h.send("GET", q, "")
	waitGETPending(t, e, q)
	time.Sleep(3 * readTimeout)
	start := time.Now()
	h.c.Close()
	e.h.expectClose(t, closereason.ClientClosed)
	t.Logf("killed poll noticed after %v", time.Since(start).Round(time.Millisecond))
	if st := e.srv.Stats(); st.PollsAbandoned != 1 || st.PingTimeouts != 0 || st.SessionsWebsocket != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestConnLimitListener: behind internal/connlimit (every accepted
// connection wrapped), a websocket still runs on the descriptor (RawConn
// reads, which hold no buffer while idle — TestWSReaderIdleHoldsNoBuffer —,
// non-blocking direct writes, writev), and closing it — by the server or by
// the client — frees its place.
func TestConnLimitListener(t *testing.T) {
	var lim *connlimit.Listener
	e := startServerWith(t, testConfig(), fiber.Config{}, func(l net.Listener) net.Listener {
		lim = connlimit.Wrap(l, 10, nil)
		return lim
	})
	for _, serverCloses := range []bool{true, false} {
		w, _ := e.openWS()
		w.read() // welcome
		if n := lim.Open(); n != 1 {
			t.Fatalf("open %d", n)
		}
		var s *session
		e.srv.reg.each(nil, func(x *session) { s = x })
		s.mu.Lock()
		tr := s.ws
		s.mu.Unlock()
		if _, wrapped := tr.conn.(*connlimit.Conn); !wrapped || tr.rc == nil || !tr.rd.OnDescriptor() || !tr.vectored {
			t.Fatalf("conn %T, RawConn %v/%v, vectored %v: not on the descriptor", tr.conn, tr.rc != nil, tr.rd.OnDescriptor(), tr.vectored)
		}
		w.send(`421["echo","wrapped"]`)
		if m := w.read(); m != `431["wrapped"]` {
			t.Fatalf("echo: %q", m)
		}
		if serverCloses {
			w.send(`42["drop"]`)
			_ = w.expectClosed(2 * time.Second)
		}
		w.close()
		waitFor(t, 2*time.Second, "place freed", func() bool { return lim.Open() == 0 })
	}
}

// BenchmarkLongPoll measures a long-poll round trip (GET held, a frame
// queued, the GET answered) with and without the close watch, and what a
// pending poll costs in goroutines (goroutines/poll, both ways).
func BenchmarkLongPoll(b *testing.B) {
	for _, watch := range []bool{true, false} {
		b.Run(fmt.Sprintf("watch=%v", watch), func(b *testing.B) {
			pollWatchOff = !watch
			defer func() { pollWatchOff = false }()
			cfg := testConfig()
			cfg.PingInterval, cfg.PingTimeout = time.Minute, time.Minute
			cfg.Logger = nil
			e := startServer(b, cfg)
			q := connectPolling(b, e)
			var conn *Conn
			e.h.each(func(c *Conn) { conn = c })
			h := dialHTTP(b, e.addr)
			frame := EncodeEvent("x", nil)
			b.ReportAllocs()
			b.ResetTimer()
			s := e.srv.reg.get([]byte(q[strings.LastIndex(q, "=")+1:]))
			pending := func() bool {
				s.mu.Lock()
				defer s.mu.Unlock()
				return s.getPending
			}
			for range b.N {
				h.send("GET", q, "")
				for !pending() {
					runtime.Gosched()
				}
				conn.SendFrame(frame)
				if code, _ := h.mustResponse(5 * time.Second); code != 200 {
					b.Fatal(code)
				}
			}
			b.StopTimer()

			// Goroutines of 100 pending polls (the clients are raw connections:
			// none of their own).
			const n = 100
			qs := make([]string, n)
			for i := range qs {
				qs[i] = connectPolling(b, e)
			}
			httpClient.CloseIdleConnections()
			time.Sleep(50 * time.Millisecond)
			before := runtime.NumGoroutine()
			hs := make([]*rawHTTP, n)
			for i, qi := range qs {
				hs[i] = dialHTTP(b, e.addr)
				hs[i].send("GET", qi, "")
				waitGETPending(b, e, qi)
			}
			b.ReportMetric(float64(runtime.NumGoroutine()-before)/n, "goroutines/poll")
			for _, x := range hs {
				x.c.Close()
			}
		})
	}
}
