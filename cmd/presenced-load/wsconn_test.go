package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// echoServer echoes text messages; "big:N" answers N bytes, "ping" sends a
// websocket ping first and reports the pong as a message, "bye" closes.
func echoServer(t *testing.T) *httptest.Server {
	up := websocket.Upgrader{}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		pong := make(chan string, 1)
		c.SetPongHandler(func(s string) error { pong <- s; return nil })
		for {
			_, m, err := c.ReadMessage()
			if err != nil {
				return
			}
			switch s := string(m); {
			case strings.HasPrefix(s, "big:"):
				n := map[string]int{"big:200": 200, "big:70000": 70000}[s]
				_ = c.WriteMessage(websocket.TextMessage, bytes.Repeat([]byte("x"), n))
			case s == "frag":
				// text "ab" without FIN, then a final continuation "cd"
				_, _ = c.NetConn().Write([]byte{0x01, 2, 'a', 'b', 0x80, 2, 'c', 'd'})
			case s == "ping":
				_ = c.WriteControl(websocket.PingMessage, []byte("hi"), time.Now().Add(time.Second))
				go func() { // the pong arrives through this goroutine's ReadMessage
					select {
					case p := <-pong:
						_ = c.WriteMessage(websocket.TextMessage, []byte("pong:"+p))
					case <-time.After(2 * time.Second):
					}
				}()
			case s == "bye":
				_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
			default:
				_ = c.WriteMessage(websocket.TextMessage, m)
			}
		}
	}))
}

func TestWSConn(t *testing.T) {
	srv := echoServer(t)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w, err := dialWS(ctx, newDialer("127.0.0.1"), strings.TrimPrefix(srv.URL, "http://"), "/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	expect := func(want string) {
		t.Helper()
		op, p, err := w.readMessage()
		if err != nil || op != opText || string(p) != want {
			t.Fatalf("read %d %.40q %v, want %.40q", op, p, err, want)
		}
	}
	long := strings.Repeat("é", 100) // 200 bytes: a 16-bit length, masked 8 bytes at a time
	for _, m := range []string{"a", "hello, world", long} {
		if err := w.writeText([]byte(m)); err != nil {
			t.Fatal(err)
		}
		expect(m)
	}
	if err := w.writeText3([]byte("pre"), []byte("-"), []byte("tail")); err != nil {
		t.Fatal(err)
	}
	expect("pre-tail")
	for _, big := range []string{"big:200", "big:70000"} {
		_ = w.writeText([]byte(big))
		n := map[string]int{"big:200": 200, "big:70000": 70000}[big]
		expect(strings.Repeat("x", n))
	}
	_ = w.writeText([]byte("frag"))
	expect("abcd")
	_ = w.writeText([]byte("ping"))
	expect("pong:hi")
	_ = w.writeText([]byte("bye"))
	if _, _, err := w.readMessage(); !errors.Is(err, errClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestWSHandshakeRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusBadRequest)
	}))
	defer srv.Close()
	_, err := dialWS(context.Background(), newDialer(""), strings.TrimPrefix(srv.URL, "http://"), "/ws")
	if !errors.Is(err, errBadHandshake) {
		t.Fatalf("err = %v, want errBadHandshake", err)
	}
}

func TestMaskBytes(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	for n := range 20 {
		b := bytes.Repeat([]byte{0xAA}, n)
		maskBytes(b, key)
		for i, c := range b {
			if c != 0xAA^key[i%4] {
				t.Fatalf("n=%d byte %d = %x", n, i, c)
			}
		}
	}
}
