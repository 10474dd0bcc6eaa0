package ws

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/presenced/presenced/internal/closereason"
)

// TestMemoryPerConnection measures what an idle websocket connection costs
// the server, in a separate server process so the clients do not count.
// Opt-in and meaningless under -race:
//
//	WS_MEMTEST=1 go test -run TestMemoryPerConnection -v ./ws/
//
// WS_MEMTEST_PARK=1 measures the server with Config.ParkIdleReaders (no goroutine
// per idle websocket), for the comparison.
func TestMemoryPerConnection(t *testing.T) {
	if os.Getenv("WS_MEMTEST") == "" {
		t.Skip("set WS_MEMTEST=1 (and do not use -race)")
	}
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("WS_MEMTEST_N")); err == nil {
		n = v
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemServerHelper$")
	cmd.Env = append(os.Environ(), "WS_MEMTEST_HELPER=1")
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	ask := func(cmd string) []string {
		fmt.Fprintln(stdin, cmd)
		for lines.Scan() {
			if f := strings.Fields(lines.Text()); len(f) > 0 && f[0] == "R" {
				return f[1:]
			}
		}
		t.Fatalf("helper gone: %v", lines.Err())
		return nil
	}
	addr := ask("addr")[0]
	before := ask("stats")

	conns := make([]*fws.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	d := fws.Dialer{HandshakeTimeout: 10 * time.Second}
	for i := range n {
		c, _, err := d.Dial("ws://"+addr+"/socket.io/?EIO=4&transport=websocket", nil)
		if err != nil {
			t.Fatalf("conn %d: %v", i, err)
		}
		conns = append(conns, c)
		c.ReadMessage() // open
		c.WriteMessage(fws.TextMessage, []byte("40"))
		c.ReadMessage() // 40{"sid"}
		c.ReadMessage() // welcome
	}
	connected := ask("stats")
	ask("bcast") // every connection writes once: pooled buffers, a writer goroutine that came and went
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	after := ask("stats")
	if os.Getenv("WS_MEMTEST_PROFILE") != "" {
		ask("heapprofile")
	}
	report := func(label string, a, b []string) {
		var parts []string
		for i, name := range []string{"heap_inuse", "stack_inuse", "go_sys", "rss"} {
			x, _ := strconv.ParseFloat(a[i], 64)
			y, _ := strconv.ParseFloat(b[i], 64)
			parts = append(parts, fmt.Sprintf("%s %.0f B", name, (y-x)/float64(n)))
		}
		t.Logf("%s, per connection: %s; goroutines %s → %s", label, strings.Join(parts, ", "), a[4], b[4])
	}
	report(fmt.Sprintf("%d idle websocket connections", n), before, connected)
	report("after one broadcast", before, after)
}

// TestMemServerHelper is the server process of TestMemoryPerConnection.
func TestMemServerHelper(t *testing.T) {
	if os.Getenv("WS_MEMTEST_HELPER") == "" {
		t.Skip("helper process")
	}
	cfg := Config{PingInterval: time.Hour, PingTimeout: time.Hour, ConnectTimeout: time.Hour,
		ParkIdleReaders: os.Getenv("WS_MEMTEST_PARK") != ""}
	h := &testHandler{conns: map[*Conn]bool{}, closed: make(chan closereason.Reason, 1<<20), ackErrs: make(chan error, 1)}
	srv := NewServer(cfg, h)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	srv.Mount(app, "/socket.io/")
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "addr":
			fmt.Println("R", ln.Addr().String())
		case "bcast":
			f := EncodeEvent("news", []byte(`{"n":1}`))
			h.each(func(c *Conn) { c.SendFrame(f) })
			fmt.Println("R ok")
		case "heapprofile":
			if f, err := os.Create(os.Getenv("WS_MEMTEST_PROFILE")); err == nil {
				runtime.GC()
				_ = pprof.Lookup("heap").WriteTo(f, 0)
				f.Close()
			}
			fmt.Println("R ok")
		case "stats":
			for range 3 {
				runtime.GC()
				time.Sleep(100 * time.Millisecond)
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Println("R", ms.HeapInuse, ms.StackInuse, ms.Sys, rssBytes(), runtime.NumGoroutine())
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
