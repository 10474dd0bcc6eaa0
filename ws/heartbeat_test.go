package ws

import (
	"testing"
	"time"
)

// TestHeartbeatRidesWithTheSweep: the application's periodic frame sent with
// SendHeartbeat carries the Engine.IO ping when it is due within half an interval —
// ahead of the frame, in the same write — and the ping schedule starts again from
// there; otherwise the frame goes alone.
func TestHeartbeatRidesWithTheSweep(t *testing.T) {
	for _, hold := range []bool{false, true} {
		cfg := testConfig()
		cfg.PingInterval, cfg.PingTimeout = time.Second, 5*time.Second
		cfg.ParkIdleReaders = !hold
		e := startServer(t, cfg)
		w, _ := e.openWS()
		w.read() // welcome
		sweep := EncodeEvent("sweep")
		var before Stats
		send := func() {
			before = e.srv.Stats()
			n := 0
			e.h.each(func(c *Conn) {
				if c.SendHeartbeat(sweep) {
					n++
				}
			})
			if n != 1 {
				t.Fatalf("SendHeartbeat accepted by %d connections", n)
			}
		}
		// written is what the server wrote since send; called once the client read it
		// all (the counters move before each write).
		written := func() (writes, frames uint64) {
			after := e.srv.Stats()
			return after.WriteCalls - before.WriteCalls, after.FramesOut - before.FramesOut
		}
		next := func() string {
			t.Helper()
			m, err := w.readRaw(3 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		// Not due yet (the session's first ping is a second after its open): alone.
		send()
		if m := next(); m != `42["sweep"]` {
			t.Fatalf("early: read %q", m)
		}
		if writes, frames := written(); writes != 1 || frames != 1 {
			t.Fatalf("early: %d writes, %d frames", writes, frames)
		}
		time.Sleep(600 * time.Millisecond) // past half the interval
		send()
		if m := next(); m != "2" {
			t.Fatalf("due: read %q first, want the ping", m)
		}
		if m := next(); m != `42["sweep"]` {
			t.Fatalf("due: read %q after the ping", m)
		}
		if writes, frames := written(); writes != 1 || frames != 2 {
			t.Fatalf("due: %d writes, %d frames", writes, frames)
		}
		w.send("3")
		// The schedule restarted at the ride: no ping for most of a second.
		if m, err := w.readRaw(700 * time.Millisecond); err == nil {
			t.Fatalf("read %q within 700 ms of the ping", m)
		}
		if m := next(); m != "2" {
			t.Fatalf("read %q, want the heartbeat's own ping", m)
		}
		w.send("3")
		w.close()
	}
}
