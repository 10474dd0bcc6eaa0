package ws

import (
	"encoding/json"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/ws/codec"
	"github.com/presenced/presenced/ws/internal/wsframe"
)

type nopSession struct{ n int }

func (s *nopSession) OnEvent(string, []json.RawMessage, int64) { s.n++ }
func (s *nopSession) OnClose(closereason.Reason)               {}

const pongPacket = `42["ng-action",{"action":"pong","socket_id":"abc","token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1aWQiOjQyLCJleHAiOjE3OTQ0NDQ0NDR9.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl","seq":17}]`

// BenchmarkInboundEvent: the whole inbound path of a pong as a websocket
// message: Engine.IO decode, Socket.IO decode + JSON validation, name
// interning, argument copy, dispatch to the Session.
func BenchmarkInboundEvent(b *testing.B) {
	srv := NewServer(Config{}, nil)
	defer srv.Shutdown(b.Context())
	s := srv.newSession(handshake{}, transportWebsocket)
	app := &nopSession{}
	s.sio, s.app = sioConnected, app
	msg := []byte(pongPacket)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		s.inMu.Lock()
		typ, data, err := codec.DecodeEngineText(msg)
		if err != nil || !s.onEnginePacket(codec.EnginePacket{Type: typ, Data: data}, true) {
			b.Fatal("rejected", err)
		}
		s.inMu.Unlock()
	}
	if app.n == 0 {
		b.Fatal("no event")
	}
}

// BenchmarkEncodeEvent: one broadcast frame, built once per sweep.
func BenchmarkEncodeEvent(b *testing.B) {
	data := json.RawMessage(`{"message":"ping","seq":123456,"ts":1795000000000}`)
	b.ReportAllocs()
	for b.Loop() {
		if EncodeEvent("server-action:ping", data) == nil {
			b.Fatal("nil")
		}
	}
}

// BenchmarkSendFrameWebsocket: SendFrame → bytes on real loopback
// websockets, until the clients have received every byte. The clients drain
// raw bytes (no frame parsing) so ns/op is mostly the server's queueing,
// framing and write syscalls (plus the kernel's loopback work on both
// sides). frames/write shows the writer's batching: "burst" pushes frames as
// fast as possible (a queue deep enough not to trip the slow-consumer rule),
// "sweep" sends one frame to every connection per round, as a broadcast
// does, back to back; "rounds" waits until each broadcast has arrived, so
// every write carries one frame: the cost of a real fan-out.
func BenchmarkSendFrameWebsocket(b *testing.B) {
	for _, bc := range []struct {
		name   string
		conns  int
		rounds bool // wait for each broadcast to arrive before the next
	}{{"burst/conns=1", 1, false}, {"sweep/conns=1000", 1000, false}, {"rounds/conns=1000", 1000, true}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := testConfig()
			cfg.PingInterval, cfg.PingTimeout = time.Minute, time.Minute
			cfg.OutboundQueue, cfg.OutboundBytes = 1<<20, 1<<30
			cfg.Logger = nil
			e := startServer(b, cfg)
			frame := EncodeEvent("server-action:ping", json.RawMessage(`{"message":"ping","seq":1,"ts":1795000000000}`))
			perFrame := int64(wsframe.HeaderLen(len(frame)) + len(frame))
			var received atomic.Int64
			var wg sync.WaitGroup
			var clients []*fws.Conn
			for range bc.conns {
				c := dialDrain(b, e)
				clients = append(clients, c)
				wg.Go(func() {
					buf := make([]byte, 64<<10)
					for {
						n, err := c.NetConn().Read(buf)
						received.Add(int64(n))
						if err != nil {
							return
						}
					}
				})
			}
			var cs []*Conn
			e.h.each(func(c *Conn) { cs = append(cs, c) })
			before := e.srv.Stats()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if !cs[i%len(cs)].SendFrame(frame) {
					b.Fatal("SendFrame refused")
				}
				if bc.rounds && i%len(cs) == len(cs)-1 {
					for received.Load() < int64(i+1)*perFrame {
						time.Sleep(20 * time.Microsecond)
					}
				}
			}
			for received.Load() < int64(b.N)*perFrame {
				time.Sleep(20 * time.Microsecond)
			}
			b.StopTimer()
			after := e.srv.Stats()
			if w := after.WriteCalls - before.WriteCalls; w > 0 {
				b.ReportMetric(float64(after.FramesOut-before.FramesOut)/float64(w), "frames/write")
			}
			for _, c := range clients {
				_ = c.Close()
			}
			wg.Wait()
		})
	}
}

// dialDrain opens a websocket session, connects to "/", reads the welcome
// and hands back the connection for raw reading.
func dialDrain(b *testing.B, e *testEnv) *fws.Conn {
	d := fws.Dialer{HandshakeTimeout: 5 * time.Second}
	c, _, err := d.Dial("ws://"+e.addr+"/socket.io/?EIO=4&transport=websocket", nil)
	if err != nil {
		b.Fatal(err)
	}
	c.ReadMessage() // open
	c.WriteMessage(fws.TextMessage, []byte("40"))
	c.ReadMessage() // 40{"sid"}
	if _, m, err := c.ReadMessage(); err != nil || !strings.Contains(string(m), "welcome") {
		b.Fatalf("welcome: %q %v", m, err)
	}
	return c
}

// BenchmarkReceiveWebsocket: a pong-sized message from each of 1,000 loopback
// websockets per round, until the server has read and dispatched them all — the
// inbound path a sweep's answers take, with idle readers parked in the poller (the
// ParkIdleReaders) and held in a goroutine each (the default), side by side. The clients
// write pre-masked frames straight to their sockets, so that their cost stays small.
func BenchmarkReceiveWebsocket(b *testing.B) {
	frame := wsframe.AppendClientFrame(nil, 0x80|wsframe.OpText, []byte(pongPacket), [4]byte{1, 2, 3, 4})
	for _, hold := range []bool{false, true} {
		b.Run(fmt.Sprintf("conns=1000/hold=%v", hold), func(b *testing.B) {
			cfg := testConfig()
			cfg.PingInterval, cfg.PingTimeout = time.Minute, time.Minute
			cfg.ParkIdleReaders = !hold
			cfg.Logger = nil
			e := startServer(b, cfg)
			var clients []net.Conn
			for range 1000 {
				c := dialDrain(b, e)
				clients = append(clients, c.NetConn())
				b.Cleanup(func() { _ = c.Close() })
			}
			before := e.srv.Stats().FramesIn
			b.ReportAllocs()
			b.ResetTimer()
			sent := 0
			for sent < b.N {
				for _, c := range clients[:min(len(clients), b.N-sent)] {
					if _, err := c.Write(frame); err != nil {
						b.Fatal(err)
					}
					sent++
				}
				for e.srv.Stats().FramesIn-before < uint64(sent) {
					runtime.Gosched()
				}
			}
			b.StopTimer()
		})
	}
}
