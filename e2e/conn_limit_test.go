package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestConnLimitOneNode runs -max-conns-per-user at its default (20) on one node with
// the real socket.io-client (issue: trust).
func TestConnLimitOneNode(t *testing.T) {
	const ping = 300 * time.Millisecond
	s := startServer(t, "-ping-interval", ping.String(), "-offline-grace", "200ms")
	users := map[string]map[string]any{}
	for _, name := range []string{"alice", "bob"} {
		a := s.register(name)
		users[name] = map[string]any{"id": a.ID, "token": a.Token, "username": a.Username}
	}
	b, _ := json.Marshal(users)
	answer := func(what string) string {
		if what == "metric" {
			return fmt.Sprint(s.metric(`presenced_binds_total{result="too_many_connections"}`))
		}
		return "unknown"
	}
	out := runScript(t, 2*time.Minute, "conn_limit.js", answer,
		"URL="+s.URL, "USERS="+string(b), "LIMIT=20", "PING_MS="+ms(ping))
	t.Log(out)
}

var nodeID = regexp.MustCompile(`presenced listening.* node=(\S+)`)

// TestConnLimitAcrossNodes runs -max-conns-per-user over three real nodes sharing a
// private Redis, then checks that Redis keeps nothing of the limit once the nodes are
// gone (one killed, two stopped).
func TestConnLimitAcrossNodes(t *testing.T) {
	redis := startRedis(t)
	db := postgresDB(t)
	prefix := "e2e-" + randomHex(3) + ":"
	flags := []string{"-redis", "redis://" + redis.Addr() + "/0", "-redis-prefix", prefix, "-redis-channel", prefix + "notifications",
		"-db", db, "-jwt-secret", "e2e-secret-e2e-secret-e2e-secret-e2e",
		"-ping-interval", "500ms", "-offline-grace", "200ms", "-max-conns-per-user", "6"}
	nodes := []*server{startServer(t, flags...), startServer(t, flags...), startServer(t, flags...)}
	names := map[string]string{} // node id → n1, n2, n3
	for i, n := range nodes {
		m := nodeID.FindStringSubmatch(n.logs.String())
		if m == nil {
			t.Fatalf("no node id in the log of node %d", i+1)
		}
		names[m[1]] = fmt.Sprintf("n%d", i+1)
	}
	users := map[string]map[string]any{}
	for _, name := range []string{"alice", "bob"} {
		a := nodes[0].register(name)
		users[name] = map[string]any{"id": a.ID, "token": a.Token}
	}
	rc := redis.Client()
	defer rc.Close()
	countsOf := func(id int64) (map[string]int, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m, err := rc.Do(ctx, rc.B().Hgetall().Key(fmt.Sprintf("%ssockets:%d", prefix, id)).Build()).AsStrMap()
		if err != nil {
			return nil, err
		}
		out := map[string]int{}
		for node, v := range m {
			n, _ := strconv.Atoi(v)
			name := names[node]
			if name == "" {
				name = node
			}
			out[name] = n
		}
		return out, nil
	}
	answer := func(what string) string {
		switch {
		case what == "kill-n3":
			_ = nodes[2].cmd.Process.Kill()
			return "ok"
		case strings.HasPrefix(what, "counts-"):
			u := users[strings.TrimPrefix(what, "counts-")]
			got, err := countsOf(u["id"].(int64))
			if err != nil {
				return `{"error": 1}`
			}
			b, _ := json.Marshal(got)
			return string(b)
		}
		return "unknown"
	}
	nodesJSON, _ := json.Marshal([]string{nodes[0].URL, nodes[1].URL, nodes[2].URL})
	usersJSON, _ := json.Marshal(users)
	out := runScript(t, 3*time.Minute, "conn_limit_redis.js", answer,
		"NODES="+string(nodesJSON), "USERS="+string(usersJSON), "LIMIT=6")
	t.Log(out)

	for _, n := range nodes[:2] {
		if err := n.stop(syscall.SIGTERM); err != nil {
			t.Fatalf("node exit: %v\n%s", err, n.logs)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The killed node's keys went with its lease; the others' with their goodbye.
	for _, pattern := range []string{prefix + "sockets:*", prefix + "node:*"} {
		keys, err := rc.Do(ctx, rc.B().Keys().Pattern(pattern).Build()).AsStrSlice()
		if err != nil || len(keys) != 0 {
			t.Fatalf("left in Redis after the nodes stopped: %v %v", keys, err)
		}
	}
}
