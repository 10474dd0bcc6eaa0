package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/redis/rueidis"
)

// RedisConfig turns the Redis bridge on (multi-node presence).
type RedisConfig struct {
	URL          string // redis://host:port/db
	Channel      string // the shared notifications channel; zero → "notifications"
	Prefix       string // of every key and stream; zero → "presenced:"
	LeaseTTL     time.Duration
	LeaseEvery   time.Duration // lease renewal and dead-node reaping; zero → LeaseTTL/3
	StreamMaxLen int64         // approximate length kept of <prefix>events; zero → 100000

	// OnRevoked is called when another node revoked a token (HTTP logout there), so that
	// this node's token cache refuses it too. OnResync is called after every (re)connect,
	// since revocations published during an outage were missed.
	OnRevoked func(jti string, userID int64, expiresAt time.Time)
	OnResync  func()
}

func (c *RedisConfig) defaults() {
	if c.Channel == "" {
		c.Channel = "notifications"
	}
	if c.Prefix == "" {
		c.Prefix = "presenced:"
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 10 * time.Second
	}
	if c.LeaseEvery == 0 {
		c.LeaseEvery = c.LeaseTTL / 3
	}
	if c.StreamMaxLen == 0 {
		c.StreamMaxLen = 100_000
	}
}

const redisOpTimeout = 3 * time.Second

// Bridge-internal messages.
type (
	busConnect    struct{}
	busSubscribed struct{}
	busTick       struct{}
	busFlush      struct{}
	busMessage    struct{ channel, payload string }
	publishStats  struct{ payload []byte }
)

// redisBridge is the Redis bridge actor: it turns this node's presence transitions into
// the cluster's (scripts in redis_scripts.go), the notifications channel into actor
// messages, and keeps this node's lease. Its Receive does the Redis I/O: it is the
// dedicated I/O actor for it, and nothing waits on it. The subscription has its own
// client whose handler only sends to this actor.
type redisBridge struct {
	sys  *System
	cfg  RedisConfig
	opts rueidis.ClientOption

	cmd, sub    rueidis.Client
	stopSub     context.CancelFunc
	stopTick    func()
	tickPending atomic.Bool
	retry       time.Duration
	local       map[int64]User // this node's online users: what a resync writes
	pending     []*LocalPresenceChanged
	logins      []loginBound // binds to tell the other nodes of (their credits end)
	flushing    bool
	needSync    bool
	downLogged  bool
	leased      bool // a lease was taken once: a fresh one later means the node was dropped
}

func (b *redisBridge) keys() []string {
	p := b.cfg.Prefix
	return []string{p + "counts", p + "profiles", p + "version", p + "events"}
}

func (b *redisBridge) nodeUsersKey() string { return b.cfg.Prefix + "node:" + b.sys.node + ":users" }

func (b *redisBridge) args(extra ...string) []string {
	return append([]string{b.cfg.Channel, strconv.FormatInt(b.cfg.StreamMaxLen, 10)}, extra...)
}

func (b *redisBridge) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		b.onConnect(ctx)
	case *busConnect:
		b.onConnect(ctx)
	case *busSubscribed:
		b.resync(ctx)
	case *busTick:
		b.tickPending.Store(false)
		b.onTick(ctx)
	case *LocalPresenceChanged:
		b.onLocal(ctx, m)
	case *LoginBound:
		b.onLoginBound(ctx, m)
	case *busFlush:
		b.flush()
		b.flushLogins()
	case *busMessage:
		b.onMessage(ctx, m)
	case *TokenRevoked:
		b.publishRevocation(m)
	case *publishStats:
		b.publish(b.cfg.Prefix+"stats", m.payload)
	case *actor.Stopping:
		b.stop()
	case *actor.Stopped, *actor.Restarting:
	default:
		b.sys.log.Warn("redis bridge: unexpected message", "type", typeName(m))
	}
}

// onConnect makes the two clients; on failure it retries with backoff (1 s → 30 s).
func (b *redisBridge) onConnect(ctx actor.Context) {
	if b.cmd != nil {
		return
	}
	cmd, err := rueidis.NewClient(b.opts)
	var sub rueidis.Client
	if err == nil {
		if sub, err = rueidis.NewClient(b.opts); err != nil {
			cmd.Close()
		}
	}
	if err != nil {
		b.down(fmt.Errorf("connect: %w", err))
		b.retry = min(max(2*b.retry, time.Second), 30*time.Second)
		self, root := ctx.Self(), b.sys.root
		time.AfterFunc(b.retry, func() { root.Send(self, &busConnect{}) })
		return
	}
	b.retry = 0
	b.cmd, b.sub = cmd, sub
	b.needSync = true
	if b.sys.places != nil {
		ctx.Send(b.sys.places, &placesAttached{client: cmd, prefix: b.cfg.Prefix, node: b.sys.node})
	}
	if b.sys.roomBus != nil {
		ctx.Send(b.sys.roomBus, &roomBusAttached{client: cmd})
	}
	self, root := ctx.Self(), b.sys.root
	subCtx, cancel := context.WithCancel(context.Background())
	b.stopSub = cancel
	// The hook fires on every (re)subscription: rueidis reconnects by itself and the
	// bridge resynchronises, since messages published meanwhile are lost.
	hooked := rueidis.WithOnSubscriptionHook(subCtx, func(s rueidis.PubSubSubscription) {
		if s.Kind == "subscribe" && s.Channel == b.cfg.Channel {
			root.Send(self, &busSubscribed{})
		}
	})
	channels := []string{b.cfg.Channel, b.cfg.Prefix + "revocations", b.cfg.Prefix + "stats", b.cfg.Prefix + "logins"}
	go func() {
		err := sub.Receive(hooked, sub.B().Subscribe().Channel(channels...).Build(), func(m rueidis.PubSubMessage) {
			root.Send(self, &busMessage{channel: m.Channel, payload: m.Message})
		})
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, rueidis.ErrClosing) {
			b.sys.log.Warn("redis bridge: subscription ended", "err", err)
		}
	}()
	b.stopTick = b.sys.every(b.cfg.LeaseEvery, self, &busTick{}, &b.tickPending)
}

func (b *redisBridge) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), redisOpTimeout)
}

// up records a successful round trip; a node that was down resynchronises.
func (b *redisBridge) up(ctx actor.Context) {
	if !b.sys.redisUp.Swap(true) {
		b.sys.log.Info("redis bridge: connected", "node", b.sys.node)
	}
	b.downLogged = false
	if b.needSync {
		b.resync(ctx)
	}
}

// down records a failed round trip, logged once per outage.
func (b *redisBridge) down(err error) {
	b.sys.redisErr.Store(err.Error())
	b.sys.redisUp.Store(false)
	b.needSync = true
	if !b.downLogged {
		b.downLogged = true
		b.sys.log.Error("redis bridge: Redis unavailable; serving this node's sockets alone", "err", err)
	}
}

// onTick renews the lease and drops nodes whose lease ran out.
func (b *redisBridge) onTick(ctx actor.Context) {
	if b.cmd == nil {
		return
	}
	c, cancel := b.opCtx()
	defer cancel()
	wasLeased := b.leased
	fresh, err := b.renewLease(c)
	if err == nil && fresh && wasLeased {
		// Our lease was gone: Redis lost it (a restart, a flush) or another node dropped
		// us as dead (a pause longer than the lease). What this node wrote is gone too.
		b.sys.log.Warn("redis bridge: this node's lease was gone from Redis; resynchronising", "node", b.sys.node)
		b.needSync = true
	}
	if err == nil {
		var dead []string
		dead, err = scriptReap.Exec(c, b.cmd, b.keys(), b.args(b.cfg.Prefix)).AsStrSlice()
		for _, n := range dead {
			b.sys.log.Warn("redis bridge: dropped a node whose lease ran out", "dead_node", n)
		}
	}
	if err != nil {
		b.down(fmt.Errorf("lease: %w", err))
		return
	}
	b.up(ctx)
}

// renewLease renews this node's lease; fresh: there was none (first lease, or the node
// was dropped as dead meanwhile).
func (b *redisBridge) renewLease(c context.Context) (fresh bool, err error) {
	n, err := scriptLease.Exec(c, b.cmd, []string{b.cfg.Prefix + "nodes"},
		[]string{b.sys.node, strconv.FormatInt(b.cfg.LeaseTTL.Milliseconds(), 10)}).AsInt64()
	if err == nil {
		b.leased = true
	}
	return n == 1, err
}

func (b *redisBridge) onLocal(ctx actor.Context, m *LocalPresenceChanged) {
	if m.Online {
		b.local[m.User.ID] = m.User
	} else {
		delete(b.local, m.User.ID)
	}
	b.pending = append(b.pending, m)
	if !b.flushing {
		// Sent to self: every change already queued behind it joins the same batch.
		b.flushing = true
		ctx.Send(ctx.Self(), &busFlush{})
	}
}

// flush writes the pending transitions in one script call. When Redis is down they
// are dropped: the resync after reconnecting writes the whole local set.
func (b *redisBridge) flush() {
	b.flushing = false
	batch := b.pending
	b.pending = nil
	if b.cmd == nil || b.needSync || len(batch) == 0 {
		return
	}
	args := b.args(b.sys.node)
	for _, m := range batch {
		op := "0"
		if m.Online {
			op = "1"
		}
		args = append(args, op, strconv.FormatInt(m.User.ID, 10), string(mustJSON(m.User)))
	}
	c, cancel := b.opCtx()
	defer cancel()
	if err := scriptChange.Exec(c, b.cmd, append(b.keys(), b.nodeUsersKey()), args).Error(); err != nil {
		b.down(fmt.Errorf("presence change: %w", err))
		return
	}
	b.sys.stats.RedisWrites.Add(1)
}

// resync writes this node's whole local set, then reads the cluster's and hands it to
// presence. Run after every (re)connect.
func (b *redisBridge) resync(ctx actor.Context) {
	if b.cmd == nil {
		return
	}
	c, cancel := b.opCtx()
	defer cancel()
	_, err := b.renewLease(c)
	if err == nil {
		args := b.args(b.sys.node)
		for id, u := range b.local {
			args = append(args, strconv.FormatInt(id, 10), string(mustJSON(u)))
		}
		err = scriptSync.Exec(c, b.cmd, append(b.keys(), b.nodeUsersKey()), args).Error()
	}
	var read []string
	if err == nil {
		read, err = scriptRead.Exec(c, b.cmd, b.keys(), nil).AsStrSlice()
	}
	if err != nil {
		b.down(fmt.Errorf("resync: %w", err))
		return
	}
	version, _ := strconv.ParseUint(read[0], 10, 64)
	users := make([]User, 0, len(read)/2)
	for i := 1; i+1 < len(read); i += 2 {
		var u User
		if json.Unmarshal([]byte(read[i+1]), &u) != nil {
			id, _ := strconv.ParseInt(read[i], 10, 64)
			u = User{ID: id}
		}
		users = append(users, u)
	}
	b.needSync = false
	b.pending = nil
	ctx.Send(b.sys.presence, &RemotePresenceRead{Users: users, Version: version})
	if b.sys.places != nil {
		ctx.Send(b.sys.places, &placesResync{})
	}
	if b.sys.roomBus != nil {
		ctx.Send(b.sys.roomBus, &roomBusResync{})
	}
	if b.cfg.OnResync != nil {
		b.cfg.OnResync()
	}
	b.sys.stats.RedisResyncs.Add(1)
	b.sys.log.Info("redis bridge: resynchronised", "node", b.sys.node, "version", version, "users_online", len(users))
	b.up(ctx)
}

// notice is a message on the notifications channel: from a presenced node (node and
// version set) or from any other system (a request to refresh the list).
type notice struct {
	Task     string `json:"task"`
	UserID   *int64 `json:"user_id"`
	Username string `json:"username"`
	Node     string `json:"node"`
	Version  uint64 `json:"version"`
	User     *User  `json:"user"`
}

type revocation struct {
	JTI       string `json:"jti"`
	UserID    int64  `json:"user_id"`
	ExpiresAt int64  `json:"exp"`
	Node      string `json:"node"`
}

func (b *redisBridge) onMessage(ctx actor.Context, m *busMessage) {
	if m.channel == b.cfg.Prefix+"logins" {
		var n loginsNotice
		if json.Unmarshal([]byte(m.payload), &n) != nil || n.Node == b.sys.node {
			return
		}
		for _, l := range n.Logins {
			if l.JTI != "" {
				ctx.Send(b.sys.presence, &LoginBound{UserID: l.UserID, JTI: l.JTI})
			}
		}
		return
	}
	if m.channel == b.cfg.Prefix+"stats" {
		var p StatsPayload
		if json.Unmarshal([]byte(m.payload), &p) == nil && p.Node != "" && p.Node != b.sys.node {
			p.Nodes = nil
			b.sys.remoteStats.Store(p.Node, &p)
		}
		return
	}
	if m.channel != b.cfg.Channel {
		var r revocation
		if json.Unmarshal([]byte(m.payload), &r) != nil || r.JTI == "" || r.Node == b.sys.node {
			return
		}
		if b.cfg.OnRevoked != nil {
			b.cfg.OnRevoked(r.JTI, r.UserID, time.Unix(r.ExpiresAt, 0))
		}
		ctx.Send(b.sys.presence, &TokenRevoked{UserID: r.UserID, JTI: r.JTI})
		return
	}
	var n notice
	if err := json.Unmarshal([]byte(m.payload), &n); err != nil || (n.Task != "user_online" && n.Task != "user_offline") {
		b.sys.stats.RedisIgnored.Add(1)
		b.sys.log.Debug("redis bridge: ignored a notification", "payload_bytes", len(m.payload))
		return
	}
	if n.Node == "" || n.Version == 0 || n.UserID == nil {
		ctx.Send(b.sys.presence, &RefreshRequested{Task: n.Task})
		return
	}
	u := User{ID: *n.UserID, Username: n.Username}
	if n.User != nil && n.User.ID == u.ID {
		u = *n.User
	}
	ctx.Send(b.sys.presence, &RemotePresenceChanged{User: u, Online: n.Task == "user_online", Version: n.Version, Node: n.Node})
}

// loginsNotice, on <prefix>logins, lists the tokens that bound a conn on node and were
// new there: the node where such a login happened ends its credit.
type loginsNotice struct {
	Node   string       `json:"node"`
	Logins []loginBound `json:"logins"`
}

type loginBound struct {
	UserID int64  `json:"user_id"`
	JTI    string `json:"jti"`
}

// maxLoginsPending bounds the binds kept for the next notice; beyond it they are
// dropped (the credit of such a login then runs its two sweeps).
const maxLoginsPending = 10_000

func (b *redisBridge) onLoginBound(ctx actor.Context, m *LoginBound) {
	if len(b.logins) >= maxLoginsPending {
		return
	}
	b.logins = append(b.logins, loginBound{UserID: m.UserID, JTI: m.JTI})
	if !b.flushing {
		b.flushing = true
		ctx.Send(ctx.Self(), &busFlush{})
	}
}

// flushLogins publishes the binds queued since the last flush, 1,000 to a message.
// Without Redis they are dropped: the logins' credits then run their two sweeps.
func (b *redisBridge) flushLogins() {
	batch := b.logins
	b.logins = nil
	for len(batch) > 0 {
		n := min(len(batch), 1000)
		b.publish(b.cfg.Prefix+"logins", mustJSON(loginsNotice{Node: b.sys.node, Logins: batch[:n]}))
		batch = batch[n:]
	}
}

func (b *redisBridge) publishRevocation(m *TokenRevoked) {
	b.publish(b.cfg.Prefix+"revocations",
		mustJSON(revocation{JTI: m.JTI, UserID: m.UserID, ExpiresAt: m.ExpiresAt.Unix(), Node: b.sys.node}))
}

// publish sends one message on a channel; a failure marks Redis down.
func (b *redisBridge) publish(channel string, payload []byte) {
	if b.cmd == nil || !b.sys.redisUp.Load() {
		return
	}
	c, cancel := b.opCtx()
	defer cancel()
	if err := b.cmd.Do(c, b.cmd.B().Publish().Channel(channel).Message(string(payload)).Build()).Error(); err != nil {
		b.down(fmt.Errorf("publish on %s: %w", channel, err))
	}
}

// stop leaves the cluster: this node's users leave unless online elsewhere, and
// nothing of the node is left in Redis.
func (b *redisBridge) stop() {
	if b.stopTick != nil {
		b.stopTick()
	}
	if b.cmd == nil {
		return
	}
	c, cancel := b.opCtx()
	defer cancel()
	// A connection that broke since the last command (Redis restarted) fails its
	// next command once while the client reconnects: try again before giving up.
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = scriptGoodbye.Exec(c, b.cmd, b.keys(), b.args(b.cfg.Prefix, b.sys.node)).Error(); err == nil || attempt == 3 {
			break
		}
		t := time.NewTimer(time.Duration(attempt) * 100 * time.Millisecond)
		select {
		case <-c.Done():
		case <-t.C:
		}
		t.Stop()
		if c.Err() != nil {
			break
		}
	}
	if err != nil {
		b.sys.log.Warn("redis bridge: goodbye failed; the node's lease will expire instead", "err", err)
	}
	b.stopSub()
	b.sub.Close()
	b.cmd.Close()
	b.sys.redisUp.Store(false)
}
