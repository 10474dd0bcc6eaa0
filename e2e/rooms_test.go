package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// roomsSecret is the -jwt-secret of the rooms tests: the script signs room tokens with
// it, as an application's backend would.
const roomsSecret = "e2e-rooms-secret-e2e-rooms-secret!"

// TestRoomsAndWatchlists runs the contract's "Rooms and watchlists" with the real
// socket.io-client against the real binary (issue: scoped presence): tabs of several
// users in public and token rooms, list and count modes, the switch to count mode above
// -room-list-max and back, the grace, watchlists, every bad input of the issue, and
// the HTTP endpoints.
func TestRoomsAndWatchlists(t *testing.T) {
	const ping, grace, listMax, maxRooms = 300 * time.Millisecond, 600 * time.Millisecond, 5, 4
	db := "sqlite://" + filepath.Join(t.TempDir(), "rooms.db")
	s := startServer(t, "-db", db, "-jwt-secret", roomsSecret, "-ping-interval", ping.String(), "-offline-grace", grace.String(),
		"-room-list-max", fmt.Sprint(listMax), "-max-rooms-per-socket", fmt.Sprint(maxRooms))
	users := roomUsers(t, s, "alice", "bob", "carol", "dave", "erin", "frank", "gina", "hank")
	staff, _ := json.Marshal(superuser(t, s, "-db", db))
	time.Sleep(2*ping + 200*time.Millisecond) // registrations' login credit runs out
	answer := func(what string) string {
		if code, ok := strings.CutPrefix(what, "metric:"); ok {
			return fmt.Sprint(s.metric(`presenced_presence_refusals_total{code="` + code + `"}`))
		}
		return "unknown"
	}
	out := runScript(t, 2*time.Minute, "rooms.js", answer, "URL="+s.URL, "USERS="+users, "STAFF="+string(staff),
		"SECRET="+roomsSecret, "GRACE_MS="+ms(grace), "LIST_MAX="+fmt.Sprint(listMax), "MAX_ROOMS="+fmt.Sprint(maxRooms), "SCENARIO=main")
	t.Log(out)
	for _, m := range []string{"presenced_rooms", "presenced_room_members", "presenced_watches"} {
		s.metric(m) // present
	}
	if n := s.metric("presenced_room_update_deliveries_total"); n == 0 {
		t.Fatal("no room update counted")
	}
}

// TestGlobalPresenceModes: with -global-presence count, update_user_online carries
// {version, count} only (the first one after binding too); with off it is not sent;
// rooms and watchlists work alike.
func TestGlobalPresenceModes(t *testing.T) {
	for _, mode := range []string{"count", "off"} {
		t.Run(mode, func(t *testing.T) {
			s := startServer(t, "-jwt-secret", roomsSecret, "-ping-interval", "300ms", "-offline-grace", "300ms", "-global-presence", mode)
			users := roomUsers(t, s, "alice", "bob")
			out := runScript(t, time.Minute, "rooms.js", func(string) string { return "unknown" },
				"URL="+s.URL, "USERS="+users, "SECRET="+roomsSecret, "GRACE_MS=300", "SCENARIO=global-"+mode)
			t.Log(out)
		})
	}
}

func roomUsers(t *testing.T, s *server, names ...string) string {
	t.Helper()
	users := map[string]map[string]any{}
	for _, name := range names {
		a := s.register(name)
		users[name] = map[string]any{"id": a.ID, "token": a.Token}
	}
	b, _ := json.Marshal(users)
	return string(b)
}

// TestRoomsAcrossThreeNodes runs rooms and watchlists on three real nodes over one
// private Redis and one PostgreSQL database, with the real socket.io-client: the
// cluster's members in every ack and update, one member for tabs on two nodes, the
// HTTP read on a node with no socket in the room, room channels subscribed only where
// sockets are in the room, watch answers across nodes, and a node killed without a
// goodbye whose memberships go with its lease.
func TestRoomsAcrossThreeNodes(t *testing.T) {
	const grace = 500 * time.Millisecond
	redis := startRedis(t)
	db := postgresDB(t)
	prefix := "e2e-rooms-" + randomHex(3) + ":"
	flags := []string{"-redis", "redis://" + redis.Addr() + "/0", "-redis-prefix", prefix, "-redis-channel", prefix + "notifications",
		"-db", db, "-jwt-secret", roomsSecret, "-ping-interval", "300ms", "-pong-timeout", "1500ms", "-offline-grace", grace.String()}
	nodes := []*server{startServer(t, flags...), startServer(t, flags...), startServer(t, flags...)}
	users := roomUsers(t, nodes[0], "alice", "bob", "carol", "dave", "erin", "frank")
	time.Sleep(800 * time.Millisecond) // registrations' login credit runs out
	nodesJSON, _ := json.Marshal([]string{nodes[0].URL, nodes[1].URL, nodes[2].URL})
	rc := redis.Client()
	answer := func(what string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		switch what {
		case "channels":
			var n []string
			for _, s := range nodes {
				n = append(n, fmt.Sprint(s.metric("presenced_room_channels")))
			}
			return strings.Join(n, ",")
		case "kill-n3":
			_ = nodes[2].cmd.Process.Kill()
			return "ok"
		case "room-events":
			return checkRoomStream(ctx, rc, prefix+"events")
		}
		return "unknown"
	}
	out := runScript(t, 2*time.Minute, "rooms.js", answer, "NODES="+string(nodesJSON), "URL="+nodes[0].URL, "USERS="+users,
		"SECRET="+roomsSecret, "GRACE_MS="+ms(grace), "SCENARIO=nodes")
	t.Log(out)

	// Graceful shutdown of the two others leaves no membership in Redis.
	for _, n := range nodes[:2] {
		if err := n.stop(syscall.SIGTERM); err != nil {
			t.Fatalf("node exit: %v\n%s", err, n.logs)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, pattern := range []string{prefix + "room:*:nodes", prefix + "room:*:users", prefix + "node:*"} {
		keys, err := rc.Do(ctx, rc.B().Keys().Pattern(pattern).Build()).AsStrSlice()
		if err != nil || len(keys) != 0 {
			t.Fatalf("left in Redis after every node stopped: %v %v", keys, err)
		}
	}
}

// checkRoomStream verifies the room entries of the durable log: each with its room,
// user and the room's version, consecutive from 1 per room, and carol's join and leave
// of the lobby (the leave made by the reaper of her node's lease).
func checkRoomStream(ctx context.Context, rc rueidis.Client, key string) string {
	entries, err := rc.Do(ctx, rc.B().Xrange().Key(key).Start("-").End("+").Build()).AsXRange()
	if err != nil {
		return err.Error()
	}
	last := map[string]int{}
	var seen []string
	for _, e := range entries {
		kind := e.FieldValues["type"]
		if kind != "room_join" && kind != "room_leave" {
			continue
		}
		room := e.FieldValues["room"]
		v, _ := strconv.Atoi(e.FieldValues["version"])
		if room == "" || e.FieldValues["user_id"] == "" || v != last[room]+1 {
			return fmt.Sprintf("entry %v after version %d of its room", e.FieldValues, last[room])
		}
		last[room] = v
		seen = append(seen, kind+":"+room+":"+e.FieldValues["username"])
	}
	got := strings.Join(seen, ",")
	for _, want := range []string{"room_join:public:lobby:carol", "room_leave:public:lobby:carol", "room_join:team:red:bob",
		"room_join:public:lobby:dave", "room_leave:public:lobby:dave"} {
		if !strings.Contains(got, want) {
			return "stream lacks " + want + ": " + got
		}
	}
	return "ok"
}
