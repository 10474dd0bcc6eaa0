package actors

import (
	"testing"
	"time"

	"github.com/presenced/presenced/internal/closereason"
	"github.com/presenced/presenced/internal/testredis"
)

// TestLoginCreditEndsWhenItsTokenBindsOnAnotherNode: the HTTP login on node A, the tab
// on node B, closed at once: the user leaves after the grace, not after A's credit.
func TestLoginCreditEndsWhenItsTokenBindsOnAnotherNode(t *testing.T) {
	r := testredis.New(t)
	prefix := "credit-" + randomSuffix() + ":"
	node := func() *harness {
		return newHarness(t, func(c *Config) {
			c.PingInterval, c.PongTimeout = 2*time.Second, 5*time.Second
			c.Redis = &RedisConfig{URL: "redis://" + r.Addr() + "/0", Prefix: prefix, Channel: prefix + "notifications"}
		})
	}
	a, b := node(), node()
	eventually(t, "both connected", 5*time.Second, func() bool { return a.sys.RedisUp() && b.sys.RedisUp() })
	u, _ := a.user(1, "alice")
	b.dir[1] = u
	tok := "tok-alice-login"
	b.ver.mu.Lock()
	b.ver.grants[tok] = Grant{UserID: 1, JTI: "jti-login", ExpiresAt: time.Now().Add(time.Hour)}
	b.ver.mu.Unlock()

	a.sys.LoggedIn(u, "jti-login", time.Now().Add(time.Hour))
	eventually(t, "alice online on B from her login on A", 2*time.Second, func() bool { return b.sys.Online().IsOnline(1) })
	s := b.open(tok)
	eventually(t, "the tab bound", time.Second, func() bool { return lastUpdate(s) != nil })
	time.Sleep(100 * time.Millisecond) // the bind's notice reaches A
	closed := time.Now()
	s.Close(closereason.ClientClosed)
	within := b.sys.cfg.OfflineGrace + time.Second // the credit would last 4 s
	eventually(t, "alice offline on both nodes", within, func() bool { return !a.sys.Online().IsOnline(1) && !b.sys.Online().IsOnline(1) })
	t.Logf("offline everywhere %v after the close", time.Since(closed))
}
