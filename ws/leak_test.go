package ws

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestNoGoroutineLeak: 1,000 connect/disconnect cycles over both transports
// and every way of ending, then the goroutine count returns to its baseline.
func TestNoGoroutineLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 cycles")
	}
	e := startServer(t, testConfig())
	cycle := func(i int) {
		switch i % 4 {
		case 0: // websocket, client closes the socket
			w, _ := e.openWS()
			w.read()
			w.close()
		case 1: // websocket, client DISCONNECT (the session stays), CONNECT again, client closes
			w, _ := e.openWS()
			w.read()
			w.send("41")
			w.send("40")
			if m := w.read(); !strings.HasPrefix(m, `40{"sid":"`) {
				t.Errorf("CONNECT after DISCONNECT: %q", m)
			}
			w.read() // welcome
			w.close()
		case 2: // polling, client close packet
			q := connectPolling(t, e)
			e.poll("POST", q, "1")
		case 3: // polling upgraded to websocket, server DISCONNECT
			q := connectPolling(t, e)
			sid := q[strings.LastIndex(q, "=")+1:]
			w, _, err := e.dialWS("EIO=4&transport=websocket&sid="+sid, nil)
			if err != nil {
				t.Error(err)
				return
			}
			w.send("2probe")
			w.read()
			w.send("5")
			w.send(`42["bye"]`)
			_ = w.expectClosed(2 * time.Second)
			w.close()
		}
	}
	run := func(n int) {
		var wg sync.WaitGroup
		for worker := range 8 {
			wg.Go(func() {
				for i := worker; i < n; i += 8 {
					cycle(i)
				}
			})
		}
		wg.Wait()
		httpClient.CloseIdleConnections()
	}
	settle := func() int {
		var n int
		for range 3 {
			runtime.GC()
			time.Sleep(50 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		return n
	}
	run(64) // warm up fasthttp's worker pool and the client's transports
	waitFor(t, 5*time.Second, "warm-up sessions closed", func() bool { return e.h.count() == 0 })
	base := settle()

	run(1000)
	waitFor(t, 10*time.Second, "sessions closed", func() bool {
		st := e.srv.Stats()
		return e.h.count() == 0 && st.SessionsPolling == 0 && st.SessionsWebsocket == 0
	})
	// fasthttp keeps idle workers for up to 10 s; allow a few beyond the baseline.
	const slack = 40
	deadline := time.Now().Add(15 * time.Second)
	n := settle()
	for n > base+slack && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		n = settle()
	}
	t.Logf("goroutines: baseline %d, after 1,000 cycles %d; stats %+v", base, n, e.srv.Stats())
	if n > base+slack {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: %d, baseline %d\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}
