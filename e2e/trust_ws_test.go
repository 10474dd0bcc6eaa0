package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
)

// The trust issue's transport rules (ws/), against the real binary: a client cannot
// make the server queue without bound, a killed polling tab goes offline as fast as a
// websocket one, and -max-conns-per-ip.

// metricValue reads one sample of /metrics without failing the test (for goroutines).
func metricValue(url, name string) (float64, error) {
	res, err := http.Get(url + "/metrics")
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(b)
	if m == nil {
		return 0, fmt.Errorf("no %s in /metrics", name)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// sioClient is a websocket Socket.IO client by hand, connected to "/".
type sioClient struct {
	t *testing.T
	c *fws.Conn
}

func dialSIO(t *testing.T, s *server, hdr http.Header) (*sioClient, string) {
	t.Helper()
	d := fws.Dialer{HandshakeTimeout: 5 * time.Second}
	c, _, err := d.Dial("ws"+strings.TrimPrefix(s.URL, "http")+"/socket.io/?EIO=4&transport=websocket", hdr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cl := &sioClient{t: t, c: c}
	if m := cl.next(); !strings.HasPrefix(m, "0{") {
		t.Fatalf("open packet: %q", m)
	}
	if err := c.WriteMessage(fws.TextMessage, []byte("40")); err != nil {
		t.Fatal(err)
	}
	return cl, cl.next()
}

// next returns the next message that is not an Engine.IO ping (those are answered).
func (cl *sioClient) next() string {
	cl.t.Helper()
	for {
		_ = cl.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := cl.c.ReadMessage()
		if err != nil {
			cl.t.Fatalf("read: %v", err)
		}
		if string(b) == "2" {
			_ = cl.c.WriteMessage(fws.TextMessage, []byte("3"))
			continue
		}
		return string(b)
	}
}

// ask sends an ng-action with an ack and returns the ack.
func (cl *sioClient) ask(action string) string {
	cl.t.Helper()
	if err := cl.c.WriteMessage(fws.TextMessage, []byte(`4217["ng-action",{"action":"`+action+`"}]`)); err != nil {
		cl.t.Fatal(err)
	}
	for range 10 {
		if m := cl.next(); strings.HasPrefix(m, "4317") {
			return m
		}
	}
	cl.t.Fatal("no ack")
	return ""
}

// rawWebsocket does the websocket handshake on a bare TCP connection; nothing is read
// after the 101's headers.
func rawWebsocket(t *testing.T, s *server) net.Conn {
	t.Helper()
	addr := strings.TrimPrefix(s.URL, "http://")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
	var head []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) && len(head) < 4096 {
		if _, err := c.Read(one); err != nil {
			t.Fatalf("upgrade: %v %q", err, head)
		}
		head = append(head, one[0])
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 101")) {
		t.Fatalf("upgrade: %q", head)
	}
	_ = c.SetDeadline(time.Time{})
	return c
}

// maskedPing is a client ping frame with the largest payload a control frame may carry.
func maskedPing() []byte {
	payload := bytes.Repeat([]byte("p"), 125)
	key := [4]byte{1, 2, 3, 4}
	f := []byte{0x89, 0x80 | 125}
	f = append(f, key[:]...)
	for i, b := range payload {
		f = append(f, b^key[i&3])
	}
	return f
}

// TestPingFloodIsBounded: a client that floods websocket ping frames and never reads
// is closed as a slow consumer, the server's resident memory stays within 64 MB of
// where it was (the report that opened the issue: 35 MB → 1.25 GB in 7 s, never
// closed), and another client keeps getting answers.
func TestPingFloodIsBounded(t *testing.T) {
	const rssBound = 64 << 20
	s := startServer(t, "-ping-interval", "1m")
	witness, _ := dialSIO(t, s, nil)
	if a := witness.ask("dance"); !strings.Contains(a, `"ok":false`) {
		t.Fatalf("witness before: %q", a)
	}
	rss0 := s.metric("process_resident_memory_bytes")
	slow0 := s.metric("presenced_socketio_slow_consumer_closes_total")

	stop := make(chan struct{})
	peak := make(chan float64, 1)
	go func() {
		most := rss0
		for {
			if v, err := metricValue(s.URL, "process_resident_memory_bytes"); err == nil {
				most = max(most, v)
			}
			select {
			case <-stop:
				peak <- most
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()

	c := rawWebsocket(t, s)
	chunk := bytes.Repeat(maskedPing(), 512) // 67 KB per write
	const maxBytes, maxTime = 1 << 30, 20 * time.Second
	start := time.Now()
	sent, off, cut := 0, 0, false
	for sent < maxBytes && time.Since(start) < maxTime {
		_ = c.SetWriteDeadline(time.Now().Add(250 * time.Millisecond))
		n, err := c.Write(chunk[off:])
		sent += n
		off = (off + n) % len(chunk) // a timed-out write may end inside a frame: go on from there
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		if err != nil {
			cut = true
			break
		}
	}
	elapsed := time.Since(start)
	time.Sleep(500 * time.Millisecond) // one more RSS sample after the close
	close(stop)
	top := <-peak
	t.Logf("flood: %d MB of pings in %v, cut=%v; server RSS %.1f MB before, peak %.1f MB (+%.1f MB)",
		sent>>20, elapsed.Round(time.Millisecond), cut, rss0/(1<<20), top/(1<<20), (top-rss0)/(1<<20))
	if !cut {
		t.Fatalf("the flooding connection was not closed (%d MB in %v)", sent>>20, elapsed)
	}
	if !until(3*time.Second, func() bool { return s.metric("presenced_socketio_slow_consumer_closes_total") > slow0 }) {
		t.Fatal("no slow consumer counted")
	}
	if top-rss0 > rssBound {
		t.Fatalf("server RSS grew by %.1f MB under the flood (bound %d MB)", (top-rss0)/(1<<20), rssBound>>20)
	}
	if a := witness.ask("dance"); !strings.Contains(a, `"ok":false`) {
		t.Fatalf("witness after: %q", a)
	}
	if !strings.Contains(s.logs.String(), "closing slow consumer") {
		t.Fatal("no slow-consumer line in the log")
	}
}

// TestKilledPollingTabGoesOffline: a socket.io-client tab on transports ["polling"]
// killed with SIGKILL (no disconnect: its TCP connections just close) shows offline to
// an observer within offline-grace + 1 s, as a killed websocket tab does; the server's
// session figures drop at once.
func TestKilledPollingTabGoesOffline(t *testing.T) {
	const grace, ping = 600 * time.Millisecond, 200 * time.Millisecond
	// A pong timeout far beyond the bound: only the transport can tell the tab is gone
	// (the Engine.IO heartbeat would take 45 s).
	s := startServer(t, "-offline-grace", grace.String(), "-ping-interval", ping.String(), "-pong-timeout", "30s")
	a, b := s.register("killed"), s.register("observer")
	time.Sleep(2*ping + 200*time.Millisecond) // registration's login credit runs out (two sweeps)
	users, _ := json.Marshal(map[string]map[string]any{
		"a": {"id": a.ID, "token": a.Token}, "b": {"id": b.ID, "token": b.Token},
	})
	out := runScript(t, time.Minute, "trust_ws.js", func(what string) string {
		gauge := `presenced_socketio_sessions{transport="polling"}`
		want := 0.0
		if what == "gone-websocket" {
			gauge, want = `presenced_socketio_sessions{transport="websocket"}`, 1 // the observer's
		}
		if !until(time.Second, func() bool { return s.metric(gauge) == want }) {
			return "bad"
		}
		return "ok"
	}, "URL="+s.URL, "MODE=kill", "USERS="+string(users), "GRACE_MS="+ms(grace))
	t.Log(out)
}

// TestMaxConnsPerIPOnBinary: with the default -max-conns-per-ip (500) the 501st session
// from one address is refused the right way on both transports (the Go test holds
// 500 websocket sessions; socket.io-client and raw requests try more), another address
// behind a trusted proxy is unaffected, closing one frees a place; and the environment
// twin sets the limit too.
func TestMaxConnsPerIPOnBinary(t *testing.T) {
	s := startServer(t, "-trusted-proxies", "127.0.0.1", "-ping-interval", "1m")
	const limit = 500
	held := make([]*sioClient, 0, limit)
	for range limit {
		cl, reply := dialSIO(t, s, nil)
		if !strings.HasPrefix(reply, `40{"sid":"`) {
			t.Fatalf("session %d refused within the limit: %q", len(held)+1, reply)
		}
		held = append(held, cl)
	}
	// The 501st, by hand: polling handshake 429, Engine.IO-shaped.
	res, err := http.Get(s.URL + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || string(body) != `{"code":4,"message":"too many connections"}` {
		t.Fatalf("polling handshake beyond the limit: %d %q", res.StatusCode, body)
	}
	// … websocket: the CONNECT is answered CONNECT_ERROR, then the connection closes.
	_, reply := dialSIO(t, s, nil)
	if reply != `44{"message":"too many connections","data":{"code":"too_many_connections"}}` {
		t.Fatalf("websocket CONNECT beyond the limit: %q", reply)
	}
	out := runScript(t, time.Minute, "trust_ws.js", func(what string) string {
		if what != "free-one" {
			return "bad"
		}
		before := s.metric(`presenced_socketio_sessions{transport="websocket"}`)
		held[0].c.Close()
		if !until(2*time.Second, func() bool {
			return s.metric(`presenced_socketio_sessions{transport="websocket"}`) < before
		}) {
			return "bad"
		}
		return "ok"
	}, "URL="+s.URL, "MODE=limit")
	t.Log(out)

	// The environment twin.
	t.Setenv("PRESENCED_MAX_CONNS_PER_IP", "2")
	s2 := startServer(t)
	for i := range 3 {
		res, err := http.Get(s2.URL + "/socket.io/?EIO=4&transport=polling")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if want := map[bool]int{true: 200, false: 429}[i < 2]; res.StatusCode != want {
			t.Fatalf("PRESENCED_MAX_CONNS_PER_IP=2, handshake %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
}
