package actors

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// redisAddr is the Redis the bridge benchmark uses: PRESENCED_TEST_REDIS or the local one.
func redisAddr(tb testing.TB) string {
	addr := os.Getenv("PRESENCED_TEST_REDIS")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		tb.Fatalf("Redis does not answer on %s (make test starts one): %v", addr, err)
	}
	c.Close()
	return addr
}

func commandsProcessed(tb testing.TB, rc rueidis.Client) int64 {
	info, err := rc.Do(context.Background(), rc.B().Info().Section("stats").Build()).ToString()
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "total_commands_processed:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	tb.Fatal("no total_commands_processed in INFO")
	return 0
}

// BenchmarkRedisJoinLeave measures what the Redis bridge adds to a join and a leave:
// the time from a login on node A until node B lists the user (and until it no longer
// does after the logout), and the Redis commands each costs. Two actor systems share a
// real Redis under a prefix of their own.
func BenchmarkRedisJoinLeave(b *testing.B) {
	addr := redisAddr(b)
	var raw [4]byte
	_, _ = rand.Read(raw[:])
	prefix := "bench-" + hex.EncodeToString(raw[:]) + ":"
	start := func() *System {
		dir := fakeDirectory{}
		sys, err := Start(Config{
			PingInterval: time.Hour, OfflineGrace: -1, Coalesce: time.Millisecond,
			Verifier: &fakeVerifier{grants: map[string]Grant{}}, Directory: dir,
			Redis: &RedisConfig{URL: "redis://" + addr + "/0", Prefix: prefix, Channel: prefix + "notifications"},
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = sys.Shutdown(ctx)
		})
		return sys
	}
	a, other := start(), start()
	wait := func(cond func() bool) {
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				b.Fatal("timed out")
			}
			time.Sleep(20 * time.Microsecond)
		}
	}
	wait(func() bool { return a.RedisUp() && other.RedisUp() })
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()

	var joinTotal, leaveTotal time.Duration
	cmds0 := commandsProcessed(b, rc)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		u := User{ID: int64(i + 1), Username: "u" + strconv.Itoa(i)}
		jti := "j" + strconv.Itoa(i)
		t0 := time.Now()
		a.LoggedIn(u, jti, time.Now().Add(time.Hour))
		wait(func() bool { return other.Online().IsOnline(u.ID) })
		t1 := time.Now()
		a.TokenRevoked(u.ID, jti, time.Now().Add(time.Hour))
		wait(func() bool { return !other.Online().IsOnline(u.ID) })
		joinTotal += t1.Sub(t0)
		leaveTotal += time.Since(t1)
	}
	b.StopTimer()
	cmds := commandsProcessed(b, rc) - cmds0
	b.ReportMetric(float64(joinTotal.Microseconds())/float64(b.N), "µs/join-seen-on-other-node")
	b.ReportMetric(float64(leaveTotal.Microseconds())/float64(b.N), "µs/leave-seen-on-other-node")
	// Each join and leave is one script call (EVALSHA) plus the revocation's PUBLISH; the
	// lease renewals of an hour-long sweep do not fall inside a short run.
	b.ReportMetric(float64(cmds)/float64(2*b.N), "redis-cmds-incl-in-script/transition")
}
