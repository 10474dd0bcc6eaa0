package ws

import (
	"errors"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/presenced/presenced/internal/closereason"
)

// upgrade runs the probe dance on a polling session and returns the
// websocket that now carries it.
func upgrade(t *testing.T, e *testEnv, q string) *rawWS {
	t.Helper()
	get := pendingGET(t, e, q)
	sid := q[strings.LastIndex(q, "=")+1:]
	w, _, err := e.dialWS("EIO=4&transport=websocket&sid="+sid, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.send("2probe")
	if m, err := w.readRaw(2 * time.Second); m != "3probe" || err != nil {
		t.Fatalf("probe answer %q %v", m, err)
	}
	if r := recv(t, get); r != "OK 6" {
		t.Fatalf("pending GET during upgrade: %q", r)
	}
	return w
}

func TestUpgrade(t *testing.T) {
	e := newLongPollEnv(t, nil)
	q := connectPolling(t, e)
	w := upgrade(t, e, q)
	defer w.close()
	// Frames queued between the probe and the upgrade packet wait for the
	// websocket.
	e.h.each(func(c *Conn) { c.Emit("during-upgrade") })
	if m, err := w.readRaw(200 * time.Millisecond); err == nil {
		t.Fatalf("written on the probe before the upgrade packet: %q", m)
	}
	w.send("5")
	if m := w.read(); m != `42["during-upgrade"]` {
		t.Fatalf("flushed: %q", m)
	}
	w.send(`421["whoami"]`)
	if m := w.read(); !strings.Contains(m, `"transport":"websocket"`) {
		t.Fatalf("whoami: %q", m)
	}
	for _, m := range []string{"GET", "POST"} {
		if code, body := e.poll(m, q, "3"); code != 400 || body != code3 {
			t.Errorf("%s after upgrade: %d %q", m, code, body)
		}
	}
	st := e.srv.Stats()
	if st.Upgrades != 1 || st.SessionsWebsocket != 1 || st.SessionsPolling != 0 {
		t.Fatalf("stats %+v", st)
	}
	// The session's websocket now refuses another probe.
	sid := q[strings.LastIndex(q, "=")+1:]
	if _, resp, err := e.dialWS("EIO=4&transport=websocket&sid="+sid, nil); err == nil || resp.StatusCode != 400 {
		t.Fatalf("second upgrade: %v", err)
	}
}

func TestUpgradeFailures(t *testing.T) {
	e := newLongPollEnv(t, func(c *Config) { c.UpgradeTimeout = 300 * time.Millisecond })
	q := connectPolling(t, e)
	sid := q[strings.LastIndex(q, "=")+1:]

	// No upgrade packet within UpgradeTimeout: the probe closes, polling goes on.
	w := upgrade(t, e, q)
	if err := w.expectClosed(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	// Garbage instead of 2probe.
	w2, _, err := e.dialWS("EIO=4&transport=websocket&sid="+sid, nil)
	if err != nil {
		t.Fatal(err)
	}
	w2.send("hello")
	if err := w2.expectClosed(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	e.poll("POST", q, `421["whoami"]`)
	if _, body := e.poll("GET", q, ""); !strings.Contains(body, `"transport":"polling"`) {
		t.Fatalf("after failed upgrades: %q", body)
	}
	if st := e.srv.Stats(); st.UpgradeFailures != 2 || st.Upgrades != 0 {
		t.Fatalf("stats %+v", st)
	}
	// A websocket session cannot be "upgraded".
	ws, _ := e.openWS()
	defer ws.close()
	wsid := ""
	e.h.each(func(c *Conn) {
		if c.Transport() == "websocket" {
			wsid = c.EngineID()
		}
	})
	if _, resp, err := e.dialWS("EIO=4&transport=websocket&sid="+wsid, nil); err == nil || resp.StatusCode != 400 {
		t.Fatalf("upgrade of a websocket session: %v", err)
	}
}

func TestHeartbeat(t *testing.T) {
	e := startServer(t, testConfig()) // ping 150 ms, timeout 300 ms
	t.Run("websocket ping timeout", func(t *testing.T) {
		w, _ := e.openWS()
		defer w.close()
		start := time.Now()
		for {
			m, err := w.readRaw(3 * time.Second) // never answers the pings
			if err != nil {
				break
			}
			if m != "2" && !strings.HasPrefix(m, `42["welcome"`) {
				t.Fatalf("unexpected %q", m)
			}
		}
		if d := time.Since(start); d < 400*time.Millisecond || d > 2*time.Second {
			t.Fatalf("closed after %v", d)
		}
		e.h.expectClose(t, closereason.PingTimeout)
	})
	t.Run("any packet counts as liveness", func(t *testing.T) {
		w, _ := e.openWS()
		defer w.close()
		stop := time.Now().Add(time.Second)
		for time.Now().Before(stop) {
			w.send(`42["nop"]`) // never a pong
			if _, err := w.readRaw(100 * time.Millisecond); err != nil && !errors.Is(err, errReadTimeout) {
				t.Fatalf("closed although events flowed: %v", err)
			}
		}
		w.send(`421["echo",1]`)
		if m := w.read(); m != `431[1]` {
			t.Fatalf("echo %q", m)
		}
	})
	t.Run("polling ping timeout", func(t *testing.T) {
		q := connectPolling(t, e) // and never polls again
		e.h.expectClose(t, closereason.PingTimeout)
		if code, body := e.poll("GET", q, ""); code != 400 || body != code1 {
			t.Fatalf("%d %q", code, body)
		}
	})
	t.Run("connect timeout", func(t *testing.T) {
		cfg := testConfig()
		cfg.ConnectTimeout = 300 * time.Millisecond
		e := startServer(t, cfg)
		w, _, err := e.dialWS("EIO=4&transport=websocket", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.close()
		start := time.Now()
		for {
			if _, err := w.readRaw(3 * time.Second); err != nil {
				break
			}
			w.send("3")
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
			t.Fatalf("closed after %v", d)
		}
	})
}

func TestAckTimeoutAndClose(t *testing.T) {
	cfg := testConfig()
	cfg.AckTimeout = 300 * time.Millisecond
	e := startServer(t, cfg)
	w, _ := e.openWS()
	defer w.close()
	w.read() // welcome
	w.send(`42["ask"]`)
	if m := w.read(); m != `420["question",{"q":"meaning"}]` {
		t.Fatalf("question %q", m)
	}
	if m := w.read(); m != `42["answer-bad","[] ws: ack timeout"]` {
		t.Fatalf("after the timeout: %q", m)
	}
	if err := <-e.h.ackErrs; !errors.Is(err, ErrAckTimeout) {
		t.Fatal(err)
	}
	w.send(`430[{"a":42}]`) // too late: ignored
	w.send(`42["ask"]`)
	w.read() // question 1
	w.close()
	select {
	case err := <-e.h.ackErrs:
		if !errors.Is(err, ErrConnClosed) {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("ack callback not called on close")
	}
}

func TestHandlerPanic(t *testing.T) {
	e := startServer(t, testConfig())
	w, _ := e.openWS()
	defer w.close()
	w.read()
	w.send(`42["panic"]`)
	if err := w.expectClosed(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	e.h.expectClose(t, closereason.HandlerPanic)
	q := connectPolling(t, e) // polling handlers run in fasthttp workers: no crash either
	e.poll("POST", q, `42["panic"]`)
	e.h.expectClose(t, closereason.HandlerPanic)
}

func TestSlowConsumer(t *testing.T) {
	cfg := testConfig()
	cfg.OutboundQueue = 16
	cfg.PingInterval, cfg.PingTimeout = 5*time.Second, 5*time.Second
	e := startServer(t, cfg)
	w, id := e.openWS() // and never read again
	defer w.close()
	var conn *Conn
	e.h.each(func(c *Conn) {
		if c.ID() == id {
			conn = c
		}
	})
	frame := EncodeEvent("big", mustJSON(strings.Repeat("x", 256<<10)))
	var slowest time.Duration
	sent := 0
	for ; sent < 2000; sent++ {
		time.Sleep(200 * time.Microsecond) // let the writer drain until TCP pushes back
		start := time.Now()
		ok := conn.SendFrame(frame)
		slowest = max(slowest, time.Since(start))
		if !ok {
			break
		}
	}
	if sent == 2000 {
		t.Fatal("never detected as a slow consumer")
	}
	if slowest > 50*time.Millisecond {
		t.Errorf("SendFrame blocked for %v", slowest)
	}
	e.h.expectClose(t, closereason.SlowConsumer)
	if st := e.srv.Stats(); st.SlowConsumers != 1 {
		t.Fatalf("stats %+v", st)
	}
	if conn.SendFrame(frame) {
		t.Fatal("SendFrame after close")
	}
	t.Logf("closed after %d frames of %d KB; slowest SendFrame %v", sent, len(frame)>>10, slowest)
}

func TestShutdown(t *testing.T) {
	e := newLongPollEnv(t, nil)
	w, _ := e.openWS()
	defer w.close()
	w.read()
	q := connectPolling(t, e)
	get := pendingGET(t, e, q)
	start := time.Now()
	if err := e.srv.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	if r := recv(t, get); r != "OK 1" {
		t.Errorf("pending GET: %q", r)
	}
	_, err := w.readRaw(time.Second)
	if !fws.IsCloseError(err, fws.CloseNormalClosure) {
		t.Errorf("websocket: %v", err)
	}
	for range 2 {
		if r := <-e.h.closed; r != closereason.ServerShutdown {
			t.Errorf("reason %q", r)
		}
	}
	if code, _ := e.poll("GET", "EIO=4&transport=polling", ""); code != 503 {
		t.Errorf("handshake after shutdown: %d", code)
	}
}
