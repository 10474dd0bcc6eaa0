package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/presenced/presenced/internal/testredis"
	"github.com/redis/rueidis"
)

// freePort is a loopback port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis is a private redis-server for the test (stopped and started by tests
// that take Redis away).
func startRedis(t *testing.T) *testredis.Server { return testredis.New(t) }

// postgresDB makes a database of the test's own and drops it afterwards.
func postgresDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv("PRESENCED_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL does not answer at %s (make test starts it): %v", base, err)
	}
	defer conn.Close(context.Background())
	name := "presenced_e2e_" + randomHex(4)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	return strings.Replace(base, "/postgres?", "/"+name+"?", 1)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestMultiNodeOverRedis runs three real nodes on one private Redis and one PostgreSQL
// database, driven by socket.io-client (the issue "Redis bridge and multi-node presence").
func TestMultiNodeOverRedis(t *testing.T) {
	const grace = 500 * time.Millisecond
	redis := startRedis(t)
	db := postgresDB(t)
	prefix := "e2e-" + randomHex(3) + ":"
	channel := "notifications-" + randomHex(3)
	flags := []string{"-redis", "redis://" + redis.Addr() + "/0", "-redis-prefix", prefix, "-redis-channel", channel,
		"-db", db, "-jwt-secret", "e2e-secret-e2e-secret-e2e-secret-e2e",
		"-ping-interval", "300ms", "-pong-timeout", "1500ms", "-offline-grace", grace.String()}
	nodes := []*server{startServer(t, flags...), startServer(t, flags...), startServer(t, flags...)}

	users := map[string]map[string]any{}
	for _, name := range []string{"alice", "bob", "carol", "dave", "erin"} {
		a := nodes[0].register(name)
		users[name] = map[string]any{"id": a.ID, "token": a.Token}
	}
	users["admin"] = superuser(t, nodes[0], "-db", db)
	time.Sleep(800 * time.Millisecond) // let the registrations' login credit (two sweeps) run out
	nodesJSON, _ := json.Marshal([]string{nodes[0].URL, nodes[1].URL, nodes[2].URL})
	usersJSON, _ := json.Marshal(users)

	rc := redis.Client()
	defer func() { rc.Close() }()
	answer := func(what string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		switch what {
		case "check-stream":
			return checkStream(ctx, rc, prefix+"events")
		case "publish":
			if err := rc.Do(ctx, rc.B().Publish().Channel(channel).Message(`{"task":"user_online"}`).Build()).Error(); err != nil {
				return err.Error()
			}
		case "kill-n3":
			_ = nodes[2].cmd.Process.Kill()
		case "redis-stop":
			rc.Close()
			redis.Stop()
		case "redis-start":
			redis.Start()
			rc = redis.Client()
		}
		return "ok"
	}
	out := runScript(t, 3*time.Minute, "redis.js", answer,
		"NODES="+string(nodesJSON), "USERS="+string(usersJSON), "GRACE_MS="+ms(grace))
	t.Log(out)

	// Graceful shutdown leaves nothing of the nodes in Redis.
	for _, n := range nodes[:2] {
		if err := n.stop(syscall.SIGTERM); err != nil {
			t.Fatalf("node exit: %v\n%s", err, n.logs)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// node 3 was killed; its lease may still be running after the Redis restart
	// (it never renewed it there, so it is absent) — in any case no users remain.
	keys, err := rc.Do(ctx, rc.B().Keys().Pattern(prefix+"node:*").Build()).AsStrSlice()
	if err != nil || len(keys) != 0 {
		t.Fatalf("node keys left in Redis after shutdown: %v %v", keys, err)
	}
	if n, err := rc.Do(ctx, rc.B().Hlen().Key(prefix+"counts").Build()).AsInt64(); err != nil || n != 0 {
		t.Fatalf("users left online in Redis after every node stopped: %d %v", n, err)
	}
	if n, err := rc.Do(ctx, rc.B().Zcard().Key(prefix+"nodes").Build()).AsInt64(); err != nil || n != 0 {
		t.Fatalf("node leases left: %d %v", n, err)
	}
}

// checkStream verifies the durable log: consecutive versions from 1, every entry a
// join or a leave, joins of the four users who came online and dave's leave.
func checkStream(ctx context.Context, rc rueidis.Client, key string) string {
	entries, err := rc.Do(ctx, rc.B().Xrange().Key(key).Start("-").End("+").Build()).AsXRange()
	if err != nil {
		return err.Error()
	}
	var kinds []string
	for i, e := range entries {
		v, _ := strconv.Atoi(e.FieldValues["version"])
		if v != i+1 {
			return fmt.Sprintf("entry %d has version %d", i, v)
		}
		kinds = append(kinds, e.FieldValues["type"]+":"+e.FieldValues["username"])
	}
	got := strings.Join(kinds, ",")
	for _, want := range []string{"join:alice", "join:bob", "join:carol", "join:dave", "leave:dave"} {
		if !strings.Contains(got, want) {
			return "stream lacks " + want + ": " + got
		}
	}
	if strings.Index(got, "join:dave") > strings.Index(got, "leave:dave") {
		return "dave's leave precedes his join: " + got
	}
	return "ok"
}

// superuser makes a staff account with `presenced createsuperuser` and logs it in.
func superuser(t *testing.T, s *server, dbFlags ...string) map[string]any {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"createsuperuser", "-username", "admin", "-email", "admin@example.org"}, dbFlags...)...)
	cmd.Env = append(os.Environ(), "PRESENCED_PASSWORD=correct horse battery")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("createsuperuser: %v\n%s", err, out)
	}
	var login struct {
		User  struct{ ID int64 } `json:"user"`
		Token string             `json:"token"`
	}
	if st := s.api("POST", "/api-token-auth/", "", map[string]string{"username": "admin", "password": "correct horse battery"}, &login); st != 200 {
		t.Fatalf("staff login: %d", st)
	}
	return map[string]any{"id": login.User.ID, "token": login.Token}
}
