package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/closereason"
)

// nullSocket is a Socket that drops what it is given (the transport's cost is measured
// in ws; this measures the actor path alone).
type nullSocket struct{}

func (nullSocket) Emit(*Event) bool         { return true }
func (nullSocket) Ack(int64, []byte) bool   { return true }
func (nullSocket) Close(closereason.Reason) {}

// BenchmarkPongPath sends the original SPA's pong (token included) to bound conn actors
// round-robin, through the whole actor path: decode of the ng-action, rate limit,
// liveness, the repeated-token check, the count. Reports pongs/s and allocations per
// pong (-benchmem).
func BenchmarkPongPath(b *testing.B) {
	for _, conns := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			ver := &fakeVerifier{grants: map[string]Grant{}}
			dir := fakeDirectory{}
			sys, err := Start(Config{PingInterval: time.Hour, ActionRate: 1e9, ActionBurst: 1e9, Verifier: ver, Directory: dir})
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				_ = sys.Shutdown(ctx)
			}()
			handles := make([]*Conn, conns)
			args := make([][]json.RawMessage, conns)
			for i := range handles {
				uid := int64(i%500 + 1)
				dir[uid] = User{ID: uid, Username: fmt.Sprint("u", uid)}
				tok := fmt.Sprintf("eyJhbGciOiJIUzI1NiJ9.token-%d.signature-signature-signature", i)
				ver.grants[tok] = Grant{UserID: uid, JTI: fmt.Sprint("j", i), ExpiresAt: time.Now().Add(time.Hour)}
				if handles[i], err = sys.OpenConn(fmt.Sprint("c", i), nullSocket{}, sys.Resolve(context.Background(), tok)); err != nil {
					b.Fatal(err) // 20 sockets per user: the default limit
				}
				args[i] = []json.RawMessage{json.RawMessage(fmt.Sprintf(`{"action":"pong","socket_id":"c%d","token":%q}`, i, tok))}
			}
			for sys.Stats().ConnsBound.Load() < int64(conns) {
				time.Sleep(time.Millisecond)
			}
			start := sys.Stats().Pongs.Load()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				handles[i%conns].Event(EventNgAction, args[i%conns], -1)
			}
			for sys.Stats().Pongs.Load()-start < uint64(b.N) {
				time.Sleep(50 * time.Microsecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pongs/s")
		})
	}
}
