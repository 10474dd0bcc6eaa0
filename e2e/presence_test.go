package e2e

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// TestPresenceRules runs the contract's presence rules with the real socket.io-client
// against the real binary (issue: presence on protoactor-go, "done when").
func TestPresenceRules(t *testing.T) {
	const ping, pongTimeout, grace = 300 * time.Millisecond, 1500 * time.Millisecond, 600 * time.Millisecond
	s := startServer(t, "-ping-interval", ping.String(), "-pong-timeout", pongTimeout.String(), "-offline-grace", grace.String())
	users := map[string]map[string]any{}
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin"} {
		a := s.register(name)
		users[name] = map[string]any{"id": a.ID, "token": a.Token}
	}
	// Registration counted as a login: let that credit run out so that the script sees
	// the socket rules alone.
	time.Sleep(2*ping + 200*time.Millisecond)
	b, _ := json.Marshal(users)
	out := node(t, 90*time.Second, "presence.js",
		"URL="+s.URL, "USERS="+string(b),
		"GRACE_MS="+ms(grace), "PONG_TIMEOUT_MS="+ms(pongTimeout), "PING_MS="+ms(ping))
	t.Log(out)
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
