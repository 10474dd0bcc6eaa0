package metrics

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/presenced/presenced/actors"
	"github.com/presenced/presenced/ws"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type noTokens struct{}

func (noTokens) Verify(string) (actors.Grant, error) { return actors.Grant{}, actors.ErrTokenInvalid }
func (noTokens) Revoked(string) bool                 { return true }

type noUsers struct{}

func (noUsers) User(context.Context, int64) (actors.User, error) {
	return actors.User{}, errors.New("none")
}

func (noUsers) Users(context.Context, []int64) ([]actors.User, error) { return nil, nil }

func TestCollectorFollowsConventions(t *testing.T) {
	sys, err := actors.Start(actors.Config{Verifier: noTokens{}, Directory: noUsers{}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sys.Shutdown(ctx)
	}()
	c := New(Sources{Actors: sys, Sockets: func() ws.Stats { return ws.Stats{SessionsWebsocket: 3, BytesOut: 42} }})
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP presenced_socketio_sessions Engine.IO sessions by transport.
# TYPE presenced_socketio_sessions gauge
presenced_socketio_sessions{transport="polling"} 0
presenced_socketio_sessions{transport="websocket"} 3
# HELP presenced_redis_up 1 while the Redis bridge is connected; 0 when down or not configured.
# TYPE presenced_redis_up gauge
presenced_redis_up 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "presenced_socketio_sessions", "presenced_redis_up"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c, "presenced_actors"); n != len(actors.Kinds()) {
		t.Fatalf("presenced_actors has %d series, want one per kind", n)
	}
	if n := testutil.CollectAndCount(c, "presenced_presence_refusals_total"); n != len(actors.RefusalCodes()) {
		t.Fatalf("presenced_presence_refusals_total has %d series, want one per code", n)
	}
}
