package ws

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	code0 = `{"code":0,"message":"Transport unknown"}`
	code1 = `{"code":1,"message":"Session ID unknown"}`
	code2 = `{"code":2,"message":"Bad handshake method"}`
	code3 = `{"code":3,"message":"Bad request"}`
	code4 = `{"code":4,"message":"Forbidden"}`
	code5 = `{"code":5,"message":"Unsupported protocol version"}`
)

func TestHTTPErrors(t *testing.T) {
	e := startServer(t, testConfig())
	cases := []struct {
		method, query string
		hdr           []string
		status        int
		body          string
	}{
		{"GET", "EIO=4", nil, 400, code0},
		{"GET", "EIO=4&transport=webtransport", nil, 400, code0},
		{"GET", "EIO=3&transport=polling", nil, 400, code5},
		{"GET", "transport=polling", nil, 400, code5},
		{"GET", "EIO=4&transport=polling&sid=nope", nil, 400, code1},
		{"POST", "EIO=4&transport=polling&sid=nope", nil, 400, code1},
		{"POST", "EIO=4&transport=polling", nil, 400, code2},
		{"PUT", "EIO=4&transport=polling", nil, 400, code2},
		{"GET", "EIO=4&transport=websocket", nil, 400, code3}, // no upgrade headers
		{"GET", "EIO=4&transport=polling", []string{"Origin", "http://evil.example"}, 403, code4},
		{"OPTIONS", "EIO=4&transport=polling", []string{"Origin", "http://evil.example"}, 403, code4},
	}
	for _, tc := range cases {
		code, body := e.poll(tc.method, tc.query, "", tc.hdr...)
		if code != tc.status || body != tc.body {
			t.Errorf("%s ?%s %v: %d %s, want %d %s", tc.method, tc.query, tc.hdr, code, body, tc.status, tc.body)
		}
	}
	// A websocket upgrade from a foreign origin is refused before upgrading.
	_, resp, err := e.dialWS("EIO=4&transport=websocket", http.Header{"Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("foreign-origin websocket: %v %v", err, resp)
	}
	if e.srv.Stats().Handshakes != 0 {
		t.Errorf("refused requests created sessions: %+v", e.srv.Stats())
	}
}

func TestCORS(t *testing.T) {
	e := startServer(t, testConfig())
	origin := "http://" + e.addr // same host: allowed by the default policy
	req, _ := http.NewRequest("OPTIONS", e.url("/socket.io/?EIO=4&transport=polling"), nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Headers", "x-custom")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != origin ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" || resp.Header.Get("Access-Control-Allow-Headers") != "x-custom" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ = http.NewRequest("GET", e.url("/socket.io/?EIO=4&transport=polling"), nil)
	req.Header.Set("Origin", origin)
	if resp, err = httpClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != origin {
		t.Errorf("handshake CORS: %d %v", resp.StatusCode, resp.Header)
	}

	cfg := testConfig()
	cfg.AllowedOrigins = []string{"*"}
	any := startServer(t, cfg)
	if code, _ := any.poll("GET", "EIO=4&transport=polling", "", "Origin", "http://evil.example"); code != 200 {
		t.Errorf(`"*" refused an origin: %d`, code)
	}
	w, _, err := any.dialWS("EIO=4&transport=websocket", http.Header{"Origin": {"http://evil.example"}})
	if err != nil {
		t.Fatalf(`"*" refused a websocket: %v`, err)
	}
	w.close()
}

// newLongPollEnv: pings far apart, so a GET stays pending.
func newLongPollEnv(t *testing.T, mod func(*Config)) *testEnv {
	cfg := testConfig()
	cfg.PingInterval, cfg.PingTimeout = 3*time.Second, 3*time.Second
	if mod != nil {
		mod(&cfg)
	}
	return startServer(t, cfg)
}

func connectPolling(t testing.TB, e *testEnv) string {
	t.Helper()
	sid := e.pollHandshake()
	q := "EIO=4&transport=polling&sid=" + sid
	if code, _ := e.poll("POST", q, "40"); code != 200 {
		t.Fatal(code)
	}
	_, body := e.poll("GET", q, "")
	if rest, ping := strings.CutPrefix(body, "2\x1e"); ping {
		// On a loaded machine the first ping (150 ms in tests) can come first.
		body = rest
		e.poll("POST", q, "3")
	}
	if !strings.HasPrefix(body, "40{") {
		t.Fatalf("connect: %q", body)
	}
	return q
}

// pendingGET starts a long poll and returns its result channel once the
// server holds it.
func pendingGET(t *testing.T, e *testEnv, q string) chan string {
	t.Helper()
	ch := make(chan string, 1)
	go func() {
		code, body := e.poll("GET", q, "")
		ch <- http.StatusText(code) + " " + body
	}()
	sid := q[strings.LastIndex(q, "=")+1:]
	waitFor(t, 2*time.Second, "GET pending", func() bool {
		s := e.srv.reg.get([]byte(sid))
		if s == nil {
			return false
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.getPending
	})
	return ch
}

func recv(t *testing.T, ch chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no response")
		return ""
	}
}

func TestPollingBadInput(t *testing.T) {
	e := newLongPollEnv(t, func(c *Config) { c.MaxPayload = 1000 })
	witness := connectPolling(t, e)
	cases := []struct {
		name string
		do   func(q string) (int, string)
		code int
	}{
		{"garbage", func(q string) (int, string) { return e.poll("POST", q, "zzz") }, 200},
		{"truncated in a batch", func(q string) (int, string) { return e.poll("POST", q, "3\x1e42[\"echo\"") }, 200},
		{"empty record", func(q string) (int, string) { return e.poll("POST", q, "3\x1e\x1e3") }, 200},
		{"client ping", func(q string) (int, string) { return e.poll("POST", q, "2") }, 200},
		{"bad base64", func(q string) (int, string) { return e.poll("POST", q, "b!!") }, 200},
		{"oversize", func(q string) (int, string) { return e.poll("POST", q, `42["echo","`+strings.Repeat("x", 1000)+`"]`) }, 413},
		{"binary body", func(q string) (int, string) {
			return e.poll("POST", q, "4\x00", "Content-Type", "application/octet-stream")
		}, 400},
		{"concurrent GET", func(q string) (int, string) {
			first := pendingGET(t, e, q)
			code, body := e.poll("GET", q, "")
			if r := recv(t, first); r != "OK 1" {
				t.Errorf("first GET: %q", r)
			}
			return code, body
		}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := connectPolling(t, e)
			if code, body := tc.do(q); code != tc.code {
				t.Fatalf("status %d %q, want %d", code, body, tc.code)
			}
			waitFor(t, 2*time.Second, "session gone", func() bool {
				code, body := e.poll("GET", q, "")
				return code == 400 && body == code1
			})
			e.poll("POST", witness, `421["echo","alive"]`)
			if _, body := e.poll("GET", witness, ""); body != `431["alive"]` {
				t.Fatalf("witness: %q", body)
			}
		})
	}
}

func TestPollingEventBeforeConnect(t *testing.T) {
	e := newLongPollEnv(t, nil)
	q := "EIO=4&transport=polling&sid=" + e.pollHandshake()
	e.poll("POST", q, `42["echo"]`)
	if code, body := e.poll("GET", q, ""); code != 400 || body != code1 {
		t.Fatalf("%d %q", code, body)
	}
}
