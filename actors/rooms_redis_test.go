package actors

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/internal/testredis"
	"github.com/redis/rueidis"
)

// roomNode is one node on the shared Redis for the rooms tests; stoppable nodes get no
// shutdown at the end (the test stops them).
func roomNode(t *testing.T, r *testredis.Server, prefix string, stoppable bool) *harness {
	t.Helper()
	tweak := func(c *Config) {
		c.PingInterval = time.Hour
		c.MaxConnsPerUser = -1
		c.Redis = &RedisConfig{URL: "redis://" + r.Addr() + "/0", Prefix: prefix, Channel: prefix + "notifications",
			LeaseTTL: 900 * time.Millisecond}
	}
	if !stoppable {
		return newHarness(t, tweak)
	}
	h := &harness{t: t, ver: &fakeVerifier{grants: map[string]Grant{}}, dir: fakeDirectory{}, writer: &fakeWriter{}}
	cfg := Config{PingInterval: time.Hour, OfflineGrace: 150 * time.Millisecond, Coalesce: 10 * time.Millisecond,
		Verifier: h.ver, Directory: h.dir, Writer: h.writer}
	tweak(&cfg)
	sys, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.sys = sys
	return h
}

// roomInRedis is the room's members in Redis, by id.
func roomInRedis(t *testing.T, rc rueidis.Client, prefix, room string) []int64 {
	t.Helper()
	keys, err := rc.Do(context.Background(), rc.B().Hkeys().Key(prefix+"room:"+room+":nodes").Build()).AsStrSlice()
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, k := range keys {
		id, _ := strconv.ParseInt(k, 10, 64)
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// roomEvents is the room entries of the event stream, as "type room user_id".
func roomEvents(t *testing.T, rc rueidis.Client, prefix string) []string {
	t.Helper()
	entries, err := rc.Do(context.Background(), rc.B().Xrange().Key(prefix+"events").Start("-").End("+").Build()).AsXRange()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if room, ok := e.FieldValues["room"]; ok {
			out = append(out, e.FieldValues["type"]+" "+room+" "+e.FieldValues["user_id"])
		}
	}
	return out
}

func (h *harness) roomPresence(room string) *GetRoomPresenceResponse {
	h.t.Helper()
	res, err := h.sys.root.RequestFuture(h.sys.rooms, &GetRoomPresenceRequest{Room: room}, 3*time.Second).Result()
	if err != nil {
		h.t.Fatal(err)
	}
	return res.(*GetRoomPresenceResponse)
}

// liveRoomView is a client's view of one room: its join's ack, then every update.
type liveRoomView struct {
	*roomView
	p    *probe
	room string
	seen int
}

func liveRoom(t *testing.T, p *probe, room string, ack map[string]any) *liveRoomView {
	return &liveRoomView{roomView: newRoomView(t, ack), p: p, room: room}
}

// await applies the updates received until the view lists exactly ids.
func (v *liveRoomView) await(what string, ids ...int64) {
	v.t.Helper()
	eventually(v.t, what, 5*time.Second, func() bool {
		ups := roomUpdates(v.p, v.room)
		v.apply(ups[v.seen:])
		v.seen = len(ups)
		return slices.Equal(v.ids(), ids)
	})
}

func presenceIDs(r *GetRoomPresenceResponse) []int64 {
	var out []int64
	for _, u := range r.Users {
		out = append(out, u.ID)
	}
	return out
}

// TestRoomsAcrossNodesOverRedis: a room's members are the cluster's, whichever node
// their sockets are on; a node subscribes only to the rooms its sockets are in; joins
// and leaves go to the event stream; a node that stops has its memberships dropped,
// the leaves sent; after Redis restarts empty the nodes write their memberships again.
func TestRoomsAcrossNodesOverRedis(t *testing.T) {
	r := testredis.New(t)
	rc := r.Client()
	prefix := "rooms-" + randomSuffix() + ":"
	a, b := roomNode(t, r, prefix, false), roomNode(t, r, prefix, false)
	c := roomNode(t, r, prefix, true)
	eventually(t, "nodes connected", 5*time.Second, func() bool {
		return a.sys.RedisUp() && b.sys.RedisUp() && c.sys.RedisUp()
	})
	_, ta := a.user(1, "alice")
	_, tb := b.user(2, "bob")
	_, tc := c.user(3, "carol")
	alice, bob, carol := a.open(ta), b.open(tb), c.open(tc)

	va := liveRoom(t, alice, "public:r", alice.join(t, 1, map[string]any{"room": "public:r"}))
	if !slices.Equal(va.ids(), []int64{1}) {
		t.Fatalf("alice's join lists %v", va.ids())
	}
	// A join is answered before its node's batch reaches Redis, so wait for alice's
	// write: otherwise bob's can land first and the stream (checked below) rightly
	// records bob's join before hers.
	eventually(t, "alice's membership in Redis", 5*time.Second, func() bool {
		return slices.Equal(roomInRedis(t, rc, prefix, "public:r"), []int64{1})
	})
	// Bob's join on another node lists alice: the join waits for the cluster's read.
	vb := liveRoom(t, bob, "public:r", bob.join(t, 1, map[string]any{"room": "public:r"}))
	if !slices.Equal(vb.ids(), []int64{1, 2}) {
		t.Fatalf("bob's join on node B lists %v", vb.ids())
	}
	va.await("alice sees bob join", 1, 2)

	// Carol's node has no socket in the room: it subscribes to none, but answers the
	// HTTP read from Redis.
	if n := c.sys.Stats().RoomChannels.Load(); n != 0 {
		t.Fatalf("node C subscribes to %d room channels", n)
	}
	if got := presenceIDs(c.roomPresence("public:r")); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("node C reads public:r as %v", got)
	}
	if n := a.sys.Stats().RoomChannels.Load(); n != 1 {
		t.Fatalf("node A subscribes to %d room channels", n)
	}

	// Carol joins on C, then C dies without a goodbye: her membership goes with C's
	// lease and the others see her leave.
	vc := liveRoom(t, carol, "public:r", carol.join(t, 1, map[string]any{"room": "public:r"}))
	if !slices.Equal(vc.ids(), []int64{1, 2, 3}) {
		t.Fatalf("carol's join on node C lists %v", vc.ids())
	}
	va.await("alice sees carol join", 1, 2, 3)
	vb.await("bob sees carol join", 1, 2, 3)
	// Node C stops (a node killed without a goodbye loses them with its lease: the
	// same script, driven by the e2e tests with SIGKILL).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.sys.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "carol's membership dropped with node C", 6*time.Second, func() bool {
		return slices.Equal(roomInRedis(t, rc, prefix, "public:r"), []int64{1, 2})
	})
	va.await("alice sees carol leave", 1, 2)
	vb.await("bob sees carol leave", 1, 2)

	events := roomEvents(t, rc, prefix)
	want := []string{"room_join public:r 1", "room_join public:r 2", "room_join public:r 3", "room_leave public:r 3"}
	if !slices.Equal(events, want) {
		t.Fatalf("event stream: %v, want %v", events, want)
	}

	// Redis restarts empty: the nodes write their memberships again.
	r.Stop()
	r.Start()
	eventually(t, "memberships written again", 10*time.Second, func() bool {
		return slices.Equal(roomInRedis(t, r.Client(), prefix, "public:r"), []int64{1, 2})
	})

	// Alice closes: bob sees her leave after the grace.
	alice.Close(closereason.ClientClosed)
	vb.await("bob sees alice leave", 2)
	if got := presenceIDs(b.roomPresence("public:r")); !slices.Equal(got, []int64{2}) {
		t.Fatalf("node B reads public:r as %v", got)
	}
}
