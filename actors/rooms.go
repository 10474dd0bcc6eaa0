package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// roomRef is the supervisor's handle on a room actor; sent counts the messages given
// to it, so that an idle room actor is stopped only when nothing is in flight to it.
type roomRef struct {
	pid  *actor.PID
	sent uint64
	st   *roomState
}

// roomsActor is the rooms supervisor: it spawns a room actor on a room's first join,
// routes conns' joins and leaves, HTTP reads and the cluster's changes to it, and
// stops it once it is empty (after the last member's grace). It does no per-socket
// work: the room actors deliver to their members.
type roomsActor struct {
	sys      *System
	rooms    map[string]*roomRef
	byPID    map[string]string // room actor PID id → room, for Terminated
	stopping bool
}

func (a *roomsActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *JoinRoom:
		a.toRoom(ctx, a.spawn(ctx, m.Room), m)
	case *LeaveRoom:
		a.toRoom(ctx, a.rooms[m.Room], m) // not running: nobody to leave
	case *GetRoomPresenceRequest:
		ref := a.rooms[m.Room]
		if ref == nil && a.sys.roomBus != nil {
			ctx.Forward(a.sys.roomBus) // no socket here is in it: the cluster's room, from Redis
			return
		}
		if ref == nil {
			ctx.Respond(&GetRoomPresenceResponse{Users: []User{}})
			return
		}
		ref.sent++
		ctx.Forward(ref.pid)
	case *RemoteRoomChanged:
		a.toRoom(ctx, a.rooms[m.Room], m) // no local interest: nothing to tell
	case *RemoteRoomRead:
		a.toRoom(ctx, a.rooms[m.Room], m)
	case *RoomIdle:
		a.onRoomIdle(ctx, m)
	case *actor.Terminated:
		a.onTerminated(ctx, m)
	case *actor.Started:
		a.stopping = false
	case *actor.Stopping, *actor.Restarting:
		a.stopping = true // children stopping with us are not failures
	case *actor.Stopped:
	default:
		a.sys.log.Warn("rooms: unexpected message", "type", typeName(m))
	}
}

// spawn starts the room's actor if it is not running.
func (a *roomsActor) spawn(ctx actor.Context, room string) *roomRef {
	if ref, ok := a.rooms[room]; ok {
		return ref
	}
	st := newRoomState(room, a.sys.cfg.RoomListMax)
	opts := append(a.sys.instrumented(KindRoom), actor.WithReceiverMiddleware(a.sys.cfg.roomMiddleware...))
	props := actor.PropsFromProducer(func() actor.Actor { return &roomActor{sys: a.sys, st: st} }, opts...)
	ref := &roomRef{pid: ctx.SpawnPrefix(props, "room-"+room+"-"), st: st}
	a.rooms[room] = ref
	a.byPID[ref.pid.Id] = room
	return ref
}

func (a *roomsActor) toRoom(ctx actor.Context, ref *roomRef, msg any) {
	if ref == nil {
		return
	}
	ref.sent++
	ctx.Send(ref.pid, msg)
}

func (a *roomsActor) onRoomIdle(ctx actor.Context, m *RoomIdle) {
	ref, ok := a.rooms[m.Room]
	if !ok || !ref.pid.Equal(m.PID) || ref.sent != m.Handled {
		return
	}
	a.forget(m.Room, ref)
	ctx.Stop(ref.pid)
}

func (a *roomsActor) forget(room string, ref *roomRef) {
	delete(a.rooms, room)
	delete(a.byPID, ref.pid.Id)
}

// onTerminated handles a room actor that stopped without being asked (it failed more
// often than its supervisor allows): its members' conns are told they are out of it.
func (a *roomsActor) onTerminated(ctx actor.Context, m *actor.Terminated) {
	room, ok := a.byPID[m.Who.Id]
	if !ok {
		return
	}
	ref := a.rooms[room]
	if ref == nil || !ref.pid.Equal(m.Who) {
		return
	}
	if !a.stopping {
		a.sys.log.Error("room actor stopped after repeated failures", "room", room, "conns", len(ref.st.conns))
	}
	a.forget(room, ref)
	for _, c := range ref.st.conns { // the actor has stopped: its state is ours to read
		ctx.Send(c.pid, &RoomClosed{Room: room})
	}
}

// roomsSupervision restarts a failing room actor (state kept) up to 10 times in 10 s.
func roomsSupervision() actor.SupervisorStrategy {
	return actor.NewOneForOneStrategy(10, 10*time.Second, actor.DefaultDecider)
}
