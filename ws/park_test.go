package ws

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/closereason"
)

// readersRunning counts the server goroutines inside a websocket session's read loop.
func readersRunning() int {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return bytes.Count(buf, []byte("ws.(*session).readLoop("))
}

// TestIdleWebsocketsHoldNoGoroutine: with the poller, an idle websocket's reader
// parks and returns, yet every socket still reads, is written to, sees its client
// leave and is closed by the server; without ParkIdleReaders each keeps a goroutine.
func TestIdleWebsocketsHoldNoGoroutine(t *testing.T) {
	if sharedPoller(testLogger()) == nil {
		t.Skip("no epoll here: readers are always held")
	}
	const n = 100
	for _, hold := range []bool{false, true} {
		t.Run("hold="+strconv.FormatBool(hold), func(t *testing.T) {
			cfg := testConfig()
			cfg.PingInterval, cfg.PingTimeout = time.Minute, time.Minute // no pings: idle is idle
			cfg.ParkIdleReaders = !hold
			e := startServer(t, cfg)
			regs := poller.Registrations()
			clients := make([]*rawWS, n)
			ids := make([]string, n)
			for i := range clients {
				clients[i], ids[i] = e.openWS()
				if m := clients[i].read(); !strings.HasPrefix(m, `42["welcome"`) {
					t.Fatalf("welcome: %q", m)
				}
			}
			if hold {
				waitFor(t, 5*time.Second, "a reader per socket", func() bool { return readersRunning() >= n })
				if got := poller.Registrations() - regs; got != 0 {
					t.Fatalf("%d sockets in the poller without ParkIdleReaders", got)
				}
			} else {
				waitFor(t, 5*time.Second, "idle readers parked", func() bool { return readersRunning() == 0 })
				if got := poller.Registrations() - regs; got != n {
					t.Fatalf("%d sockets in the poller, want %d", got, n)
				}
			}
			// Parked sockets read: each answers as itself.
			for i, c := range clients {
				c.send(`421["whoami"]`)
				if m := c.read(); !strings.HasPrefix(m, `431[{"id":"`+ids[i]+`"`) {
					t.Fatalf("socket %d: whoami answered %q", i, m)
				}
			}
			// Written to while parked: a broadcast reaches every one.
			clients[0].send(`422["bcast",1]`)
			for i, c := range clients {
				var m string
				for m = c.read(); strings.HasPrefix(m, `432[`); m = c.read() {
				}
				if m != `42["news",1]` {
					t.Fatalf("socket %d: broadcast read %q", i, m)
				}
			}
			// Half the clients leave: their sessions end as a client close.
			for _, c := range clients[:n/2] {
				c.close()
			}
			for range n / 2 {
				e.h.expectClose(t, closereason.ClientClosed)
			}
			// The server closes the others, parked: the clients see it.
			waitFor(t, 5*time.Second, "readers parked again", func() bool { return hold || readersRunning() == 0 })
			e.h.each(func(c *Conn) { c.Close("test drop") })
			for i, c := range clients[n/2:] {
				if err := c.expectClosed(5 * time.Second); err != nil {
					t.Fatalf("socket %d: %v", n/2+i, err)
				}
			}
			waitFor(t, 5*time.Second, "every session gone", func() bool { return e.h.count() == 0 })
			waitFor(t, 5*time.Second, "the poller's registrations released", func() bool { return poller.Registrations() == regs })
			if r := readersRunning(); r != 0 {
				t.Fatalf("%d readers still running", r)
			}
		})
	}
}
