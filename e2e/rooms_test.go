package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
