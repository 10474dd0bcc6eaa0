package ws

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/closereason"
)

// rawGET sends a polling GET on conn (keep-alive) and returns the body.
func rawGET(t *testing.T, conn net.Conn, br *bufio.Reader, sid string) string {
	t.Helper()
	if _, err := conn.Write([]byte("GET /socket.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
	return b.String()
}

// TestPollingClientGoneBetweenPolls: a polling client whose connection closes after
// a GET was answered, and that sends no other GET, is closed as gone well before the
// ping timeout; one that polls again on a new connection at once is not.
func TestPollingClientGoneBetweenPolls(t *testing.T) {
	cfg := testConfig()
	cfg.PingInterval, cfg.PingTimeout = 10*time.Second, 10*time.Second // the heartbeat would take 20 s
	e := startServer(t, cfg)
	open := func() (string, net.Conn, *bufio.Reader) {
		sid := e.pollHandshake()
		if code, _ := e.poll("POST", "EIO=4&transport=polling&sid="+sid, "40"); code != 200 {
			t.Fatalf("connect: %d", code)
		}
		conn, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		if body := rawGET(t, conn, br, sid); !strings.HasPrefix(body, "40{") {
			t.Fatalf("first GET: %q", body)
		}
		return sid, conn, br
	}

	// Polls again on a new connection right after closing the old one: kept.
	sid, conn, _ := open()
	conn.Close()
	conn2, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	if _, err := conn2.Write([]byte("GET /socket.io/?EIO=4&transport=polling&sid=" + sid + " HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err) // pending from now on
	}
	time.Sleep(3 * pollGoneWait)
	if e.h.count() != 1 {
		t.Fatalf("%d connections after a client moved to a new connection", e.h.count())
	}

	// Gone between two polls: closed as a client close within a second or so.
	_, conn3, _ := open()
	conn3.Close()
	start := time.Now()
	e.h.expectClose(t, closereason.ClientClosed)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("closed after %v", d)
	}
	if e.srv.Stats().PollsAbandoned == 0 {
		t.Fatal("not counted as an abandoned poll")
	}
}
