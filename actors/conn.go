package actors

import (
	"errors"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/presenced/presenced/internal/closereason"
)

// connActor is one Socket.IO connection: it answers the client's ng-actions, binds and
// unbinds the socket, keeps it alive or closes it on the sweep, and hands presence
// updates to the socket while bound. All its writes go through Socket, which never
// blocks.
type connActor struct {
	sys    *System
	id     string
	sock   Socket
	st     connState
	closed bool // the transport is known gone, or this actor closed it
	// initial binds the conn at start (a valid token in the CONNECT auth payload; its
	// place was reserved by OpenConn).
	initial *Credentials
	// pending is a bind waiting for a place of its user; the ng-actions and presence:*
	// events that arrive meanwhile wait in deferred, in order, and are handled once it
	// is answered.
	pending *pendingBind
	// (an *ActionReceived, *RoomJoinReceived, *RoomLeaveReceived, *WatchReceived or
	// *UnwatchReceived)
	deferred []any
	// scoped is the conn's rooms and watchlist (conn_scoped.go).
	scoped scopedState
}

// pendingBind is a bind that waits for the places actor's answer.
type pendingBind struct {
	creds *Credentials
	ackID int64
}

// maxDeferred bounds the ng-actions kept while a bind waits for its place; beyond it
// they are refused as rate limited.
const maxDeferred = 8

func (a *connActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Send(a.sys.presence, &ConnOpened{ConnID: a.id, PID: ctx.Self()})
		if c := a.initial; c != nil {
			a.initial = nil
			a.setBound(ctx, c)
		}
	case *ActionReceived, *RoomJoinReceived, *RoomLeaveReceived, *WatchReceived, *UnwatchReceived:
		if a.pending != nil {
			a.deferEvent(m)
			return
		}
		a.onClientEvent(ctx, m)
	case *PlaceGranted:
		a.onPlace(ctx, m.UserID, true)
	case *PlaceRefused:
		a.onPlace(ctx, m.UserID, false)
	case *EventReceived:
		a.fail(m.AckID, CodeBadRequest, "unknown event")
	case *SweepStarted:
		a.onSweep(ctx, m)
	case *DeliverUpdate:
		if a.st.bound != nil {
			a.emit(m.Event)
		}
	case *RoomJoined:
		a.onRoomJoined(m)
	case *DeliverRoomUpdate:
		a.onRoomUpdate(m)
	case *RoomClosed:
		delete(a.scoped.rooms, m.Room)
	case *WatchAnswered:
		a.onWatchAnswered(m)
	case *DeliverWatchUpdate:
		a.onWatchUpdate(m)
	case *LogOut:
		if a.st.bound != nil && a.st.bound.jti == m.JTI {
			a.logOut(ctx, m.Reason)
		}
	case *CloseConn:
		a.close(m.Reason)
		ctx.Stop(ctx.Self())
	case *SocketClosed:
		a.closed = true
		ctx.Stop(ctx.Self())
	case *actor.Stopping:
		// Also reached when the actor failed: its supervisor stops it (never restarts).
		a.close(CloseActorFailed)
		a.releaseAll(ctx)
		a.leaveRooms(ctx, false)
		a.unwatchAll(ctx)
		ctx.Send(a.sys.presence, &ConnClosed{ConnID: a.id})
	case *actor.Stopped, *actor.Restarting:
	default:
		a.sys.log.Warn("conn actor: unexpected message", "conn_id", a.id, "type", typeName(m))
	}
}

func (a *connActor) close(reason closereason.Reason) {
	if !a.closed {
		a.closed = true
		a.sock.Close(reason)
	}
}

func (a *connActor) emit(ev *Event) {
	if !a.sock.Emit(ev) {
		a.closed = true // the transport closes a socket it cannot queue to
	}
}

func (a *connActor) onSweep(ctx actor.Context, m *SweepStarted) {
	if !a.st.sweep(m.At, m.Seq, a.sys.cfg.PongTimeout) {
		a.sys.stats.NoPongCloses.Add(1)
		a.close(CloseNoPong)
		ctx.Stop(ctx.Self())
		return
	}
	if a.st.expired(m.At) {
		a.logOut(ctx, ReasonTokenExpired)
	}
	if hb, ok := a.sock.(HeartbeatSocket); ok {
		if !hb.EmitHeartbeat(m.Ping) {
			a.closed = true
		}
		return
	}
	a.emit(m.Ping)
}

func (a *connActor) onAction(ctx actor.Context, m *ActionReceived) {
	now := a.sys.now()
	act := m.Action
	pong := act.Action == ActionPong && act.Problem == ""
	if !a.st.allow(now, pong, act.Seq, a.sys.cfg.ActionRate, a.sys.cfg.ActionBurst) {
		a.sys.stats.RateLimited.Add(1)
		if a.st.shouldNotifyLimit(now) {
			a.fail(m.AckID, CodeRateLimited, "too many ng-action events")
		} else if m.AckID >= 0 {
			a.sock.Ack(m.AckID, failAck(CodeRateLimited))
		}
		return
	}
	if act.Problem != "" {
		a.fail(m.AckID, CodeBadRequest, act.Problem)
		return
	}
	a.st.answered()
	switch act.Action {
	case ActionPong:
		a.sys.stats.Pongs.Add(1)
		if m.Creds != nil && a.bind(ctx, m.Creds, m.AckID, true) {
			return
		}
	case ActionLogin:
		if m.Creds == nil {
			a.fail(m.AckID, CodeBadRequest, "login needs a token")
			return
		}
		if a.bind(ctx, m.Creds, m.AckID, false) {
			return
		}
	case ActionLogout:
		if a.st.bound != nil {
			a.unbind(ctx, true)
		}
	default:
		a.fail(m.AckID, CodeBadRequest, "unknown action")
		return
	}
	a.ok(m.AckID)
}

// bind binds the conn with resolved credentials. It returns true when it answered the
// action itself: the token was refused (the conn stays as it was), or the bind waits
// for a place of the user and is answered when the place is granted or refused. A pong
// repeating a token just refused for the limit is not a new request (the original SPA
// repeats its token in every pong): it is acked as refused, without a new error event.
func (a *connActor) bind(ctx actor.Context, c *Credentials, ackID int64, pong bool) (answered bool) {
	b := a.st.bound
	if b != nil && b.token == c.Token {
		return false // the common case: every pong repeats the token that bound it
	}
	if c.Err != nil {
		a.sys.stats.BindsRefused.Add(1)
		if errors.Is(c.Err, ErrTokenExpired) {
			a.fail(ackID, CodeTokenExpired, "token expired")
		} else {
			a.fail(ackID, CodeInvalidToken, "invalid token")
		}
		return true
	}
	if a.sys.places == nil || (b != nil && b.userID == c.Grant.UserID) {
		a.setBound(ctx, c) // no limit, or a new token of the same user: the same place
		return false
	}
	if pong && a.st.holdBack(c.Token, a.sys.now()) {
		if ackID >= 0 {
			a.sock.Ack(ackID, failAck(CodeTooManyConnections))
		}
		return true
	}
	a.pending = &pendingBind{creds: c, ackID: ackID}
	ctx.Request(a.sys.places, &ReservePlace{UserID: c.Grant.UserID, ConnID: a.id})
	return true
}

// onPlace completes or refuses the pending bind, then handles what waited behind it.
func (a *connActor) onPlace(ctx actor.Context, user int64, granted bool) {
	p := a.pending
	if p == nil || p.creds.Grant.UserID != user {
		// Not asked for (a second answer after the places actor failed): keep the place
		// of the bound user, give back any other.
		if granted && (a.st.bound == nil || a.st.bound.userID != user) {
			ctx.Send(a.sys.places, &ReleasePlace{UserID: user, ConnID: a.id})
		}
		return
	}
	switch {
	case !granted:
		a.pending = nil
		a.st.refusedTooMany(p.creds.Token, a.sys.now())
		a.sys.stats.BindsTooMany.Add(1)
		a.fail(p.ackID, CodeTooManyConnections, "too many connections")
	case a.sys.cfg.Verifier.Revoked(p.creds.Grant.JTI):
		// Logged out while the place was being reserved.
		a.pending = nil
		ctx.Send(a.sys.places, &ReleasePlace{UserID: user, ConnID: a.id})
		a.sys.stats.BindsRefused.Add(1)
		a.fail(p.ackID, CodeInvalidToken, "invalid token")
	default:
		prev := a.st.bound
		a.setBound(ctx, p.creds)
		a.pending = nil // after setBound: a failure in between leaves the place to Stopping
		if prev != nil && prev.userID != user {
			ctx.Send(a.sys.places, &ReleasePlace{UserID: prev.userID, ConnID: a.id})
		}
		a.ok(p.ackID)
	}
	for a.pending == nil && len(a.deferred) > 0 {
		m := a.deferred[0]
		a.deferred[0] = nil
		a.deferred = a.deferred[1:]
		a.onClientEvent(ctx, m)
	}
}

// onClientEvent handles one of the client's events.
func (a *connActor) onClientEvent(ctx actor.Context, msg any) {
	switch m := msg.(type) {
	case *ActionReceived:
		a.onAction(ctx, m)
	case *RoomJoinReceived:
		a.onRoomJoin(ctx, m)
	case *RoomLeaveReceived:
		a.onRoomLeave(ctx, m)
	case *WatchReceived:
		a.onWatch(ctx, m)
	case *UnwatchReceived:
		a.onUnwatch(ctx, m)
	}
}

// deferEvent keeps a client event until the pending bind is answered.
func (a *connActor) deferEvent(msg any) {
	var ackID int64
	switch m := msg.(type) {
	case *ActionReceived:
		ackID = m.AckID
	case *RoomJoinReceived:
		ackID = m.AckID
	case *RoomLeaveReceived:
		ackID = m.AckID
	case *WatchReceived:
		ackID = m.AckID
	case *UnwatchReceived:
		ackID = m.AckID
	}
	if len(a.deferred) >= maxDeferred {
		if _, ng := msg.(*ActionReceived); ng {
			a.sys.stats.RateLimited.Add(1)
			if ackID >= 0 {
				a.sock.Ack(ackID, failAck(CodeRateLimited))
			}
		} else {
			a.refuse(ackID, CodeRateLimited, "too many events while the socket binds")
		}
		return
	}
	a.deferred = append(a.deferred, msg)
}

func (a *connActor) setBound(ctx actor.Context, c *Credentials) {
	if prev := a.st.bound; prev != nil && prev.userID != c.Grant.UserID {
		// Its rooms and watchlist were the other user's.
		a.leaveRooms(ctx, false)
		a.unwatchAll(ctx)
	}
	a.st.bound = &binding{userID: c.Grant.UserID, user: c.User, jti: c.Grant.JTI, token: c.Token, expires: c.Grant.ExpiresAt}
	a.sys.stats.Binds.Add(1)
	ctx.Send(a.sys.presence, &ConnBound{ConnID: a.id, PID: ctx.Self(), User: c.User, JTI: c.Grant.JTI})
}

// unbind makes the conn anonymous and gives its place back.
func (a *connActor) unbind(ctx actor.Context, logout bool) {
	if b := a.st.bound; b != nil && a.sys.places != nil {
		ctx.Send(a.sys.places, &ReleasePlace{UserID: b.userID, ConnID: a.id})
	}
	a.st.bound = nil
	a.leaveRooms(ctx, true)
	a.unwatchAll(ctx)
	ctx.Send(a.sys.presence, &ConnUnbound{ConnID: a.id, Logout: logout})
}

// releaseAll gives back every place the conn holds or waits for, as it goes. Releasing
// a reservation still queued cancels it; releasing a place twice is harmless.
func (a *connActor) releaseAll(ctx actor.Context) {
	if a.sys.places == nil {
		return
	}
	var bound int64
	if b := a.st.bound; b != nil {
		bound = b.userID
		ctx.Send(a.sys.places, &ReleasePlace{UserID: bound, ConnID: a.id})
	}
	if p := a.pending; p != nil && p.creds.Grant.UserID != bound {
		ctx.Send(a.sys.places, &ReleasePlace{UserID: p.creds.Grant.UserID, ConnID: a.id})
	}
}

// logOut tells the client its token no longer holds and makes the conn anonymous.
func (a *connActor) logOut(ctx actor.Context, reason string) {
	a.emit(NewEvent(EventLoggedOut, mustJSON(map[string]string{"reason": reason})))
	a.unbind(ctx, true)
}

func (a *connActor) ok(ackID int64) {
	if ackID >= 0 {
		a.sock.Ack(ackID, okAck)
	}
}

// fail answers a refused ng-action: the ack if one was asked for, and an error event.
func (a *connActor) fail(ackID int64, code, msg string) {
	if ackID >= 0 {
		a.sock.Ack(ackID, failAck(code))
	}
	a.emit(NewEvent(EventError, mustJSON(map[string]string{"code": code, "message": msg})))
}

var okAck = []byte(`{"ok":true}`)

func failAck(code string) []byte { return mustJSON(map[string]any{"ok": false, "code": code}) }
