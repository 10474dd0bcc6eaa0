package ws

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/internal/clientip"
)

func TestIPLimitCounts(t *testing.T) {
	type step struct {
		op   string // "poll", "ws": acquire; "release live", "release refusing"; "full poll", "full ws"
		want any    // ipSlot for acquire (ipNone = refused), bool for full
	}
	cases := []struct {
		name  string
		max   int
		steps []step
	}{
		{"no limit", 0, []step{{"poll", ipNone}, {"ws", ipNone}, {"full poll", false}}},
		{"polling up to the limit", 2, []step{
			{"poll", ipLive}, {"ws", ipLive}, {"full poll", true}, {"poll", ipNone},
			{"release live", nil}, {"full poll", false}, {"poll", ipLive},
		}},
		{"websockets beyond wait to be refused, a few", 1, func() []step {
			s := []step{{"ws", ipLive}, {"full ws", false}}
			for range wsRefusingMax {
				s = append(s, step{"ws", ipRefusing})
			}
			s = append(s, step{"full ws", true}, step{"ws", ipNone}, step{"release refusing", nil},
				step{"full ws", false}, step{"ws", ipRefusing})
			return s
		}()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newIPLimit(tc.max)
			for i, st := range tc.steps {
				var got any
				switch st.op {
				case "poll", "ws":
					slot, ok := l.acquire("10.0.0.1", st.op == "ws")
					if ok != (st.want != ipNone || l == nil) {
						t.Fatalf("step %d %s: ok %v with slot %v", i, st.op, ok, slot)
					}
					got = slot
				case "release live":
					l.release("10.0.0.1", ipLive)
				case "release refusing":
					l.release("10.0.0.1", ipRefusing)
				case "full poll", "full ws":
					got = l.full("10.0.0.1", st.op == "full ws")
				}
				if st.want != nil && got != st.want {
					t.Fatalf("step %d %s: %v, want %v", i, st.op, got, st.want)
				}
				if l != nil && l.full("10.0.0.2", false) {
					t.Fatalf("step %d: another address is full", i)
				}
			}
		})
	}
	l := newIPLimit(3)
	l.acquire("a", false)
	l.release("a", ipLive)
	if len(l.m) != 0 {
		t.Fatalf("an address with no session left stays in the map: %v", l.m)
	}
}

// TestMaxConnsPerIP: with a real fiber app and real clients, the sessions of
// one client address (named by X-Forwarded-For behind a trusted proxy, as
// internal/clientip does it) stop at the limit on both transports — polling
// handshake 429, websocket CONNECT answered CONNECT_ERROR too_many_connections
// and closed — while another address is unaffected, and closing a session
// frees its place.
func TestMaxConnsPerIP(t *testing.T) {
	const limit = 3
	res, err := clientip.Parse("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.PingInterval, cfg.PingTimeout = 5*time.Second, 5*time.Second
	cfg.MaxConnsPerIP, cfg.ClientIP = limit, res.Of
	e := startServer(t, cfg)
	from := func(ip string) http.Header { return http.Header{"X-Forwarded-For": {ip}} }
	const a, b = "203.0.113.7", "198.51.100.9"

	// a: two websockets and one polling session (upgraded: still one place).
	var ws []*rawWS
	for range limit - 1 {
		w, _, err := e.dialWS("EIO=4&transport=websocket", from(a))
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		w.read() // open
		w.send("40")
		if m := w.read(); !strings.HasPrefix(m, `40{"sid":"`) {
			t.Fatalf("within the limit: %q", m)
		}
		ws = append(ws, w)
	}
	code, body := e.poll("GET", "EIO=4&transport=polling", "", "X-Forwarded-For", a)
	if code != 200 || !strings.HasPrefix(body, "0{") {
		t.Fatalf("third session: %d %q", code, body)
	}
	var conns []*Conn
	waitFor(t, time.Second, "two connections", func() bool { return e.h.count() == limit-1 })
	e.h.each(func(c *Conn) { conns = append(conns, c) })
	if ip := conns[0].RemoteIP(); ip != a {
		t.Fatalf("RemoteIP %q, want the forwarded %q", ip, a)
	}

	// Beyond: polling 429, Engine.IO-shaped.
	code, body = e.poll("GET", "EIO=4&transport=polling", "", "X-Forwarded-For", a)
	if code != http.StatusTooManyRequests || body != `{"code":4,"message":"too many connections"}` {
		t.Fatalf("polling beyond the limit: %d %q", code, body)
	}
	// Beyond: a websocket is upgraded and its CONNECT refused, then closed.
	w, _, err := e.dialWS("EIO=4&transport=websocket", from(a))
	if err != nil {
		t.Fatal(err)
	}
	w.read() // open
	w.send(`40{"token":"good"}`)
	if m := w.read(); m != `44{"message":"too many connections","data":{"code":"too_many_connections"}}` {
		t.Fatalf("websocket beyond the limit: %q", m)
	}
	if err := w.expectClosed(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	w.close()
	if n := e.h.count(); n != limit-1 {
		t.Fatalf("the refused CONNECT reached the handler: %d connections", n)
	}

	// Another address is unaffected.
	if code, _ := e.poll("GET", "EIO=4&transport=polling", "", "X-Forwarded-For", b); code != 200 {
		t.Fatalf("other address: %d", code)
	}
	wb, _, err := e.dialWS("EIO=4&transport=websocket", from(b))
	if err != nil {
		t.Fatal(err)
	}
	defer wb.close()
	wb.read()
	wb.send("40")
	if m := wb.read(); !strings.HasPrefix(m, `40{"sid":"`) {
		t.Fatalf("other address websocket: %q", m)
	}

	// Websockets that never CONNECT beyond the limit: a few wait to be
	// refused; past them the upgrade itself is answered 429.
	for i := range wsRefusingMax {
		w, _, err := e.dialWS("EIO=4&transport=websocket", from(a))
		if err != nil {
			t.Fatalf("refusing websocket %d: %v", i, err)
		}
		defer w.close()
		w.read()
	}
	_, resp, err := e.dialWS("EIO=4&transport=websocket", from(a))
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("websocket past the waiting ones: %v %v", err, resp)
	}

	// Closing one of a's sessions frees a place.
	ws[0].close()
	waitFor(t, 2*time.Second, "a place freed", func() bool { return e.srv.ips.count(a) == limit-1 })
	if code, _ := e.poll("GET", "EIO=4&transport=polling", "", "X-Forwarded-For", a); code != 200 {
		t.Fatalf("after closing one: %d", code)
	}
	if st := e.srv.Stats(); st.IPRefused != 3 {
		t.Fatalf("refusals counted %d, want 3", st.IPRefused)
	}
}

// TestClientIPDefault: without Config.ClientIP the address is the TCP peer's,
// whatever X-Forwarded-For says (no proxy is trusted).
func TestClientIPDefault(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnsPerIP = 1
	e := startServerWith(t, cfg, fiber.Config{}, nil)
	w, _, err := e.dialWS("EIO=4&transport=websocket", http.Header{"X-Forwarded-For": {"203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	w.read()
	w.send("40")
	w.read()
	var ip string
	e.h.each(func(c *Conn) { ip = c.RemoteIP() })
	if ip != "127.0.0.1" {
		t.Fatalf("RemoteIP %q", ip)
	}
	if code, _ := e.poll("GET", "EIO=4&transport=polling", "", "X-Forwarded-For", "198.51.100.9"); code != http.StatusTooManyRequests {
		t.Fatalf("a forged header escaped the limit: %d", code)
	}
}
