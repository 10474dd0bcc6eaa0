package actors

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/presenced/presenced/internal/closereason"
)

// fakeRoomVerifier knows the room tokens a test made.
type fakeRoomVerifier map[string]RoomGrant

func (v fakeRoomVerifier) VerifyRoom(tok string) (RoomGrant, error) {
	g, ok := v[tok]
	if !ok {
		return RoomGrant{}, ErrTokenInvalid
	}
	if time.Now().After(g.ExpiresAt) {
		return RoomGrant{}, ErrTokenExpired
	}
	return g, nil
}

func (p *probe) emitEvent(name string, payload any, ackID int64) {
	b, _ := json.Marshal(payload)
	p.conn.Event(name, []json.RawMessage{b}, ackID)
}

// answer waits for the ack of id and decodes it.
func (p *probe) answer(t *testing.T, id int64) map[string]any {
	t.Helper()
	eventually(t, fmt.Sprintf("ack %d", id), 2*time.Second, func() bool { return p.ack(id) != "" })
	var m map[string]any
	if err := json.Unmarshal([]byte(p.ack(id)), &m); err != nil {
		t.Fatalf("ack %d: %s: %v", id, p.ack(id), err)
	}
	return m
}

// join joins room and returns the ack.
func (p *probe) join(t *testing.T, id int64, payload map[string]any) map[string]any {
	t.Helper()
	p.emitEvent(EventRoomJoin, payload, id)
	return p.answer(t, id)
}

func roomUpdates(p *probe, room string) []map[string]any {
	var out []map[string]any
	for _, u := range p.named(EventRoomUpdate) {
		if u["room"] == room {
			out = append(out, u)
		}
	}
	return out
}

// roomView keeps a room's list as a client would: the ack's list, then the diffs,
// checking that versions are consecutive in list mode.
type roomView struct {
	t       *testing.T
	version int64
	members map[int64]bool
	mode    string
}

func newRoomView(t *testing.T, ack map[string]any) *roomView {
	v := &roomView{t: t, version: num(ack["version"]), mode: ack["mode"].(string), members: map[int64]bool{}}
	if users, ok := ack["users"].([]any); ok {
		for _, u := range users {
			v.members[num(u.(map[string]any)["id"])] = true
		}
	}
	return v
}

func (v *roomView) apply(ups []map[string]any) {
	v.t.Helper()
	for _, u := range ups {
		ver, mode := num(u["version"]), u["mode"].(string)
		switch {
		case mode == modeCount:
			if ver < v.version {
				v.t.Fatalf("count version went back %d → %d", v.version, ver)
			}
		case u["users"] != nil:
			clear(v.members)
			for _, x := range u["users"].([]any) {
				v.members[num(x.(map[string]any)["id"])] = true
			}
		default:
			if v.mode != modeList || ver != v.version+1 {
				v.t.Fatalf("list diff v%d after v%d (mode %s)", ver, v.version, v.mode)
			}
			for _, x := range u["joined"].([]any) {
				v.members[num(x.(map[string]any)["id"])] = true
			}
			for _, x := range u["left"].([]any) {
				delete(v.members, num(x))
			}
		}
		v.version, v.mode = ver, mode
		if mode == modeList && int64(len(v.members)) != num(u["count"]) {
			v.t.Fatalf("list of %d, count %v: %v", len(v.members), u["count"], u)
		}
	}
}

func (v *roomView) ids() []int64 {
	var out []int64
	for id := range v.members {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

func TestRoomListModeTabsAndGrace(t *testing.T) {
	h := newHarness(t, nil)
	_, ta := h.user(1, "alice")
	_, tb := h.user(2, "bob")
	a1, a2, b := h.open(ta), h.open(ta), h.open(tb)
	room := map[string]any{"room": "public:lobby"}
	ack := a1.join(t, 1, room)
	if ack["ok"] != true || ack["mode"] != modeList || num(ack["version"]) != 1 || !slices.Equal(newRoomView(t, ack).ids(), []int64{1}) {
		t.Fatalf("first join: %v", ack)
	}
	view := newRoomView(t, ack)
	if ack := a2.join(t, 2, room); num(ack["version"]) != 1 || num(ack["count"]) != 1 {
		t.Fatalf("alice's second tab: %v", ack)
	}
	bAck := b.join(t, 3, room)
	if !slices.Equal(newRoomView(t, bAck).ids(), []int64{1, 2}) || num(bAck["version"]) != 2 {
		t.Fatalf("bob's join: %v", bAck)
	}
	eventually(t, "alice sees bob", time.Second, func() bool { return len(roomUpdates(a1, "public:lobby")) == 1 })
	view.apply(roomUpdates(a1, "public:lobby"))
	if !slices.Equal(view.ids(), []int64{1, 2}) {
		t.Fatalf("alice's view %v", view.ids())
	}
	if len(roomUpdates(b, "public:lobby")) != 0 {
		t.Fatal("the joiner got the diff its ack already holds")
	}
	// One of alice's tabs leaves: nothing. Bob closes: he leaves after the grace.
	a2.emitEvent(EventRoomLeave, room, 4)
	if a := a2.answer(t, 4); a["ok"] != true {
		t.Fatalf("leave: %v", a)
	}
	closed := time.Now()
	b.Close(closereason.ClientClosed)
	eventually(t, "alice sees bob leave", 2*time.Second, func() bool { return len(roomUpdates(a1, "public:lobby")) == 2 })
	if took := time.Since(closed); took < h.sys.cfg.OfflineGrace {
		t.Fatalf("bob left the room %v after closing, before the grace", took)
	}
	view.apply(roomUpdates(a1, "public:lobby")[1:])
	if !slices.Equal(view.ids(), []int64{1}) || view.version != 3 {
		t.Fatalf("alice's view %v at v%d", view.ids(), view.version)
	}
	if got := roomUpdates(a2, "public:lobby"); len(got) != 1 { // bob's join, before it left
		t.Fatalf("a tab that left the room got %v", got)
	}
	rp, err := h.sys.RoomPresence(context.Background(), "public:lobby")
	if err != nil || rp.Version != 3 || rp.Count != 1 || len(rp.Users) != 1 || rp.Users[0].Username != "alice" {
		t.Fatalf("RoomPresence = %+v, %v", rp, err)
	}
	// The last member leaves: the room's actor stops.
	a1.Close(closereason.ClientClosed)
	eventually(t, "the room actor stopped", 3*time.Second, func() bool { return h.sys.KindStats(KindRoom).Live.Load() == 0 })
	if rp, err := h.sys.RoomPresence(context.Background(), "public:lobby"); err != nil || rp.Count != 0 || rp.Users == nil {
		t.Fatalf("an empty room: %+v, %v", rp, err)
	}
	if n := h.sys.Stats().RoomMembers.Load(); n != 0 {
		t.Fatalf("room members gauge %d", n)
	}
}

func TestRoomLogoutLeavesAtOnce(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.OfflineGrace = 2 * time.Second })
	ua, ta := h.user(1, "alice")
	_, tb := h.user(2, "bob")
	a, b := h.open(ta), h.open(tb)
	room := map[string]any{"room": "public:x"}
	a.join(t, 1, room)
	view := newRoomView(t, b.join(t, 2, room))
	h.ver.revoke(ta)
	h.sys.TokenRevoked(ua.ID, "jti-"+ta, time.Now().Add(time.Hour))
	eventually(t, "bob sees alice leave at once", time.Second, func() bool { return len(roomUpdates(b, "public:x")) == 1 })
	view.apply(roomUpdates(b, "public:x"))
	if !slices.Equal(view.ids(), []int64{2}) {
		t.Fatalf("bob's view %v", view.ids())
	}
	// The logged-out socket is anonymous: refused, and gets nothing more.
	a.emitEvent(EventRoomJoin, room, 3)
	if got := a.answer(t, 3); got["code"] != CodeUnauthorized {
		t.Fatalf("join after logout: %v", got)
	}
}

func TestRoomTokensAndBadInput(t *testing.T) {
	rooms := fakeRoomVerifier{}
	h := newHarness(t, func(c *Config) {
		c.RoomVerifier, c.MaxRoomsPerSocket = rooms, 2
		c.PresenceEventRate, c.PresenceEventBurst = 1, 30
	})
	_, ta := h.user(1, "alice")
	_, tb := h.user(2, "bob")
	exp := time.Now().Add(time.Hour)
	rooms["alice-team"] = RoomGrant{UserID: 1, Room: "team:1", ExpiresAt: exp}
	rooms["alice-other"] = RoomGrant{UserID: 1, Room: "team:2", ExpiresAt: exp}
	rooms["bob-team"] = RoomGrant{UserID: 2, Room: "team:1", ExpiresAt: exp}
	rooms["alice-expired"] = RoomGrant{UserID: 1, Room: "team:1", ExpiresAt: time.Now().Add(-time.Second)}
	a, b, anon := h.open(ta), h.open(tb), h.open("")
	bobsView := newRoomView(t, b.join(t, 1, map[string]any{"room": "team:1", "token": "bob-team"}))

	cases := []struct {
		name  string
		sock  *probe
		event string
		args  string
		code  string
	}{
		{"anonymous join", anon, EventRoomJoin, `{"room":"public:x"}`, CodeUnauthorized},
		{"anonymous watch", anon, EventWatch, `{"users":[1]}`, CodeUnauthorized},
		{"anonymous unwatch", anon, EventUnwatch, `{}`, CodeUnauthorized},
		{"anonymous leave", anon, EventRoomLeave, `{"room":"public:x"}`, CodeUnauthorized},
		{"malformed room", a, EventRoomJoin, `{"room":"a b"}`, CodeBadRequest},
		{"room not a string", a, EventRoomJoin, `{"room":7}`, CodeBadRequest},
		{"no payload", a, EventRoomJoin, ``, CodeBadRequest},
		{"bad mode", a, EventRoomJoin, `{"room":"public:x","mode":"all"}`, CodeBadRequest},
		{"no room token", a, EventRoomJoin, `{"room":"team:1"}`, CodeForbidden},
		{"forged room token", a, EventRoomJoin, `{"room":"team:1","token":"forged"}`, CodeForbidden},
		{"a token for another room", a, EventRoomJoin, `{"room":"team:1","token":"alice-other"}`, CodeForbidden},
		{"a token for another user", a, EventRoomJoin, `{"room":"team:1","token":"bob-team"}`, CodeForbidden},
		{"an expired token", a, EventRoomJoin, `{"room":"team:1","token":"alice-expired"}`, CodeForbidden},
		{"watch of non-numbers", a, EventWatch, `{"users":["2"]}`, CodeBadRequest},
		{"watch of 10,000 ids", a, EventWatch, `{"users":[` + idList(10_000) + `]}`, CodeTooManyWatched},
		{"leave of a malformed room", a, EventRoomLeave, `{"room":""}`, CodeBadRequest},
	}
	for i, tc := range cases {
		id := int64(100 + i)
		var args []json.RawMessage
		if tc.args != "" {
			args = []json.RawMessage{json.RawMessage(tc.args)}
		}
		tc.sock.conn.Event(tc.event, args, id)
		if got := tc.sock.answer(t, id); got["ok"] != false || got["code"] != tc.code || got["message"] == "" {
			t.Errorf("%s: %v, want %s", tc.name, got, tc.code)
		}
	}
	// Beyond -max-rooms-per-socket (2 here); the rooms it is in may be joined again.
	for i, room := range []string{"public:a", "public:b", "public:c", "public:a"} {
		got := a.join(t, int64(200+i), map[string]any{"room": room})
		if want := i != 2; (got["ok"] == true) != want || (!want && got["code"] != CodeTooManyRooms) {
			t.Fatalf("join %s: %v", room, got)
		}
	}
	// Nothing else changed: bob's room never moved, no socket closed, no error events.
	time.Sleep(50 * time.Millisecond)
	if len(roomUpdates(b, "team:1")) != 0 || bobsView.version != 1 {
		t.Fatalf("bob's room changed: %v", roomUpdates(b, "team:1"))
	}
	for _, p := range []*probe{a, b, anon} {
		if p.closedReason() != "" || len(p.named(EventError)) != 0 {
			t.Fatalf("a refusal closed a socket (%q) or sent an error event (%v)", p.closedReason(), p.named(EventError))
		}
	}
	// With its token, alice joins; bob sees her.
	if got := a.join(t, 300, map[string]any{"room": "team:2", "token": "alice-other"}); got["code"] != CodeTooManyRooms {
		t.Fatalf("a third room: %v", got)
	}
	a.emitEvent(EventRoomLeave, map[string]any{"room": "public:b"}, 301)
	a.answer(t, 301)
	if got := a.join(t, 302, map[string]any{"room": "team:1", "token": "alice-team"}); got["ok"] != true || num(got["count"]) != 2 {
		t.Fatalf("join with a room token: %v", got)
	}
	eventually(t, "bob sees alice", time.Second, func() bool { return len(roomUpdates(b, "team:1")) == 1 })
	// A flood: the bucket (burst 30, 1/s) runs dry; the refused events are acked.
	limited := 0
	for i := 0; i < 40; i++ {
		a.emitEvent(EventRoomLeave, map[string]any{"room": "public:zzz"}, int64(400+i))
	}
	for i := 0; i < 40; i++ {
		if a.answer(t, int64(400+i))["code"] == CodeRateLimited {
			limited++
		}
	}
	if limited < 10 || h.sys.Stats().Refused(CodeRateLimited) != uint64(limited) {
		t.Fatalf("%d of 40 limited; counted %d", limited, h.sys.Stats().Refused(CodeRateLimited))
	}
	if h.sys.Stats().Refused(CodeForbidden) != 5 || h.sys.Stats().Refused(CodeUnauthorized) != 4 {
		t.Fatalf("refusals: forbidden %d unauthorized %d", h.sys.Stats().Refused(CodeForbidden), h.sys.Stats().Refused(CodeUnauthorized))
	}
}

func idList(n int) string {
	b := make([]byte, 0, 6*n)
	for i := 1; i <= n; i++ {
		if i > 1 {
			b = append(b, ',')
		}
		b = fmt.Append(b, i)
	}
	return string(b)
}

func TestRoomCountModeAboveListMax(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RoomListMax = 2 })
	var socks []*probe
	var views []*roomView
	for i := int64(1); i <= 3; i++ {
		_, tok := h.user(i, fmt.Sprint("u", i))
		p := h.open(tok)
		socks = append(socks, p)
		views = append(views, newRoomView(t, p.join(t, 1, map[string]any{"room": "public:big"})))
	}
	if views[2].mode != modeCount || views[0].mode != modeList {
		t.Fatalf("modes %s %s", views[0].mode, views[2].mode)
	}
	// The first two were told of the switch: a count update.
	eventually(t, "the switch to count mode", 2*time.Second, func() bool {
		u := roomUpdates(socks[0], "public:big")
		return len(u) > 0 && u[len(u)-1]["mode"] == modeCount && num(u[len(u)-1]["count"]) == 3
	})
	// One leaves: back to list mode, the whole list.
	socks[2].Close(closereason.ClientClosed)
	eventually(t, "the whole list again", 3*time.Second, func() bool {
		u := roomUpdates(socks[0], "public:big")
		return len(u) > 0 && u[len(u)-1]["mode"] == modeList && u[len(u)-1]["users"] != nil
	})
	for i := 0; i < 2; i++ {
		views[i].apply(roomUpdates(socks[i], "public:big"))
		if !slices.Equal(views[i].ids(), []int64{1, 2}) || views[i].mode != modeList {
			t.Fatalf("member %d: %v in mode %s", i, views[i].ids(), views[i].mode)
		}
	}
	// In count mode no update ever carried a list.
	for _, u := range roomUpdates(socks[0], "public:big") {
		if u["mode"] == modeCount && (u["users"] != nil || u["joined"] != nil) {
			t.Fatalf("a count update with a list: %v", u)
		}
	}
}

func TestWatchlist(t *testing.T) {
	// The harness sweeps every 40 ms and closes a socket silent for 200 ms; these
	// probes never pong, and under -race the 1,000-id watches below take longer than
	// that, so the sweep would close alice for "no pong" mid-test. Nothing here is
	// about the sweep: keep it out of the way.
	h := newHarness(t, func(c *Config) { c.PingInterval, c.PongTimeout = time.Hour, time.Hour })
	_, ta := h.user(1, "alice")
	_, tb := h.user(2, "bob")
	seen := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h.dir[2] = User{ID: 2, Username: "bob", LastSeen: &seen}
	a := h.open(ta)
	eventually(t, "alice online", time.Second, func() bool { return h.sys.Online().IsOnline(1) })
	a.emitEvent(EventWatch, map[string]any{"users": []int64{2, 1, 999}}, 1)
	ack := a.answer(t, 1)
	users := ack["users"].([]any)
	if ack["ok"] != true || len(users) != 2 {
		t.Fatalf("watch ack %v", ack)
	}
	bob, alice := users[0].(map[string]any), users[1].(map[string]any)
	if bob["id"] != float64(2) || bob["online"] != false || bob["status"] != StatusOffline || bob["last_seen"] != "2026-01-02T03:04:05Z" ||
		alice["online"] != true || alice["status"] != StatusOnline {
		t.Fatalf("watch ack %v", ack)
	}
	// Watching makes nobody visible: alice's watch did not bring bob (or anyone) online.
	if h.sys.Online().IsOnline(2) {
		t.Fatal("a watch put someone online")
	}
	b := h.open(tb)
	eventually(t, "a watch update for bob", time.Second, func() bool { return len(a.named(EventWatchUpdate)) == 1 })
	up := a.named(EventWatchUpdate)[0]["users"].([]any)[0].(map[string]any)
	if up["id"] != float64(2) || up["online"] != true || up["status"] != StatusOnline {
		t.Fatalf("watch update %v", up)
	}
	b.Close(closereason.ClientClosed)
	eventually(t, "bob offline for alice", 2*time.Second, func() bool { return len(a.named(EventWatchUpdate)) == 2 })
	off := a.named(EventWatchUpdate)[1]["users"].([]any)[0].(map[string]any)
	if off["online"] != false || off["last_seen"] == nil {
		t.Fatalf("offline update %v", off)
	}
	// The limit counts known users across requests; nothing is added beyond it.
	for i := int64(10); i < 1010; i++ {
		h.dir[i] = User{ID: i}
	}
	a.emitEvent(EventWatch, map[string]any{"users": seq(10, 1008)}, 2)
	if got := a.answer(t, 2); got["ok"] != true {
		t.Fatalf("watch to the limit: %v", got["code"])
	}
	a.emitEvent(EventWatch, map[string]any{"users": []int64{1008}}, 3)
	if got := a.answer(t, 3); got["code"] != CodeTooManyWatched {
		t.Fatalf("past the limit: %v", got)
	}
	a.emitEvent(EventUnwatch, map[string]any{"users": []int64{2}}, 4)
	a.answer(t, 4)
	a.emitEvent(EventWatch, map[string]any{"users": []int64{1008}}, 5)
	if got := a.answer(t, 5); got["ok"] != true {
		t.Fatalf("after an unwatch: %v", got)
	}
	eventually(t, "watches held", time.Second, func() bool { return h.sys.Stats().Watches.Load() == 1000 })
	a.emitEvent(EventUnwatch, map[string]any{}, 6)
	a.answer(t, 6)
	b2 := h.open(tb)
	eventually(t, "bob online", time.Second, func() bool { return h.sys.Online().IsOnline(2) })
	time.Sleep(50 * time.Millisecond)
	if n := len(a.named(EventWatchUpdate)); n != 2 {
		t.Fatalf("%d watch updates after unwatching all", n)
	}
	eventually(t, "no watches held", time.Second, func() bool { return h.sys.Stats().Watches.Load() == 0 })
	_ = b2
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestGlobalPresenceModes(t *testing.T) {
	for _, mode := range []GlobalPresence{GlobalCount, GlobalOff} {
		t.Run(string(mode), func(t *testing.T) {
			h := newHarness(t, func(c *Config) { c.GlobalPresence = mode })
			_, ta := h.user(1, "alice")
			_, tb := h.user(2, "bob")
			a := h.open(ta)
			eventually(t, "alice online", time.Second, func() bool { return h.sys.Online().IsOnline(1) })
			h.open(tb)
			eventually(t, "bob online", time.Second, func() bool { return h.sys.Online().Version == 2 })
			time.Sleep(50 * time.Millisecond)
			ups := a.named(EventUpdateUserOnline)
			if mode == GlobalOff {
				if len(ups) != 0 {
					t.Fatalf("off: %v", ups)
				}
				return
			}
			if len(ups) != 2 {
				t.Fatalf("count: %d updates", len(ups))
			}
			for i, u := range ups {
				if len(u) != 2 || num(u["version"]) != int64(i+1) || num(u["count"]) != int64(i+1) {
					t.Fatalf("count: update %d = %v", i, u)
				}
			}
		})
	}
}

// TestRoomActorPanicKeepsMembers: a room actor restarted after a failure still knows
// who is in the room.
func TestRoomActorPanicKeepsMembers(t *testing.T) {
	var mu sync.Mutex
	var roomPID *actor.PID
	panicking := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			mu.Lock()
			roomPID = c.Self()
			mu.Unlock()
			if _, ok := env.Message.(*crash); ok {
				panic("boom")
			}
			next(c, env)
		}
	}
	h := newHarness(t, func(c *Config) { c.roomMiddleware = []actor.ReceiverMiddleware{panicking} })
	_, ta := h.user(1, "alice")
	_, tb := h.user(2, "bob")
	a, b := h.open(ta), h.open(tb)
	a.join(t, 1, map[string]any{"room": "public:r"})
	view := newRoomView(t, b.join(t, 2, map[string]any{"room": "public:r"}))
	mu.Lock()
	pid := roomPID
	mu.Unlock()
	h.sys.root.Send(pid, &crash{})
	eventually(t, "the restart", time.Second, func() bool { return h.sys.KindStats(KindRoom).Restarts.Load() == 1 })
	a.Close(closereason.ClientClosed)
	eventually(t, "bob sees alice leave", 2*time.Second, func() bool { return len(roomUpdates(b, "public:r")) == 1 })
	view.apply(roomUpdates(b, "public:r"))
	if !slices.Equal(view.ids(), []int64{2}) {
		t.Fatalf("bob's view %v", view.ids())
	}
}

// fakeCluster records what room actors tell the RoomCluster seam.
type fakeCluster struct {
	mu       sync.Mutex
	attached map[string]int
	changes  []string
}

func (f *fakeCluster) Attach(room string) bool {
	f.mu.Lock()
	f.attached[room]++
	f.mu.Unlock()
	return false
}

func (f *fakeCluster) Detach(room string) {
	f.mu.Lock()
	f.attached[room]--
	f.mu.Unlock()
}

func (f *fakeCluster) LocalChanged(room string, u User, present bool, _ time.Time) {
	f.mu.Lock()
	f.changes = append(f.changes, fmt.Sprintf("%s %d %v", room, u.ID, present))
	f.mu.Unlock()
}

func (f *fakeCluster) snapshot() (map[string]int, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.attached), slices.Clone(f.changes)
}

// TestRoomClusterSeam: room actors tell the seam of local interest and of this node's
// transitions, and take the cluster's members (through the rooms supervisor) as members.
func TestRoomClusterSeam(t *testing.T) {
	cl := &fakeCluster{attached: map[string]int{}}
	h := newHarness(t, func(c *Config) { c.RoomCluster = cl })
	_, ta := h.user(1, "alice")
	a := h.open(ta)
	view := newRoomView(t, a.join(t, 1, map[string]any{"room": "public:r"}))
	h.sys.root.Send(h.sys.rooms, &RemoteRoomChanged{Room: "public:r", User: User{ID: 7, Username: "remote"}, Present: true, Version: 1})
	eventually(t, "alice sees the remote member", time.Second, func() bool { return len(roomUpdates(a, "public:r")) == 1 })
	view.apply(roomUpdates(a, "public:r"))
	if !slices.Equal(view.ids(), []int64{1, 7}) {
		t.Fatalf("view %v", view.ids())
	}
	a.Close(closereason.ClientClosed)
	eventually(t, "detached", 2*time.Second, func() bool { at, _ := cl.snapshot(); return at["public:r"] == 0 })
	at, changes := cl.snapshot()
	if !slices.Equal(changes, []string{"public:r 1 true", "public:r 1 false"}) || len(at) != 1 {
		t.Fatalf("seam told %v, attached %v", changes, at)
	}
}
