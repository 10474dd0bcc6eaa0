package actors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/redis/rueidis"
)

// redisRooms is the RoomCluster of a node with Redis: every call is a message to the
// room bus, which does the I/O.
type redisRooms struct {
	root *actor.RootContext
	bus  *actor.PID
}

var _ RoomCluster = redisRooms{}

func (r redisRooms) Attach(room string) bool {
	r.root.Send(r.bus, &roomAttach{room: room})
	return true // the bus answers every Attach with a RemoteRoomRead
}

func (r redisRooms) LocalChanged(room string, u User, present bool, _ time.Time) {
	r.root.Send(r.bus, &roomLocal{room: room, user: u, present: present})
}

func (r redisRooms) Detach(room string) { r.root.Send(r.bus, &roomDetach{room: room}) }

// Room bus messages: from the RoomCluster calls, the Redis bridge, the subscription's
// hooks and the bus's own timers.
type (
	roomAttach struct{ room string }
	roomDetach struct{ room string }
	roomLocal  struct {
		room    string
		user    User
		present bool
	}
	// roomBusAttached hands over the bridge's command client (connected).
	roomBusAttached struct{ client rueidis.Client }
	// roomBusResync: the bridge resynchronised (a reconnect, or a lease found gone):
	// this node's memberships are written again.
	roomBusResync struct{}
	roomBusFlush  struct{}
	roomBusRetry  struct{}
	// roomBusMessage is one message on a room channel; roomBusClosed says the
	// subscription connection of generation gen is gone.
	roomBusMessage struct{ channel, payload string }
	roomBusClosed  struct {
		gen uint64
		err error
	}
)

// roomChange is one of this node's room transitions waiting to be written.
type roomChange struct {
	room    string
	user    User
	present bool
}

// roomBus is the actor between this node's room actors and Redis (room_scripts.go):
// it writes the node's room transitions, a batch per script call (one round trip for
// everything queued meanwhile), subscribes to the channel of each room this node has
// attached and only to those, turns what is published there into RemoteRoomChanged,
// and reads a room whole when a room actor attaches or after anything was lost
// (RemoteRoomRead). Like the bridge, its Receive does the I/O: nothing waits on it.
//
// Its subscriptions live on one dedicated connection, to which channels are added and
// from which they are removed as rooms are attached and detached. When that
// connection breaks (or Redis is down), the bus takes a new one, subscribes again to
// every attached room and reads them all; when a write fails, or the bridge
// resynchronised (a node dropped as dead loses its memberships), it writes the node's
// memberships whole again first. Until Redis answers, rooms run on this node's members.
type roomBus struct {
	sys    *System
	prefix string
	maxLen string

	cmd      rueidis.Client
	dc       rueidis.DedicatedClient // the subscription connection; nil: none
	dcCancel func()
	gen      uint64 // of the subscription connection

	attached map[string]int            // room → Attach calls not yet detached
	local    map[string]map[int64]User // room → members through this node: what a sync writes
	pending  []roomChange              // transitions not yet written
	synced   bool                      // local is in Redis: transitions may be written one by one
	unread   map[string]struct{}       // attached rooms to read (and tell their actors of)
	// unanswered: rooms attached whose actor has had no RemoteRoomRead since; their
	// joins wait for it. A failed round answers them Unread (they go on locally).
	unanswered map[string]struct{}
	flushing   bool
	retry      time.Duration
	retrying   bool
	up         bool // the last round succeeded
}

func (b *roomBus) channel(room string) string { return b.prefix + "room:" + room }

func (b *roomBus) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *roomAttach:
		b.attached[m.room]++
		if b.attached[m.room] == 1 && b.dc != nil {
			b.subscribe(ctx, m.room)
		}
		b.unread[m.room] = struct{}{}
		if b.cmd == nil || (!b.up && b.retrying) {
			// Redis is not there (or failed and is waiting out a backoff): nothing to
			// read now, the room starts on this node's members.
			ctx.Send(b.sys.rooms, &RemoteRoomRead{Room: m.room, Unread: true})
		} else {
			// The next round reads it (after taking a subscription connection and
			// syncing if need be): the room's first joins wait for the cluster.
			b.unanswered[m.room] = struct{}{}
		}
		b.schedule(ctx)
	case *roomDetach:
		if b.attached[m.room]--; b.attached[m.room] <= 0 {
			delete(b.attached, m.room)
			delete(b.unread, m.room)
			delete(b.unanswered, m.room)
			b.unsubscribe(ctx, m.room)
		}
	case *roomLocal:
		b.onLocal(m)
		b.schedule(ctx)
	case *roomBusAttached:
		b.cmd = m.client
		b.synced = false
		b.schedule(ctx)
	case *roomBusResync:
		b.synced = false
		b.schedule(ctx)
	case *roomBusFlush:
		b.flushing = false
		b.work(ctx)
	case *roomBusRetry:
		b.retrying = false
		b.work(ctx)
	case *roomBusMessage:
		b.onMessage(ctx, m)
	case *roomBusClosed:
		if m.gen == b.gen && b.dc != nil {
			// Redis may have restarted empty: write the memberships again (the script
			// waits for the bridge's lease) before reading anything.
			b.synced = false
			b.dropSubscriptions()
			b.failed(ctx, fmt.Errorf("room subscriptions: %w", m.err)) // taken again after a backoff
		}
	case *GetRoomPresenceRequest:
		ctx.Respond(b.readForHTTP(m))
	case *actor.Stopping:
		b.dropSubscriptions()
	case *actor.Started, *actor.Stopped, *actor.Restarting:
	default:
		b.sys.log.Warn("room bus: unexpected message", "type", typeName(m))
	}
}

func (b *roomBus) onLocal(m *roomLocal) {
	members := b.local[m.room]
	if m.present {
		if members == nil {
			members = map[int64]User{}
			b.local[m.room] = members
		}
		members[m.user.ID] = m.user
	} else {
		delete(members, m.user.ID)
		if len(members) == 0 {
			delete(b.local, m.room)
		}
	}
	if b.synced {
		b.pending = append(b.pending, roomChange{room: m.room, user: m.user, present: m.present})
	}
}

// schedule queues one round of work behind what is already in the mailbox, so that
// everything queued meanwhile joins the same batch.
func (b *roomBus) schedule(ctx actor.Context) {
	if !b.flushing {
		b.flushing = true
		ctx.Send(ctx.Self(), &roomBusFlush{})
	}
}

// work brings Redis up to date: a subscription connection, the node's memberships
// written whole if they may be missing, then the pending transitions, then the reads
// that are due. A failure stops the round and arms a retry (1 s → 30 s).
func (b *roomBus) work(ctx actor.Context) {
	if b.cmd == nil {
		return
	}
	err := b.connect(ctx)
	if err == nil && !b.synced {
		err = b.sync()
	}
	if err == nil {
		err = b.writePending()
	}
	if err == nil {
		err = b.readDue(ctx)
	}
	if err != nil {
		b.failed(ctx, err)
		return
	}
	b.retry = 0
	if !b.up {
		b.up = true
		b.sys.log.Info("room bus: rooms in Redis", "node", b.sys.node, "attached", len(b.attached))
	}
}

func (b *roomBus) failed(ctx actor.Context, err error) {
	for room := range b.unanswered {
		ctx.Send(b.sys.rooms, &RemoteRoomRead{Room: room, Unread: true})
		delete(b.unanswered, room)
	}
	if errors.Is(err, errLeaseLost) {
		// The bridge renews the lease and then says roomBusResync; try again meanwhile.
		b.synced = false
	}
	if b.up {
		b.up = false
		b.sys.log.Warn("room bus: Redis unavailable; rooms run on this node's members", "err", err)
	}
	b.retry = min(max(2*b.retry, time.Second), 30*time.Second)
	if !b.retrying {
		b.retrying = true
		self, root := ctx.Self(), b.sys.root
		time.AfterFunc(b.retry, func() { root.Send(self, &roomBusRetry{}) })
	}
}

var errLeaseLost = errors.New("this node holds no lease")

func (b *roomBus) opCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), redisOpTimeout)
}

// connect takes a subscription connection when there is none and subscribes to every
// attached room on it; every attached room is then read again (messages published
// while there was none are lost).
func (b *roomBus) connect(ctx actor.Context) error {
	if b.dc != nil || len(b.attached) == 0 {
		return nil
	}
	dc, cancel := b.cmd.Dedicate()
	b.gen++
	gen, self, root := b.gen, ctx.Self(), b.sys.root
	wait := dc.SetPubSubHooks(rueidis.PubSubHooks{
		OnMessage: func(m rueidis.PubSubMessage) {
			root.Send(self, &roomBusMessage{channel: m.Channel, payload: m.Message})
		},
	})
	go func() {
		err := <-wait
		root.Send(self, &roomBusClosed{gen: gen, err: err})
	}()
	b.dc, b.dcCancel = dc, cancel
	channels := make([]string, 0, len(b.attached))
	for room := range b.attached {
		channels = append(channels, b.channel(room))
		b.unread[room] = struct{}{}
	}
	c, done := b.opCtx()
	defer done()
	if err := dc.Do(c, dc.B().Subscribe().Channel(channels...).Build()).Error(); err != nil {
		b.dropSubscriptions()
		return fmt.Errorf("subscribe to %d rooms: %w", len(channels), err)
	}
	b.sys.stats.RoomChannels.Store(int64(len(channels)))
	return nil
}

func (b *roomBus) dropSubscriptions() {
	if b.dc != nil {
		b.dc.Close()
		b.dcCancel()
		b.dc, b.dcCancel = nil, nil
	}
	b.sys.stats.RoomChannels.Store(0)
	for room := range b.attached {
		b.unread[room] = struct{}{}
	}
}

// subscribe adds room's channel to the subscription connection; unsubscribe removes
// it. A failure drops the connection: the next round takes a new one.
func (b *roomBus) subscribe(ctx actor.Context, room string) {
	c, done := b.opCtx()
	defer done()
	if err := b.dc.Do(c, b.dc.B().Subscribe().Channel(b.channel(room)).Build()).Error(); err != nil {
		b.dropSubscriptions()
		b.failed(ctx, fmt.Errorf("subscribe to room %s: %w", room, err))
		return
	}
	b.sys.stats.RoomChannels.Add(1)
}

func (b *roomBus) unsubscribe(ctx actor.Context, room string) {
	if b.dc == nil {
		return
	}
	c, done := b.opCtx()
	defer done()
	if err := b.dc.Do(c, b.dc.B().Unsubscribe().Channel(b.channel(room)).Build()).Error(); err != nil {
		b.dropSubscriptions()
		b.failed(ctx, fmt.Errorf("unsubscribe from room %s: %w", room, err))
		return
	}
	b.sys.stats.RoomChannels.Add(-1)
}

// sync writes this node's memberships whole; the transitions pending are in them.
func (b *roomBus) sync() error {
	args := []string{b.prefix, b.maxLen, b.sys.node}
	for room, members := range b.local {
		for id, u := range members {
			args = append(args, room, strconv.FormatInt(id, 10), string(mustJSON(u)))
		}
	}
	c, done := b.opCtx()
	defer done()
	res, err := scriptRoomSync.Exec(c, b.cmd, nil, args).ToString()
	if err != nil {
		return fmt.Errorf("rooms sync: %w", err)
	}
	if res == "lost" {
		return fmt.Errorf("rooms sync: %w", errLeaseLost)
	}
	b.synced = true
	b.pending = nil
	for room := range b.attached {
		b.unread[room] = struct{}{}
	}
	b.sys.stats.RedisWrites.Add(1)
	return nil
}

// writePending writes the transitions queued since the last round in one call.
func (b *roomBus) writePending() error {
	if len(b.pending) == 0 {
		return nil
	}
	args := []string{b.prefix, b.maxLen, b.sys.node}
	for _, ch := range b.pending {
		op, prof := "0", ""
		if ch.present {
			op, prof = "1", string(mustJSON(ch.user))
		}
		args = append(args, op, ch.room, strconv.FormatInt(ch.user.ID, 10), prof)
	}
	c, done := b.opCtx()
	defer done()
	res, err := scriptRoomChange.Exec(c, b.cmd, nil, args).ToString()
	if err == nil && res == "lost" {
		err = errLeaseLost
	}
	if err != nil {
		// Not known to be written: the next round writes the memberships whole.
		b.synced = false
		b.pending = nil
		return fmt.Errorf("room changes: %w", err)
	}
	b.pending = nil
	b.sys.stats.RedisWrites.Add(1)
	return nil
}

// readDue reads the rooms due, in one round trip, and hands each to its actor.
func (b *roomBus) readDue(ctx actor.Context) error {
	if len(b.unread) == 0 {
		return nil
	}
	rooms := make([]string, 0, len(b.unread))
	for room := range b.unread {
		rooms = append(rooms, room)
	}
	sort.Strings(rooms)
	execs := make([]rueidis.LuaExec, len(rooms))
	for i, room := range rooms {
		execs[i] = rueidis.LuaExec{Args: []string{b.prefix, room}}
	}
	c, done := b.opCtx()
	defer done()
	results := scriptRoomRead.ExecMulti(c, b.cmd, execs...)
	for i, res := range results {
		read, err := res.AsStrSlice()
		if err != nil {
			return fmt.Errorf("read room %s: %w", rooms[i], err)
		}
		users, version := decodeRoomRead(read)
		delete(b.unread, rooms[i])
		delete(b.unanswered, rooms[i])
		ctx.Send(b.sys.rooms, &RemoteRoomRead{Room: rooms[i], Users: users, Version: version})
	}
	return nil
}

// decodeRoomRead turns scriptRoomRead's answer into members (by id) and a version.
func decodeRoomRead(read []string) ([]User, uint64) {
	if len(read) == 0 {
		return []User{}, 0
	}
	version, _ := strconv.ParseUint(read[0], 10, 64)
	users := make([]User, 0, len(read)/2)
	for i := 1; i+1 < len(read); i += 2 {
		id, err := strconv.ParseInt(read[i], 10, 64)
		if err != nil {
			continue
		}
		var u User
		if json.Unmarshal([]byte(read[i+1]), &u) != nil || u.ID != id {
			u = User{ID: id}
		}
		u.IsOnline = true
		users = append(users, u)
	}
	sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
	return users, version
}

// roomNotice is one message on a room channel (room_scripts.go).
type roomNotice struct {
	Room    string `json:"room"`
	UID     string `json:"uid"`
	Present bool   `json:"present"`
	Node    string `json:"node"`
	Version uint64 `json:"version"`
	User    *User  `json:"user"`
}

func (b *roomBus) onMessage(ctx actor.Context, m *roomBusMessage) {
	room, ok := strings.CutPrefix(m.channel, b.prefix+"room:")
	if !ok || b.attached[room] == 0 {
		return
	}
	var n roomNotice
	if err := json.Unmarshal([]byte(m.payload), &n); err != nil || n.Room != room || n.Version == 0 {
		b.sys.stats.RedisIgnored.Add(1)
		return
	}
	id, err := strconv.ParseInt(n.UID, 10, 64)
	if err != nil {
		b.sys.stats.RedisIgnored.Add(1)
		return
	}
	u := User{ID: id}
	if n.User != nil && n.User.ID == id {
		u = *n.User
	}
	ctx.Send(b.sys.rooms, &RemoteRoomChanged{Room: room, User: u, Present: n.Present, Version: n.Version})
}

// readForHTTP answers GET /api/rooms/<room>/presence/ for a room no socket of this
// node is in, from Redis (empty if Redis does not answer).
func (b *roomBus) readForHTTP(m *GetRoomPresenceRequest) *GetRoomPresenceResponse {
	out := &GetRoomPresenceResponse{Users: []User{}}
	if b.cmd == nil {
		return out
	}
	c, done := b.opCtx()
	defer done()
	read, err := scriptRoomRead.Exec(c, b.cmd, nil, []string{b.prefix, m.Room}).AsStrSlice()
	if err != nil {
		return out
	}
	users, version := decodeRoomRead(read)
	out.Version, out.Count, out.Users = version, len(users), users
	if m.Max > 0 && len(users) > m.Max {
		out.Users = users[:m.Max]
	}
	return out
}
