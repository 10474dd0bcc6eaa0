package actors

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/internal/testredis"
	"github.com/redis/rueidis"
)

// redisNode is one actor system on the shared Redis, with the limit per user.
func redisNode(t *testing.T, r *testredis.Server, prefix string, limit int) *harness {
	return newHarness(t, func(c *Config) {
		c.MaxConnsPerUser = limit
		c.PingInterval = time.Hour
		c.Redis = &RedisConfig{URL: "redis://" + r.Addr() + "/0", Prefix: prefix, Channel: prefix + "notifications", LeaseTTL: time.Second}
	})
}

// socketsInRedis reads <prefix>sockets:<user>: node → count.
func socketsInRedis(t *testing.T, rc rueidis.Client, prefix string, user int64) map[string]int {
	t.Helper()
	m, err := rc.Do(context.Background(), rc.B().Hgetall().Key(prefix+"sockets:"+strconv.FormatInt(user, 10)).Build()).AsStrMap()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for k, v := range m {
		out[k], _ = strconv.Atoi(v)
	}
	return out
}

func (h *harness) openErr(tok string) (*probe, error) {
	h.n++
	p := &probe{t: h.t}
	c, err := h.sys.OpenConn(fmt.Sprintf("sock-%d", h.n), p, h.sys.Resolve(context.Background(), tok))
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.conn = c
	p.mu.Unlock()
	return p, nil
}

func TestPlacesAcrossNodesOverRedis(t *testing.T) {
	r := testredis.New(t)
	rc := r.Client()
	prefix := "places-" + randomSuffix() + ":"
	a, b := redisNode(t, r, prefix, 3), redisNode(t, r, prefix, 3)
	eventually(t, "both nodes connected", 5*time.Second, func() bool { return a.sys.RedisUp() && b.sys.RedisUp() })
	_, tokA := a.user(1, "alice")
	_, tokB := b.user(1, "alice")

	a1, a2 := a.open(tokA), a.open(tokA)
	b.open(tokB)
	if _, err := b.openErr(tokB); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("a 4th socket on node B: err = %v", err)
	}
	anon := a.open("")
	if got := anon.login(t, tokA, 1); got != ackTooMany {
		t.Fatalf("a 4th socket on node A by ng-action login: %s", got)
	}
	got := socketsInRedis(t, rc, prefix, 1)
	if got[a.sys.Node()] != 2 || got[b.sys.Node()] != 1 || len(got) != 2 {
		t.Fatalf("Redis counts %v", got)
	}
	// Closing one on A makes room on B.
	a1.Close(closereason.ClientClosed)
	eventually(t, "a place free on B", 3*time.Second, func() bool {
		p, err := b.openErr(tokB)
		return err == nil && p != nil
	})
	_ = a2

	// Many binds of one user at once on both nodes: exactly the limit succeed.
	_, tok2A := a.user(2, "bob")
	_, tok2B := b.user(2, "bob")
	var mu sync.Mutex
	oks := 0
	var wg sync.WaitGroup
	for i := range 20 {
		h, tok := a, tok2A
		if i%2 == 1 {
			h, tok = b, tok2B
		}
		p := h.open("")
		wg.Go(func() {
			if p.login(t, tok, 1) == ackOK {
				mu.Lock()
				oks++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if oks != 3 {
		t.Fatalf("%d of 20 concurrent binds on two nodes succeeded; want 3", oks)
	}
	got = socketsInRedis(t, rc, prefix, 2)
	if got[a.sys.Node()]+got[b.sys.Node()] != 3 {
		t.Fatalf("Redis counts %v", got)
	}

	// While a bind waits for Redis, the ng-actions behind it wait too, and are answered
	// in order once it is: the pongs repeating its token take no second place.
	_, tok6 := a.user(6, "frank")
	p := a.open("")
	p.send(map[string]any{"action": "login", "token": tok6}, 10)
	for id := int64(11); id <= 13; id++ {
		p.pong(tok6)
		p.send(map[string]any{"action": "pong", "token": tok6}, id)
	}
	for id := int64(10); id <= 13; id++ {
		eventually(t, fmt.Sprint("ack ", id), 2*time.Second, func() bool { return p.ack(id) == ackOK })
	}
	if got := socketsInRedis(t, rc, prefix, 6); got[a.sys.Node()] != 1 {
		t.Fatalf("Redis counts %v", got)
	}
}

func TestPlacesOfADeadNodeGoWithItsLease(t *testing.T) {
	r := testredis.New(t)
	rc := r.Client()
	prefix := "places-" + randomSuffix() + ":"
	a := redisNode(t, r, prefix, 2)
	eventually(t, "connected", 5*time.Second, func() bool { return a.sys.RedisUp() })
	_, tok := a.user(3, "carol")
	// A node that died holding carol's two places, its lease running out in 1.5 s.
	ctx := context.Background()
	for _, cmd := range []rueidis.Completed{
		rc.B().Hset().Key(prefix+"sockets:3").FieldValue().FieldValue("ghost", "2").Build(),
		rc.B().Sadd().Key(prefix + "node:ghost:sockets").Member("3").Build(),
		rc.B().Set().Key(prefix + "node:ghost:sockets-seq").Value("9").Build(),
		rc.B().Zadd().Key(prefix+"nodes").ScoreMember().ScoreMember(float64(time.Now().Add(1500*time.Millisecond).UnixMilli()), "ghost").Build(),
	} {
		if err := rc.Do(ctx, cmd).Error(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.openErr(tok); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("while the dead node's lease runs: err = %v", err)
	}
	start := time.Now()
	eventually(t, "the dead node's places freed", 5*time.Second, func() bool { _, err := a.openErr(tok); return err == nil })
	t.Logf("freed %v after the refusal", time.Since(start))
	if got := socketsInRedis(t, rc, prefix, 3); len(got) != 1 || got[a.sys.Node()] != 1 {
		t.Fatalf("Redis counts %v", got)
	}
	n, err := rc.Do(ctx, rc.B().Exists().Key(prefix+"node:ghost:sockets", prefix+"node:ghost:sockets-seq").Build()).AsInt64()
	if err != nil || n != 0 {
		t.Fatalf("the dead node's keys are left: %d %v", n, err)
	}
}

func TestPlacesWhenRedisGoesAndReturns(t *testing.T) {
	r := testredis.New(t)
	prefix := "places-" + randomSuffix() + ":"
	a, b := redisNode(t, r, prefix, 2), redisNode(t, r, prefix, 2)
	eventually(t, "both connected", 5*time.Second, func() bool { return a.sys.RedisUp() && b.sys.RedisUp() })
	_, tokA := a.user(4, "dave")
	_, tokB := b.user(4, "dave")
	a.open(tokA)

	r.Stop()
	eventually(t, "both see Redis down", 10*time.Second, func() bool { return !a.sys.RedisUp() && !b.sys.RedisUp() })
	// Each node limits by its own sockets: one more on A, two on B.
	a.open(tokA)
	if _, err := a.openErr(tokA); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("a 3rd socket on A during the outage: %v", err)
	}
	b.open(tokB)
	b.open(tokB)
	if _, err := b.openErr(tokB); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("a 3rd socket on B during the outage: %v", err)
	}

	r.Start() // empty
	rc := r.Client()
	eventually(t, "both nodes' counts written again", 40*time.Second, func() bool {
		got := socketsInRedis(t, rc, prefix, 4)
		return got[a.sys.Node()] == 2 && got[b.sys.Node()] == 2
	})
	// The cluster is over the limit (4 of 2) after the outage: no more binds anywhere.
	if _, err := a.openErr(tokA); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("after the outage: %v", err)
	}

	// Redis loses everything without a restart: the next bind writes the counts again.
	if err := rc.Do(context.Background(), rc.B().Flushall().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	_, tokE := a.user(5, "erin")
	a.open(tokE)
	eventually(t, "the counts written again after the loss", 10*time.Second, func() bool {
		return socketsInRedis(t, rc, prefix, 4)[a.sys.Node()] == 2 && socketsInRedis(t, rc, prefix, 5)[a.sys.Node()] == 1
	})
}

// TestANodeDroppedAsDeadWhileAliveWritesItselfAgain: a node paused longer than its
// lease is dropped by the others (its users leave, its counts go); when it runs again
// it finds its lease gone and writes its users and counts again.
func TestANodeDroppedAsDeadWhileAliveWritesItselfAgain(t *testing.T) {
	r := testredis.New(t)
	rc := r.Client()
	prefix := "dropped-" + randomSuffix() + ":"
	a := redisNode(t, r, prefix, 2)
	eventually(t, "connected", 5*time.Second, func() bool { return a.sys.RedisUp() })
	_, tok := a.user(7, "gina")
	a.open(tok)
	ctx := context.Background()
	online := func() bool {
		ok, err := rc.Do(ctx, rc.B().Hexists().Key(prefix+"counts").Field("7").Build()).AsBool()
		return err == nil && ok
	}
	eventually(t, "gina online in Redis", 2*time.Second, func() bool { return online() && socketsInRedis(t, rc, prefix, 7)[a.sys.Node()] == 1 })
	// What the reaper of another node does to a node whose lease ran out.
	keys := []string{prefix + "counts", prefix + "profiles", prefix + "version", prefix + "events"}
	if err := scriptGoodbye.Exec(ctx, rc, keys, []string{prefix + "notifications", "1000", prefix, a.sys.Node()}).Error(); err != nil {
		t.Fatal(err)
	}
	if online() || len(socketsInRedis(t, rc, prefix, 7)) != 0 {
		t.Fatal("the drop left gina in Redis")
	}
	eventually(t, "gina and her socket written again", 5*time.Second, func() bool {
		return online() && socketsInRedis(t, rc, prefix, 7)[a.sys.Node()] == 1
	})
}
