package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// withMetricsAddr starts the server with /metrics on a port of its own, so that its
// figures can be read while the main port is full.
func withMetricsAddr(t *testing.T, wrapper []string, flags ...string) *server {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServerCmd(t, wrapper, append(flags, "-metrics-addr", addr)...)
	s.MetricsURL = "http://" + addr
	return s
}

// ulimit runs the binary with a descriptor limit of n.
func ulimit(n int) []string {
	return []string{"bash", "-c", fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, n)}
}

// dialIdle opens n TCP connections to addr that send nothing, and returns those that
// connected.
func dialIdle(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	var out []net.Conn
	for range n {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			continue
		}
		out = append(out, c)
	}
	t.Cleanup(func() {
		for _, c := range out {
			c.Close()
		}
	})
	return out
}

// healthz sends one request on c and reports whether it was answered 200.
func healthz(c net.Conn) bool {
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return false
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == 200
}

func freshHealthz(s *server) bool {
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.URL, "http://"), 2*time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	return healthz(c)
}

// With its descriptors filled to -max-conns (by default 90 % of the file limit), the
// server closes new connections at once, keeps serving the ones it holds, and serves
// new ones again as soon as places free up (issue: trust).
func TestConnectionBoundHoldsAndServerKeepsServing(t *testing.T) {
	const limit = 256 // descriptors; -max-conns defaults to 230
	s := withMetricsAddr(t, ulimit(limit))
	if got := s.metric("presenced_tcp_connections_max"); got != limit*9/10 {
		t.Fatalf("presenced_tcp_connections_max %v, want %d (90%% of %d)", got, limit*9/10, limit)
	}
	addr := strings.TrimPrefix(s.URL, "http://")
	conns := dialIdle(t, addr, 300)
	if !until(5*time.Second, func() bool { return s.metric("presenced_tcp_connections_refused_total") >= 60 }) {
		t.Fatalf("refused %v of 300 connections beyond 230", s.metric("presenced_tcp_connections_refused_total"))
	}
	if open := s.metric("presenced_tcp_connections"); open > limit*9/10 {
		t.Fatalf("%v connections open, beyond the bound %d", open, limit*9/10)
	}
	// The held connections are served; the refused ones were closed.
	served, closed := 0, 0
	for _, c := range conns {
		if healthz(c) {
			served++
		} else {
			closed++
		}
	}
	closed += 300 - len(conns) // reset before the dial returned
	if served < 200 || served > limit*9/10 || closed < 60 {
		t.Fatalf("%d connections served, %d closed; want ≈230 served and the rest closed", served, closed)
	}
	// Free places: new clients are served again.
	for _, c := range conns {
		c.Close()
	}
	if !until(5*time.Second, func() bool { return freshHealthz(s) }) {
		t.Fatal("no new connection served after the held ones closed")
	}
	if s.cmd.ProcessState != nil {
		t.Fatal("the server exited")
	}
}

// With no -max-conns, running out of descriptors makes accept fail with EMFILE: the
// server backs off and retries instead of exiting, and serves again once descriptors
// are free.
func TestOutOfDescriptorsDoesNotEndTheProcess(t *testing.T) {
	s := withMetricsAddr(t, ulimit(128), "-max-conns", "0")
	addr := strings.TrimPrefix(s.URL, "http://")
	conns := dialIdle(t, addr, 200)
	// The metrics listener shares the descriptor table: poll it until it answers
	// again, after the held connections are closed.
	time.Sleep(500 * time.Millisecond)
	select {
	case err := <-s.done:
		s.done <- err
		t.Fatalf("the server exited out of descriptors: %v\n%s", err, s.logs)
	default:
	}
	for _, c := range conns {
		c.Close()
	}
	if !until(10*time.Second, func() bool { return freshHealthz(s) }) {
		t.Fatalf("not serving after descriptors were freed\n%s", s.logs)
	}
	if n := s.metric("presenced_accept_errors_total"); n == 0 {
		t.Fatal("no accept error counted: the test did not exhaust descriptors")
	}
	if !strings.Contains(s.logs.String(), "too many open files") {
		t.Fatal("the accept errors were not logged")
	}
}

// A connection that sends no complete request within 10 s is closed.
func TestSlowRequestIsCutAfterTenSeconds(t *testing.T) {
	s := startServer(t)
	c, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	// A slowloris: a header line every second, never the end of the request.
	go func() {
		io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		for i := 0; i < 20; i++ {
			time.Sleep(time.Second)
			if _, err := fmt.Fprintf(c, "X-Slow-%d: y\r\n", i); err != nil {
				return
			}
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(16 * time.Second))
	_, err = io.ReadAll(c) // until the server closes (possibly after a 408)
	took := time.Since(start)
	if err != nil && strings.Contains(err.Error(), "timeout") {
		t.Fatalf("the connection was still open after %v", took)
	}
	if took < 9*time.Second {
		t.Fatalf("cut after %v, before the 10 s the contract gives", took)
	}
	t.Logf("a request never completed was cut after %v", took.Round(100*time.Millisecond))
}

// Wrong passwords sent in parallel are counted from the start: only the limit's worth
// are checked, whatever the concurrency; the server's own figures say so.
func TestParallelWrongPasswordsThrottled(t *testing.T) {
	s := startServer(t)
	s.register("victim")
	const n = 150
	var wg sync.WaitGroup
	var mu sync.Mutex
	answers := map[int]int{}
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			res, err := http.Post(s.URL+"/api-token-auth/", "application/json",
				strings.NewReader(`{"username":"victim","password":"not the password"}`))
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			mu.Lock()
			answers[res.StatusCode]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	failures, throttled := s.metric(`presenced_logins_total{result="failure"}`), s.metric(`presenced_logins_total{result="throttled"}`)
	if answers[400] != 5 || answers[429] != n-5 || failures != 5 || throttled != n-5 {
		t.Fatalf("answers %v, server counted %v failures and %v throttled; want 5 checked and %d throttled", answers, failures, throttled, n-5)
	}
	t.Logf("%d parallel wrong passwords: %d checked, %d throttled", n, answers[400], answers[429])
}

// -metrics-addr moves /metrics off the main port.
func TestMetricsAddr(t *testing.T) {
	s := withMetricsAddr(t, nil)
	res, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 404 || strings.Contains(string(b), "presenced_") {
		t.Fatalf("/metrics on the main port: %d %.100s", res.StatusCode, b)
	}
	if v := s.metric("presenced_tcp_connections"); v < 0 {
		t.Fatalf("presenced_tcp_connections %v", v)
	}
}
