package ws

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/closereason"
)

// rawUpgrade opens a TCP connection and does the websocket handshake by hand
// (no library reads on it afterwards), returning once the 101 is read.
func rawUpgrade(t testing.TB, addr, query string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp4", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	fmt.Fprintf(c, "GET /socket.io/?%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", query, addr)
	// Read the response byte by byte: nothing after its headers may be consumed.
	var head []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) {
		if _, err := c.Read(one); err != nil {
			t.Fatalf("upgrade response: %v (%q)", err, head)
		}
		head = append(head, one[0])
		if len(head) > 4096 {
			t.Fatalf("upgrade response too long: %q", head)
		}
	}
	if !bytes.HasPrefix(head, []byte("HTTP/1.1 101")) {
		t.Fatalf("upgrade: %q", head)
	}
	_ = c.SetDeadline(time.Time{})
	return c
}

// flood writes chunk again and again without ever reading, until the
// server cuts the connection, limit bytes were written, or d passed. It
// returns the bytes written and whether the server cut the connection.
func flood(c net.Conn, chunk []byte, limit int, d time.Duration) (int, bool) {
	end := time.Now().Add(d)
	sent, off := 0, 0
	for sent < limit && time.Now().Before(end) {
		_ = c.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Write(chunk[off:])
		sent += n
		off = (off + n) % len(chunk) // a timed-out write may end inside a frame: go on from there
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue // the server is not reading right now
		}
		if err != nil {
			return sent, true
		}
	}
	return sent, false
}

// maxPending samples the largest outbound backlog of any session until stop
// is closed.
func maxPending(srv *Server, stop chan struct{}) chan [2]int {
	out := make(chan [2]int, 1)
	go func() {
		var most [2]int
		for {
			srv.reg.each(nil, func(s *session) {
				s.mu.Lock()
				f, b := s.pendingLocked(&s.q)
				s.mu.Unlock()
				most[0], most[1] = max(most[0], f), max(most[1], b)
			})
			select {
			case <-stop:
				out <- most
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	return out
}

// TestClientCannotGrowTheQueue: whatever a client that does not read makes
// the server answer — pongs to websocket pings, acks to events, acks to
// events POSTed on polling — counts against the connection's bound (frames
// and bytes), and the connection is closed as a slow consumer; a witness
// connection is unaffected.
func TestClientCannotGrowTheQueue(t *testing.T) {
	ping := clientFrame(finPing, bytes.Repeat([]byte("p"), 125), false) // the largest pong answers it
	pings := bytes.Repeat(ping, 512)
	echo := func(n int) []byte {
		return clientFrame(finText, []byte(`421["echo","`+strings.Repeat("e", n)+`"]`), false)
	}
	pollEchoes := func(count, size int) string {
		ev := make([]string, count)
		for i := range ev {
			ev[i] = fmt.Sprintf(`42%d["echo","%s"]`, i, strings.Repeat("e", size))
		}
		return strings.Join(ev, "\x1e")
	}
	cases := []struct {
		name          string
		frames, bytes int // the bound
		ws            []byte
		connect       bool // send 40 before flooding
		poll          string
	}{
		{name: "websocket pings", frames: 64, ws: pings},
		{name: "websocket pings before CONNECT, small bound", frames: 4, ws: pings},
		{name: "websocket acks", frames: 64, connect: true, ws: bytes.Repeat(echo(100), 256)},
		{name: "websocket acks over the byte bound", frames: 10_000, bytes: 256 << 10, connect: true, ws: echo(32 << 10)},
		{name: "polling acks waiting for a GET", frames: 16, poll: pollEchoes(17, 10)},
		{name: "polling acks over the byte bound", frames: 10_000, bytes: 64 << 10, poll: pollEchoes(4, 20<<10)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.PingInterval, cfg.PingTimeout = 5*time.Second, 5*time.Second
			cfg.OutboundQueue, cfg.OutboundBytes = tc.frames, tc.bytes
			cfg.MaxPayload = 1 << 20
			e := startServer(t, cfg)
			witness, _ := e.openWS()
			defer witness.close()
			witness.read() // welcome

			stop := make(chan struct{})
			most := maxPending(e.srv, stop)
			if tc.poll != "" {
				sid := e.pollHandshake()
				q := "EIO=4&transport=polling&sid=" + sid
				e.poll("POST", q, "40") // the CONNECT reply and welcome wait too
				e.poll("POST", q, tc.poll)
				if code, body := e.poll("GET", q, ""); code != http.StatusBadRequest || body != code1 {
					t.Fatalf("after the flood the session answers %d %q", code, body)
				}
			} else {
				c := rawUpgrade(t, e.addr, "EIO=4&transport=websocket")
				if tc.connect {
					if _, err := c.Write(clientFrame(finText, []byte("40"), false)); err != nil {
						t.Fatal(err)
					}
				}
				sent, cut := flood(c, tc.ws, 512<<20, 10*time.Second)
				if !cut {
					t.Fatalf("not cut after %d MB", sent>>20)
				}
				t.Logf("cut after %d KB written", sent>>10)
			}
			e.h.expectCloseIfConnected(t, tc.connect || tc.poll != "", closereason.SlowConsumer)
			waitFor(t, 2*time.Second, "slow consumer counted", func() bool { return e.srv.Stats().SlowConsumers == 1 })
			close(stop)
			m := <-most
			bound := tc.bytes
			if bound == 0 {
				bound = DefaultOutboundBytes
			}
			// A frame that does not fit closes the session instead of joining.
			if m[0] > tc.frames || m[1] > bound {
				t.Errorf("backlog reached %d frames, %d bytes; bound %d frames, %d bytes", m[0], m[1], tc.frames, bound)
			}
			witness.send(`421["echo","alive"]`)
			if got := witness.read(); got != `431["alive"]` {
				t.Fatalf("witness: %q", got)
			}
			if st := e.srv.Stats(); st.SlowConsumers != 1 {
				t.Fatalf("slow consumers %d, want 1 (the witness too?)", st.SlowConsumers)
			}
		})
	}
}

// expectCloseIfConnected waits for OnClose(want) when the session had a
// Socket.IO connection (otherwise the application never saw it).
func (h *testHandler) expectCloseIfConnected(t testing.TB, connected bool, want closereason.Reason) {
	t.Helper()
	if connected {
		h.expectClose(t, want)
	}
}

// TestProbePongWriteFailureCuts: the reader of an upgrade probe answers pings
// itself with a blocking write; when that write cannot complete the probe
// socket is cut (half a pong may be on the wire) and the session stays on
// polling.
func TestProbePongWriteFailureCuts(t *testing.T) {
	e := newLongPollEnv(t, func(c *Config) { c.UpgradeTimeout = 30 * time.Second })
	q := connectPolling(t, e)
	sid := q[strings.LastIndex(q, "=")+1:]
	c := rawUpgrade(t, e.addr, "EIO=4&transport=websocket&sid="+sid)
	_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
	// Small kernel buffers on the server's side too, so that the pongs
	// block soon (under -race the reader answers a few thousand a second).
	s := e.srv.reg.get([]byte(sid))
	var probe *wsTransport
	waitFor(t, 2*time.Second, "probe running", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		probe = s.probe
		return probe != nil
	})
	_ = probe.raw.(*net.TCPConn).SetWriteBuffer(4 << 10)
	ping := clientFrame(finPing, bytes.Repeat([]byte("p"), 125), false)
	sent, cut := flood(c, bytes.Repeat(ping, 512), 512<<20, 15*time.Second)
	if !cut { // 15 s: well before the upgrade timeout would end the probe
		t.Fatalf("probe not cut after %d MB", sent>>20)
	}
	waitFor(t, 3*time.Second, "probe failure counted", func() bool { return e.srv.Stats().UpgradeFailures == 1 })
	e.poll("POST", q, `421["echo","still polling"]`)
	if _, body := e.poll("GET", q, ""); body != `431["still polling"]` {
		t.Fatalf("session after the failed probe: %q", body)
	}
}
