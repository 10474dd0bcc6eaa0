package ws

import (
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
)

// TestWebsocketBadInput: each bad input closes only its own session; a
// witness session opened before keeps working.
func TestWebsocketBadInput(t *testing.T) {
	cfg := testConfig()
	cfg.MaxPayload = 4096
	e := startServer(t, cfg)
	witness, _ := e.openWS()
	defer witness.close()
	witness.read() // welcome
	cases := []struct {
		name    string
		connect bool
		send    func(w *rawWS)
	}{
		{"unknown engine type", true, func(w *rawWS) { w.send("garbage") }},
		{"empty message", true, func(w *rawWS) { w.send("") }},
		{"empty socket.io packet", true, func(w *rawWS) { w.send("4") }},
		{"truncated event", true, func(w *rawWS) { w.send(`42["ech`) }},
		{"unterminated array", true, func(w *rawWS) { w.send(`421["echo",{"a":1}`) }},
		{"client ping", true, func(w *rawWS) { w.send("2") }},
		{"reserved event name", true, func(w *rawWS) { w.send(`42["disconnect"]`) }},
		{"event for unjoined namespace", true, func(w *rawWS) { w.send(`42/admin,["echo"]`) }},
		{"disconnect for unjoined namespace", true, func(w *rawWS) { w.send(`41/admin,`) }},
		{"connect_error from client", true, func(w *rawWS) { w.send(`44{"message":"x"}`) }},
		{"connect payload not an object", false, func(w *rawWS) { w.send(`40[1]`) }},
		{"event before connect", false, func(w *rawWS) { w.send(`42["echo"]`) }},
		{"binary without binary event", true, func(w *rawWS) { _ = w.c.WriteMessage(fws.BinaryMessage, []byte{1, 2}) }},
		{"text while attachments expected", true, func(w *rawWS) {
			w.send(`451-["x",{"_placeholder":true,"num":0}]`)
			w.send(`42["echo"]`)
		}},
		{"oversize message", true, func(w *rawWS) { w.send(`42["echo","` + strings.Repeat("x", 5000) + `"]`) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.srv.Stats().ProtocolErrors
			var w *rawWS
			if tc.connect {
				w, _ = e.openWS()
				w.read() // welcome
			} else {
				var err error
				if w, _, err = e.dialWS("EIO=4&transport=websocket", nil); err != nil {
					t.Fatal(err)
				}
				w.read() // open packet
			}
			defer w.close()
			tc.send(w)
			if err := w.expectClosed(2 * time.Second); err != nil {
				t.Fatal(err)
			}
			waitFor(t, time.Second, "protocol error counted", func() bool { return e.srv.Stats().ProtocolErrors > before })
			witness.send(`421["echo","alive"]`)
			if m := witness.read(); m != `431["alive"]` {
				t.Fatalf("witness: %q", m)
			}
		})
	}
}

func TestWebsocketTolerated(t *testing.T) {
	e := startServer(t, testConfig())
	w, _ := e.openWS()
	defer w.close()
	w.read() // welcome
	// Ignored as the reference does: a close packet on websocket, noop,
	// upgrade, a second CONNECT for "/".
	for _, m := range []string{"1", "6", "5", "40"} {
		w.send(m)
	}
	// Unknown namespace: refused, "/" still usable.
	w.send(`40/admin,{"token":"good"}`)
	if m := w.read(); m != `44/admin,{"message":"Invalid namespace"}` {
		t.Fatalf("namespace: %q", m)
	}
	w.send(`421["echo",1]`)
	if m := w.read(); m != `431[1]` {
		t.Fatalf("echo: %q", m)
	}
	if st := e.srv.Stats(); st.ProtocolErrors != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestConnectRefusedThenAccepted(t *testing.T) {
	e := startServer(t, testConfig())
	w, _, err := e.dialWS("EIO=4&transport=websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	w.read() // open
	w.send(`40{"token":"bad"}`)
	if m := w.read(); m != `44{"message":"invalid token","data":{"code":"invalid_token"}}` {
		t.Fatalf("refusal: %q", m)
	}
	w.send(`42["echo"]`) // not connected: closes, as the reference does
	if err := w.expectClosed(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	w2, _, _ := e.dialWS("EIO=4&transport=websocket", nil)
	defer w2.close()
	w2.read()
	w2.send(`40{"token":"bad"}`)
	w2.read()
	w2.send(`40{"token":"good"}`) // a refused CONNECT may be retried on the same session
	if m := w2.read(); !strings.HasPrefix(m, `40{"sid":"`) {
		t.Fatalf("retry: %q", m)
	}
}
