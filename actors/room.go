package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// RoomCluster is the seam between room actors and the membership of rooms on other
// nodes. Room actors call it from their Receive, so every method returns at once (an
// implementation that does I/O posts to an actor of its own and does it there).
//
// On one node it is localRooms, which does nothing: this node's members are the
// room's. With Redis it is redisRooms (room_bus.go): the room bus keeps each room's
// membership in the cluster (per-user node counts changed by atomic scripts,
// room_scripts.go), subscribes to the room's channel while this node has the room
// attached, sends the rooms supervisor RemoteRoomRead after each Attach (and again
// after anything was lost) and RemoteRoomChanged for each change of the cluster's
// room, this node's own included; a dead node's memberships go with its lease.
//
// Each room actor calls Attach when it starts and Detach when it stops or restarts,
// so calls for one room come in pairs; the pairs of successive actors of one room may
// overlap (a room stopped when empty and started again by a join at once: the new
// actor's Attach may come before the old one's Detach). An implementation counts them:
// the node has the room attached while it has had more Attach than Detach calls.
type RoomCluster interface {
	// Attach: this node has an actor for room (its first local join, or after a
	// restart); the cluster's members are to reach it through the rooms supervisor.
	// reads: a RemoteRoomRead follows, and the room answers its joins only after it
	// (or after roomReadWait), so that a joiner's list has the cluster's members.
	Attach(room string) (reads bool)
	// LocalChanged: user became a member of room through this node (present), or no
	// longer is (its last socket left and, unless it unbound, the grace ran out).
	LocalChanged(room string, u User, present bool, at time.Time)
	// Detach: this node's actor for room stopped (no socket here is in it).
	Detach(room string)
}

// roomReadWait bounds how long a room's joins wait for the cluster's read.
const roomReadWait = 2 * time.Second

// localRooms is the single-node RoomCluster.
type localRooms struct{}

var _ RoomCluster = localRooms{}

func (localRooms) Attach(string) bool                         { return false }
func (localRooms) LocalChanged(string, User, bool, time.Time) {}
func (localRooms) Detach(string)                              {}

// roomActor is the thin actor shell over one roomState. The state pointer is shared
// across restarts (see roomsActor.spawn), so a panic while handling one message loses
// that message, not who is in the room.
type roomActor struct {
	sys      *System
	st       *roomState
	flushing bool
	flushAt  time.Time // the last flush
	timer    *time.Timer
	wakeAt   time.Time
}

func (a *roomActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.flushing = false // a flush queued before a restart still arrives; one more is harmless
		if a.sys.roomCluster.Attach(a.st.name) {
			a.st.awaitRead(a.sys.now().Add(roomReadWait))
		}
		a.scheduleFlush(ctx)
		a.evaluate(ctx)
	case *JoinRoom:
		a.st.handled++
		became, superseded := a.st.join(m)
		if superseded != nil {
			ctx.Send(superseded.pid, superseded.msg)
		}
		if became {
			a.sys.roomCluster.LocalChanged(a.st.name, m.User, true, a.sys.now())
		}
		a.scheduleFlush(ctx)
	case *LeaveRoom:
		a.st.handled++
		now := a.sys.now()
		user, gone, unanswered := a.st.leave(m.ConnID, now, a.sys.cfg.OfflineGrace, m.AtOnce)
		if unanswered != nil {
			ctx.Send(unanswered.pid, unanswered.msg)
		}
		if gone {
			a.sys.roomCluster.LocalChanged(a.st.name, User{ID: user}, false, now)
		}
		a.scheduleFlush(ctx)
		a.evaluate(ctx)
	case *GetRoomPresenceRequest:
		a.st.handled++
		ctx.Respond(a.st.presence(m.Max))
	case *RemoteRoomChanged:
		a.st.handled++
		a.st.remoteChanged(m.User, m.Present, m.Version)
		a.scheduleFlush(ctx)
	case *RemoteRoomRead:
		a.st.handled++
		if m.Unread {
			a.st.readDone()
		} else {
			a.st.remoteReplaced(m.Users, m.Version)
		}
		a.scheduleFlush(ctx)
		a.evaluate(ctx)
	case *roomFlushDue:
		a.flushing = false
		a.flush(ctx)
	case *roomWake:
		a.wakeAt = time.Time{}
		a.flush(ctx)
	case *actor.Stopping:
		if a.timer != nil {
			a.timer.Stop()
		}
		a.sys.stats.RoomMembers.Add(-int64(len(a.st.published)))
		a.sys.roomCluster.Detach(a.st.name)
	case *actor.Restarting:
		a.sys.roomCluster.Detach(a.st.name) // Started attaches again
	case *actor.Stopped:
	default:
		a.sys.log.Warn("room actor: unexpected message", "room", a.st.name, "type", typeName(m))
	}
}

// scheduleFlush arranges the next flush: at once (behind what is already in the
// mailbox, so a batch of joins is one flush) when the room has not flushed for a
// coalescing window, else when the window since the last flush ends. A quiet room
// answers a join and tells its members within a message's time; a busy one still
// publishes at most once a window.
func (a *roomActor) scheduleFlush(ctx actor.Context) {
	if a.flushing || !a.st.dirty() {
		return
	}
	a.flushing = true
	wait := a.flushAt.Add(a.sys.cfg.Coalesce).Sub(a.sys.now())
	if wait <= 0 {
		ctx.Send(ctx.Self(), &roomFlushDue{})
		return
	}
	self, root := ctx.Self(), a.sys.root
	time.AfterFunc(wait, func() { root.Send(self, &roomFlushDue{}) })
}

// flush ends the graces that ran out, publishes, and answers the joins that wait.
func (a *roomActor) flush(ctx actor.Context) {
	now := a.sys.now()
	a.flushAt = now
	for _, id := range a.st.expire(now) {
		a.sys.roomCluster.LocalChanged(a.st.name, User{ID: id}, false, now)
	}
	out := a.st.flush(now)
	for _, s := range out.sends {
		ctx.Send(s.pid, &DeliverRoomUpdate{Room: a.st.name, Event: s.ev})
	}
	for _, ack := range out.acks {
		ctx.Send(ack.pid, ack.msg)
	}
	a.sys.stats.RoomUpdates.Add(uint64(len(out.sends)))
	if out.changed {
		a.sys.stats.RoomVersions.Add(1)
	}
	if out.delta != 0 {
		a.sys.stats.RoomMembers.Add(int64(out.delta))
	}
	a.evaluate(ctx)
}

// evaluate arms the timer for the next change time alone makes, and offers to stop
// when the room is idle.
func (a *roomActor) evaluate(ctx actor.Context) {
	if wake := a.st.nextWake(); !wake.Equal(a.wakeAt) {
		if a.timer != nil {
			a.timer.Stop()
			a.timer = nil
		}
		a.wakeAt = wake
		if !wake.IsZero() {
			self, root := ctx.Self(), a.sys.root
			a.timer = time.AfterFunc(max(wake.Sub(a.sys.now()), 0), func() { root.Send(self, &roomWake{}) })
		}
	}
	if a.st.idle() {
		ctx.Send(ctx.Parent(), &RoomIdle{Room: a.st.name, PID: ctx.Self(), Handled: a.st.handled})
	}
}
