package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/ws"
)

// fakeScoped is a small stand-in for the server side of the contract's
// "Rooms and watchlists", on presenced's own Socket.IO stack (package ws).
// It exists to test the load generator's bookkeeping — requests, acks,
// notifications timed against their changes, traffic by kind, count-mode
// frames, failure reports — before the real server has the events. It
// shows nothing about presenced: no coalescing, no grace, one lock.
type fakeScoped struct {
	mu       sync.Mutex
	rooms    map[string]map[*fakeSession]string // room → member → mode
	watchers map[int64]map[*fakeSession]bool    // watched user → watchers
	online   map[int64]int                      // user → bound sessions
	dirty    map[string]bool                    // rooms whose count changed since the last tick
	version  int64

	unknown bool   // answer every scoped event as main does: bad_request, "unknown event"
	refuse  string // refuse joins of this room with "forbidden"
	stop    chan struct{}
}

type fakeSession struct {
	f     *fakeScoped
	c     *ws.Conn
	user  int64
	rooms map[string]bool
	watch map[int64]bool
}

// startFakeScoped serves the fake on 127.0.0.1:0 and returns its URL.
func startFakeScoped(t *testing.T, configure func(*fakeScoped)) string {
	t.Helper()
	f := &fakeScoped{rooms: map[string]map[*fakeSession]string{}, watchers: map[int64]map[*fakeSession]bool{},
		online: map[int64]int{}, dirty: map[string]bool{}, stop: make(chan struct{})}
	if configure != nil {
		configure(f)
	}
	srv := ws.NewServer(ws.Config{PingInterval: time.Minute, Logger: slog.New(slog.DiscardHandler)}, f)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	srv.Mount(app, "/socket.io/")
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	go f.countTicker()
	t.Cleanup(func() {
		close(f.stop)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = app.ShutdownWithTimeout(5 * time.Second)
	})
	return "http://" + ln.Addr().String()
}

// fakeSeed writes a seed file of n users whose tokens the fake accepts.
func fakeSeed(t *testing.T, n int) string {
	t.Helper()
	s := &seedFile{URL: "fake"}
	for i := range n {
		id := int64(i + 1)
		s.Users = append(s.Users, seedUser{ID: id, Username: fmt.Sprintf("u%d", id), Token: fmt.Sprintf("tok-%d", id)})
	}
	path := t.TempDir() + "/seed.json"
	if err := writeSeed(path, s); err != nil {
		t.Fatal(err)
	}
	return path
}

func fakeUser(id int64) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"id":%d,"username":"u%d","is_online":true,"status":"online"}`, id, id))
}

func (f *fakeScoped) OnConnect(c *ws.Conn, auth json.RawMessage) (ws.Session, error) {
	var a struct{ Token string }
	_ = json.Unmarshal(auth, &a)
	id, err := strconv.ParseInt(strings.TrimPrefix(a.Token, "tok-"), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("invalid token")
	}
	s := &fakeSession{f: f, c: c, user: id, rooms: map[string]bool{}, watch: map[int64]bool{}}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.online[id]++
	if f.online[id] == 1 {
		f.watchUpdateLocked(id, true)
	}
	return s, nil
}

func (s *fakeSession) OnEvent(name string, args []json.RawMessage, ack int64) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	var arg struct {
		Room  string
		Mode  string
		Users []int64
	}
	if len(args) > 0 {
		_ = json.Unmarshal(args[0], &arg)
	}
	if f.unknown && strings.HasPrefix(name, "presence:") {
		s.c.Ack(ack, json.RawMessage(`{"ok":false,"code":"bad_request"}`))
		s.c.Emit("server-action:error", json.RawMessage(`{"code":"bad_request","message":"unknown event"}`))
		return
	}
	switch name {
	case "presence:join":
		if arg.Room == f.refuse {
			s.c.Ack(ack, json.RawMessage(`{"ok":false,"code":"forbidden","message":"no right to the room"}`))
			return
		}
		if arg.Mode == "" {
			arg.Mode = "list"
		}
		m := f.rooms[arg.Room]
		if m == nil {
			m = map[*fakeSession]string{}
			f.rooms[arg.Room] = m
		}
		m[s] = arg.Mode
		s.rooms[arg.Room] = true
		f.version++
		ans := map[string]any{"ok": true, "room": arg.Room, "mode": arg.Mode, "version": f.version, "count": len(m)}
		if arg.Mode == "list" {
			users := []json.RawMessage{}
			for o := range m {
				users = append(users, fakeUser(o.user))
			}
			ans["users"] = users
		}
		s.c.Ack(ack, mustMarshal(ans))
		f.roomUpdateLocked(arg.Room, s, map[string]any{"joined": []json.RawMessage{fakeUser(s.user)}, "left": []int64{}})
	case "presence:leave":
		s.leaveLocked(arg.Room)
		s.c.Ack(ack, json.RawMessage(`{"ok":true}`))
	case "presence:watch":
		var st []map[string]any
		for _, id := range arg.Users {
			s.watch[id] = true
			if f.watchers[id] == nil {
				f.watchers[id] = map[*fakeSession]bool{}
			}
			f.watchers[id][s] = true
			st = append(st, map[string]any{"id": id, "online": f.online[id] > 0, "status": "online", "last_seen": nil})
		}
		s.c.Ack(ack, mustMarshal(map[string]any{"ok": true, "users": st}))
	default:
		s.c.Ack(ack, json.RawMessage(`{"ok":true}`))
	}
}

func (s *fakeSession) OnClose(closereason.Reason) {
	f := s.f
	f.mu.Lock()
	defer f.mu.Unlock()
	for room := range s.rooms {
		s.leaveLocked(room)
	}
	for id := range s.watch {
		delete(f.watchers[id], s)
	}
	f.online[s.user]--
	if f.online[s.user] == 0 {
		f.watchUpdateLocked(s.user, false)
	}
}

func (s *fakeSession) leaveLocked(room string) {
	f := s.f
	if _, ok := f.rooms[room][s]; !ok {
		return
	}
	delete(f.rooms[room], s)
	delete(s.rooms, room)
	f.version++
	f.roomUpdateLocked(room, s, map[string]any{"joined": []json.RawMessage{}, "left": []int64{s.user}})
}

// roomUpdateLocked tells the room's list-mode members other than from of
// the change at once; count-mode members hear of it at the next tick.
func (f *fakeScoped) roomUpdateLocked(room string, from *fakeSession, diff map[string]any) {
	m := f.rooms[room]
	diff["room"], diff["mode"], diff["version"], diff["count"], diff["changed"] = room, "list", f.version, len(m), []json.RawMessage{}
	frame := mustMarshal(diff)
	for o, mode := range m {
		if o == from {
			continue
		}
		if mode == "count" {
			f.dirty[room] = true
			continue
		}
		o.c.Emit("presence:update", frame)
	}
}

func (f *fakeScoped) watchUpdateLocked(id int64, online bool) {
	frame := mustMarshal(map[string]any{"users": []map[string]any{{"id": id, "online": online, "status": map[bool]string{true: "online", false: "offline"}[online], "last_seen": nil}}})
	for w := range f.watchers[id] {
		w.c.Emit("presence:watch_update", frame)
	}
}

// countTicker sends each count-mode member of a changed room its count,
// once a second.
func (f *fakeScoped) countTicker() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		f.mu.Lock()
		for room := range f.dirty {
			m := f.rooms[room]
			frame := mustMarshal(map[string]any{"room": room, "mode": "count", "version": f.version, "count": len(m)})
			for o, mode := range m {
				if mode == "count" {
					o.c.Emit("presence:update", frame)
				}
			}
		}
		clear(f.dirty)
		f.mu.Unlock()
	}
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
