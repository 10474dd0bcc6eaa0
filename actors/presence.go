package actors

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// userRef is presence's handle on a user actor; sent counts the messages given to it,
// so that an idle user actor is only stopped when nothing is in flight to it.
type userRef struct {
	pid  *actor.PID
	sent uint64
}

// presenceActor is the presence supervisor: it owns the online set (presenceState),
// routes binds to user actors (its children), drives the sweep, coalesces changes and
// fans updates out to bound conns.
type presenceActor struct {
	sys          *System
	st           *presenceState
	users        map[int64]*userRef
	byPID        map[string]int64 // user actor PID id → user id, for Terminated
	flushing     bool
	seq          uint64
	stopSweep    func()
	sweepPending atomic.Bool // a sweepDue is queued: the ticker skips ticks meanwhile
	stopping     bool        // shutting down or restarting
	observers    []*actor.PID
}

func (a *presenceActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.onStarted(ctx)
	case *ConnOpened:
		a.st.openConn(m.ConnID, m.PID)
		a.gauges()
	case *ConnBound:
		a.onConnBound(ctx, m)
	case *ConnUnbound:
		if prev := a.st.unbindConn(m.ConnID); prev != 0 {
			a.toUser(ctx, prev, &DetachConn{ConnID: m.ConnID, Logout: m.Logout})
		}
		a.gauges()
	case *ConnClosed:
		if prev := a.st.closeConn(m.ConnID); prev != 0 {
			a.toUser(ctx, prev, &DetachConn{ConnID: m.ConnID})
		}
		a.gauges()
	case *HTTPLoggedIn:
		a.spawnUser(ctx, m.User)
		a.toUser(ctx, m.User.ID, &GrantLogin{User: m.User, JTI: m.JTI, Until: a.creditUntil(m.ExpiresAt)})
	case *TokenRevoked:
		a.toUser(ctx, m.UserID, &RevokeToken{JTI: m.JTI})
	case *LoginBound:
		a.toUser(ctx, m.UserID, &EndCredit{JTI: m.JTI})
	case *RemotePresenceChanged:
		a.st.remoteChanged(m.User, m.Online, m.Version)
		a.scheduleFlush(ctx)
	case *RemotePresenceRead:
		a.st.remoteReplaced(m.Users, m.Version)
		a.scheduleFlush(ctx)
	case *RefreshRequested:
		a.st.refreshAll()
		a.scheduleFlush(ctx)
	case *UserCameOnline:
		a.setLocal(ctx, m.User, true, a.sys.now())
	case *UserWentOffline:
		if u, ok := a.st.local[m.UserID]; ok {
			a.setLocal(ctx, u, false, m.At)
		}
	case *UserIdle:
		a.onUserIdle(ctx, m)
	case *actor.Terminated:
		a.onTerminated(ctx, m)
	case *sweepDue:
		a.sweepPending.Store(false)
		a.sweep(ctx)
	case *flushDue:
		a.flush(ctx)
	case *statsReady:
		for _, c := range a.st.conns {
			if c.staff {
				ctx.Send(c.pid, &DeliverUpdate{Event: m.Event})
			}
		}
	case *ShutdownRequested:
		a.stopping = true
		for _, c := range a.st.conns {
			ctx.Send(c.pid, &CloseConn{Reason: m.Reason})
		}
	case *actor.Stopping, *actor.Restarting:
		a.stopping = true // children stopping with us are not failures
		// Restarting: Started will run again on this same value and start a new ticker.
		if a.stopSweep != nil {
			a.stopSweep()
			a.stopSweep = nil
		}
	case *actor.Stopped:
	default:
		a.sys.log.Warn("presence: unexpected message", "type", typeName(m))
	}
}

func (a *presenceActor) onStarted(ctx actor.Context) {
	a.sys.snapshot.Store(NewSnapshot(a.st.version, a.st.users()))
	a.stopping = false
	a.sweepPending.Store(false) // after a restart the queued sweep may be gone
	a.stopSweep = a.sys.every(a.sys.cfg.PingInterval, ctx.Self(), &sweepDue{}, &a.sweepPending)
}

// creditUntil is how long an HTTP login keeps a user online without sockets: two
// sweeps, and never past the token's expiry.
func (a *presenceActor) creditUntil(exp time.Time) time.Time {
	until := a.sys.now().Add(2 * a.sys.cfg.PingInterval)
	if exp.Before(until) {
		return exp
	}
	return until
}

func (a *presenceActor) onConnBound(ctx actor.Context, m *ConnBound) {
	prev := a.st.bindConn(m.ConnID, m.PID, m.User.ID, m.User.IsStaff)
	if prev != 0 && prev != m.User.ID {
		a.toUser(ctx, prev, &DetachConn{ConnID: m.ConnID})
	}
	a.spawnUser(ctx, m.User)
	a.toUser(ctx, m.User.ID, &AttachConn{ConnID: m.ConnID, PID: m.PID, JTI: m.JTI})
	a.gauges()
	a.scheduleFlush(ctx) // the conn's first update carries the full list
}

// spawnUser starts the user's actor if it is not running.
func (a *presenceActor) spawnUser(ctx actor.Context, u User) {
	if _, ok := a.users[u.ID]; ok {
		return
	}
	st := newUserState(u)
	opts := append(a.sys.instrumented(KindUser), actor.WithReceiverMiddleware(a.sys.cfg.userMiddleware...))
	props := actor.PropsFromProducer(func() actor.Actor { return &userActor{sys: a.sys, st: st} }, opts...)
	pid := ctx.SpawnPrefix(props, "user-"+strconv.FormatInt(u.ID, 10)+"-")
	a.users[u.ID] = &userRef{pid: pid}
	a.byPID[pid.Id] = u.ID
}

// toUser sends msg to a running user actor; messages for a user without an actor are
// dropped, since only spawnUser's callers can make a user need one.
func (a *presenceActor) toUser(ctx actor.Context, id int64, msg any) {
	ref, ok := a.users[id]
	if !ok {
		return
	}
	ref.sent++
	ctx.Send(ref.pid, msg)
}

func (a *presenceActor) onUserIdle(ctx actor.Context, m *UserIdle) {
	ref, ok := a.users[m.UserID]
	if !ok || !ref.pid.Equal(m.PID) || ref.sent != m.Handled {
		return
	}
	a.forgetUser(m.UserID, ref)
	ctx.Stop(ref.pid)
}

func (a *presenceActor) forgetUser(id int64, ref *userRef) {
	delete(a.users, id)
	delete(a.byPID, ref.pid.Id)
}

// onTerminated handles a user actor that stopped without being asked (it failed more
// often than its supervisor allows): its user is taken offline.
func (a *presenceActor) onTerminated(ctx actor.Context, m *actor.Terminated) {
	id, ok := a.byPID[m.Who.Id]
	if !ok {
		return
	}
	ref := a.users[id]
	if ref == nil || !ref.pid.Equal(m.Who) {
		return
	}
	if !a.stopping {
		a.sys.log.Error("user actor stopped after repeated failures", "user_id", id)
	}
	a.forgetUser(id, ref)
	if u, ok := a.st.local[id]; ok {
		a.setLocal(ctx, u, false, a.sys.now())
	}
}

// setLocal records a transition of this node's own presence and tells the Redis
// bridge, which turns it into the cluster's.
func (a *presenceActor) setLocal(ctx actor.Context, u User, online bool, at time.Time) {
	a.st.setLocal(u, online)
	a.sys.stats.UsersLocal.Store(int64(len(a.st.local)))
	if a.sys.bridge != nil {
		ctx.Send(a.sys.bridge, &LocalPresenceChanged{User: u, Online: online, At: at})
	}
	a.scheduleFlush(ctx)
}

func (a *presenceActor) scheduleFlush(ctx actor.Context) {
	if a.flushing || !a.st.dirty() {
		return
	}
	a.flushing = true
	self, root := ctx.Self(), a.sys.root
	time.AfterFunc(a.sys.cfg.Coalesce, func() { root.Send(self, &flushDue{}) })
}

// updatePayload is server-action:update_user_online.
type updatePayload struct {
	Version uint64  `json:"version"`
	Count   int     `json:"count"`
	Joined  []User  `json:"joined"`
	Left    []int64 `json:"left"`
	Users   []User  `json:"users,omitempty"`
}

func (a *presenceActor) flush(ctx actor.Context) {
	a.flushing = false
	u := a.st.flush()
	if !u.changed && a.st.snapshots == 0 {
		return
	}
	users := a.st.users()
	deliveries := a.deliver(ctx, u, users)
	a.st.snapshotsSent()
	a.sys.stats.Deliveries.Add(uint64(deliveries))
	a.sys.stats.observeFanout(deliveries)
	if !u.changed {
		return
	}
	a.sys.stats.Broadcasts.Add(1)
	a.sys.stats.UsersOnline.Store(int64(len(users)))
	// The observers are told before the snapshot is visible: whoever sees the new
	// snapshot and then asks the watch index is behind the change in its mailbox.
	change := &PresenceChanged{Version: u.version, Joined: u.joined, Left: u.left, At: a.sys.now()}
	for _, o := range a.observers {
		ctx.Send(o, change)
	}
	a.sys.snapshot.Store(NewSnapshot(u.version, users))
}

// countPayload is server-action:update_user_online with -global-presence count.
type countPayload struct {
	Version uint64 `json:"version"`
	Count   int    `json:"count"`
}

// deliver hands bound conns the update as -global-presence says: the diff, and the full
// list to conns bound since the last flush (all); {version, count} to every bound conn
// (count); nothing (off). It returns the number of deliveries.
func (a *presenceActor) deliver(ctx actor.Context, u update, users []User) int {
	var diff, full *Event
	switch a.sys.cfg.GlobalPresence {
	case GlobalOff:
		return 0
	case GlobalCount:
		diff = NewEvent(EventUpdateUserOnline, mustJSON(countPayload{Version: u.version, Count: a.st.count()}))
		full = diff
	default:
		p := updatePayload{Version: u.version, Count: a.st.count(), Joined: u.joined, Left: u.left}
		if p.Joined == nil {
			p.Joined = []User{}
		}
		if p.Left == nil {
			p.Left = []int64{}
		}
		if u.changed {
			diff = NewEvent(EventUpdateUserOnline, mustJSON(p))
		}
		if a.st.snapshots > 0 {
			p.Users = users
			full = NewEvent(EventUpdateUserOnline, mustJSON(p))
		}
	}
	deliveries := 0
	for _, c := range a.st.conns {
		switch {
		case c.userID == 0:
		case c.needSnapshot:
			ctx.Send(c.pid, &DeliverUpdate{Event: full})
			deliveries++
		case u.changed:
			ctx.Send(c.pid, &DeliverUpdate{Event: diff})
			deliveries++
		}
	}
	return deliveries
}

func (a *presenceActor) sweep(ctx actor.Context) {
	a.seq++
	now := a.sys.now()
	ping := NewEvent(EventPing, mustJSON(pingPayload{Message: "ping", Seq: a.seq, TS: now.UnixMilli()}))
	msg := &SweepStarted{Seq: a.seq, Ping: ping, At: now}
	for _, c := range a.st.conns {
		ctx.Send(c.pid, msg)
	}
	a.sys.stats.Sweeps.Add(1)
}

type pingPayload struct {
	Message string `json:"message"`
	Seq     uint64 `json:"seq"`
	TS      int64  `json:"ts"`
}

func (a *presenceActor) gauges() {
	a.sys.stats.ConnsBound.Store(int64(a.st.bound))
	a.sys.stats.ConnsAnonymous.Store(int64(len(a.st.conns) - a.st.bound))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("actors: encode %T: %v", v, err)) // only our own plain structs reach here
	}
	return b
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
