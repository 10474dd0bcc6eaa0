package actors

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/redis/rueidis"
)

// Config configures the actor system. Zero durations mean the documented defaults.
type Config struct {
	PingInterval time.Duration // sweep period; zero → 10s
	PongTimeout  time.Duration // zero → max(2×PingInterval, 5s)
	OfflineGrace time.Duration // zero → 2s; negative → none
	Coalesce     time.Duration // update coalescing window; zero → 50ms (the contract allows ≤100ms)
	ActionRate   float64       // ng-actions/s a socket may send beyond answering pings; zero → 20
	ActionBurst  float64       // zero → 40
	// MaxConnsPerUser bounds the bound sockets of one user (across the cluster with
	// Redis); zero → 20; negative → no limit.
	MaxConnsPerUser int
	// MaxRoomsPerSocket bounds the rooms one socket is in; zero → 100; negative → no limit.
	MaxRoomsPerSocket int
	// RoomListMax: a room with more members is delivered in count mode to every member;
	// zero → 1000; negative → never.
	RoomListMax int
	// GlobalPresence is what server-action:update_user_online carries; zero → GlobalAll.
	GlobalPresence GlobalPresence
	// PresenceEventRate and PresenceEventBurst bound the presence:* events of one socket
	// (per second, and at once); zero → 10 and 20.
	PresenceEventRate, PresenceEventBurst float64

	Verifier Verifier
	// RoomVerifier checks room tokens; nil: only public:… rooms may be joined.
	RoomVerifier RoomVerifier
	// RoomCluster is the rooms' membership beyond this node; nil: this node is all.
	RoomCluster RoomCluster

	Directory Directory
	Writer    Writer // nil: presence is not persisted
	// Node names this process in stats and (with Redis) across nodes; zero → hostname-pid.
	Node string
	// ExtraStats adds the transport's figures to server-action:stats.
	ExtraStats func() map[string]any
	// Redis, when set, makes presence global across the nodes sharing that Redis.
	Redis  *RedisConfig
	Logger *slog.Logger
	Now    func() time.Time

	// userMiddleware, connMiddleware and roomMiddleware wrap user, conn and room actors
	// (tests inject failures with them).
	userMiddleware, connMiddleware, roomMiddleware []actor.ReceiverMiddleware
}

func (c *Config) defaults() error {
	if c.PingInterval == 0 {
		c.PingInterval = 10 * time.Second
	}
	if c.PongTimeout == 0 {
		c.PongTimeout = max(2*c.PingInterval, 5*time.Second)
	}
	if c.OfflineGrace == 0 {
		c.OfflineGrace = 2 * time.Second
	} else if c.OfflineGrace < 0 {
		c.OfflineGrace = 0
	}
	if c.Coalesce == 0 {
		c.Coalesce = 50 * time.Millisecond
	}
	if c.ActionRate == 0 {
		c.ActionRate = 20
	}
	if c.ActionBurst == 0 {
		c.ActionBurst = 40
	}
	if c.MaxRoomsPerSocket == 0 {
		c.MaxRoomsPerSocket = 100
	} else if c.MaxRoomsPerSocket < 0 {
		c.MaxRoomsPerSocket = 0 // no limit
	}
	if c.RoomListMax == 0 {
		c.RoomListMax = 1000
	} else if c.RoomListMax < 0 {
		c.RoomListMax = 0 // never count mode by size
	}
	if c.GlobalPresence == "" {
		c.GlobalPresence = GlobalAll
	}
	if c.PresenceEventRate == 0 {
		c.PresenceEventRate = 10
	}
	if c.PresenceEventBurst == 0 {
		c.PresenceEventBurst = 20
	}
	if c.MaxConnsPerUser == 0 {
		c.MaxConnsPerUser = 20
	} else if c.MaxConnsPerUser < 0 {
		c.MaxConnsPerUser = 0 // no limit
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Node == "" {
		c.Node = fmt.Sprintf("%s-%d", hostname(), os.Getpid())
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.PingInterval < 0 || c.PongTimeout < 0 || c.Coalesce < 0:
		return errors.New("actors: durations must be positive")
	case c.Coalesce > 100*time.Millisecond:
		return fmt.Errorf("actors: coalescing window %v exceeds 100ms", c.Coalesce)
	case c.Verifier == nil || c.Directory == nil:
		return errors.New("actors: Verifier and Directory are required")
	case c.GlobalPresence != GlobalAll && c.GlobalPresence != GlobalCount && c.GlobalPresence != GlobalOff:
		return fmt.Errorf("actors: global presence %q: want all, count or off", c.GlobalPresence)
	}
	return nil
}

// Stats are cheap counters and gauges, read by metrics and the operator view.
type Stats struct {
	Pongs, Sweeps, Broadcasts, Deliveries   atomic.Uint64
	Binds, BindsRefused, RateLimited        atomic.Uint64
	BindsTooMany                            atomic.Uint64 // refused for -max-conns-per-user
	NoPongCloses, StoreWrites, StoreErrors  atomic.Uint64
	ConnsBound, ConnsAnonymous, UsersOnline atomic.Int64
	UsersLocal                              atomic.Int64 // online through this node
	RedisWrites, RedisResyncs, RedisIgnored atomic.Uint64
	// Scoped presence: presence:update events handed to room members, room versions
	// published, presence:watch_update events handed to watchers; members over all
	// rooms and (socket, watched user) pairs held.
	RoomUpdates, RoomVersions, WatchUpdates atomic.Uint64
	RoomMembers, Watches                    atomic.Int64
	RoomChannels                            atomic.Int64 // room channels this node subscribes to (Redis)

	refusals [len(refusalCodes)]atomic.Uint64

	fanout    [7]atomic.Uint64 // per FanoutBuckets bound, plus overflow
	fanoutSum atomic.Uint64
}

// System is the running actor system and the facade the HTTP and Socket.IO layers use.
type System struct {
	cfg           Config
	log           *slog.Logger
	actors        *actor.ActorSystem
	root          *actor.RootContext
	presence      *actor.PID
	writer        *actor.PID
	bridge        *actor.PID // nil on a single node
	rooms         *actor.PID // the rooms supervisor
	watch         *actor.PID // the watch index
	roomCluster   RoomCluster
	roomBus       *actor.PID // with Redis: the rooms' I/O (room_bus.go)
	places        *actor.PID // nil without a limit on sockets per user
	placesStopped atomic.Bool
	redisUp       atomic.Bool
	redisErr      atomic.Value // string: the last Redis error
	// remoteStats: node id → *StatsPayload, the other nodes' latest figures
	remoteStats sync.Map
	connProps   *actor.Props
	snapshot    atomic.Pointer[Snapshot]
	stats       Stats
	kinds       [numKinds]KindStats
	lastStats   atomic.Pointer[StatsPayload]
	node        string
	stopStats   chan struct{}
	now         func() time.Time
}

// Start builds the supervision tree: the presence supervisor (with user actors as its
// children) and the store writer; conn actors are spawned per socket by OpenConn.
func Start(cfg Config) (*System, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &System{cfg: cfg, log: cfg.Logger, now: cfg.Now, node: cfg.Node, stopStats: make(chan struct{})}
	// protoactor's own chatter (system start, dead letters at shutdown) goes to the same
	// handler, from warnings up unless the server logs at debug.
	s.actors = actor.NewActorSystem(actor.WithLoggerFactory(func(sys *actor.ActorSystem) *slog.Logger {
		return slog.New(atLeast{cfg.Logger.Handler(), slog.LevelWarn}).With("lib", "protoactor")
	}))
	s.root = s.actors.Root
	s.snapshot.Store(NewSnapshot(0, nil))

	s.writer = s.root.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor { return &storeWriter{sys: s} },
		s.instrumented(KindStoreWriter)...), "store-writer-")

	s.roomCluster = cfg.RoomCluster
	switch {
	case s.roomCluster == nil && cfg.Redis != nil:
		rc := *cfg.Redis
		rc.defaults()
		rb := &roomBus{sys: s, prefix: rc.Prefix, maxLen: strconv.FormatInt(rc.StreamMaxLen, 10),
			attached: map[string]int{}, local: map[string]map[int64]User{}, unread: map[string]struct{}{}, unanswered: map[string]struct{}{}}
		// The same value on every restart: a failure must not forget this node's memberships.
		s.roomBus = s.root.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor { return rb },
			s.instrumented(KindRoomBus)...), "room-bus-")
		s.roomCluster = redisRooms{root: s.root, bus: s.roomBus}
	case s.roomCluster == nil:
		s.roomCluster = localRooms{}
	}
	ra := &roomsActor{sys: s, rooms: map[string]*roomRef{}, byPID: map[string]string{}}
	// The same value on every restart; its children (room actors) are restarted on
	// failure, up to 10 times in 10 s, with their state.
	s.rooms = s.root.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor { return ra },
		append(s.instrumented(KindRooms), actor.WithSupervisor(roomsSupervision()))...), "rooms-")
	wa := &watchActor{sys: s, st: newWatchIndex()}
	s.watch = s.root.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor { return wa },
		s.instrumented(KindWatch)...), "watch-")

	pa := &presenceActor{
		sys: s, st: newPresenceState(),
		users: map[int64]*userRef{}, byPID: map[string]int64{},
		observers: []*actor.PID{s.writer, s.watch},
	}
	// The same value on every restart: a presence failure must not forget who is online.
	// Its children (user actors) are restarted on failure, up to 10 times in 10 s.
	s.presence = s.root.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor { return pa },
		append(s.instrumented(KindPresence),
			actor.WithSupervisor(actor.NewOneForOneStrategy(10, 10*time.Second, actor.DefaultDecider)))...), "presence-")

	if cfg.MaxConnsPerUser > 0 {
		pl := &placesActor{sys: s, book: newPlaceBook(), limit: cfg.MaxConnsPerUser}
		// The same value on every restart: a failure must not forget who holds a place.
		s.places = s.root.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor { return pl },
			s.instrumented(KindPlaces)...), "places-")
	}
	if cfg.Redis != nil {
		if err := s.startBridge(*cfg.Redis); err != nil {
			s.actors.Shutdown()
			return nil, err
		}
	}

	// A failing conn actor is stopped, never restarted: its Stopping closes the socket.
	stopOnFailure := actor.NewOneForOneStrategy(0, 0, func(any) actor.Directive { return actor.StopDirective })
	s.connProps = actor.PropsFromProducer(func() actor.Actor { return nil },
		append(s.instrumented(KindConn), actor.WithGuardian(stopOnFailure), actor.WithDispatcher(actor.NewSynchronizedDispatcher(300)),
			actor.WithReceiverMiddleware(cfg.connMiddleware...))...)
	go s.statsLoop(s.stopStats)
	return s, nil
}

// Online is the latest published snapshot of who is online.
func (s *System) Online() *Snapshot { return s.snapshot.Load() }

// Stats exposes the counters.
func (s *System) Stats() *Stats { return &s.stats }

// Node is this process's name in stats and across nodes.
func (s *System) Node() string { return s.node }

// Config returns the effective configuration (defaults applied).
func (s *System) Config() Config { return s.cfg }

// LoggedIn reports an HTTP login or registration.
func (s *System) LoggedIn(u User, jti string, expiresAt time.Time) {
	s.root.Send(s.presence, &HTTPLoggedIn{User: u, JTI: jti, ExpiresAt: expiresAt})
}

// TokenRevoked reports a logout: the token's sockets are logged out, on every node.
func (s *System) TokenRevoked(userID int64, jti string, expiresAt time.Time) {
	m := &TokenRevoked{UserID: userID, JTI: jti, ExpiresAt: expiresAt}
	s.root.Send(s.presence, m)
	if s.bridge != nil {
		s.root.Send(s.bridge, m)
	}
}

// startBridge spawns the Redis bridge actor.
func (s *System) startBridge(rc RedisConfig) error {
	rc.defaults()
	opts, err := rueidis.ParseURL(rc.URL)
	if err != nil {
		return fmt.Errorf("actors: redis url: %w", err)
	}
	opts.DisableCache = true
	opts.Dialer.Timeout = 2 * time.Second
	opts.ConnWriteTimeout = 5 * time.Second
	s.node += "-" + randomSuffix()
	s.redisErr.Store("not connected yet")
	b := &redisBridge{sys: s, cfg: rc, opts: opts, local: map[int64]User{}}
	s.bridge = s.root.SpawnPrefix(actor.PropsFromProducer(func() actor.Actor { return b },
		s.instrumented(KindRedisBridge)...), "redis-bridge-")
	return nil
}

// RedisUp reports whether the Redis bridge is connected (false on a single node).
func (s *System) RedisUp() bool { return s.redisUp.Load() }

// RedisReady is the readiness check of the Redis bridge: nil when connected.
func (s *System) RedisReady(context.Context) error {
	if s.bridge == nil || s.redisUp.Load() {
		return nil
	}
	return fmt.Errorf("not connected: %s", s.redisErr.Load())
}

// Resolve verifies token and finds its user. It may do I/O (the user lookup): callers
// are transport goroutines, never actors.
func (s *System) Resolve(ctx context.Context, token string) *Credentials {
	c := &Credentials{Token: token}
	g, err := s.cfg.Verifier.Verify(token)
	if err != nil {
		c.Err = err
		return c
	}
	u, err := s.cfg.Directory.User(ctx, g.UserID)
	if err != nil {
		c.Err = fmt.Errorf("%w: user %d: %v", ErrTokenInvalid, g.UserID, err)
		return c
	}
	c.Grant, c.User = g, u
	return c
}

// Shutdown closes every socket with a reason, waits (until ctx ends) for the conns to
// go, stops presence, and lets the store writer write what is pending.
func (s *System) Shutdown(ctx context.Context) error {
	close(s.stopStats)
	s.root.Send(s.presence, &ShutdownRequested{Reason: CloseShutdown})
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for s.stats.ConnsBound.Load()+s.stats.ConnsAnonymous.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("actors shutdown: %w", ctx.Err())
		case <-tick.C:
		}
	}
	if s.bridge != nil {
		// Users of this node go offline after the grace, unless they reconnected to
		// another node meanwhile; then the bridge takes the node out of Redis.
		deadline := time.Now().Add(s.cfg.OfflineGrace + time.Second)
		for s.stats.UsersLocal.Load() > 0 && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("actors shutdown: %w", ctx.Err())
			case <-tick.C:
			}
		}
		time.Sleep(2 * s.cfg.Coalesce) // let the last leaves reach the bridge
		// The places actor writes the conns' last releases, the room bus stops writing,
		// then the bridge takes the node out of Redis (its rooms with it).
		if err := s.stopPlaces(); err != nil {
			return err
		}
		if s.roomBus != nil {
			if err := s.root.PoisonFuture(s.roomBus).Wait(); err != nil {
				return fmt.Errorf("stop room bus: %w", err)
			}
		}
		if err := s.root.PoisonFuture(s.bridge).Wait(); err != nil {
			return fmt.Errorf("stop redis bridge: %w", err)
		}
	}
	if err := s.stopPlaces(); err != nil {
		return err
	}
	if err := s.root.StopFuture(s.presence).Wait(); err != nil {
		return fmt.Errorf("stop presence: %w", err)
	}
	if err := s.root.StopFuture(s.rooms).Wait(); err != nil {
		return fmt.Errorf("stop rooms: %w", err)
	}
	if err := s.root.StopFuture(s.watch).Wait(); err != nil {
		return fmt.Errorf("stop watch index: %w", err)
	}
	if err := s.root.PoisonFuture(s.writer).Wait(); err != nil {
		return fmt.Errorf("stop store writer: %w", err)
	}
	s.actors.Shutdown()
	return nil
}

// stopPlaces stops the places actor once; it writes what is queued before it stops.
func (s *System) stopPlaces() error {
	if s.places == nil || !s.placesStopped.CompareAndSwap(false, true) {
		return nil
	}
	if err := s.root.PoisonFuture(s.places).Wait(); err != nil {
		return fmt.Errorf("stop places: %w", err)
	}
	return nil
}

func randomSuffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// atLeast passes records at min or above, or everything its handler takes at debug.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	if h.Handler.Enabled(ctx, slog.LevelDebug) {
		return true
	}
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(as), h.min}
}
func (h atLeast) WithGroup(g string) slog.Handler { return atLeast{h.Handler.WithGroup(g), h.min} }

// every sends msg to pid every d until the returned stop is called: the one ticker
// goroutine behind an actor's periodic work (presence's sweep, the bridge's lease).
// pending, when the actor clears it on handling msg, keeps at most one msg queued: an
// actor that falls behind skips ticks instead of piling them up.
func (s *System) every(d time.Duration, pid *actor.PID, msg any, pending *atomic.Bool) (stop func()) {
	t := time.NewTicker(d)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-t.C:
				if pending == nil || pending.CompareAndSwap(false, true) {
					s.root.Send(pid, msg)
				}
			case <-done:
				return
			}
		}
	}()
	return func() { t.Stop(); close(done) }
}
