package e2e

import (
	"encoding/json"
	"testing"
	"time"
)

// TestLoginCreditEndsAtBind runs the presence rule "from an HTTP login until a socket
// binds with that login's token" against the real binary, with a ping interval long
// enough that the credit of two sweeps (10 s) would outlive a closed tab by far.
func TestLoginCreditEndsAtBind(t *testing.T) {
	const ping, grace = 5 * time.Second, 500 * time.Millisecond
	s := startServer(t, "-ping-interval", ping.String(), "-offline-grace", grace.String())
	users := map[string]map[string]any{}
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		a := s.register(name)
		users[name] = map[string]any{"id": a.ID, "token": a.Token, "username": a.Username}
	}
	b, _ := json.Marshal(users)
	out := node(t, 90*time.Second, "login_credit.js",
		"URL="+s.URL, "USERS="+string(b), "GRACE_MS="+ms(grace), "PING_MS="+ms(ping))
	t.Log(out)
}

// TestLoginCreditEndsAtBindAcrossNodes: the same with the HTTP logins on one node and
// every socket on another, over a private Redis: the login's node ends its credit
// when the other node says a socket bound with that login's token.
func TestLoginCreditEndsAtBindAcrossNodes(t *testing.T) {
	const ping, grace = 5 * time.Second, 500 * time.Millisecond
	redis := startRedis(t)
	db := postgresDB(t)
	prefix := "e2e-" + randomHex(3) + ":"
	flags := []string{"-redis", "redis://" + redis.Addr() + "/0", "-redis-prefix", prefix, "-redis-channel", prefix + "notifications",
		"-db", db, "-jwt-secret", "e2e-secret-e2e-secret-e2e-secret-e2e",
		"-ping-interval", ping.String(), "-offline-grace", grace.String()}
	login, sockets := startServer(t, flags...), startServer(t, flags...)
	users := map[string]map[string]any{}
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		a := login.register(name)
		users[name] = map[string]any{"id": a.ID, "token": a.Token, "username": a.Username}
	}
	b, _ := json.Marshal(users)
	out := node(t, 90*time.Second, "login_credit.js",
		"URL="+sockets.URL, "LOGIN_URL="+login.URL, "USERS="+string(b), "GRACE_MS="+ms(grace), "PING_MS="+ms(ping))
	t.Log(out)
}
